"""Who is running this process: the user and host named in lock holders and deployment records."""

from __future__ import annotations

import getpass
import os
import socket


def user_name() -> str:
    """The login name, or the numeric uid when the system has no name for it (e.g. in a container)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def host_name() -> str:
    return socket.gethostname()

"""Fault injection for the crash-safety tests: a named point where a run can be killed on purpose."""

from __future__ import annotations

import os
import signal
from fnmatch import fnmatch


def crashpoint(name: str) -> None:
    """SIGKILL this process at `name` when ORCHESTRATOR_CRASH_AT matches it (a glob). Points: lock,
    intent:<key>, done:<key>, removing:<key>, removed:<key>, made:<bucket key>, spawn:<server>, initdb, outputs,
    saved."""
    pattern = os.environ.get("ORCHESTRATOR_CRASH_AT")
    if pattern and fnmatch(name, pattern):
        os.kill(os.getpid(), signal.SIGKILL)

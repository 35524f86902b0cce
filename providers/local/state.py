"""The local target's state: `.orchestrator/local/<env>/state.json` and the lock guarding it.

The state file is written atomically (mode 0600: it holds generated passwords). The lock is
an advisory `flock` on `lock`, so a run killed with SIGKILL releases it; the file also names
its holder (pid, host, user, time) for the "locked" message.
"""

from __future__ import annotations

import errno
import fcntl
import getpass
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.core.errors import BadInput, Locked
from orchestrator.core.files import write_atomic

STATE_FILE = "state.json"
LOCK_FILE = "lock"
FORMAT = 1


def state_dir(state_root: Path, env: str) -> Path:
    """Absolute: servers run with their own working directories."""
    return (state_root / "local" / env).absolute()


def ensure_dir(path: Path) -> Path:
    """Create `path` (mode 0700), or a BadInput naming it when it cannot be written."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe = path / f".probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise BadInput(f"cannot write the state directory: {exc.strerror or exc}", where=str(path)) from None
    return path


class State:
    """The JSON document of one local environment, saved after every step that changes the world."""

    def __init__(self, directory: Path, data: dict[str, Any]) -> None:
        self.dir = directory
        self.data = data

    @classmethod
    def load(cls, directory: Path) -> State:
        path = directory / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read the local state: {exc}", where=str(path)) from None
        if data.get("format", FORMAT) != FORMAT:
            raise BadInput(f"state format {data.get('format')} is not {FORMAT}", where=str(path))
        data.setdefault("format", FORMAT)
        data.setdefault("servers", {})
        data.setdefault("resources", {})
        return cls(directory, data)

    @property
    def exists(self) -> bool:
        return (self.dir / STATE_FILE).exists()

    @property
    def servers(self) -> dict[str, dict[str, Any]]:
        return self.data["servers"]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.data["resources"]

    def server(self, name: str) -> dict[str, Any]:
        return self.servers.setdefault(name, {})

    def save(self) -> None:
        text = json.dumps(self.data, indent=2, sort_keys=True) + "\n"
        write_atomic(self.dir / STATE_FILE, text.encode(), mode=0o600)


def holder() -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "user": user,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def describe(h: dict[str, Any]) -> str:
    return f"pid {h.get('pid', '?')} on {h.get('host', '?')} (user {h.get('user', '?')}) since {h.get('time', '?')}"


POLL_SECONDS = 0.1


@contextmanager
def locked(directory: Path, *, timeout: float = 0.0, command: str = "") -> Iterator[None]:
    """Hold the environment's lock; wait up to `timeout` seconds, then raise Locked naming the holder."""
    path = directory / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise BadInput(f"cannot create the lock file: {exc.strerror or exc}", where=str(path)) from None
    try:
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                current = _read_holder(path)
                waited = f" after waiting {timeout:g}s" if timeout > 0 else ""
                raise Locked(f"locked by {describe(current)}{waited}", where=str(directory))
            time.sleep(POLL_SECONDS)
        info = json.dumps({**holder(), "command": command}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, info, 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(path: Path) -> dict[str, Any]:
    for _ in range(20):  # the holder writes its details right after taking the lock
        try:
            text = path.read_text(encoding="utf-8")
            if text:
                return json.loads(text)
        except (OSError, ValueError):
            pass
        time.sleep(0.01)
    return {}

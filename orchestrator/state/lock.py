"""The environment lock: an advisory `flock` on a file that also names its holder.

The kernel releases an flock when the last process holding it exits, so a run killed with
SIGKILL never leaves the env locked; it only leaves its holder record behind, which the next
run reports (`Lease.stale`) and replaces. For the same reason an flock held by a live process
cannot be broken: `force_unlock` never takes a held lock, it only says why it cannot.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.core.errors import BadInput, Locked
from orchestrator.core.whoami import host_name, user_name

POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a lock: written into the lock file right after taking it."""

    pid: int
    host: str
    user: str
    time: str
    """ISO 8601, UTC, whole seconds."""
    command: str

    @classmethod
    def current(cls, command: str) -> Holder:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        return cls(pid=os.getpid(), host=host_name(), user=user_name(), time=now, command=command)

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        """The holder a lock file names, or None when it names none (empty, partly written, not ours)."""
        try:
            doc = json.loads(text)
            return cls(pid=int(doc["pid"]), host=str(doc["host"]), user=str(doc["user"]), time=str(doc["time"]),
                       command=str(doc.get("command", "")))
        except (ValueError, TypeError, KeyError):
            return None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def age_seconds(self) -> float | None:
        try:
            since = datetime.fromisoformat(self.time)
        except ValueError:
            return None
        if since.tzinfo is None:
            return None
        return max((datetime.now(UTC) - since).total_seconds(), 0.0)

    def describe(self) -> str:
        """E.g. `pid 4242 on build-1 (user ci, command 'deploy') for 3m12s`."""
        age = self.age_seconds()
        held = f"for {_duration(age)}" if age is not None else f"since {self.time}"
        command = f", command {self.command!r}" if self.command else ""
        return f"pid {self.pid} on {self.host} (user {self.user}{command}) {held}"

    def alive_here(self) -> bool:
        """True when the holder is a running process on this host."""
        if self.host != host_name():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


@dataclass(frozen=True)
class Lease:
    """A lock held by this run: `holder` is this run; `stale` a dead run's record it replaced, if any."""

    holder: Holder
    stale: Holder | None


class FileLock:
    """The lock file at `path` (created mode 0600 in a 0700 directory; never a symlink or another user's file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def hold(self, command: str, *, timeout: float = 0.0, force_unlock: bool = False) -> Iterator[Lease]:
        """Hold the lock while the block runs; wait up to `timeout` seconds, then raise Locked naming the holder.

        `force_unlock` cannot take a lock another process holds (see the module docstring); it
        changes only what the Locked error says.
        """
        fd = self._open()
        try:
            deadline = time.monotonic() + max(timeout, 0.0)
            while not _try_flock(fd):
                if time.monotonic() >= deadline:
                    raise self._locked(_read_holder(fd, wait=True), timeout, force_unlock)
                time.sleep(POLL_SECONDS)
            stale = _read_holder(fd, wait=False)
            lease = Lease(holder=Holder.current(command), stale=stale)
            _write(fd, lease.holder.to_json().encode())
            try:
                yield lease
            finally:
                _write(fd, b"")
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _open(self) -> int:
        where = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise BadInput("the lock file is a symbolic link; refusing to follow it", where=where) from None
            raise BadInput(f"cannot open the lock file: {exc.strerror or exc}", where=where) from None
        info = os.fstat(fd)
        problem = None
        if not stat.S_ISREG(info.st_mode):
            problem = "the lock file is not a regular file; refusing to use it"
        elif info.st_uid != os.geteuid():
            problem = f"the lock file is owned by uid {info.st_uid}, not by this user (uid {os.geteuid()}); refusing it"
        if problem:
            os.close(fd)
            raise BadInput(problem, where=where)
        return fd

    def _locked(self, holder: Holder | None, timeout: float, force_unlock: bool) -> Locked:
        who = f"locked by {holder.describe()}" if holder else "locked by a run that has not written its name yet"
        waited = f" (waited {timeout:g}s)" if timeout > 0 else ""
        if not force_unlock:
            advice = "wait for it with --lock-timeout SECONDS, or if that process is dead, rerun with --force-unlock"
        elif holder is not None and holder.alive_here():
            advice = "that process is still running on this host, and a live run's lock is never broken"
        else:
            advice = ("--force-unlock cannot break it: the kernel holds an flock for as long as any process has it "
                      "open (a child of that run may still be alive), and releases it when the last one exits")
        return Locked(f"{who}{waited}; {advice}", where=str(self.path))


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _read_holder(fd: int, *, wait: bool) -> Holder | None:
    """The holder the file names; with `wait`, give a run that just took the lock a moment to write its name."""
    for _ in range(20 if wait else 1):
        holder = Holder.parse(os.pread(fd, 64 * 1024, 0).decode("utf-8", "replace"))
        if holder is not None:
            return holder
        if wait:
            time.sleep(0.01)
    return None


def _write(fd: int, data: bytes) -> None:
    os.ftruncate(fd, 0)
    if data:
        os.pwrite(fd, data, 0)


def _duration(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"

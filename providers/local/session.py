"""One run of the local target: its state, its servers' endpoints and lazily made clients.

Handlers receive it as `Context.target`. It starts the servers the plan needs (recording each
port in the state before spawning) and hands out one psycopg executor and boto3 clients.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from orchestrator.core.envs import Env
from orchestrator.core.errors import BadInput
from orchestrator.ui import UI
from providers.local import servers
from providers.local.settings import settings_of
from providers.local.state import State

REGION = "us-east-1"
EMULATOR_KEY = "test"
"""The emulator's access key id and secret: fixed dummies, it listens on loopback only."""
APP_LISTEN = "127.0.0.1:4000"
"""Where `orchestrator run` makes the app listen; the gateways' base URL."""


def crashpoint(name: str) -> None:
    """Fault injection for the crash-safety tests: SIGKILL this process at `name` when
    ORCHESTRATOR_CRASH_AT matches it (a glob). Points: lock, intent:<key>, done:<key>,
    removing:<key>, removed:<key>, spawn:<server>, initdb, outputs, saved."""
    pattern = os.environ.get("ORCHESTRATOR_CRASH_AT")
    if pattern and fnmatch(name, pattern):
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class PgEndpoint:
    host: str
    port: int
    user: str
    password: str
    database: str
    embedded: bool

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class Session:
    def __init__(
        self,
        env: Env,
        state: State,
        ui: UI,
        *,
        secrets: dict[str, str] | None = None,
        migrations: dict[str, Any] | None = None,
    ) -> None:
        self.env = env
        self.state = state
        self.ui = ui
        self.secrets = secrets or {}
        self.migrations = migrations or {}
        self.pg: PgEndpoint | None = None
        self.emulator_port: int | None = None
        self.redis_port: int | None = None
        self._executor: Any = None
        self._clients: dict[str, Any] = {}
        self._boto: Any = None

    # ---------------------------------------------------------------- state helpers

    @property
    def dir(self) -> Path:
        return self.state.dir

    def record(self, key: str) -> dict[str, Any]:
        return self.state.resources.setdefault(key, {})

    def save(self) -> None:
        self.state.save()

    # ---------------------------------------------------------------- servers

    def start(self, *, postgres: bool, emulator: bool, redis: bool) -> list[str]:
        """Make the needed servers run; returns the names of those it had to start."""
        started: list[str] = []
        waits: list[Callable[[], None]] = []
        try:
            if emulator:
                waits += self._start_emulator(started)
            if redis:
                waits += self._start_redis(started)
            if postgres:
                waits += self._start_postgres(started)
            for wait in waits:
                wait()
        except BaseException:
            servers.stop_all(self.dir, only=started)  # a failed start leaves nothing of its own running
            raise
        return started

    def _spawned(self, name: str, started: list[str]) -> None:
        started.append(name)
        crashpoint(f"spawn:{name}")

    def _start_emulator(self, started: list[str]) -> list[Callable[[], None]]:
        directory = self.dir / servers.EMULATOR_DIR
        running = servers.emulator_running(directory)
        if running:
            self.emulator_port = running[1]
            return []
        rec = self.state.server("emulator")
        port = servers.choose_port(settings_of(self.env).emulator_port, rec.get("port"), setting="emulatorPort")
        rec["port"] = port
        self.save()
        proc = servers.start_emulator(directory, port=port)
        self._spawned("emulator", started)
        self.emulator_port = port
        return [lambda: servers.wait_emulator(directory, proc, port)]

    def _start_redis(self, started: list[str]) -> list[Callable[[], None]]:
        directory = self.dir / servers.REDIS_DIR
        rec = self.state.server("redis")
        if not rec.get("password"):
            rec["password"] = servers.new_password()
            self.save()
        running = servers.redis_running(directory)
        if running:
            self.redis_port = running[1]
            return []
        binary = servers.redis_binary()
        port = servers.choose_port(settings_of(self.env).redis_port, rec.get("port"), setting="redisPort")
        rec["port"] = port
        self.save()
        proc = servers.start_redis(directory, port=port, password=rec["password"], binary=binary)
        self._spawned("redis", started)
        self.redis_port = port
        return [lambda: servers.wait_redis(directory, proc, port, rec["password"])]

    def _start_postgres(self, started: list[str]) -> list[Callable[[], None]]:
        admin_url = settings_of(self.env).postgres_admin_url
        if admin_url:
            self.pg = external_postgres(admin_url)
            return []
        account = servers.pg_account()
        datadir = servers.pg_datadir(self.dir, account)
        rec = self.state.server("postgres")
        running = servers.pg_running(datadir)
        configured = settings_of(self.env).postgres_port
        if running and configured is not None and running[1] != configured:
            servers.stop_postgres(datadir)
            running = None
        if running:
            self._set_pg(rec, running[1], datadir)
            return []
        picked = servers.pick_pg_bindir(datadir, rec.get("bindir"))
        bindir = servers.runnable_bindir(picked, account)
        log = self.dir / "postgres.log"
        if not (datadir / "PG_VERSION").exists():
            rec["admin_password"] = servers.new_password()
            rec["bindir"] = str(picked)
            self.save()
            crashpoint("initdb")
            servers.init_postgres(datadir, bindir, password=rec["admin_password"], account=account, log=log)
        port = servers.choose_port(configured, rec.get("port"), setting="postgresPort")
        rec.update(port=port, bindir=str(picked))
        self.save()
        proc = servers.start_postgres(
            datadir, bindir, port=port, account=account, log=log, label=str(self.dir.resolve())
        )
        self._spawned("postgres", started)
        self._set_pg(rec, port, datadir)
        return [lambda: servers.wait_postgres(datadir, proc, port, log)]

    def _set_pg(self, rec: dict[str, Any], port: int, datadir: Path) -> None:
        if not rec.get("admin_password"):
            raise BadInput(
                "PostgreSQL data exists but the state has no admin password for it (was state.json "
                "removed?); run `orchestrator destroy` for this env, or restore the state file",
                where=str(datadir),
            )
        self.pg = PgEndpoint(servers.LOOPBACK, port, servers.PG_ADMIN, rec["admin_password"], "postgres", embedded=True)

    @property
    def emulator_url(self) -> str:
        if self.emulator_port is None:
            raise RuntimeError("the emulator was not started")
        return f"http://{servers.LOOPBACK}:{self.emulator_port}"

    @property
    def redis_password(self) -> str:
        return self.state.server("redis")["password"]

    # ---------------------------------------------------------------- clients

    def executor(self) -> Any:
        if self._executor is None:
            if self.pg is None:
                raise RuntimeError("PostgreSQL was not started")
            from providers.local.sql import PgExecutor

            self._executor = PgExecutor(self.pg)
        return self._executor

    def aws(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            import boto3
            from botocore.config import Config

            if self._boto is None:
                self._boto = boto3.Session()
            client = self._boto.client(
                service,
                endpoint_url=self.emulator_url,
                region_name=REGION,
                aws_access_key_id=EMULATOR_KEY,
                aws_secret_access_key=EMULATOR_KEY,
                config=Config(
                    retries={"max_attempts": 2, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=30,
                    s3={"addressing_style": "path"},
                ),
            )
            self._clients[service] = client
        return client

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()
            self._executor = None


def external_postgres(url: str) -> PgEndpoint:
    parts = urlsplit(url)
    if not parts.hostname or not parts.username:
        raise BadInput(
            "postgresAdminUrl needs a user and a host, e.g. postgres://admin:pw@127.0.0.1:5432/postgres",
            where="orchestrator:local.postgresAdminUrl",
        )
    return PgEndpoint(
        parts.hostname,
        parts.port or 5432,
        unquote(parts.username),
        unquote(parts.password or ""),
        unquote(parts.path.lstrip("/")) or "postgres",
        embedded=False,
    )

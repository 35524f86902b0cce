"""The in-network SQL job's scripts (providers/sqladmin.py `setup_script`, `migrate_script`) run by a stock `psql`
against a real PostgreSQL, as on Azure: the administrator is no superuser (CREATEROLE, CREATEDB), migrations run
logged in as the app's role. Plus the job's shell command around them."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import psycopg
import pytest
from azgraph import fixture_plan

from providers import sqladmin
from providers.azure import args
from providers.azure.sql import job_command, verifier
from providers.sqladmin import MigrationFile
from tests.local.standalone_postgres import standalone_postgres

pytestmark = [pytest.mark.local, pytest.mark.skipif(shutil.which("psql") is None, reason="needs psql")]

SUPER_PASSWORD, ADMIN_PASSWORD, APP_PASSWORD = "super-pw", "admin-pw", "app-pw-Xy7"
DB, ROLE = "shop_db", "shop_user"
HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    from providers.local.servers import postgres

    with standalone_postgres(tmp_path_factory.mktemp("azure-sql-job"), password=SUPER_PASSWORD) as port:
        with _connect(port, postgres.PG_ADMIN, SUPER_PASSWORD, "postgres") as conn:
            conn.execute(f"CREATE ROLE {args.ADMIN_USER} WITH LOGIN CREATEROLE CREATEDB PASSWORD '{ADMIN_PASSWORD}'")
        yield port


def _connect(port: int, user: str, password: str, dbname: str) -> psycopg.Connection:
    return psycopg.connect(host=HOST, port=port, user=user, password=password, dbname=dbname, autocommit=True)


def psql(port: int, user: str, password: str, dbname: str, script: str, **environ: str
         ) -> subprocess.CompletedProcess[str]:
    cmd = ["psql", "-X", "-h", HOST, "-p", str(port), "-U", user, "-d", dbname]
    env = {**os.environ, "PGPASSWORD": password, "PGSSLMODE": "disable", **environ}
    return subprocess.run(cmd, input=script, capture_output=True, text=True, env=env, timeout=60)


def setup(port: int) -> subprocess.CompletedProcess[str]:
    return psql(port, args.ADMIN_USER, ADMIN_PASSWORD, "postgres", sqladmin.setup_script(database=DB, role=ROLE),
                **{sqladmin.PSQL_PASSWORD_VAR: verifier(ROLE, APP_PASSWORD)})


def migrate(port: int, migrations: list[MigrationFile], *, non_sequential: bool = False
            ) -> subprocess.CompletedProcess[str]:
    script = sqladmin.migrate_script(database=DB, role=ROLE, migrations=migrations, non_sequential=non_sequential)
    return psql(port, ROLE, APP_PASSWORD, DB, script)


M1 = MigrationFile(1, "1_init.up.sql", "CREATE TABLE items (id bigint PRIMARY KEY, note text);\n")
M2 = MigrationFile(2, "2_more.up.sql", "ALTER TABLE items ADD COLUMN price numeric;\nCREATE INDEX ON items (price)")
BAD = MigrationFile(3, "3_bad.up.sql", "ALTER TABLE nope ADD COLUMN x int;")


def test_setup_makes_the_role_own_its_database_alone_and_is_idempotent(port: int) -> None:
    for _ in range(2):
        out = setup(port)
        assert out.returncode == 0, out.stderr
    with _connect(port, ROLE, APP_PASSWORD, DB) as conn:  # the verifier matches the password (SCRAM)
        owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (DB,)).fetchone()
        assert owner == (ROLE,)
        flags = conn.execute("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user")
        assert flags.fetchone() == (False, False, False)
        acl = conn.execute("SELECT datacl::text[] FROM pg_database WHERE datname = %s", (DB,)).fetchone()
        assert acl is not None and not [entry for entry in acl[0] if entry.startswith("=")]  # nothing for PUBLIC
        public = conn.execute("SELECT has_schema_privilege('public', 'public', 'CREATE')").fetchone()
        assert public == (False,)


def test_migrations_apply_once_in_order_and_a_failure_keeps_the_version(port: int) -> None:
    assert setup(port).returncode == 0
    out = migrate(port, [M1])
    assert out.returncode == 0, out.stderr
    assert migrate(port, [M1, M2]).returncode == 0
    assert migrate(port, [M1, M2]).returncode == 0  # nothing pending: no re-run
    with _connect(port, ROLE, APP_PASSWORD, DB) as conn:
        assert conn.execute("SELECT version, dirty FROM public.schema_migrations").fetchall() == [(2, False)]
        assert conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items'"
                            ).fetchone() == (3,)
    failed = migrate(port, [M1, M2, BAD])
    assert failed.returncode == 3 and 'relation "nope" does not exist' in failed.stderr
    with _connect(port, ROLE, APP_PASSWORD, DB) as conn:
        assert conn.execute("SELECT version, dirty FROM public.schema_migrations").fetchall() == [(2, False)]


def test_migrations_refuse_a_foreign_login(port: int) -> None:
    assert setup(port).returncode == 0
    script = sqladmin.migrate_script(database=DB, role=ROLE, migrations=[M1], non_sequential=False)
    out = psql(port, args.ADMIN_USER, ADMIN_PASSWORD, DB, script)
    assert out.returncode == 3 and "logged in as the app's role" in out.stderr


def test_duplicate_migration_numbers_are_refused() -> None:
    from orchestrator.core.errors import BadInput

    with pytest.raises(BadInput, match="share the number 1"):
        sqladmin.migrate_script(database=DB, role=ROLE, migrations=[M1, M1], non_sequential=False)


def test_the_job_command_verifies_the_server_and_runs_both_scripts_from_secrets() -> None:
    plan = fixture_plan("booking-system", "production")
    (db,) = [r for r in plan.resources if r.kind.value == "sql"]

    class Session:
        app_root = None

    command = job_command(db.spec, db.names, Session())  # type: ignore[arg-type]
    assert "export PGSSLMODE=verify-full PGSSLROOTCERT=/tmp/ca.pem" in command
    assert 'PGPASSWORD="$ADMIN_PASSWORD"' in command and 'PGPASSWORD="$APP_PASSWORD"' in command
    assert 'ROLE_PASSWORD="$ROLE_VERIFIER"' in command
    assert sqladmin.setup_script(database=db.names["database"], role=db.names["role"]) in command
    assert APP_PASSWORD not in command and "PASSWORD '" not in command

"""Bad input to a local deploy: one `error:` line on stderr and the documented exit code (docs/exit-codes.md)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

from orchestrator.core import appmeta

if TYPE_CHECKING:
    from tests.local.conftest import Project

pytestmark = pytest.mark.local

BAD_INPUT = 2


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_missing_secrets_are_all_listed_before_anything_starts(project: Project) -> None:
    meta = project.app("ai-chat")
    env = project.stack("nosecret")
    result = project.deploy(env, meta, expect=BAD_INPUT)
    assert result.one_line_error, str(result)
    for secret in appmeta.load(meta).secrets:
        assert secret.name in result.stderr
    assert project.processes(env) == []
    assert not (project.env_dir(env) / "state.json").exists()


def test_missing_migration_file(project: Project) -> None:
    meta = project.app("ts-uptime", name="nofile/ts-uptime")
    (meta.parent / "site" / "migrations" / "1_create_tables.up.sql").unlink()
    env = project.stack("nofile", secrets_for=meta)
    result = project.deploy(env, meta, expect=BAD_INPUT)
    assert result.one_line_error, str(result)
    assert "1_create_tables.up.sql" in result.stderr


def test_broken_migration_then_fixed(project: Project) -> None:
    meta = project.app("booking-system", name="broken/booking-system")
    second = meta.parent / "booking" / "db" / "migrations" / "2_initial_availability.up.sql"
    good = second.read_text()
    second.write_text("CREATE TABLE half_done (id int);\nCREATE TABLE (;\n")
    env = project.stack("broken", secrets_for=meta)

    result = project.deploy(env, meta, expect=BAD_INPUT)
    # Found while applying, after progress lines: the error is still one line, and the last.
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("error: ")] == lines[-1:], str(result)
    assert "Traceback" not in result.stderr
    assert "2_initial_availability.up.sql" in lines[-1]

    state = project.state_doc(env)
    pg = state["servers"]["postgres"]
    database = state["resources"]["sql:booking"]["names"]["database"]
    with psycopg.connect(host="127.0.0.1", port=pg["port"], user="orchestrator", password=pg["admin_password"],
                         dbname=database, connect_timeout=10) as conn:
        assert conn.execute("SELECT version, dirty FROM schema_migrations").fetchall() == [(1, False)]
        assert conn.execute("SELECT to_regclass('public.half_done')").fetchone() == (None,)

    second.write_text(good)
    project.deploy(env, meta)
    project.verify(env)


def test_postgres_port_in_use(project: Project, busy_port: int) -> None:
    meta = project.app("booking-system", name="pgport/booking-system")
    env = project.stack("pgport", local={"postgresPort": busy_port}, secrets_for=meta)
    result = project.deploy(env, meta, expect=BAD_INPUT)
    assert result.one_line_error, str(result)
    assert str(busy_port) in result.stderr
    assert project.processes(env) == []  # the emulator it had started is stopped again


def test_emulator_port_in_use(project: Project, busy_port: int) -> None:
    meta = project.app("replicate-image-generator", name="emuport/replicate-image-generator")
    env = project.stack("emuport", local={"emulatorPort": busy_port}, secrets_for=meta)
    result = project.deploy(env, meta, expect=BAD_INPUT)
    assert result.one_line_error, str(result)
    assert str(busy_port) in result.stderr
    assert project.processes(env) == []


def test_unwritable_state_dir(project: Project) -> None:
    """A regular file where a directory must be: unwritable even for root, who ignores permission bits."""
    meta = project.app("replicate-image-generator", name="nostate/replicate-image-generator")
    env = project.stack("nostate", secrets_for=meta)
    blocker = project.root / "not-a-directory"
    blocker.write_text("")
    result = project.cli(*project.deploy_args(env, meta), env={"ORCHESTRATOR_HOME": str(blocker / "state")})
    assert result.code == BAD_INPUT and result.one_line_error, str(result)
    assert "not-a-directory" in result.stderr


def test_a_migration_escaping_to_the_admin_fails_and_changes_nothing(project: Project) -> None:
    """The reproduction from the trust review: `RESET ROLE` in a migration used to run as the admin."""
    meta = project.app("booking-system", name="escape/booking-system")
    second = meta.parent / "booking" / "db" / "migrations" / "2_initial_availability.up.sql"
    env = project.stack("escape", secrets_for=meta)
    second.write_text("RESET ROLE;\nCOPY (SELECT 1) TO PROGRAM 'touch /tmp/orchestrator-escaped';\n")
    result = project.deploy(env, meta, expect=BAD_INPUT)
    assert "2_initial_availability.up.sql" in result.stderr.splitlines()[-1]
    assert not Path("/tmp/orchestrator-escaped").exists()

    state = project.state_doc(env)
    pg = state["servers"]["postgres"]
    role = state["resources"]["sql:booking"]["names"]["role"]
    second.write_text(f'RESET ROLE;\nALTER ROLE "{role}" SUPERUSER;\n')
    project.deploy(env, meta, expect=BAD_INPUT)
    with psycopg.connect(host="127.0.0.1", port=pg["port"], user="orchestrator", password=pg["admin_password"],
                         dbname="postgres", connect_timeout=10) as conn:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (role,)).fetchone() == (False,)

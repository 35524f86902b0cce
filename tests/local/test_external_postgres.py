"""`orchestrator:local.postgresAdminUrl`: databases and roles on a server we did not start, and only ours removed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import psycopg
import pytest
from standalone_postgres import standalone_postgres

from providers.local import servers
from providers.local.servers import postgres

if TYPE_CHECKING:
    from tests.local.conftest import Project

pytestmark = pytest.mark.local

ADMIN_PASSWORD = "external-admin-pw"


@pytest.fixture(scope="module")
def external(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A PostgreSQL server started outside the orchestrator, with a database of its own; yields its port."""
    with standalone_postgres(tmp_path_factory.mktemp("external-pg"), password=ADMIN_PASSWORD) as port:
        with _admin(port) as conn:
            conn.execute("CREATE DATABASE theirs")
        yield port


def _admin(port: int) -> psycopg.Connection:
    return psycopg.connect(host=servers.LOOPBACK, port=port, user=postgres.PG_ADMIN, password=ADMIN_PASSWORD,
                           dbname="postgres", autocommit=True, connect_timeout=10)


def _databases(port: int) -> set[str]:
    with _admin(port) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE NOT datistemplate")}


def test_external_server_gets_our_databases_and_keeps_its_own(project: Project, external: int,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    meta = project.app("polar-file-sharing")
    # The password stays out of the stack file: libpq reads PGPASSWORD.
    url = f"postgresql://{postgres.PG_ADMIN}@{servers.LOOPBACK}:{external}/postgres"
    env = project.stack("ext", local={"postgresAdminUrl": url}, secrets_for=meta)
    monkeypatch.setenv("PGPASSWORD", ADMIN_PASSWORD)
    project.deploy(env, meta)
    ours = {rec["names"]["database"] for key, rec in project.state_doc(env)["resources"].items()
            if key.startswith("sql:")}
    assert len(ours) == 3 and ours <= _databases(external)
    assert "postgres" not in project.servers_running(env) or not project.servers_running(env)["postgres"]
    project.verify(env)

    project.destroy(env)
    left = _databases(external)
    assert not (ours & left), "destroy must remove the databases it made"
    assert {"theirs", "postgres"} <= left, "and nothing else on a server it does not own"

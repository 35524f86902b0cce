"""Deploy, verify, redeploy (no-op), keep data across redeploys and stop/start, destroy cleanly: real servers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

from orchestrator.core import appmeta
from orchestrator.core.model import Language
from orchestrator.verify import config as verify_config
from runtime_config.secrets import resolve

if TYPE_CHECKING:
    from tests.local.conftest import Project

pytestmark = pytest.mark.local

LEFT_AFTER_DESTROY = {"lock", "secrets.json", "owner"}
"""secret values, and the owner id (a redeploy here keeps it: what a killed destroy left still carries its mark)."""


def test_fixture_app_lifecycle(project: Project, fixture_app: str) -> None:
    meta = project.app(fixture_app)
    env = project.stack(f"lc-{fixture_app[:20]}".rstrip("-"), secrets_for=meta)

    first = project.deploy(env, meta)
    assert "deployed" in first.stderr

    checked = project.verify(env)
    assert "FAILED" not in checked.stderr
    assert "checks passed" in checked.stderr

    again = project.deploy(env, meta)
    assert "no changes" in again.stderr.lower(), str(again)

    values = project.env_vars(env)
    assert Path(values["ENCORE_APP_META_PATH"]).read_bytes() == meta.read_bytes()  # passed through untouched
    go = appmeta.load(meta).language is Language.GO
    assert ("ENCORE_INFRA_CONFIG_PATH" in values) == go  # Go reads only the JSON infra config
    assert ("ENCORE_RUNTIME_CONFIG" in values or "ENCORE_RUNTIME_CONFIG_PATH" in values) == (not go)
    status = project.cli("status", "--env", env)
    assert status.code == 0 and "running" in status.stderr
    printed = "".join(r.stdout + r.stderr for r in (first, checked, again, status))
    assert "value-of-" not in printed  # secret values never printed

    assert project.inventory(env) == project.recorded(env)
    assert all(rec["status"] == "ready" for rec in project.state_doc(env)["resources"].values())

    cluster = (project.env_dir(env) / "postgres").resolve()  # as root, a link to the data elsewhere
    project.destroy(env)
    assert project.processes(env) == []
    assert not cluster.exists()
    left = {p.name for p in project.env_dir(env).iterdir()}
    assert left <= LEFT_AFTER_DESTROY, f"left after destroy: {sorted(left - LEFT_AFTER_DESTROY)}"


# ---- one env for the data tests (booking-system: a Go app, one database with two migrations)


@pytest.fixture(scope="module")
def kept(project: Project) -> tuple[str, Path]:
    meta = project.app("booking-system", name="kept/booking-system")
    env = project.stack("kept")
    project.set_secret(env, "SendGridAPIKey", "sg-value", meta)
    project.deploy(env, meta)
    return env, meta


def _connect_as_app(project: Project, env: str, dbname: str) -> psycopg.Connection:
    """Connect the way the app's runtime would: from the written runtime config and the env vars."""
    environ = {**os.environ, **project.env_vars(env)}
    config, _ = verify_config.load(environ, go=True)  # booking-system is a Go app: infra.config.json
    cluster = config.infra.resources.sql_clusters[0]
    db = next(d for d in cluster.databases if d.encore_name == dbname)
    role = next(r for r in config.infra.credentials.sql_roles if r.rid == db.conn_pools[0].role_rid)
    host, _, port = cluster.servers[0].host.partition(":")
    password = resolve(role.password, environ, config).decode()
    return psycopg.connect(host=host, port=int(port or 5432), user=role.username, password=password,
                           dbname=db.cloud_name, autocommit=True, connect_timeout=10)


def _notes(project: Project, env: str) -> list[str]:
    with _connect_as_app(project, env, "booking") as conn:
        return [r[0] for r in conn.execute("SELECT note FROM booking_m1 ORDER BY id")]


def test_data_survives_redeploy_and_stop_start(project: Project, kept: tuple[str, Path]) -> None:
    env, meta = kept
    with _connect_as_app(project, env, "booking") as conn:
        conn.execute("INSERT INTO booking_m1 (note) VALUES ('kept-row')")

    assert "no changes" in project.deploy(env, meta).stderr.lower()
    assert _notes(project, env) == ["kept-row"]

    stopped = project.cli("stop", "--env", env)
    assert stopped.code == 0, str(stopped)
    assert project.processes(env) == []
    dead = project.cli("env-vars", "--env", env)  # an app must not be pointed at stopped servers
    assert dead.code == 2 and "postgres" in dead.stderr and "stopped" in dead.stderr, str(dead)

    project.deploy(env, meta)  # starts the servers again
    assert _notes(project, env) == ["kept-row"]
    project.verify(env)


def test_removing_a_database_needs_allow_destroy(project: Project, kept: tuple[str, Path]) -> None:
    env, _ = kept

    def drop_database(data) -> None:
        del data.sql_databases[:]
        for svc in data.svcs:
            del svc.databases[:]

    smaller = project.app("booking-system", name="smaller/booking-system", mutate=drop_database)
    before = project.state_doc(env)
    refused = project.deploy(env, smaller, expect=2)
    assert refused.stderr.startswith("error: ") and refused.stderr.count("\n") == 1, str(refused)
    assert "sql:booking" in refused.stderr and "--allow-destroy" in refused.stderr
    assert project.state_doc(env)["resources"] == before["resources"]
    assert project.recorded(env)["databases"] <= project.inventory(env)["databases"]
    assert _notes(project, env)[:1] == ["kept-row"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful when the tests run as root")
def test_postgres_does_not_run_as_root(project: Project, kept: tuple[str, Path]) -> None:
    env, _ = kept
    uids = project.postmaster_uids(env)
    assert uids, "no postmaster found for the env"
    assert 0 not in uids

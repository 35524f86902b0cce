"""`orchestrator deploy --env local` end to end through the CLI, on a few shared fixtures, with real servers.

The exhaustive suites (every fixture, crash safety, concurrency, benchmarks) live beside this file;
these tests cover the local target's main paths once each.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest

from providers.local import state as local_state
from tests.local.conftest import Project

pytestmark = pytest.mark.local


def stack_with_secrets(project: Project, env: str, meta: Path, **kw: Any) -> str:
    return project.stack(env, secrets_for=meta, **kw)


def runtime_env(project: Project, env: str) -> dict[str, str]:
    return project.env_vars(env)


def database_login(doc: dict[str, Any], key: str) -> dict[str, Any]:
    rec = doc["resources"][key]
    port = doc["servers"]["postgres"]["port"]
    return {
        "host": "127.0.0.1",
        "port": port,
        "user": rec["names"]["role"],
        "password": rec["password"],
        "dbname": rec["names"]["database"],
        "autocommit": True,
    }


@pytest.mark.parametrize("fixture", ["ts-uptime", "ai-chat", "replicate-image-generator"])
def test_fixture_deploys_redeploys_as_noop_and_destroys(project: Project, fixture: str) -> None:
    meta = project.app(fixture)
    env = stack_with_secrets(project, fixture.replace("-", "")[:20], meta)
    first = project.deploy(env, meta)
    assert "deployed" in first.stderr
    again = project.deploy(env, meta)
    assert "no changes" in again.stderr
    values = runtime_env(project, env)
    assert Path(values["ENCORE_APP_META_PATH"]).read_bytes() == meta.read_bytes()
    go = fixture == "ai-chat"
    assert ("ENCORE_INFRA_CONFIG_PATH" in values) == go
    assert ("ENCORE_RUNTIME_CONFIG" in values or "ENCORE_RUNTIME_CONFIG_PATH" in values) == (not go)
    assert values["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:") if "AWS_ENDPOINT_URL" in values else True
    if not go:
        project.verify(env)
    status = project.cli("status", "--env", env)
    assert status.code == 0 and "running" in status.stderr
    printed = "".join(r.stdout + r.stderr for r in (first, again, status))
    assert "value-of-" not in printed
    project.destroy(env)
    assert not project.processes(env)
    assert {p.name for p in project.env_dir(env).iterdir()} <= {"lock", "secrets.json"}


def test_public_bucket_serves_objects_at_its_base_url(project: Project) -> None:
    meta = project.app("replicate-image-generator")
    env = stack_with_secrets(project, "pub", meta)
    project.deploy(env, meta)
    doc = project.state_doc(env)
    name = doc["resources"]["bucket:generated-images"]["names"]["bucket"]
    values = runtime_env(project, env)
    s3 = boto3.client(
        "s3",
        endpoint_url=values["AWS_ENDPOINT_URL"],
        region_name=values["AWS_REGION"],
        aws_access_key_id=values["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=values["AWS_SECRET_ACCESS_KEY"],
    )
    s3.put_object(Bucket=name, Key="hello.txt", Body=b"hi")
    with urllib.request.urlopen(f"{values['AWS_ENDPOINT_URL']}/{name}/hello.txt", timeout=5) as resp:
        assert resp.read() == b"hi"
    project.destroy(env)


def without_database(name: str):
    def mutate(data: Any) -> None:
        keep = [db for db in data.sql_databases if db.name != name]
        del data.sql_databases[:]
        data.sql_databases.extend(keep)
        for svc in data.svcs:
            if name in svc.databases:
                svc.databases.remove(name)

    return mutate


def test_removed_database_needs_allow_destroy(project: Project) -> None:
    meta = project.app("ts-uptime")
    env = stack_with_secrets(project, "rm", meta)
    project.deploy(env, meta)
    before = project.state_doc(env)
    with psycopg.connect(**database_login(project.state_doc(env), "sql:site")) as conn:
        conn.execute("INSERT INTO site_m1 (note) VALUES ('precious')")
    smaller = project.app("ts-uptime", name="smaller/ts-uptime", mutate=without_database("site"))
    refused = project.deploy(env, smaller, expect=2)
    assert "1 resource(s)" in refused.stderr
    assert "sql:site" in refused.stderr and "--allow-destroy" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert project.state_doc(env) == before
    with psycopg.connect(**database_login(project.state_doc(env), "sql:site")) as conn:
        assert conn.execute("SELECT note FROM site_m1").fetchall() == [("precious",)]
    project.deploy(env, smaller, "--allow-destroy")
    after = project.state_doc(env)
    assert "sql:site" not in after["resources"]
    assert after["resources"]["sql:monitor"] == before["resources"]["sql:monitor"]
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(**database_login(before, "sql:site"))
    project.destroy(env)


def test_missing_secrets_are_all_listed_before_anything_starts(project: Project) -> None:
    meta = project.app("ai-chat")
    env = project.stack("nosecrets")
    result = project.deploy(env, meta, expect=2)
    from orchestrator import appmeta

    for secret in appmeta.load(meta).secrets:
        assert secret.name in result.stderr
    assert not project.processes(env)
    assert not (project.env_dir(env) / "state.json").exists()


def with_migration(db_name: str, number: int, filename: str):
    def mutate(data: Any) -> None:
        for db in data.sql_databases:
            if db.name == db_name:
                db.migrations.add(filename=filename, number=number, description="broken")

    return mutate


def test_broken_migration_names_the_file_and_keeps_the_previous_version(project: Project) -> None:
    meta = project.app("ts-uptime")
    env = stack_with_secrets(project, "broken", meta)
    project.deploy(env, meta)
    broken = project.app("ts-uptime", name="broken/ts-uptime", mutate=with_migration("monitor", 2, "2_broken.up.sql"))
    migration = broken.parent / "monitor" / "migrations" / "2_broken.up.sql"
    migration.write_text("CREATE TABLE half_done (id int);\nALTER TABLE no_such_table ADD COLUMN x int;\n")
    result = project.deploy(env, broken, expect=2)
    assert "monitor/migrations/2_broken.up.sql" in result.stderr and "no_such_table" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 or "error:" in result.stderr.strip().splitlines()[-1]
    with psycopg.connect(**database_login(project.state_doc(env), "sql:monitor")) as conn:
        assert conn.execute("SELECT version, dirty FROM schema_migrations").fetchall() == [(1, False)]
        assert conn.execute("SELECT to_regclass('half_done')").fetchone() == (None,)
    migration.write_text("CREATE TABLE half_done (id int);\n")
    project.deploy(env, broken)
    with psycopg.connect(**database_login(project.state_doc(env), "sql:monitor")) as conn:
        assert conn.execute("SELECT version, dirty FROM schema_migrations").fetchall() == [(2, False)]
    project.destroy(env)


def test_a_held_lock_names_its_holder(project: Project) -> None:
    meta = project.app("replicate-image-generator")
    env = stack_with_secrets(project, "locked", meta)
    directory = local_state.ensure_dir(project.env_dir(env))
    with local_state.locked(directory, command="test"):
        result = project.deploy(env, meta, expect=3)
        waited = project.deploy(env, meta, "--lock-timeout", "0.3", expect=3)
    assert f"pid {os.getpid()}" in result.stderr and "locked" in result.stderr
    assert "after waiting 0.3s" in waited.stderr


def test_data_survives_stop_and_redeploy(project: Project) -> None:
    meta = project.app("ts-uptime")
    env = stack_with_secrets(project, "keep", meta)
    project.deploy(env, meta)
    with psycopg.connect(**database_login(project.state_doc(env), "sql:monitor")) as conn:
        conn.execute("INSERT INTO monitor_m1 (note) VALUES ('kept')")
    assert project.cli("stop", "--env", env).code == 0
    assert "stopped" in project.cli("status", "--env", env).stderr
    restarted = project.deploy(env, meta)
    assert "no changes" not in restarted.stderr and "started" in restarted.stderr
    with psycopg.connect(**database_login(project.state_doc(env), "sql:monitor")) as conn:
        assert conn.execute("SELECT note FROM monitor_m1").fetchall() == [("kept",)]
    project.verify(env)
    project.destroy(env)


def with_cache(name: str, service: str):
    def mutate(data: Any) -> None:
        cluster = data.cache_clusters.add(name=name, eviction_policy="allkeys-lru")
        cluster.keyspaces.add(service=service)

    return mutate


@pytest.mark.parametrize("mode", ["memory", "server"])
def test_caches(project: Project, mode: str) -> None:
    meta = project.app("ts-uptime", name=f"ts-uptime-cache-{mode}", mutate=with_cache("sessions", "monitor"))
    env = stack_with_secrets(project, f"cache{mode}", meta, local={"redis": mode})
    project.deploy(env, meta)
    doc = project.state_doc(env)
    assert ("redis" in doc["servers"]) == (mode == "server")
    if mode == "server":  # in memory: the runtime config builder leaves the cache's database out (reported)
        assert doc["resources"]["cache:sessions"]["database_index"] == 0
        project.verify(env)
    project.destroy(env)


def test_secret_values_come_from_stdin_and_are_private(project: Project) -> None:
    env = project.stack("secrets")
    project.set_secret(env, "Token", "line-one")
    path = project.env_dir(env) / "secrets.json"
    assert json.loads(path.read_text()) == {"Token": "line-one"}
    assert path.stat().st_mode & 0o777 == 0o600

"""`orchestrator verify` against real servers: every kind passes when healthy and each breakage is named.

The env runs the kitchen app (three databases, a FIFO and a plain topic, a bucket, a secret and a
cache on a real redis-server); the tests then break things behind the orchestrator's back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import psycopg
import pytest
import redis

if TYPE_CHECKING:
    from tests.local.conftest import Project, Result

pytestmark = pytest.mark.local

ENV = "verified"


@pytest.fixture(scope="module")
def meta(project: Project) -> Path:
    app = project.kitchen_app("verify")
    project.stack(ENV, local={"redis": "server"}, secrets_for=app)
    project.deploy(ENV, app)
    return app


def rows(result: Result) -> list[tuple[str, str, str, str]]:
    """The (resource, check, result, detail) rows of verify's table."""
    out = []
    for line in result.stderr.splitlines():
        cells = re.split(r"\s{2,}", line.strip(), maxsplit=3)
        if len(cells) >= 3 and re.match(r"^[a-z-]+:", cells[0]) and cells[2] in ("ok", "ok (skipped)", "FAILED"):
            out.append((cells[0], cells[1], cells[2], cells[3] if len(cells) > 3 else ""))
    return out


def failed(result: Result) -> dict[tuple[str, str], str]:
    return {(r, c.split(" ")[0]): detail for r, c, res, detail in rows(result) if res == "FAILED"}


@pytest.fixture
def admin(project: Project, meta: Path) -> Iterator[Any]:
    pg = project.state_doc(ENV)["servers"]["postgres"]
    with psycopg.connect(host="127.0.0.1", port=pg["port"], user="orchestrator", password=pg["admin_password"],
                         dbname="postgres", autocommit=True, connect_timeout=10) as conn:
        yield conn


def test_healthy_env_passes_every_check(project: Project, meta: Path) -> None:
    result = project.verify(ENV)
    table = rows(result)
    assert all(res == "ok" for _, _, res, _ in table), result.stderr
    checked = {resource for resource, _, _, _ in table}
    assert {"sql:auth", "sql:files", "sql:payments", "topic:orders", "topic:events", "subscription:orders/bill",
            "subscription:events/audit", "bucket:uploads", "cache:sessions", "secret:PolarAccessToken"} <= checked
    assert sum(check.startswith("isolation") for _, check, _, _ in table) == 3
    assert "value-of-PolarAccessToken" not in result.stderr + result.stdout


def test_breakages_are_named(project: Project, meta: Path, admin: Any) -> None:
    state = project.state_doc(ENV)
    auth, files, payments = (state["resources"][f"sql:{n}"] for n in ("auth", "files", "payments"))
    cache = state["resources"]["cache:sessions"]
    redis_server = state["servers"]["redis"]
    r = redis.Redis(host="127.0.0.1", port=redis_server["port"], username="orchestrator",
                    password=redis_server["admin_password"])

    admin.execute(f'ALTER ROLE "{auth["names"]["role"]}" PASSWORD \'wrong\'')
    admin.execute(f'GRANT CONNECT ON DATABASE "{payments["names"]["database"]}" TO "{files["names"]["role"]}"')
    with psycopg.connect(host="127.0.0.1", port=state["servers"]["postgres"]["port"], user="orchestrator",
                         password=state["servers"]["postgres"]["admin_password"], autocommit=True,
                         dbname=payments["names"]["database"]) as conn:
        conn.execute("UPDATE schema_migrations SET dirty = true")
    r.execute_command("ACL", "SETUSER", "default", f"<{redis_server['password']}", ">changed")
    try:
        broken = project.verify(ENV, expect=1)
    finally:
        r.execute_command("ACL", "SETUSER", "default", "<changed", f">{redis_server['password']}")
        admin.execute(f'ALTER ROLE "{auth["names"]["role"]}" PASSWORD \'{auth["password"]}\'')
        admin.execute(f'REVOKE CONNECT ON DATABASE "{payments["names"]["database"]}" FROM "{files["names"]["role"]}"')
        with psycopg.connect(host="127.0.0.1", port=state["servers"]["postgres"]["port"], user="orchestrator",
                             password=state["servers"]["postgres"]["admin_password"], autocommit=True,
                             dbname=payments["names"]["database"]) as conn:
            conn.execute("UPDATE schema_migrations SET dirty = false")

    bad = failed(broken)
    assert "password authentication failed" in bad[("sql:auth", "login")]
    assert f"can connect to database {payments['names']['database']}" in bad[("sql:files", "isolation")]
    assert "dirty" in bad[("sql:payments", "migrations")]
    assert ("cache:sessions", "ping/set/get/del") in bad
    assert cache["database_index"] is not None
    for value in (auth["password"], redis_server["password"], "value-of-PolarAccessToken"):
        assert value not in broken.stderr + broken.stdout
    assert broken.stderr.rstrip().splitlines()[-1].startswith("error: ")

    project.verify(ENV)


def test_missing_queue_is_named_and_a_restart_recreates_it(project: Project, meta: Path) -> None:
    state = project.state_doc(ENV)
    port = state["servers"]["emulator"]["port"]
    sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    sqs.delete_queue(QueueUrl=state["resources"]["subscription:events/audit"]["url"])

    broken = project.verify(ENV, expect=1)
    # The emulator also refuses the publish to a topic whose subscribed queue is gone (AWS would accept it).
    assert ("subscription:events/audit", "receive") in failed(broken)
    assert {resource for resource, _ in failed(broken)} <= {"subscription:events/audit", "topic:events"}

    assert project.cli("stop", "--env", ENV).code == 0
    project.deploy(ENV, meta)
    project.verify(ENV)


def test_in_memory_cache_is_a_visible_skip(project: Project, meta: Path) -> None:
    project.stack(ENV, local={"redis": "memory"}, secrets_for=meta)
    project.deploy(ENV, meta)
    result = project.verify(ENV)
    (cache_row,) = [row for row in rows(result) if row[0] == "cache:sessions"]
    assert cache_row[2:] == ("ok (skipped)", "in-process (nothing to check)")


def test_never_deployed_env_is_bad_input(project: Project) -> None:
    env = project.stack("never")
    result = project.verify(env, expect=2)
    assert result.one_line_error, str(result)


def test_local_services_sign_their_calls(project: Project, meta: Path) -> None:
    """encore_auth with a generated key, as Encore's own local runs use (trap 21: noop exposes private endpoints)."""
    from orchestrator.verify import config as verify_config

    project.stack(ENV, secrets_for=meta)
    project.deploy(ENV, meta)
    environ = {**os.environ, **project.env_vars(ENV)}
    config, _ = verify_config.load(environ, go=False)
    (method,) = config.deployment.auth_methods
    assert method.WhichOneof("auth_method") == "encore_auth"
    (key,) = method.encore_auth.auth_keys
    assert len(key.data.embedded) >= 32
    again = project.deploy(ENV, meta, "--allow-destroy")
    assert "no changes" in again.stderr


def test_verify_and_deploy_json_follow_their_schemas(project: Project, meta: Path) -> None:
    import json

    from tests.cli.test_json_output import validate

    result = project.cli("verify", "--env", ENV, "--json")
    assert result.code == 0, result
    doc = json.loads(result.stdout)
    validate(doc, "verify")
    assert doc["summary"]["failed"] == 0 and doc["summary"]["total"] == len(doc["rows"]) > 0
    again = project.deploy(ENV, meta, "--json")
    doc = json.loads(again.stdout)
    validate(doc, "deploy")
    assert doc["changed"] is False

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
import pytest

from orchestrator.state import open_store
from tests.local.conftest import Project

pytestmark = pytest.mark.local


def stack_with_secrets(project: Project, env: str, meta: Path, **kw: Any) -> str:
    return project.stack(env, secrets_for=meta, **kw)


def runtime_env(project: Project, env: str) -> dict[str, str]:
    return project.env_vars(env)


def test_public_bucket_serves_objects_at_its_base_url(project: Project) -> None:
    meta = project.app("replicate-image-generator")
    env = stack_with_secrets(project, "pub", meta)
    project.deploy(env, meta)
    doc = project.state_doc(env)
    name = doc["resources"]["bucket:generated-images"]["names"]["bucket"]
    values = runtime_env(project, env)
    assert "AWS_ENDPOINT_URL" not in values  # the app's other AWS calls must not go to the emulator
    assert values["AWS_ENDPOINT_URL_SNS"] == values["AWS_ENDPOINT_URL_SQS"] == values["AWS_ENDPOINT_URL_S3"]
    s3 = boto3.client(
        "s3",
        endpoint_url=values["AWS_ENDPOINT_URL_S3"],
        region_name=values["AWS_REGION"],
        aws_access_key_id=values["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=values["AWS_SECRET_ACCESS_KEY"],
    )
    s3.put_object(Bucket=name, Key="hello.txt", Body=b"hi")
    with urllib.request.urlopen(f"{values['AWS_ENDPOINT_URL_S3']}/{name}/hello.txt", timeout=5) as resp:
        assert resp.read() == b"hi"
    project.destroy(env)


def test_a_held_lock_names_its_holder(project: Project) -> None:
    meta = project.app("replicate-image-generator")
    env = stack_with_secrets(project, "locked", meta)
    with open_store(None, project.state).lock(env, "test"):
        result = project.deploy(env, meta, expect=3)
        waited = project.deploy(env, meta, "--lock-timeout", "0.3", expect=3)
    assert f"pid {os.getpid()}" in result.stderr and "locked" in result.stderr
    assert "waited 0.3s" in waited.stderr


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

"""`env init` (a stack file from a template), `env list` with a broken stack file, and the one-app rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from orchestrator import stacks
from providers import registry
from tests.cli.test_contract import META, ROOT, run


@pytest.mark.parametrize("cloud", registry.names())
def test_env_init_writes_a_stack_file_that_loads(cloud, tmp_path):
    out = run("env", "init", "dev", "--cloud", cloud, "--type", "test", "--app", "shop", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    env = stacks.load(tmp_path / "stacks", "dev")
    assert (env.cloud, env.env_type.value, env.app) == (cloud, "test", "shop")


def test_env_init_refuses_to_overwrite_and_bad_names(tmp_path):
    assert run("env", "init", "dev", "--cloud", "local", cwd=tmp_path).returncode == 0
    before = (tmp_path / "stacks" / "Pulumi.dev.yaml").read_text()
    again = run("env", "init", "dev", "--cloud", "aws", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert (tmp_path / "stacks" / "Pulumi.dev.yaml").read_text() == before
    assert run("env", "init", "Bad_Name", "--cloud", "local", cwd=tmp_path).returncode == 2
    assert run("env", "init", "ok", "--cloud", "local", "--app", "Not An App", cwd=tmp_path).returncode == 2


def test_env_init_cloud_choices_come_from_the_registry():
    out = run("env", "init", "--help")
    assert all(name in out.stdout for name in registry.names())


def test_env_list_survives_one_bad_stack_file(tmp_path):
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    (tmp_path / "stacks" / "Pulumi.broken.yaml").write_text("config:\n  orchestrator:cloud: moon\n")
    out = run("env", "list", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "broken" in out.stderr and "error:" in out.stderr and "local" in out.stderr
    doc = json.loads(run("env", "list", "--json", cwd=tmp_path).stdout)
    broken = next(e for e in doc if e["name"] == "broken")
    assert broken["error"] and broken["cloud"] is None
    assert next(e for e in doc if e["name"] == "local")["error"] is None


def test_another_app_in_a_held_env_suggests_env_init(tmp_path: Path):
    """The record says app `quickstart`; a different app is refused with the command that makes its own env."""
    from orchestrator.core.errors import BadInput
    from orchestrator.pipeline import check_same_app

    class Last:
        app = "quickstart"

    class Env:
        name = "local"
        cloud = "local"
        path = "stacks/Pulumi.local.yaml"

    class Plan:
        app = "shop"
        env = Env()

    with pytest.raises(BadInput) as caught:
        check_same_app(Last(), Plan())  # type: ignore[arg-type]
    assert "orchestrator env init" in str(caught.value) and "--app shop" in str(caught.value)
    assert META.exists()

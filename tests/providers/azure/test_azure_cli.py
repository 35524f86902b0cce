"""The Azure target through the real CLI, with the example stacks stacks/Pulumi.azure-prod.yaml and
stacks/Pulumi.azure-preview.yaml: `graph`, `runtime-config --offline` and the refusals (exit 7, one line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from azgraph import FIXTURES, REPO, synth_meta

from runtime_config.schema import runtime_pb2

STACKS = ("azure-prod", "azure-preview")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("azure-cli")
    (root / "stacks").mkdir()
    for name in STACKS:
        (root / "stacks" / f"Pulumi.{name}.yaml").write_text((REPO / "stacks" / f"Pulumi.{name}.yaml").read_text())
    (root / "ts.pb").write_bytes(synth_meta(3, "typescript", topics=False))
    return root


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ORCHESTRATOR_STATE_STORE"}
    return subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=project, capture_output=True, text=True,
                          timeout=300, env={**env, "PYTHONPATH": str(REPO)})


def meta(name: str) -> str:
    return str(FIXTURES / name / "meta.pb")


@pytest.mark.parametrize("stack", STACKS)
def test_graph(project: Path, stack: str) -> None:
    out = cli(project, "graph", "--env", stack, "--meta", meta("booking-system"), "--output", f"{stack}.json")
    assert out.returncode == 0, out.stderr
    resources = json.loads((project / f"{stack}.json").read_text())
    types = {r["type"] for r in resources}
    assert {"azure-native:dbforpostgresql:Server", "azure-native:servicebus:DefaultRule",
            "azure-native:keyvault:Vault", "azure-native:authorization:RoleAssignment"} <= types
    protected = stack == "azure-prod"
    server = next(r for r in resources if r["type"] == "azure-native:dbforpostgresql:Server")
    assert server["options"]["protect"] is protected


@pytest.mark.parametrize("stack", STACKS)
def test_offline_go_legacy_config_shows_no_secret(project: Path, stack: str) -> None:
    out = cli(project, "runtime-config", "--env", stack, "--meta", meta("booking-system"), "--offline",
              "--format", "go-legacy-json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["env_name"] == stack and doc["env_cloud"] == "azure"
    assert list(doc["pubsub_providers"][0]) == ["azure"]
    assert {d["password"] for d in doc["sql_databases"]} == {"[secret]"}
    assert "placeholder" in out.stderr


@pytest.mark.parametrize("stack", STACKS)
def test_offline_go_infra_json_is_refused_for_service_bus(project: Path, stack: str) -> None:
    out = cli(project, "runtime-config", "--env", stack, "--meta", meta("go-webhook-processor"), "--offline",
              "--format", "infra-json")
    assert out.returncode == 7
    err = out.stderr.strip().splitlines()[-1]
    assert err.startswith("error: ") and "Azure Service Bus" in err and "legacy runtime config" in err


@pytest.mark.parametrize("stack", STACKS)
def test_offline_typescript_protobuf(project: Path, stack: str) -> None:
    out = cli(project, "runtime-config", "--env", stack, "--meta", str(project / "ts.pb"), "--offline",
              "--format", "pb", "--output", f"{stack}.pb")
    assert out.returncode == 0, out.stderr
    cfg = runtime_pb2.RuntimeConfig.FromString((project / f"{stack}.pb").read_bytes())
    assert cfg.environment.cloud == runtime_pb2.Environment.CLOUD_AZURE and cfg.environment.env_name == stack
    assert cfg.infra.resources.sql_clusters and cfg.infra.resources.redis_clusters


@pytest.mark.parametrize(("name", "reason"), [
    ("ts-uptime", "the Rust core behind TypeScript apps has no Azure Service Bus client"),
    ("polar-file-sharing", "no Encore runtime has an Azure Blob Storage provider"),
])
def test_plan_refuses_with_exit_7(project: Path, name: str, reason: str) -> None:
    out = cli(project, "plan", "--env", "azure-prod", "--meta", meta(name))
    assert out.returncode == 7
    errors = [line for line in out.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(errors) == 1 and errors[0].startswith("error: ") and "Traceback" not in out.stderr
    assert reason in errors[0] and "cannot be deployed to azure" in errors[0]

"""`orchestrator graph` and `runtime-config --offline` for both GCP example stacks, through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gcpgraph import FIXTURES, PROJECT_OF, REPO

from runtime_config.schema import runtime_pb2


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gcp-cli")
    (root / "stacks").mkdir()
    for name in ("gcp-prod", "gcp-preview"):
        (root / "stacks" / f"Pulumi.{name}.yaml").write_text((REPO / "stacks" / f"Pulumi.{name}.yaml").read_text())
    return root


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "ORCHESTRATOR_STATE_STORE"}
    return subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=cwd, capture_output=True, timeout=180,
                          env={**env, "PYTHONPATH": str(REPO)})


@pytest.mark.parametrize(("stack", "protected"), [("gcp-prod", True), ("gcp-preview", False)])
def test_graph(project: Path, stack: str, protected: bool) -> None:
    out = cli(project, "graph", "--env", stack, "--meta", str(FIXTURES / "booking-system" / "meta.pb"),
              "--output", f"{stack}.json")
    assert out.returncode == 0, out.stderr
    resources = json.loads((project / f"{stack}.json").read_text())
    types = {r["type"] for r in resources}
    assert {"gcp:sql/databaseInstance:DatabaseInstance", "gcp:pubsub/topic:Topic",
            "gcp:pubsub/subscription:Subscription", "gcp:serviceaccount/account:Account",
            "gcp:cloudrunv2/job:Job"} <= types
    (instance,) = [r for r in resources if r["type"] == "gcp:sql/databaseInstance:DatabaseInstance"]
    assert instance["options"]["protect"] is protected and instance["inputs"]["deletionProtection"] is protected
    versions = [r for r in resources if r["type"] == "gcp:secretmanager/secretVersion:SecretVersion"]
    assert versions and all(v["inputs"]["secretData"] == "[secret]" for v in versions)
    assert "ORCHESTRATOR_APP_ROOT" in out.stderr.decode()  # warnings reach the user


def test_offline_prod_typescript_pb(project: Path) -> None:
    meta = FIXTURES / "ts-uptime" / "meta.pb"
    out = cli(project, "runtime-config", "--env", "gcp-prod", "--meta", str(meta), "--offline", "--format", "pb",
              "-o", "rc.pb")
    assert out.returncode == 0, out.stderr
    config = runtime_pb2.RuntimeConfig.FromString((project / "rc.pb").read_bytes())
    assert config.environment.env_name == "gcp-prod"
    assert config.environment.cloud == runtime_pb2.Environment.CLOUD_GCP
    (cluster,) = config.infra.resources.pubsub_clusters
    assert cluster.WhichOneof("provider") == "gcp" and cluster.topics
    for topic in cluster.topics:
        assert topic.gcp_config.project_id == PROJECT_OF["production"] and "/" not in topic.cloud_name
    for sub in cluster.subscriptions:
        assert sub.gcp_config.project_id == PROJECT_OF["production"] and "/" not in sub.subscription_cloud_name
    (provider,) = config.infra.resources.secret_providers
    assert provider.gcp_sm.project_id == PROJECT_OF["production"]
    assert all(s.data.WhichOneof("source") == "provider" for s in config.infra.resources.app_secrets)


def test_offline_preview_go_infra_json(project: Path) -> None:
    meta = FIXTURES / "go-webhook-processor" / "meta.pb"
    out = cli(project, "runtime-config", "--env", "gcp-preview", "--meta", str(meta), "--offline", "--format",
              "infra-json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["metadata"] == {"app_id": "go-webhook-processor", "cloud": "gcp", "env_name": "gcp-preview",
                               "env_type": "ephemeral"}
    (ps,) = doc["pubsub"]
    assert ps["type"] == "gcp_pubsub" and ps["project_id"] == PROJECT_OF["ephemeral"]
    topic = ps["topics"]["webhook-received"]
    assert topic["project_id"] == PROJECT_OF["ephemeral"] and not topic["name"].startswith("projects/")
    assert "secrets" not in doc  # Secret Manager-backed: through ENCORE_SECRET_PROVIDERS

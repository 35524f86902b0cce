"""`orchestrator runtime-config`: a Provisioned record + metadata -> each config format, through the real CLI."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runtime_config.schema import runtime_pb2

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "apps"
STACK = "config:\n  orchestrator:cloud: local\n  orchestrator:envType: development\n  orchestrator:app: imgs\n"
RECORD = {
    "cloud": "local",
    "env": "dev",
    "region": "us-east-1",
    "object_storage": {
        "provider": "s3",
        "region": "us-east-1",
        "endpoint": "http://127.0.0.1:4566",
        "access_key_id": "test",
        "secret_access_key": {"value": "test"},
        "buckets": [{"encore_name": "generated-images", "cloud_name": "imgs-dev-generated-images",
                     "public_base_url": "http://127.0.0.1:4566/imgs-dev-generated-images"}],
    },
    "secrets": [{"encore_name": "ReplicateToken", "ref": {"value": "r8-canary"}}],
    "gateways": [{"encore_name": "api-gateway", "base_url": "http://127.0.0.1:4000"}],
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(STACK)
    (tmp_path / "provisioned.json").write_text(json.dumps(RECORD))
    return tmp_path


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    meta = FIXTURES / "replicate-image-generator" / "meta.pb"
    cmd = [sys.executable, "-m", "orchestrator", "runtime-config", "--env", "dev", "--meta", str(meta),
           "--provisioned", "provisioned.json", *args]
    return subprocess.run(cmd, cwd=project, capture_output=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_pb_to_file_decodes_field_by_field(project: Path) -> None:
    out = cli(project, "--format", "pb", "--output", "rc.pb")
    assert out.returncode == 0, out.stderr
    config = runtime_pb2.RuntimeConfig.FromString((project / "rc.pb").read_bytes())
    assert config.environment.app_slug == "imgs" and config.environment.env_name == "dev"
    (cluster,) = config.infra.resources.bucket_clusters
    assert cluster.WhichOneof("provider") == "s3" and cluster.s3.endpoint == "http://127.0.0.1:4566"
    assert cluster.buckets[0].cloud_name == "imgs-dev-generated-images"
    assert cluster.buckets[0].public_base_url.endswith("/imgs-dev-generated-images")
    (secret,) = config.infra.resources.app_secrets
    assert secret.data.embedded == b"r8-canary"  # local env: embedded
    assert (project / "rc.pb").stat().st_mode & 0o777 == 0o600


def test_env_value_round_trips(project: Path) -> None:
    out = cli(project, "--format", "env")
    assert out.returncode == 0, out.stderr
    name, _, value = out.stdout.decode().strip().partition("=")
    assert name == "ENCORE_RUNTIME_CONFIG"
    raw = gzip.decompress(base64.b64decode(value[5:])) if value.startswith("gzip:") else base64.b64decode(value)
    assert runtime_pb2.RuntimeConfig.FromString(raw).environment.env_name == "dev"


def test_infra_json(project: Path) -> None:
    out = cli(project, "--format", "infra-json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["object_storage"][0]["type"] == "s3"
    assert doc["secrets"] == {"ReplicateToken": "r8-canary"}


def test_bad_record_is_one_line_exit_2(project: Path) -> None:
    (project / "provisioned.json").write_text(json.dumps({**RECORD, "cloud": "aws"}))
    out = cli(project, "--format", "pb", "--output", "rc.pb")
    assert out.returncode == 2
    err = out.stderr.decode()
    assert err.startswith("error: ") and err.count("\n") == 1 and "provisioned.json" in err
    assert not (project / "rc.pb").exists()


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "ORCHESTRATOR_STATE_STORE"}
    return subprocess.run([sys.executable, "-m", "orchestrator", "runtime-config", *args], cwd=cwd,
                          capture_output=True, timeout=120, env={**env, "PYTHONPATH": str(ROOT)})


@pytest.fixture
def aws_stacks(tmp_path: Path) -> Path:
    (tmp_path / "stacks").mkdir()
    for name in ("aws-prod", "aws-preview"):
        (tmp_path / "stacks" / f"Pulumi.{name}.yaml").write_text((ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text())
    return tmp_path


def test_offline_aws_prod_typescript_before_any_deploy(aws_stacks: Path) -> None:
    meta = FIXTURES / "ts-uptime" / "meta.pb"
    out = run_cli(aws_stacks, "--env", "aws-prod", "--meta", str(meta), "--offline", "--format", "pb", "-o", "rc.pb")
    assert out.returncode == 0, out.stderr
    assert "placeholder" in out.stderr.decode()
    config = runtime_pb2.RuntimeConfig.FromString((aws_stacks / "rc.pb").read_bytes())
    assert config.environment.env_name == "aws-prod"
    assert config.environment.cloud == runtime_pb2.Environment.CLOUD_AWS
    assert [gw.base_url for gw in config.infra.resources.gateways] == ["https://api.example.com"]
    (cluster,) = config.infra.resources.pubsub_clusters
    assert {t.encore_name for t in cluster.topics} and all(":123456789012:" in t.cloud_name for t in cluster.topics)
    assert {db.encore_name for c in config.infra.resources.sql_clusters for db in c.databases} == {"monitor", "site"}
    assert all(s.data.WhichOneof("source") == "env" for s in config.infra.resources.app_secrets)


def test_offline_aws_preview_go_infra_json(aws_stacks: Path) -> None:
    meta = FIXTURES / "go-webhook-processor" / "meta.pb"
    out = run_cli(aws_stacks, "--env", "aws-preview", "--meta", str(meta), "--offline", "--format", "infra-json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["metadata"] == {"app_id": "go-webhook-processor", "cloud": "aws", "env_name": "aws-preview",
                               "env_type": "ephemeral"}
    (topics,) = (p["topics"] for p in doc["pubsub"])
    assert topics["webhook-received"]["arn"].startswith("arn:aws:sns:eu-west-1:123456789012:")
    assert set(doc["secrets"]) == {"WebhookSecretGitHub", "WebhookSecretStripe"}
    assert all(set(v) == {"$env"} for v in doc["secrets"].values())


def test_offline_refuses_the_local_target(project: Path) -> None:
    meta = FIXTURES / "replicate-image-generator" / "meta.pb"
    out = run_cli(project, "--env", "dev", "--meta", str(meta), "--offline", "--format", "json")
    assert out.returncode == 2 and out.stderr.decode().startswith("error: ")


def test_from_the_last_record_shows_the_secret_marker_not_the_value(project: Path) -> None:
    """A local env's record is redacted: the config renders with `[secret]` where the value was."""
    from orchestrator import pipeline, records
    from orchestrator.state import open_store
    from orchestrator.ui import UI
    from runtime_config.infra import Provisioned

    meta = FIXTURES / "replicate-image-generator" / "meta.pb"
    ctx = pipeline.Context(stacks_dir=project / "stacks", state_root=project / "state-root", ui=UI())
    the_plan = pipeline.plan(ctx, "dev", meta)
    record = records.DeploymentRecord.new(the_plan, Provisioned.model_validate(RECORD),
                                          files={"runtime_config": "/srv/dev/runtime-config.pb"})
    open_store(None, project / "state-root").write(record)
    out = run_cli(project, "--state-dir", "state-root", "--env", "dev", "--meta", str(meta), "--format", "infra-json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["secrets"] == {"ReplicateToken": "[secret]"}
    assert b"r8-canary" not in out.stdout and b"/srv/dev/runtime-config.pb" in out.stderr


def test_never_deployed_without_a_record_is_exit_2(project: Path) -> None:
    meta = FIXTURES / "replicate-image-generator" / "meta.pb"
    out = run_cli(project, "--state-dir", "empty", "--env", "dev", "--meta", str(meta), "--format", "json")
    assert out.returncode == 2
    assert "--offline" in out.stderr.decode() and out.stderr.decode().count("\n") == 1

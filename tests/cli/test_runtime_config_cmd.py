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

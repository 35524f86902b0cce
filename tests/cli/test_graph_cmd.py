"""`orchestrator graph` through the real CLI: every resource with the documented keys, secrets masked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
META = ROOT / "tests" / "fixtures" / "apps" / "booking-system" / "meta.pb"
STACK = "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: ephemeral\n  aws:region: eu-west-1\n"


def graph(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "stacks").mkdir(exist_ok=True)
    (tmp_path / "stacks" / "Pulumi.pv.yaml").write_text(STACK)
    return subprocess.run([sys.executable, "-m", "orchestrator", "graph", "--env", "pv", "--meta", str(META), *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_graph_file_has_every_resource_with_options_and_masked_secrets(tmp_path: Path) -> None:
    out = graph(tmp_path, "--output", "graph.json")
    assert out.returncode == 0, out.stderr
    resources = json.loads((tmp_path / "graph.json").read_text())
    assert {tuple(sorted(r)) for r in resources} == {
        ("dependencies", "inputs", "name", "options", "parent", "type", "urn")
    }
    types = {r["type"] for r in resources}
    assert {"aws:rds/cluster:Cluster", "aws:sns/topic:Topic", "aws:sqs/queue:Queue", "aws:iam/role:Role"} <= types
    assert all(r["options"]["protect"] is False and r["options"]["retainOnDelete"] is False for r in resources)
    versions = [r for r in resources if r["type"] == "aws:secretsmanager/secretVersion:SecretVersion"]
    assert versions and all(v["inputs"]["secretString"] == "[secret]" for v in versions)
    assert "ORCHESTRATOR_APP_ROOT" in out.stderr and "sqlCaCertPem" not in out.stderr  # warnings reach the user


def test_graph_refuses_the_local_target(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text("config:\n  orchestrator:cloud: local\n"
                                                         "  orchestrator:envType: development\n")
    out = subprocess.run([sys.executable, "-m", "orchestrator", "graph", "--env", "dev", "--meta", str(META)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 2 and out.stderr.startswith("error: ") and out.stderr.count("\n") == 1

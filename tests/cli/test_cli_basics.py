"""The CLI's cross-cutting promises: fast help without SDKs, one-line errors, exit codes, colour rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pulumi", "pulumi_aws", "boto3", "botocore", "psycopg", "moto", "redis", "pydantic", "google.protobuf", "rich")


def run_cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, stdin: str | None = None):
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full_env.pop("ORCHESTRATOR_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=cwd, env=full_env, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [["--help"], ["deploy", "--help"], ["plan", "--help"], ["--version"]])
def test_help_imports_no_sdk(args):
    code = (
        "import sys\nfrom orchestrator.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "sys.stderr.write(repr(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stderr.strip().endswith("[]"), out.stderr


def test_version():
    out = run_cli("--version")
    assert out.returncode == 0
    assert "orchestrator" in out.stdout


def test_unknown_env_is_bad_input_one_line(tmp_path):
    (tmp_path / "stacks").mkdir()
    out = run_cli("plan", "--env", "nope", "--meta", "x.pb", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: ")
    assert "Pulumi.nope.yaml" in out.stderr
    assert "Traceback" not in out.stderr


def test_usage_error_exit_2():
    out = run_cli("plan")
    assert out.returncode == 2
    assert out.stderr.startswith("error: ")


def test_debug_shows_traceback(tmp_path):
    (tmp_path / "stacks").mkdir()
    out = run_cli("--debug", "plan", "--env", "nope", "--meta", "x.pb", cwd=tmp_path)
    assert out.returncode != 0
    assert "Traceback" in out.stderr


def test_no_color_when_not_a_tty_or_no_color(tmp_path):
    (tmp_path / "stacks").mkdir()
    out = run_cli("plan", "--env", "nope", "--meta", "x.pb", cwd=tmp_path, env={"NO_COLOR": "1"})
    assert "\x1b[" not in out.stderr


def test_env_list_and_show_json():
    out = run_cli("env", "list", "--format", "json")
    assert out.returncode == 0, out.stderr
    names = {e["name"]: e for e in json.loads(out.stdout)}
    assert names["local"]["cloud"] == "local"
    assert {e["cloud"] for e in names.values()} >= {"local", "aws", "gcp", "azure"}
    shown = run_cli("env", "show", "local")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["name"] == "local"


def test_support_matrix_json_is_derived_from_tables():
    out = run_cli("support-matrix", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    bucket_ts = next(r for r in rows if r["kind"] == "bucket" and r["language"] == "typescript")
    assert bucket_ts["azure"].startswith("no Encore runtime has an Azure Blob Storage provider")
    assert bucket_ts["local"] == "yes"
    assert bucket_ts["aws"] == "yes"
    topics = {r["language"]: r["azure"] for r in rows if r["kind"] == "topic"}
    assert topics["go"] == "yes" and "no Azure Service Bus client" in topics["typescript"]


def test_support_matrix_doc_matches_the_code():
    out = run_cli("support-matrix", "--format", "markdown")
    assert out.returncode == 0, out.stderr
    doc = (ROOT / "docs" / "support-matrix.md").read_text()
    assert doc.endswith(out.stdout), "docs/support-matrix.md is stale: regenerate it with the command it names"


def test_cloud_deploy_without_pulumi_cli_is_exit_6_after_the_policy_gate(tmp_path):
    """Through `python -m orchestrator`: the spawned policy renderer must not re-run the CLI."""
    (tmp_path / "stacks").mkdir()
    preview = (ROOT / "stacks" / "Pulumi.aws-preview.yaml").read_text()
    url = "  orchestrator:aws:\n    gatewayBaseUrl: https://pv.example.com\n"  # without it: exit 2 before the gate
    (tmp_path / "stacks" / "Pulumi.pv.yaml").write_text(preview + url)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if not (Path(p) / "pulumi").exists())
    meta = ROOT / "examples" / "quickstart" / "meta.pb"
    out = run_cli("deploy", "--env", "pv", "--meta", str(meta), "--yes", cwd=tmp_path, env={"PATH": path})
    assert out.returncode == 6, out.stderr
    lines = out.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "Pulumi CLI is not installed" in lines[-1]
    allowed = ("warning: policy:", f"warning: {meta}: topic", "error: ")
    assert all(line.startswith(allowed) for line in lines), out.stderr


def test_plan_warns_of_topics_the_typescript_runtime_refuses(tmp_path):
    """runtimes/core/src/pubsub/manager.rs: "topic {} has no message type" stops the Rust core at startup."""
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(
        "config:\n  orchestrator:cloud: local\n  orchestrator:envType: development\n"
    )
    meta = ROOT / "tests" / "fixtures" / "apps" / "ts-uptime" / "meta.json"
    out = run_cli("plan", "--env", "dev", "--meta", str(meta), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert 'topic "uptime-transition" has no message type' in out.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_flags_work_after_the_subcommand_and_return_in_hints(tmp_path: Path, where: str) -> None:
    stacks, state = tmp_path / "my-stacks", tmp_path / "my-state"
    stacks.mkdir()
    stack = "config:\n  orchestrator:cloud: local\n  orchestrator:envType: development\n"
    (stacks / "Pulumi.dev.yaml").write_text(stack)
    flags = ["--stacks", str(stacks), "--state-dir", str(state)]
    args = [*flags, "env-vars", "--env", "dev"] if where == "before" else ["env-vars", "--env", "dev", *flags]
    out = run_cli(*args, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("error: env dev: not deployed: run `orchestrator deploy --env dev --meta ...")
    assert f"--stacks {stacks} --state-dir {state}`" in out.stderr

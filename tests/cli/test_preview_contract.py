"""`orchestrator preview` as CI uses it, through the real entry point: first deploy, the PR comment (marker,
summary, destructive changes first, under 60,000 characters when the app overflows it), determinism, no ANSI,
no secret in any output, `--pulumi` without the CLI, and the local target's ledger diff against its record."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format

from bench import synth
from orchestrator.core.plan import build
from orchestrator.records import DeploymentRecord
from orchestrator.state import open_store
from runtime_config.infra import Provisioned

ROOT = Path(__file__).resolve().parents[2]
META = ROOT / "examples" / "quickstart" / "meta.pb"
CANARY = "canary-7d1e0c55b2a94f31"
ANSI = re.compile(r"\x1b\[")


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None,
        stdin: str = "") -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_") and k != "NO_COLOR"}
    full.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=600, input=stdin)


def synth_json(services: int, seed: int, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(json_format.MessageToDict(synth.synth_app(services, seed=seed)), sort_keys=True))
    return path


def test_first_deploy_on_a_cloud_is_everything_new_and_the_comment_has_its_marker(tmp_path: Path) -> None:
    """No record and no base: no error, every resource created; the renders run in spawned children."""
    out = run("--state-dir", str(tmp_path / "state"), "preview", "--env", "aws-preview", "--meta", str(META),
              "--format", "markdown", "--detailed-exitcode", "--fail-on-destroy",
              env={"AWS_SECRET_ACCESS_KEY": CANARY, "PULUMI_CONFIG_PASSPHRASE": CANARY, "GITHUB_TOKEN": CANARY})
    assert out.returncode == 8, out.stderr
    text = out.stdout
    assert text.splitlines()[0] == "<!-- orchestrator-preview:quickstart:aws-preview -->"
    assert "**App:** 14 to add, 0 to change, 0 to replace, 0 to remove" in text
    assert "**Resources:** 75 to create, 0 to update, 0 to replace, 0 to delete" in text
    assert "against nothing (first deploy: everything is new)" in text
    assert "Nothing is removed or replaced." in text
    assert "```mermaid" in text and '["+ service monitor"]:::added' in text
    assert CANARY not in out.stdout + out.stderr
    assert not ANSI.search(out.stdout + out.stderr)
    assert not (tmp_path / "state").exists()  # read nothing, wrote nothing


def test_pulumi_without_its_cli_is_exit_6_and_writes_nothing(tmp_path: Path) -> None:
    comment = tmp_path / "comment.md"
    out = run("--state-dir", str(tmp_path / "state"), "preview", "--env", "aws-preview", "--meta", str(META),
              "--pulumi", "--output", str(comment), env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 6, out.stderr
    assert out.stderr.startswith("error: pulumi: the Pulumi CLI is not installed"), out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert not comment.exists()
    local = run("--state-dir", str(tmp_path / "state"), "preview", "--env", "local", "--meta", str(META), "--pulumi")
    assert local.returncode == 2 and "has no Pulumi program" in local.stderr


@pytest.fixture(scope="module")
def overflow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """150 services against 100 services of another seed: thousands of lines, hundreds of destructive ones."""
    folder = tmp_path_factory.mktemp("apps") / "shop"
    return synth_json(150, 0, folder, "base.json"), synth_json(100, 1, folder, "new.json")


def test_an_app_that_overflows_keeps_the_summary_and_every_destructive_change(overflow: tuple[Path, Path],
                                                                             tmp_path: Path) -> None:
    base, new = overflow
    args = ("--state-dir", str(tmp_path / "state"), "preview", "--env", "local", "--meta", str(new),
            "--base-meta", str(base))
    md = run(*args, "--format", "markdown", "--fail-on-destroy")
    assert md.returncode == 9, md.stderr
    text = md.stdout
    assert len(text) < 60_000
    doc = json.loads(run(*args, "--format", "json").stdout)
    full_text = run(*args, "--format", "text").stdout
    assert len(full_text) > 60_000  # it would not fit without cutting
    head = text.split("<details>", 1)[0]
    removed = doc["app_diff"]["removed"] + doc["app_diff"]["replaced"]
    assert len(removed) > 200
    for r in removed:
        assert f"`{r['name']}`" in head, r["key"]
    counts = doc["summary"]["app"]
    assert (f"**App:** {counts['add']} to add, {counts['change']} to change, {counts['replace']} to replace, "
            f"{counts['remove']} to remove") in head
    assert re.search(r"- \.\.\. and \d+ more lines? not shown", text)
    assert text.count("<details>") == text.count("</details>")


def test_the_same_inputs_give_the_same_bytes_without_ansi(overflow: tuple[Path, Path], tmp_path: Path) -> None:
    base, new = overflow
    outputs = []
    for i in range(2):
        args = ("--state-dir", str(tmp_path / f"state{i}"), "preview", "--env", "local", "--meta", str(new),
                "--base-meta", str(base))
        for fmt in ("markdown", "text", "json"):
            out = run(*args, "--format", fmt, env={"TERM": "xterm-256color", "FORCE_COLOR": "1"})
            assert not ANSI.search(out.stdout + out.stderr)
            outputs.append(out.stdout)
    assert outputs[:3] == outputs[3:]


def _local_record(state: Path, meta: Path) -> DeploymentRecord:
    """A record as the local target writes one: its ledger (key, kind, names, status) as the graph."""
    from orchestrator import source, stacks

    plan = build(source.read(meta).app, stacks.load(ROOT / "stacks", "local"))
    ledger = [{"key": r.key, "kind": r.kind.value, "names": r.names, "status": "ready"} for r in plan.resources]
    record = DeploymentRecord.new(plan, Provisioned(cloud="local", env="local"), graph=ledger)
    open_store(None, state).write(record)
    return record


def test_the_local_target_diffs_its_ledger_against_the_last_record(tmp_path: Path) -> None:
    from orchestrator.core.schema import meta_pb2

    app = tmp_path / "quickstart"
    shutil.copytree(META.parent, app)  # its migrations: the local target's own preview reads them
    doc: dict[str, Any] = json_format.MessageToDict(meta_pb2.Data.FromString(META.read_bytes()))
    full = app / "full.json"
    full.write_text(json.dumps(doc))
    _local_record(tmp_path / "state", full)
    done = run("--state-dir", str(tmp_path / "state"), "secret", "set", "--env", "local", "--meta", str(full),
               "SlackWebhookURL", stdin="https://hooks.example/x")
    assert done.returncode == 0, done.stderr  # the local target's own preview reads its inputs, secrets included
    doc["pubsubTopics"] = [t for t in doc["pubsubTopics"] if t["name"] != "uptime-transition"]
    fewer = app / "fewer.json"
    fewer.write_text(json.dumps(doc))
    out = run("--state-dir", str(tmp_path / "state"), "preview", "--env", "local", "--meta", str(fewer),
              "--format", "json", "--fail-on-destroy")
    assert out.returncode == 9, out.stderr
    result = json.loads(out.stdout)
    assert result["base"] == "the last deployment of local"
    assert {(n["type"], n["name"]) for n in result["resources"]["deletes"]} == {
        ("local:topic", "uptime-transition"), ("local:subscription", "uptime-transition/slack-notification")}
    assert result["resources"]["creates"] == [] and result["resources"]["updates"] == []
    same = run("--state-dir", str(tmp_path / "state"), "preview", "--env", "local", "--meta", str(full),
               "--format", "json", "--detailed-exitcode")
    assert same.returncode == 0, same.stdout


def test_a_secret_canary_reaches_no_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated passwords resolve to the canary in the rendered program (the last record's graph shows another
    value, so the secret inputs are diffed), and the local env's secret value is the canary: neither shows."""
    from orchestrator import cli, stacks
    from orchestrator.engine import graph, policy_gate

    def render_with_canary(plans: Any, roots: Any) -> list[list[dict[str, Any]]]:
        return [graph.render_full(p, app_root=r, password=CANARY).resources for p, r in zip(plans, roots, strict=True)]

    monkeypatch.setattr(policy_gate, "render_isolated", render_with_canary)
    state = tmp_path / "state"
    from orchestrator import source

    plan = build(source.read(META).app, stacks.load(ROOT / "stacks", "aws-preview"))
    recorded = render_with_canary([plan], [META.parent])[0]
    versions = [n for n in recorded if n["type"] == "aws:secretsmanager/secretVersion:SecretVersion"]
    assert versions and all(n["inputs"]["secretString"] == "[secret]" for n in versions)
    for n in versions:
        n["inputs"]["secretString"] = "an older value"
    open_store(None, state).write(DeploymentRecord.new(plan, Provisioned(cloud="aws", env="aws-preview"),
                                                       graph=recorded))
    done = run("--state-dir", str(state), "secret", "set", "--env", "local", "--meta", str(META), "SlackWebhookURL",
               stdin=CANARY)
    assert done.returncode == 0, done.stderr
    seen = []
    for env in ("aws-preview", "local"):
        for fmt in ("markdown", "text", "json"):
            out = tmp_path / f"{env}.{fmt}"
            with pytest.raises(SystemExit):
                cli.main(["--state-dir", str(state), "preview", "--env", env, "--meta", str(META), "--format", fmt,
                          "--output", str(out)])
            seen.append(out.read_text())
    assert all(CANARY not in text for text in seen)
    aws_json = json.loads(seen[2])
    diffs = [c for n in aws_json["resources"]["updates"] + aws_json["resources"]["replaces"] for c in n["changes"]]
    assert {(c["path"], c["old"], c["new"]) for c in diffs} == {("secretString", "an older value", "[secret]")}

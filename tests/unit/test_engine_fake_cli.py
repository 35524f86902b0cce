"""The engine through the real Automation API, with a scripted stand-in for the `pulumi` binary.

The Pulumi CLI cannot be installed here. A small script named `pulumi` on PATH answers the
commands the Automation API runs (`version`, `stack select/init/export/output/history`, `up`,
`preview`, `destroy`) from a scenario file, writes engine events to the `--event-log` file and
logs every invocation. This checks what our engine asks of the real Automation API (arguments,
environment, no --show-secrets where we control it) and that the API's own error classification
of the CLI's messages reaches the documented exit codes. It cannot check what a real CLI does
with those arguments, nor run the inline program (the stand-in never calls back into it).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
import rc_fixtures as fx
from test_engine_target import DIY_LOCK, UI, app, context, deploy, make_env, make_plan, opts, pending, store

from orchestrator import pipeline
from orchestrator.core.errors import Locked, PendingOperations
from orchestrator.engine import target

__all__ = ["app"]  # the fixture standing in for --meta

FAKE_PULUMI = """#!{python}
import json, os, sys
cfg = json.load(open(os.environ["FAKE_PULUMI"]))
args = [a for a in sys.argv[1:] if a != "--non-interactive"]
with open(cfg["log"], "a") as fh:
    fh.write(json.dumps({{"args": args, "backend": os.environ.get("PULUMI_BACKEND_URL"), "cwd": os.getcwd()}}) + "\\n")
def done(doc=None):
    if doc is not None:
        print(json.dumps(doc))
    sys.exit(0)
def fail(stderr):
    sys.stderr.write(stderr)
    sys.exit(255)
if args[:1] == ["version"]:
    print("v" + cfg["version"]); sys.exit(0)
if args[:2] == ["stack", "select"]:
    done() if cfg.get("exists", True) else fail("error: no stack named 'dev' found\\n")
if args[:2] == ["stack", "init"]:
    done()
if args[:2] == ["stack", "export"]:
    done({{"version": 3, "deployment": {{"resources": [], "pending_operations": cfg.get("pending", [])}}}})
if args[:2] == ["stack", "output"]:
    done(cfg.get("outputs", {{}}))
if args[:2] == ["stack", "history"]:
    done([{{"kind": args[0], "startTime": "2026-01-05T10:00:00.000000Z", "endTime": "2026-01-05T10:01:00.000000Z",
           "message": "", "environment": {{}}, "config": {{}}, "result": "succeeded", "resourceChanges": {{}}}}])
if args[0] in ("up", "preview", "destroy", "refresh", "cancel"):
    if cfg.get(args[0] + "_stderr"):
        fail(cfg[args[0] + "_stderr"])
    if "--event-log" in args:
        with open(args[args.index("--event-log") + 1], "a") as fh:
            for event in cfg.get("events", []) + [{{"sequence": 99, "timestamp": 0, "cancelEvent": {{}}}}]:
                fh.write(json.dumps(event) + "\\n")
    done()
fail("fake pulumi: unexpected " + " ".join(args) + "\\n")
"""
SUMMARY = {"sequence": 3, "timestamp": 0, "summaryEvent": {"maybeCorrupt": False, "durationSeconds": 4,
                                                           "resourceChanges": {"create": 1}, "PolicyPacks": {}}}
URN = "urn:pulumi:dev::orchestrator::aws:s3/bucketV2:BucketV2::shop-dev-config"
CREATED = [
    {"sequence": 1, "timestamp": 0, "resourcePreEvent": {"metadata": {
        "op": "create", "urn": URN, "type": "aws:s3/bucketV2:BucketV2", "provider": ""}}},
    {"sequence": 2, "timestamp": 0, "resOutputsEvent": {"metadata": {
        "op": "create", "urn": URN, "type": "aws:s3/bucketV2:BucketV2", "provider": ""}}},
    SUMMARY,
]


class Fake:
    def __init__(self, root: Path) -> None:
        self.config = root / "scenario.json"
        self.log = root / "calls.jsonl"

    def scenario(self, **cfg: Any) -> None:
        self.config.write_text(json.dumps({"version": "3.201.0", "log": str(self.log), **cfg}))

    def calls(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def commands(self) -> list[str]:
        return [" ".join(c["args"][:2]) if c["args"][0] == "stack" else c["args"][0] for c in self.calls()]

    def args_of(self, command: str) -> list[str]:
        return next(c["args"] for c in self.calls() if c["args"][0] == command)


@pytest.fixture
def fake(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Fake:
    root = tmp_path_factory.mktemp("fake-pulumi")
    script = root / "bin" / "pulumi"
    script.parent.mkdir()
    script.write_text(FAKE_PULUMI.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PULUMI", str(root / "scenario.json"))
    monkeypatch.delenv("PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK", raising=False)
    f = Fake(root)
    f.scenario()
    return f


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only")
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.delenv(pipeline.STORE_VAR, raising=False)
    return tmp_path


def test_deploy_through_the_automation_api(fake: Fake, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from providers.aws import delivery

    env = make_env()
    plan = make_plan(env)
    fake.scenario(exists=False, events=CREATED, outputs={
        "provisioned": fx.provisioned(plan).model_dump(mode="json"), "runtime_config_bucket": "shop-dev-config"})
    uploaded: list[str] = []
    monkeypatch.setattr(delivery, "upload", lambda path, *, bucket, region, key=delivery.KEY, client=None:
                        uploaded.append(bucket) or f"s3://{bucket}/{key}")

    assert deploy(UI())["changed"] is True

    # `version` once for the check before the question, once when the stack is opened to apply
    assert fake.commands() == ["version", "version", "stack select", "stack init", "stack export", "up",
                               "stack output", "stack output", "stack history"]
    work = str(Path("state/pulumi/workspaces/dev").absolute())
    backend = f"file://{Path('state/pulumi').absolute()}"
    stack_calls = [c for c in fake.calls() if c["args"][0] != "version"]
    assert {c["cwd"] for c in stack_calls} == {work}
    assert {c["backend"] for c in stack_calls} == {backend}
    assert fake.args_of("stack") == ["stack", "select", "--stack", "dev"]
    init = next(c["args"] for c in fake.calls() if c["args"][:2] == ["stack", "init"])
    assert init[init.index("--secrets-provider") + 1] == "passphrase"
    up = fake.args_of("up")
    assert "--show-secrets" not in up
    assert up[up.index("--exec-kind") + 1] == "auto.inline"
    export = next(c["args"] for c in fake.calls() if c["args"][:2] == ["stack", "export"])
    assert "--show-secrets" not in export
    history = next(c["args"] for c in fake.calls() if c["args"][:2] == ["stack", "history"])
    assert "--show-secrets" not in history
    assert uploaded == ["shop-dev-config"]
    assert "created aws:s3/bucketV2:BucketV2 shop-dev-config" in capsys.readouterr().err
    record = store().read("dev")
    assert record is not None and record.provisioned["runtime_config_url"] == "s3://shop-dev-config/runtime-config.pb"


def test_the_real_lock_message_becomes_exit_3(fake: Fake) -> None:
    fake.scenario(up_stderr=DIY_LOCK)
    make_env()
    with pytest.raises(Locked, match=r"alice@ci-runner-7 \(pid 4242\)"):
        deploy(UI())
    assert store().read("dev") is None


def test_pending_operations_from_the_export_stop_the_deploy(fake: Fake) -> None:
    fake.scenario(pending=[pending("creating", URN)])
    make_env()
    with pytest.raises(PendingOperations, match="--clear-pending-creates"):
        deploy(UI())
    assert "up" not in fake.commands()


def test_an_old_cli_is_rejected_before_any_stack_command(fake: Fake) -> None:
    from orchestrator.core.errors import MissingTool

    fake.scenario(version="3.150.0")
    with pytest.raises(MissingTool, match=r"3\.200\.0"):
        target.status(make_env(), opts(), UI())  # type: ignore[arg-type]
    assert fake.commands() == ["version"]
    assert not Path("state").exists()


def test_an_old_cli_stops_a_deploy_before_the_question(fake: Fake) -> None:
    from orchestrator.core.errors import MissingTool

    fake.scenario(version="3.150.0")
    make_env()
    ui = UI(interactive=True)
    with pytest.raises(MissingTool, match=r"3\.200\.0"):
        deploy(ui, yes=False)
    assert fake.commands() == ["version"]
    assert ui.asked() == []
    assert not Path("state").exists()


def test_a_missing_stack_is_not_created_by_destroy(fake: Fake) -> None:
    fake.scenario(exists=False)
    make_env()
    assert pipeline.destroy(context(UI()), "dev", yes=True) == {"env": "dev", "destroyed": False}
    assert "stack init" not in fake.commands()


def test_an_interactive_deploy_previews_through_the_api(fake: Fake) -> None:
    fake.scenario(events=[SUMMARY])
    make_env()
    ui = UI(answer=False, interactive=True)
    with pytest.raises(pipeline.Cancelled):
        deploy(ui, yes=False)
    assert fake.commands()[-1] == "preview"
    assert ui.asked() == ["Apply these changes to dev?"]
    assert ("info", "~ pulumi preview: 1 to create") in ui.said
    assert store().read("dev") is None

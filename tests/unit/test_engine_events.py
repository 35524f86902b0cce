"""Progress lines from engine events, built from the JSON the Pulumi CLI writes to its event log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.automation import EngineEvent

from orchestrator.engine.events import Progress, Tracker, changes_text, clean, has_changes

CANARY = "canary-3f9c1e"
BUCKET = "urn:pulumi:dev::orchestrator::orchestrator:aws:Bucket$aws:s3/bucketV2:BucketV2::shop-dev-invoices"
SECRET = "urn:pulumi:dev::orchestrator::aws:secretsmanager/secretVersion:SecretVersion::shop-dev-secret-stripe"


def step(kind: str, op: str, urn: str, **extra: Any) -> EngineEvent:
    state = {"type": urn.split("::")[2].rsplit("$", 1)[-1], "urn": urn,
             "inputs": {"secretString": CANARY}, "outputs": {"secretString": CANARY}}
    meta = {"op": op, "urn": urn, "type": state["type"], "provider": "", "new": state, "old": state,
            "diffs": ["secretString"], "detailedDiff": {"secretString": {"diffKind": "update", "inputDiff": True}}}
    return EngineEvent.from_json({"sequence": 1, "timestamp": 0, kind: {"metadata": meta, **extra}})


def diag(severity: str, message: str, urn: str = "", ephemeral: bool = False) -> EngineEvent:
    return EngineEvent.from_json({"sequence": 2, "timestamp": 0, "diagnosticEvent": {
        "message": message, "color": "never", "severity": severity, "urn": urn, "ephemeral": ephemeral}})


def summary(changes: dict[str, int], seconds: int) -> EngineEvent:
    return EngineEvent.from_json({"sequence": 9, "timestamp": 0, "summaryEvent": {
        "maybeCorrupt": False, "durationSeconds": seconds, "resourceChanges": changes, "PolicyPacks": {}}})


def test_an_update_reads_as_progress_lines() -> None:
    t = Tracker()
    pre = t.describe(step("resourcePreEvent", "create", BUCKET))
    assert pre is not None and (pre.text, pre.level) == ("creating aws:s3/bucketV2:BucketV2 shop-dev-invoices", "step")
    done = t.describe(step("resOutputsEvent", "create", BUCKET))
    assert done is not None and done.text == "created aws:s3/bucketV2:BucketV2 shop-dev-invoices"
    assert t.describe(step("resourcePreEvent", "same", SECRET)) is None
    failed = t.describe(step("resOpFailedEvent", "update", SECRET, status=1, steps=1))
    assert failed is not None and failed.level == "error"
    err = t.describe(diag("error", "<{%fg 1%}>error: <{%reset%}>creating failed: AccessDenied\n", SECRET))
    assert err is not None and err.text == "shop-dev-secret-stripe: error: creating failed: AccessDenied"
    assert t.errors == ["shop-dev-secret-stripe: error: creating failed: AccessDenied"]
    end = t.describe(summary({"create": 1, "update": 2, "same": 10}, 125))
    assert end is not None and end.text == "done in 2m05s: 1 created, 2 updated, 10 unchanged"


def test_a_preview_lists_planned_steps() -> None:
    t = Tracker(preview=True)
    line = t.describe(step("resourcePreEvent", "replace", BUCKET, planning=True))
    assert line is not None and line.text == "+- replace aws:s3/bucketV2:BucketV2 shop-dev-invoices"
    assert t.describe(step("resOutputsEvent", "replace", BUCKET, planning=True)) is None
    end = t.describe(summary({"create": 3, "same": 1}, 0))
    assert end is not None and end.text == "plan: 3 to create, 1 unchanged"


def test_ephemeral_and_empty_diagnostics_are_dropped() -> None:
    t = Tracker()
    assert t.describe(diag("info", "working...", ephemeral=True)) is None
    assert t.describe(diag("info", "\n")) is None
    warn = t.describe(diag("warning", "\x1b[33mdeprecated argument\x1b[0m"))
    assert warn is not None and (warn.text, warn.level) == ("deprecated argument", "warn")


def test_change_counts() -> None:
    assert changes_text({}, planned=False) == "no resources"
    assert not has_changes({"same": 4})
    assert has_changes({"same": 4, "delete": 1})
    assert clean("a\n  b\t c") == "a b c"


class PlainUI:
    color = False
    quiet = False

    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, text: str) -> None:
        self.lines.append(text)

    warn = error = step


@pytest.mark.parametrize("quiet", [False, True])
def test_plain_progress_never_shows_resource_inputs_or_outputs(quiet: bool, capsys: pytest.CaptureFixture[str]) -> None:
    ui = PlainUI()
    ui.quiet = quiet
    events = [step("resourcePreEvent", "update", SECRET), step("resOutputsEvent", "update", SECRET),
              diag("warning", "slow"), summary({"update": 1}, 3)]
    with Progress(ui, "Deploying dev") as progress:  # type: ignore[arg-type]
        for event in events:
            progress(event)
    out = capsys.readouterr()
    shown = out.err + out.out + json.dumps(ui.lines)
    assert CANARY not in shown
    assert "slow" in shown
    assert ("updated aws:secretsmanager/secretVersion:SecretVersion shop-dev-secret-stripe" in shown) is not quiet
    assert progress.tracker.summary == {"update": 1}


def test_live_progress_prints_finished_steps_and_no_secret(capsys: pytest.CaptureFixture[str]) -> None:
    ui = PlainUI()
    ui.color = True  # type: ignore[misc]
    with Progress(ui, "Deploying dev") as progress:  # type: ignore[arg-type]
        for event in (step("resourcePreEvent", "create", BUCKET), step("resourcePreEvent", "update", SECRET),
                      step("resOutputsEvent", "create", BUCKET), diag("error", "boom", SECRET)):
            progress(event)
    err = capsys.readouterr().err
    assert "created aws:s3/bucketV2:BucketV2 shop-dev-invoices" in err
    assert "error: shop-dev-secret-stripe: boom" in err
    assert CANARY not in err

"""orchestrator/program.py ordering, the Pulumi entry file and Pulumi.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from awsgraph import FIXTURES, REPO, STACKS, fixture_plan

from orchestrator import pulumi_main
from orchestrator.core.errors import BadInput
from orchestrator.core.plan import PlannedResource
from orchestrator.engine import program


def test_order_detects_cycles() -> None:
    plan = fixture_plan("ts-uptime", "production")
    a, b = [r for r in plan.resources if r.kind.value == "sql"]
    looped = (
        PlannedResource.model_validate({**a.model_dump(), "spec": a.spec, "depends_on": (b.key,)}),
        PlannedResource.model_validate({**b.model_dump(), "spec": b.spec, "depends_on": (a.key,)}),
    )
    cyclic = plan.model_copy(update={"resources": tuple(r for r in plan.resources if r.kind.value != "sql") + looped})
    with pytest.raises(ValueError, match="dependency cycle"):
        program.order(cyclic)


def test_order_keeps_plan_order_otherwise() -> None:
    plan = fixture_plan("replicate-image-generator", "production")
    ordered = [r.key for r in program.order(plan)]
    assert ordered.index("service:ai") > max(ordered.index("bucket:generated-images"),
                                             ordered.index("secret:ReplicateToken"))
    assert ordered.index("service:frontend") == 0
    assert sorted(ordered) == sorted(r.key for r in plan.resources)


def test_entry_builds_the_plan_of_the_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(program, "run", lambda plan, app_root=None: seen.update(plan=plan, root=app_root))
    monkeypatch.setattr(pulumi, "get_stack", lambda: "aws-preview")
    meta = FIXTURES / "ts-uptime" / "meta.pb"
    pulumi_main.main({"ORCHESTRATOR_META": str(meta), "ORCHESTRATOR_APP_ROOT": "/src/uptime"}, STACKS)
    assert seen["plan"].env.name == "aws-preview" and seen["plan"].app == "ts-uptime"
    assert seen["root"] == Path("/src/uptime")


def test_entry_needs_the_metadata() -> None:
    with pytest.raises(BadInput, match="ORCHESTRATOR_META"):
        pulumi_main.main({}, STACKS)


def test_pulumi_project_file() -> None:
    doc = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert doc["name"] == "encore-orchestrator"
    assert doc["runtime"] == {"name": "python", "options": {"virtualenv": ".venv"}}
    assert doc["stackConfigDir"] == "stacks"
    assert (REPO / doc["main"]).is_file() and pulumi_main.STACKS_DIR == REPO / "stacks"

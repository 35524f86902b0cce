"""Two deploys of one env at the same time, 20 rounds against running servers: one applies, the other is locked out."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import pytest

from tests.local.conftest import add_topic

if TYPE_CHECKING:
    from tests.local.conftest import Project

pytestmark = pytest.mark.local

ROUNDS = 20


def test_concurrent_deploys_exactly_one_applies(project: Project) -> None:
    app = "replicate-image-generator"  # small, so a round is mostly the contention itself
    with_topics = project.app(app, name=f"topics/{app}",
                              mutate=lambda data: add_topic(data, "orders", service="ai", subscription="bill"))
    without = project.app(app, name=f"plain/{app}")
    env = project.stack("conc", secrets_for=with_topics)
    project.deploy(env, without)
    state_file = project.env_dir(env) / "state.json"

    for round_ in range(ROUNDS):
        meta = with_topics if round_ % 2 == 0 else without
        args = project.deploy_args(env, meta, "--allow-destroy")
        procs = [project.popen(*args) for _ in range(2)]
        while any(p.poll() is None for p in procs):
            json.loads(state_file.read_text())  # never torn, whatever moment it is read
            time.sleep(0.005)
        outs = {p.pid: (p.returncode, *p.communicate()) for p in procs}
        report = f"round {round_}: " + " | ".join(f"pid {pid} exit {c}: {e.strip()}" for pid, (c, _, e) in outs.items())

        assert sorted(c for c, _, _ in outs.values()) == [0, 3], report
        (winner,) = (pid for pid, (c, _, _) in outs.items() if c == 0)
        (loser,) = (pid for pid, (c, _, _) in outs.items() if c == 3)
        assert "deployed" in outs[winner][2], report
        lost = outs[loser][2].splitlines()
        assert [line for line in lost if line.startswith("error: ")] == lost[-1:], report
        assert f"locked by pid {winner}" in lost[-1], report

        state = json.loads(state_file.read_text())
        assert ("topic:orders" in state["resources"]) == (meta == with_topics), report
        assert all(rec["status"] == "ready" for rec in state["resources"].values()), report

"""kill -9 a deploy at many named steps; the next deploy converges and leaves nothing the state does not know.

The local target kills itself at a step when ORCHESTRATOR_CRASH_AT matches the step's name
(providers/local/session.py: lock, initdb, spawn:<server>, intent:<key>, done:<key>,
removing:<key>, removed:<key>, made:<bucket key>, outputs, saved). One env and state directory serve every
point: the kitchen app toggles between its full form and a part of it, so each crash lands
in the middle of real creations or removals.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.local.conftest import Project

pytestmark = pytest.mark.local

ENV = "crash"

# (command run before the crashing deploy, the step it dies at, the app form it deploys)
POINTS = [
    (None, "initdb", "full"),
    (None, "lock", "full"),
    ("stop", "spawn:emulator", "full"),
    ("stop", "spawn:redis", "full"),
    ("stop", "spawn:postgres", "full"),
    (None, "removing:sql:files", "part"),
    (None, "intent:sql:files", "full"),
    (None, "removed:subscription:orders/bill", "part"),
    (None, "done:sql:files", "full"),
    (None, "removing:bucket:uploads", "part"),
    (None, "intent:topic:orders", "full"),
    (None, "removing:cache:sessions", "part"),
    (None, "done:subscription:events/audit", "full"),
    (None, "outputs", "part"),
    (None, "intent:bucket:uploads", "full"),
    (None, "saved", "part"),
    (None, "done:cache:sessions", "full"),
]


@pytest.fixture(scope="module")
def forms(project: Project) -> dict[str, Path]:
    full = project.kitchen_app("full")
    part = project.kitchen_app("part", topics=False, cache=False, files_db=False, bucket=False)
    project.stack(ENV, local={"redis": "server"}, secrets_for=full)
    return {"full": full, "part": part}


def _assert_converged(project: Project, point: str, env: str = ENV) -> None:
    state = project.state_doc(env)
    assert all(rec["status"] == "ready" for rec in state["resources"].values()), f"after {point}: {state['resources']}"
    assert project.inventory(env) == project.recorded(env), f"after a crash at {point}"
    running = project.servers_running(env)
    assert all(len(pids) <= 1 for pids in running.values()), f"after a crash at {point}: duplicate servers {running}"


def test_killed_deploys_converge_without_orphans(project: Project, forms: dict[str, Path]) -> None:
    reached = []
    for before, point, form in POINTS:
        if before:
            assert project.cli(before, "--env", ENV).code == 0
        args = project.deploy_args(ENV, forms[form], "--allow-destroy")
        crashed = project.cli(*args, env={"ORCHESTRATOR_CRASH_AT": point})
        assert crashed.code == -signal.SIGKILL, f"step {point!r} was not reached:\n{crashed}"
        reached.append(point)

        state_file = project.env_dir(ENV) / "state.json"
        if state_file.exists():
            json.loads(state_file.read_text())
        project.deploy(ENV, forms[form], "--allow-destroy")
        _assert_converged(project, point)

    assert len(set(reached)) >= 10
    project.verify(ENV)


@pytest.mark.parametrize("point", ["intent:sql:*", "done:sql:*"])
def test_databases_made_side_by_side_converge_after_a_kill(project: Project, forms: dict[str, Path],
                                                           point: str) -> None:
    """A new env's databases are made together (providers/local/sql.py `make_all`) after every one's intent is on
    disk: killed before any is made, or after all were made and none is yet recorded as ready, the next run
    converges with nothing the state does not know."""
    env = f"crash-dbs-{point.split(':')[0]}"
    project.stack(env, local={"redis": "server"}, secrets_for=forms["full"])
    crashed = project.cli(*project.deploy_args(env, forms["full"]), env={"ORCHESTRATOR_CRASH_AT": point})
    assert crashed.code == -signal.SIGKILL, f"step {point!r} was not reached:\n{crashed}"
    pending = [k for k, rec in project.state_doc(env)["resources"].items() if k.startswith("sql:")
               and rec.get("status") == "pending"]
    assert len(pending) >= (2 if point.startswith("done") else 1), "every intent is on disk before any is made"
    project.deploy(env, forms["full"])
    _assert_converged(project, point, env)
    assert project.cli("destroy", "--env", env, "--yes").code == 0


def test_a_bucket_made_but_not_yet_tagged_is_taken_by_the_next_run(project: Project) -> None:
    """S3 cannot tag in CreateBucket: a run killed between it and PutBucketTagging leaves an unmarked bucket, which
    the next run of the same env takes (its intent is on disk, the bucket is empty) instead of refusing it (exit 10).
    """

    def buckets_only(data: Any) -> None:
        del data.sql_databases[:]
        for svc in data.svcs:
            del svc.databases[:]

    env = "crash-bucket"
    meta = project.app("polar-file-sharing", name="bucket-only/polar-file-sharing", mutate=buckets_only)
    project.stack(env, secrets_for=meta)
    crashed = project.cli(*project.deploy_args(env, meta), env={"ORCHESTRATOR_CRASH_AT": "made:bucket:*"})
    assert crashed.code == -signal.SIGKILL, f"the bucket was not made:\n{crashed}"
    project.deploy(env, meta)
    assert project.inventory(env) == project.recorded(env)
    project.destroy(env)

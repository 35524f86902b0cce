"""A deploy starts every database's SQL job (stack output `sql_jobs`, made by the program) and waits for each
execution, against a test double of azure-mgmt-appcontainers' ContainerAppsAPIClient (fake_azure.py): the same
method names, the SDK's models and exception types."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from azgraph import env, fixture_plan, of_type, render, synth_meta
from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError
from fake_azure import FakeContainerApps

from orchestrator.core import appmeta
from orchestrator.core.errors import ExitCode, MissingTool, OrchestratorError
from orchestrator.core.plan import Plan, build
from orchestrator.core.schema import meta_pb2
from providers.azure import delivery, mocks, settings
from runtime_config.infra import Provisioned

SUB = mocks.SUBSCRIPTION


def _jobs(*names: str) -> list[dict[str, str]]:
    return [{"database": n, "job": f"job-{n}", "resource_group": "rg-shop", "subscription": SUB} for n in names]


class Clock:
    """A fake monotonic clock that `sleep` advances."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def run(client: FakeContainerApps, jobs: list[dict[str, str]], clock: Clock, **kw: float) -> list[str]:
    subscriptions: list[str] = []

    def client_for(subscription: str) -> FakeContainerApps:
        subscriptions.append(subscription)
        return client

    notes = delivery.run_sql_jobs(jobs, client_for, sleep=clock.sleep, clock=clock, **kw)
    assert subscriptions == [SUB]  # one client per subscription
    return notes


def test_the_program_exports_each_databases_job() -> None:
    rendered = render(fixture_plan("ai-chat", "production"))
    jobs = rendered.outputs[delivery.SQL_JOBS_OUTPUT]
    made = {r["inputs"]["jobName"] for r in of_type(rendered.resources, "azure-native:app:Job")}
    group = of_type(rendered.resources, "azure-native:resources:ResourceGroup")[0]["inputs"]["resourceGroupName"]
    assert sorted(j["database"] for j in jobs) == ["bot", "chat", "discord"]
    assert {j["job"] for j in jobs} == made and len(made) == 3
    assert {(j["resource_group"], j["subscription"]) for j in jobs} == {(group, SUB)}


def _no_databases() -> Plan:
    data = meta_pb2.Data.FromString(synth_meta(2, "typescript", topics=False))
    del data.sql_databases[:]
    for svc in data.svcs:
        del svc.databases[:]
    return build(appmeta.load_bytes(data.SerializeToString(), where="synth", name="synth"), env("production"))


def test_a_program_without_databases_exports_no_jobs() -> None:
    assert delivery.SQL_JOBS_OUTPUT not in render(_no_databases()).outputs


def test_every_job_is_started_and_waited_for() -> None:
    client = FakeContainerApps({"job-a": ["Running", "Running", "Succeeded"], "job-b": ["Processing", "Succeeded"]})
    clock = Clock()
    notes = run(client, _jobs("a", "b"), clock)
    starts = [c for c in client.calls if c[0] == "begin_start"]
    assert starts == [("begin_start", "rg-shop", "job-a"), ("begin_start", "rg-shop", "job-b")]
    polls = [c[2:] for c in client.calls if c[0] == "job_execution"]
    assert polls.count(("job-a", "job-a-exec1")) == 3 and polls.count(("job-b", "job-b-exec1")) == 2
    assert clock.sleeps == [delivery.POLL_S, delivery.POLL_S]
    assert notes == ["database b: SQL job execution job-b-exec1 succeeded (role, database, migrations)",
                     "database a: SQL job execution job-a-exec1 succeeded (role, database, migrations)"]


def test_a_failed_execution_fails_the_deploy_naming_the_database() -> None:
    client = FakeContainerApps({"job-a": ["Succeeded"], "job-b": ["Running", "Failed"]},
                               messages={"job-b": "container exited with code 3\npsql: error: ..."})
    with pytest.raises(OrchestratorError) as err:
        run(client, _jobs("a", "b"), Clock())
    message = str(err.value)
    assert err.value.exit_code is ExitCode.FAILURE and "\n" not in message
    assert "database b: execution job-b-exec1 Failed (container exited with code 3)" in message
    assert "database a" not in message and "rg-shop/job-b" in message


@pytest.mark.parametrize("status", ["Stopped", "Degraded"])
def test_other_ends_than_success_fail(status: str) -> None:
    with pytest.raises(OrchestratorError, match=f"database a: execution job-a-exec1 {status}"):
        run(FakeContainerApps({"job-a": [status]}), _jobs("a"), Clock())


def test_an_execution_that_does_not_end_times_out() -> None:
    client = FakeContainerApps({"job-a": ["Succeeded"], "job-b": ["Running"]})
    clock = Clock()
    with pytest.raises(OrchestratorError) as err:
        run(client, _jobs("a", "b"), clock, wait_s=60, poll_s=10)
    assert err.value.exit_code is ExitCode.FAILURE and "\n" not in str(err.value)
    assert "database b: execution job-b-exec1 still not done after 60s" in str(err.value)
    assert clock.now == 60 and clock.sleeps == [10.0] * 6


@pytest.mark.parametrize("error", [ResourceNotFoundError("(ResourceNotFound) no job\nCode: ResourceNotFound"),
                                   ClientAuthenticationError("DefaultAzureCredential failed\nAttempted: ...")])
def test_a_job_that_cannot_start_fails_on_one_line(error: Exception) -> None:
    client = FakeContainerApps({"job-a": ["Succeeded"]}, start_errors={"job-a": error})
    with pytest.raises(OrchestratorError) as err:
        run(client, _jobs("a"), Clock())
    assert err.value.exit_code is ExitCode.FAILURE and "\n" not in str(err.value)
    assert "could not start the SQL job of database a: " + str(error).splitlines()[0] in str(err.value)


def test_deliver_runs_the_jobs_before_writing_anything(tmp_path: Path) -> None:
    plan = fixture_plan("booking-system", "production")
    rendered = render(plan)
    outputs = {k: v for k, v in rendered.outputs.items() if k != "provisioned"}
    (job,) = outputs[delivery.SQL_JOBS_OUTPUT]
    failing = FakeContainerApps({job["job"]: ["Failed"]})
    with pytest.raises(OrchestratorError, match="database booking: "):
        delivery.deliver(plan, Provisioned.model_validate(rendered.outputs["provisioned"]), outputs, tmp_path,
                         jobs_client=lambda sub: failing)
    assert list(tmp_path.iterdir()) == []
    fine = FakeContainerApps({job["job"]: ["Succeeded"]})
    out = delivery.deliver(plan, Provisioned.model_validate(rendered.outputs["provisioned"]), outputs, tmp_path,
                           jobs_client=lambda sub: fine)
    assert any("database booking: SQL job execution" in n for n in out.notes)
    assert ("begin_start", job["resource_group"], job["job"]) in fine.calls


def test_the_missing_sdk_exits_6_with_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.mgmt.appcontainers", None)
    with pytest.raises(MissingTool) as err:
        delivery.run_sql_jobs(_jobs("a"), delivery._jobs_client)
    assert err.value.exit_code is ExitCode.MISSING_TOOL
    assert "pip install 'encore-orchestrator[azure]'" in str(err.value)


def test_the_deploy_refuses_to_start_without_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "azure.mgmt.appcontainers" else real(name, *a))
    with pytest.raises(MissingTool, match=r"pip install 'encore-orchestrator\[azure\]'; nothing was changed"):
        settings.check_deploy(fixture_plan("booking-system", "production"))
    settings.check_deploy(_no_databases())  # no database, no SDK needed

"""The Pulumi program: Plan -> provider handlers -> stack outputs.

The same function runs under the Automation API (`orchestrator deploy`), under the plain CLI
(`pulumi preview -s ENV`, through orchestrator/pulumi_main.py) and under mocks (orchestrator/engine/graph.py).
Stack outputs: `provisioned` (the runtime_config.infra.Provisioned record, no secret values),
`cron_jobs` (the app's cron table, for whoever schedules it) and what the cloud's session adds
(`session.outputs(provisioned)`, e.g. where its delivery uploads the runtime config); env-wide
fragments (the signing key) come from `session.fragments()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.core.model import CronJob, Kind
from orchestrator.core.plan import Plan, PlannedResource
from providers import registry
from providers.base import Context
from runtime_config import infra


def order(plan: Plan) -> list[PlannedResource]:
    """Plan order, except that a service comes after every resource its grants name (its identity binds to them)."""
    deps: dict[str, set[str]] = {r.key: set(r.depends_on) for r in plan.resources}
    for res in plan.of_kind(Kind.SERVICE):
        named = {g.resource for g in plan.grants_for(res.name)}
        deps[res.key] |= {key for key in named if not key.startswith(f"{Kind.SERVICE.value}:")}
    done: set[str] = set()
    ordered: list[PlannedResource] = []
    pending = list(plan.resources)
    while pending:
        ready = [r for r in pending if deps[r.key] <= done]
        if not ready:
            raise ValueError(f"dependency cycle among {', '.join(r.key for r in pending)}")
        for r in ready:
            ordered.append(r)
            done.add(r.key)
        pending = [r for r in pending if r.key not in done]
    return ordered


def cron_table(plan: Plan) -> list[dict[str, str]]:
    return [
        {"id": job.spec.id, "title": job.spec.title, "schedule": job.spec.schedule, "service": job.spec.service,
         "endpoint": job.spec.endpoint, "path": job.spec.path}
        for job in plan.of_kind(Kind.CRON)
        if isinstance(job.spec, CronJob)
    ]


def run(plan: Plan, *, app_root: Path | None = None) -> dict[str, Any]:
    """Declare every resource of `plan`, export the stack outputs and return them (values may be Outputs)."""
    import pulumi

    cloud = plan.env.cloud
    target = registry.get(cloud)
    session = target.part("session").start(plan, app_root=app_root)
    ctx = Context(plan=plan, target=session)
    for res in order(plan):
        ctx.deployed[res.key] = target.table.handler(res.kind)(ctx, res)
    provisioned = {
        "cloud": cloud,
        "env": plan.env.name,
        "region": plan.env.region,
        **infra.merge([*(d.provisioned for d in ctx.deployed.values()), *session.fragments()]),
    }
    outputs: dict[str, Any] = {"provisioned": provisioned, "cron_jobs": cron_table(plan)}
    outputs.update(session.outputs(provisioned))
    for name, value in outputs.items():
        pulumi.export(name, value)
    return outputs

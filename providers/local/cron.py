"""Cron jobs on the local target: recorded in the state and shown by `status`; nothing schedules them locally."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.core.model import CronJob
from providers.base import Context, Deployed

if TYPE_CHECKING:
    from orchestrator.core.plan import PlannedResource
    from providers.local.session import Session


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: Session = ctx.target
    job = res.spec
    assert isinstance(job, CronJob)
    session.record(res.key).update(schedule=job.schedule, service=job.service, endpoint=job.endpoint, path=job.path)
    return Deployed(provisioned={})

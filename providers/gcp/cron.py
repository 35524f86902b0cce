"""Cron jobs: recorded, not scheduled. Cloud Scheduler needs a target to call, and the GCP target has no compute yet;
jobs that call nowhere would only look done. The program exports the cron table (stack output `cron_jobs`) and every
job warns.
"""

from __future__ import annotations

from orchestrator.core.model import CronJob
from orchestrator.core.plan import PlannedResource
from providers.base import Context, Deployed
from providers.gcp.session import Component, GcpSession

NOT_SCHEDULED = "not scheduled: the GCP target has no compute to call yet (see the stack output cron_jobs)"


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: GcpSession = ctx.target
    assert isinstance(res.spec, CronJob)
    comp = Component("CronJob", res.key, session, {"schedule": res.spec.schedule, "path": res.spec.path})
    comp.register_outputs({})
    session.warn(res, NOT_SCHEDULED)
    return Deployed(resource=comp)

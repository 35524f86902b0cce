"""Cron jobs: recorded, not scheduled. A schedule needs a target to call, and the Azure target has no compute yet;
Container Apps jobs that call nothing would only look done. The program exports the cron table (stack output
`cron_jobs`) and every job warns.
"""

from __future__ import annotations

from orchestrator.core.model import CronJob
from orchestrator.core.plan import PlannedResource
from providers.azure.session import AzureSession, Component
from providers.base import Context, Deployed

NOT_SCHEDULED = "not scheduled: the Azure target has no compute to call yet (see the stack output cron_jobs)"


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: AzureSession = ctx.target
    assert isinstance(res.spec, CronJob)
    comp = Component("CronJob", res.key, session, {"schedule": res.spec.schedule, "path": res.spec.path})
    comp.register_outputs({})
    session.warn(res, NOT_SCHEDULED)
    return Deployed(resource=comp)

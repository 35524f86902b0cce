"""Cron jobs: recorded, not scheduled. A scheduler needs a target to call, and the AWS target
has no compute yet; creating EventBridge schedules that point nowhere would only look done.
The program exports the cron table (stack output `cron_jobs`) and every job warns.
"""

from __future__ import annotations

from orchestrator.core.model import CronJob
from orchestrator.core.plan import PlannedResource
from providers.aws.session import AwsSession, Component
from providers.base import Context, Deployed

NOT_SCHEDULED = "not scheduled: the AWS target has no compute to call yet (see the stack output cron_jobs)"


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: AwsSession = ctx.target
    assert isinstance(res.spec, CronJob)
    comp = Component("CronJob", res.key, session, {"schedule": res.spec.schedule, "path": res.spec.path})
    comp.register_outputs({})
    session.warn(res, NOT_SCHEDULED)
    return Deployed(resource=comp)

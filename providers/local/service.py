"""Services on the local target: one app process (`orchestrator run`) hosts every service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from providers.base import Context, Deployed

if TYPE_CHECKING:
    from orchestrator.core.plan import PlannedResource


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    return Deployed(provisioned={})

"""Gateways on the local target: the one app process listens for every gateway."""

from __future__ import annotations

from typing import TYPE_CHECKING

from providers.base import Context, Deployed
from providers.local.session import APP_LISTEN

if TYPE_CHECKING:
    from orchestrator.core.plan import PlannedResource


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    return Deployed(provisioned={"gateways": [{"encore_name": res.name, "base_url": f"http://{APP_LISTEN}"}]})

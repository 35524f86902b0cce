"""Gateways: no compute yet, so the base URL is what the stack file says (orchestrator:azure.gatewayBaseUrl)."""

from __future__ import annotations

from orchestrator.core.plan import PlannedResource
from providers.azure.session import AzureSession, Component
from providers.base import Context, Deployed

NO_URL = "no orchestrator:azure.gatewayBaseUrl: the app's API base URL is empty until the compute issue serves it"


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: AzureSession = ctx.target
    base_url = session.settings.gateway_base_url
    comp = Component("Gateway", res.key, session, {"baseUrl": base_url})
    comp.register_outputs({})
    if not base_url:
        session.warn(res, NO_URL)
    return Deployed(provisioned={"gateways": [{"encore_name": res.name, "base_url": base_url}]}, resource=comp)

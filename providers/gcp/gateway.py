"""Gateways: no compute yet, so the base URL is what the stack file says (orchestrator:gcp.gatewayBaseUrl)."""

from __future__ import annotations

from orchestrator.core.plan import PlannedResource
from providers.base import Context, Deployed
from providers.gcp.session import Component, GcpSession
from providers.gcp.settings import settings_of

NO_URL = "no orchestrator:gcp.gatewayBaseUrl: the app's API base URL is empty until the compute issue serves it"


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: GcpSession = ctx.target
    base_url = settings_of(session.plan.env).gateway_base_url
    comp = Component("Gateway", res.key, session, {"baseUrl": base_url})
    comp.register_outputs({})
    if not base_url:
        session.warn(res, NO_URL)
    return Deployed(provisioned={"gateways": [{"encore_name": res.name, "base_url": base_url}]}, resource=comp)

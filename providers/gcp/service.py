"""A service: its service account (providers/gcp/iam.py) with exactly the roles its grants need, read access to the
service-to-service signing key and, for TypeScript apps, to its own runtime-config object and nothing else."""

from __future__ import annotations

from orchestrator.core.model import Language
from orchestrator.core.plan import PlannedResource
from providers.base import Context, Deployed
from providers.gcp import args
from providers.gcp.iam import Binding, ServiceIdentity, needs_of
from providers.gcp.session import GcpSession


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: GcpSession = ctx.target
    needs = needs_of(ctx, res.name)
    needs.append(("service-auth", Binding("secret", session.service_auth.secret.id), (args.SECRET_ACCESSOR,)))
    if ctx.plan.language is Language.TYPESCRIPT:  # the runtime fetches ENCORE_RUNTIME_CONFIG_PATH=gs://… itself
        needs.append(("runtime-config", session.runtime_config_store.binding_for(res.name), (args.OBJECT_VIEWER,)))
    signs = any(g.verb in args.SIGNS_URLS for g in ctx.plan.grants_for(res.name))
    comp = ServiceIdentity(session, res, needs, signs_urls=signs)
    return Deployed(resource=comp)

"""A service: its identity (providers/aws/iam.py) with exactly the access its grants need, the service-to-service
signing key, and for TypeScript apps its runtime-config object."""

from __future__ import annotations

from orchestrator.core.model import Language
from orchestrator.core.plan import PlannedResource
from providers.aws import args
from providers.aws.iam import ServiceIdentity, needs_of
from providers.base import Context, Deployed


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    needs = needs_of(ctx, res.name)
    needs.append((args.SECRET_READ_ACTIONS, ctx.target.service_auth.secret.arn))  # signs its calls
    if ctx.plan.language is Language.TYPESCRIPT:  # the runtime fetches ENCORE_RUNTIME_CONFIG_PATH=s3://… itself
        needs.append((args.RUNTIME_CONFIG_ACTIONS, ctx.target.runtime_config_store.object_arn))
    comp = ServiceIdentity(ctx.target, res, needs)
    return Deployed(resource=comp)

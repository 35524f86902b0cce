"""A service: its identity (providers/aws/iam.py) with exactly the access its grants need, the service-to-service
signing key, for TypeScript apps its runtime-config object, and its metrics in the env's CloudWatch namespace."""

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
    namespace = args.metrics_namespace(ctx.plan.app, ctx.plan.env.name)
    comp = ServiceIdentity(ctx.target, res, needs, [args.metrics_statement(namespace)])
    return Deployed(resource=comp, provisioned={"metrics": {"provider": "aws_cloudwatch", "namespace": namespace}})

"""Caches: an ElastiCache Redis replication group per cache cluster (cluster mode off, as the
runtime's client is single-node), TLS required, encrypted at rest, AUTH token in Secrets Manager.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from orchestrator.core.model import Cache
from orchestrator.core.plan import PlannedResource
from providers.aws import args
from providers.aws.session import AwsSession, Component
from providers.base import Context, Deployed


class CacheComponent(Component):
    def __init__(self, session: AwsSession, res: PlannedResource) -> None:
        super().__init__("Cache", res.key, session)
        assert isinstance(res.spec, Cache)
        sizing, identifier = res.settings, res.names["cluster"]
        network = session.network
        group = network.data_group("cache", args.REDIS_PORT)
        token, self.secret = self.generated_secret(
            f"{res.key}/auth",
            res.names["auth_secret"],
            sizing,
            f"AUTH token of the Redis cache {identifier}",
            length=64,
        )
        subnets = aws.elasticache.SubnetGroup(
            f"{res.key}/subnets",
            name=identifier,
            subnet_ids=network.subnet_ids,
            description=f"Private subnets of {identifier}",
            opts=self.child(),
        )
        params = aws.elasticache.ParameterGroup(
            f"{res.key}/params",
            name=identifier,
            family=args.cache_family(),
            description=f"Eviction policy of {identifier}",
            parameters=args.cache_parameters(res.spec.eviction_policy),
            opts=self.child(),
        )
        self.group = aws.elasticache.ReplicationGroup(
            f"{res.key}/redis",
            subnet_group_name=subnets.name,
            security_group_ids=[group.id],
            parameter_group_name=params.name,
            auth_token=pulumi.Output.secret(token.result),
            **args.cache_args(identifier, sizing),
            opts=self.child(sizing, stateful=True),
        )
        self.register_outputs({"host": self.group.primary_endpoint_address})


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    comp = CacheComponent(ctx.target, res)
    record = {
        "encore_name": res.name,
        "host": pulumi.Output.concat(comp.group.primary_endpoint_address, f":{args.REDIS_PORT}"),
        "key_prefix": res.names["key_prefix"],
        "tls": {},
        "auth": {"env": res.names["auth_env"], "source": comp.secret.arn},
    }
    return Deployed(provisioned={"caches": [record]}, grants_target={"use": comp.secret.arn}, resource=comp)

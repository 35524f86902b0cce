"""Caches: an ElastiCache Redis replication group per cache cluster (cluster mode off, as the
runtime's client is single-node), TLS required, encrypted at rest, AUTH token in Secrets Manager.
A shared preview env creates none: it uses its base env's (see `_borrow`).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from orchestrator.core.model import Cache, Language
from orchestrator.core.plan import PlannedResource
from providers.aws import args
from providers.aws.session import AwsSession, Component
from providers.aws.shares import CACHES, redis_database
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
        session.lend(CACHES, {
            "primaryEndpointAddress": self.group.primary_endpoint_address, "port": args.REDIS_PORT,
            "authTokenSecretArn": self.secret.arn,
        }, res.name)
        self.register_outputs({"host": self.group.primary_endpoint_address})


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: AwsSession = ctx.target
    if session.borrowed is not None:
        return _borrow(session, res)
    comp = CacheComponent(session, res)
    record = {
        "encore_name": res.name,
        "host": pulumi.Output.concat(comp.group.primary_endpoint_address, f":{args.REDIS_PORT}"),
        "key_prefix": res.names["key_prefix"],
        "tls": {},
        "auth": {"env": res.names["auth_env"], "source": comp.secret.arn},
    }
    return Deployed(provisioned={"caches": [record]}, grants_target={"use": comp.secret.arn}, resource=comp)


def _borrow(session: AwsSession, res: PlannedResource) -> Deployed:
    """A shared preview env's cache: its base env's Redis (reading its AUTH secret), in its own database (Go) or
    under its own key prefix (TypeScript); nothing is created."""
    assert session.borrowed is not None
    lent = session.borrowed.cache(res.name)
    if lent is None:
        raise session.borrowed.missing_cache(res.name)
    go = session.plan.language is Language.GO
    index = redis_database(session.plan.env, go)
    prefix = session.borrowed.key_prefix + res.names["key_prefix"]
    comp = Component("Cache", res.key, session, {"borrowedHost": lent["primaryEndpointAddress"], "databaseIndex": index,
                                                 "keyPrefix": prefix})
    comp.register_outputs({})
    auth = str(lent["authTokenSecretArn"])
    record = {
        "encore_name": res.name,
        "host": f"{lent['primaryEndpointAddress']}:{lent['port']}",
        "database_index": index,
        "key_prefix": prefix,
        "tls": {},
        "auth": {"env": res.names["auth_env"], "source": auth},
    }
    return Deployed(provisioned={"caches": [record]}, grants_target={"use": auth}, resource=comp)

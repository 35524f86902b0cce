"""Caches: an Azure Managed Redis cluster (`azure-native:redisenterprise`) per cache cluster with one non-clustered
database (the runtimes' clients are single-node), TLS only (minimum 1.2), reachable only through a private endpoint,
eviction policy from the metadata, access key in Key Vault. Why Managed Redis and not Azure Cache for Redis:
docs/azure.md. A shared preview env borrows its base's cluster under a key prefix (`borrowed`).
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import redisenterprise

from orchestrator.core.model import Cache
from orchestrator.core.plan import PlannedResource
from providers.azure import args
from providers.azure.secret import uri
from providers.azure.session import AzureSession, Component
from providers.base import Context, Deployed


class CacheComponent(Component):
    def __init__(self, session: AzureSession, res: PlannedResource) -> None:
        super().__init__("Cache", res.key, session)
        assert isinstance(res.spec, Cache)
        sizing = res.settings
        self.cluster = redisenterprise.RedisEnterprise(
            f"{res.key}/redis",
            resource_group_name=session.resource_group,
            location=session.location,
            tags=session.tags,
            **args.redis_cluster_args(res.names["cluster"], sizing),
            opts=self.child(sizing, stateful=True),
        )
        database_args = args.redis_database_args(res.spec.eviction_policy)
        database = redisenterprise.Database(
            f"{res.key}/database",
            resource_group_name=session.resource_group,
            cluster_name=self.cluster.name,
            **database_args,
            opts=self.child(sizing, stateful=True),
        )
        session.network.private_endpoint(self, res.key, self.cluster.id, "redisEnterprise", args.REDIS_DNS_ZONE)
        keys = redisenterprise.list_database_keys_output(
            cluster_name=self.cluster.name, database_name=database.name, resource_group_name=session.resource_group,
            opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[database]),
        )
        key = pulumi.Output.secret(keys.primary_key)
        self.secret = session.vault.secret(self, f"{res.key}/auth", res.names["auth_secret"], "text/plain", key)
        session.secret_values[res.names["auth_env"]] = key
        self.register_outputs({"host": self.cluster.host_name})


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: AzureSession = ctx.target
    if session.borrowed is not None:
        return borrowed(session, res)
    comp = CacheComponent(session, res)
    if not session.plan.env.is_preview:
        session.lent.setdefault("caches", {})[res.name] = {
            "id": comp.cluster.id, "host": comp.cluster.host_name, "port": args.REDIS_PORT,
            "auth_secret_id": comp.secret.id, "auth_secret_uri": uri(comp.secret)}
    record = {
        "encore_name": res.name,
        "host": pulumi.Output.concat(comp.cluster.host_name, f":{args.REDIS_PORT}"),
        "key_prefix": res.names["key_prefix"],
        "tls": {},
        "auth": {"env": res.names["auth_env"], "source": uri(comp.secret)},
    }
    return Deployed(provisioned={"caches": [record]}, grants_target={"use": comp.secret.id}, resource=comp)


def borrowed(session: AzureSession, res: PlannedResource) -> Deployed:
    """A shared preview env (TypeScript apps: `providers/azure/shares.py` refuses Go's) on its base's cache of the
    same name: its keys under `<env>/<cache>/` (the Rust core prefixes every key: runtimes/core/src/cache/client.rs),
    the base's access key read from the base's vault."""
    assert session.borrowed is not None
    lent = session.borrowed.get("caches", res.name)
    record = {
        "encore_name": res.name,
        "host": f"{lent['host']}:{lent['port']}",
        "key_prefix": f"{session.plan.env.name}/{res.names['key_prefix']}",
        "tls": {},
        "auth": {"env": res.names["auth_env"], "source": lent["auth_secret_uri"]},
    }
    return Deployed(provisioned={"caches": [record]}, grants_target={"use": lent["auth_secret_id"]})

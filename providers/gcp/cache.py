"""Caches: a Memorystore for Redis instance per cache cluster (a single-node endpoint, as the runtime's client is),
AUTH on, TLS with server authentication, reachable only through private services access. The AUTH string is an
output of the instance; it is copied into a Secret Manager secret, from which the platform injects it.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from orchestrator.core.model import Cache
from orchestrator.core.plan import PlannedResource
from providers.base import Context, Deployed
from providers.gcp import args
from providers.gcp.iam import Binding
from providers.gcp.session import Component, GcpSession


class CacheComponent(Component):
    def __init__(self, session: GcpSession, res: PlannedResource) -> None:
        super().__init__("Cache", res.key, session)
        assert isinstance(res.spec, Cache)
        sizing, identifier = res.settings, res.names["cluster"]
        network = session.network
        self.instance = gcp.redis.Instance(
            f"{res.key}/redis",
            authorized_network=network.network_id,
            **args.redis_args(identifier, session.region, sizing, res.spec.eviction_policy),
            opts=self.child(sizing, stateful=True, depends_on=network.peering, secret_outputs=["authString"]),
        )
        self.secret = self.new_secret(f"{res.key}/auth", res.names["auth_secret"], sizing)
        gcp.secretmanager.SecretVersion(
            f"{res.key}/auth",
            secret=self.secret.id,
            secret_data=pulumi.Output.secret(self.instance.auth_string),
            opts=self.child(sizing, stateful=True),
        )
        self.server_ca = self.instance.server_ca_certs.apply(lambda certs: certs[0].cert if certs else None)
        self.register_outputs({"host": self.instance.host})


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    comp = CacheComponent(ctx.target, res)
    record = {
        "encore_name": res.name,
        "host": pulumi.Output.concat(comp.instance.host, f":{args.REDIS_TLS_PORT}"),
        "key_prefix": res.names["key_prefix"],
        "tls": {"ca_cert": comp.server_ca},
        "auth": {"env": res.names["auth_env"], "source": comp.secret.id.apply(args.secret_version_path)},
    }
    binding = Binding("secret", comp.secret.id)
    return Deployed(provisioned={"caches": [record]}, grants_target={"use": binding}, resource=comp)

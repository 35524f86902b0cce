"""Caches: a Memorystore for Redis instance per cache cluster (a single-node endpoint, as the runtime's client is),
AUTH on, TLS with server authentication, reachable only through private services access. The AUTH string is an
output of the instance; it is copied into a Secret Manager secret, from which the platform injects it.

A shared preview env creates no instance: its caches live on its base env's Memorystore, in the database numbered by
its slot (`previewSlot`; the Go runtime ignores `key_prefix`, runtimes/go/storage/cache), under a key prefix of its
own too, which TypeScript apps apply (runtimes/core/src/cache/client.rs prefixes every key) and which alone
separates them when there is no slot. Its services read the base's AUTH secret.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from orchestrator.core.errors import BadInput
from orchestrator.core.model import Cache, Language
from orchestrator.core.plan import PlannedResource
from providers.base import Context, Deployed
from providers.gcp import args
from providers.gcp.iam import Binding
from providers.gcp.session import Component, GcpSession
from providers.gcp.shares import LentCache, need

MAX_DATABASE_INDEX = 15
"""Memorystore's 16 databases (0 is the base env's)."""


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


class BorrowedCache(Component):
    """A shared preview env's cache: a database (and, for TypeScript, a key prefix) on its base env's instance."""

    def __init__(self, session: GcpSession, res: PlannedResource, lent: LentCache) -> None:
        super().__init__("Cache", res.key, session, {"borrowedFrom": lent.host})
        self.register_outputs({"host": lent.host})


def database_index(session: GcpSession, res: PlannedResource) -> int:
    """The preview's slot: the Redis database it owns on the base's instance."""
    env = session.plan.env
    slot = env.slot
    if slot is None and session.plan.language is Language.GO:
        raise BadInput(f"env {env.name} shares {env.base}'s Redis and has no orchestrator:previewSlot (the Go runtime "
                       "ignores key prefixes, so it needs a database of its own); create it with `orchestrator "
                       "preview-env up`", where=res.key)
    if slot is not None and slot > MAX_DATABASE_INDEX:
        raise BadInput(f"orchestrator:previewSlot {slot} is above Memorystore's last database "
                       f"({MAX_DATABASE_INDEX})", where=res.key)
    return slot or 0


def deploy_borrowed(session: GcpSession, res: PlannedResource) -> Deployed:
    assert session.borrowed is not None
    lent = need(session.borrowed, f"cache {res.name}", res.key, session.borrowed.caches.get(res.name))
    comp = BorrowedCache(session, res, lent)
    record: dict[str, Any] = {
        "encore_name": res.name,
        "host": f"{lent.host}:{lent.port}",
        "database_index": database_index(session, res),
        "tls": {"ca_cert": lent.server_ca},
        "key_prefix": args.preview_prefix(session.plan.env.name) + res.names["key_prefix"],
        "auth": {"env": res.names["auth_env"], "source": args.secret_version_path(lent.auth_secret)},
    }
    return Deployed(provisioned={"caches": [record]}, grants_target={"use": Binding("secret", lent.auth_secret)},
                    resource=comp)


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    if ctx.target.borrowed is not None:
        return deploy_borrowed(ctx.target, res)
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

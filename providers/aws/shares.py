"""What an AWS env lends its shared preview envs (the stack output `shares`, kept in its deployment record) and
how a shared preview env reads it back (`Plan.borrowed`).

The keys are AWS's own (VPC, subnet and security-group ids, the Aurora cluster's ARN, endpoint and master-user
secret ARN, ElastiCache endpoints, S3 bucket names, Secrets Manager ARNs): ids, ARNs, hosts and ports only,
never a secret value. Pure: no Pulumi here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.core.envs import Env
from orchestrator.core.errors import BadInput

NETWORK, SQL, CACHES, BUCKETS, SECRETS = "network", "sql", "caches", "buckets", "secrets"


class Borrowed:
    """A shared preview env's view of its base env's `shares`, with one-line errors naming what is missing."""

    def __init__(self, env: Env, shares: Mapping[str, Any]) -> None:
        self.env = env
        self.shares = shares
        self.base = str(shares.get("env") or env.base)
        self.key_prefix = key_prefix(env)
        """The preview env's objects in the base's buckets live under this prefix."""

    def sql(self) -> Mapping[str, Any]:
        found = self.shares.get(SQL)
        if not isinstance(found, Mapping):
            raise BadInput(f"base env {self.base} lends no SQL cluster (its last deploy declared no database); deploy "
                           f"{self.base} with this app's databases first, or use previewStrategy isolated",
                           where=f"env {self.env.name}")
        return found

    def cache(self, name: str) -> Mapping[str, Any] | None:
        return _item(self.shares, CACHES, name)

    def bucket(self, name: str) -> Mapping[str, Any] | None:
        return _item(self.shares, BUCKETS, name)

    def secret(self, name: str) -> Mapping[str, Any] | None:
        """The base's secret `name`, or None when the preview env keeps its own (`Env.own_secrets`, or the base
        has no such secret)."""
        if name in self.env.own_secrets:
            return None
        return _item(self.shares, SECRETS, name)

    def missing_cache(self, name: str) -> BadInput:
        return BadInput(f"base env {self.base} lends no Redis cache {name!r}; deploy {self.base} with it first, or "
                        "use previewStrategy isolated", where=f"env {self.env.name}")


def _item(shares: Mapping[str, Any], group: str, name: str) -> Mapping[str, Any] | None:
    found = (shares.get(group) or {}).get(name)
    return found if isinstance(found, Mapping) else None


def key_prefix(env: Env) -> str:
    """The key prefix of a preview env's objects in its base's buckets and of its TypeScript caches' keys: its env
    name (already a checked name, `pr-N`), then `/`, as the runtime's `key_prefix` needs for public URLs."""
    return f"{env.name}/"


def redis_database(env: Env, go: bool) -> int:
    """The Redis database a shared preview env's caches use: Go apps its slot (runtimes/go/storage/cache/
    manager_internal.go passes `RedisDatabase.Database` as go-redis's `DB` and never reads `KeyPrefix`); TypeScript
    apps the base's database 0, told apart by the key prefix (runtimes/core/src/cache/client.rs prefixes every
    key)."""
    if not go:
        return 0
    if env.slot is None:
        raise BadInput("a Go app's caches on the base env's Redis need the env's own database index: set "
                       "orchestrator:previewSlot (orchestrator preview-env up allocates one)", where=f"env {env.name}")
    return env.slot


def object_prefix_arn(bucket_arn: str, prefix: str) -> str:
    """The objects under `prefix` in a bucket, as an IAM resource."""
    return f"{bucket_arn}/{prefix}*"


def list_condition(prefix: str) -> dict[str, Any]:
    """s3:ListBucket narrowed to keys under `prefix` (the runtime lists with `prefix = key_prefix + query`)."""
    return {"StringLike": {"s3:prefix": [f"{prefix}*"]}}


def prefixed_url(base_url: str, prefix: str) -> str:
    """A public bucket's base URL with the preview env's prefix: the runtime appends only the object's name."""
    return f"{base_url.rstrip('/')}/{prefix.strip('/')}"

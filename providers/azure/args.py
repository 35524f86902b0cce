"""Pure argument builders for the Azure resources: plain data in, plain data out, no Pulumi.

Every safety switch comes from the resource's `Sizing` (production presets protect, preview presets make
everything destroyable); every physical name from the plan or `naming`. pulumi-azure-native has no provider-level
default tags, so `tags` goes on every resource that takes them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from orchestrator.core.envs import Env, Sizing
from orchestrator.core.errors import Unsupported
from orchestrator.core.model import Kind, Subscription, Topic
from providers.azure.settings import Settings

if TYPE_CHECKING:
    from pulumi_azure_native.dbforpostgresql import (
        AuthConfigArgsDict,
        BackupArgsDict,
        HighAvailabilityArgsDict,
        SkuArgsDict,
        StorageArgsDict,
    )
    from pulumi_azure_native.keyvault import SecretPropertiesArgsDict
    from pulumi_azure_native.redisenterprise import SkuArgsDict as RedisSkuArgsDict
    from pulumi_azure_native.servicebus import SqlFilterArgsDict

MANAGED_BY = "encore-orchestrator"
DEFAULT_TTL_HOURS = 72
CREATED_AT_VAR = "ORCHESTRATOR_CREATED_AT"
BASE_TAG = "shares-base"
"""On every resource of a shared preview env: the base env whose servers it borrows (policy PV-08)."""

POSTGRES_PORT = 5432
REDIS_PORT = 10000
"""Azure Managed Redis listens (TLS) on 10000."""
ADMIN_USER = "orchestrator_admin"

VNET_CIDR = "10.20.0.0/16"
SQL_SUBNET_CIDR = "10.20.0.0/24"
ENDPOINT_SUBNET_CIDR = "10.20.1.0/24"
JOBS_SUBNET_CIDR = "10.20.2.0/23"
"""Container Apps environments with workload profiles need at least a /27; a /23 leaves room."""
POSTGRES_DNS_ZONE = "privatelink.postgres.database.azure.com"
REDIS_DNS_ZONE = "privatelink.redis.azure.net"
SERVICEBUS_DNS_ZONE = "privatelink.servicebus.windows.net"

SQL_SKUS = {True: ("Standard_D2ds_v5", "GeneralPurpose"), False: ("Standard_B1ms", "Burstable")}
"""Protected (production) -> (SKU, tier); previews get the smallest Burstable server."""
SQL_STORAGE_GB = 32
REDIS_SKUS = {"small": "Balanced_B0", "medium": "Balanced_B1", "large": "Balanced_B5"}
EVICTION = {
    "allkeys-lru": "AllKeysLRU", "allkeys-lfu": "AllKeysLFU", "allkeys-random": "AllKeysRandom",
    "volatile-lru": "VolatileLRU", "volatile-lfu": "VolatileLFU", "volatile-random": "VolatileRandom",
    "volatile-ttl": "VolatileTTL", "noeviction": "NoEviction",
}
"""Redis maxmemory-policy (the metadata's eviction policy) -> Azure Managed Redis EvictionPolicy."""

LOCK_MAX = timedelta(minutes=5)
"""Service Bus caps a subscription's lock duration at 5 minutes."""
LOCK_MIN = timedelta(seconds=5)
MAX_DELIVERY_COUNT = 2000
TTL_MAX = timedelta(days=14)
"""Standard-tier namespaces keep a message at most 14 days."""
TARGET_SUB_PROPERTY = "encore-target-sub"
"""Set by the Go runtime on a retry it re-publishes to the topic (runtimes/go/pubsub/internal/azure/topic.go)."""

KEY_VAULT_SKU = "standard"
SOFT_DELETE_DAYS = {True: 90, False: 7}


# ---- keyword arguments (TypedDicts, so pyright checks names and types where they are unpacked) -------------------


class SqlServerArgs(TypedDict, total=False):
    server_name: str
    version: str
    administrator_login: str
    sku: SkuArgsDict
    storage: StorageArgsDict
    backup: BackupArgsDict
    high_availability: HighAvailabilityArgsDict
    auth_config: AuthConfigArgsDict


class NamespaceArgs(TypedDict, total=False):
    """The SKU goes beside it (`namespace_sku`): pulumi-azure-native types it as enums only."""

    namespace_name: str
    disable_local_auth: bool
    minimum_tls_version: str
    public_network_access: str
    zone_redundant: bool


class TopicArgs(TypedDict, total=False):
    topic_name: str
    requires_duplicate_detection: bool
    support_ordering: bool
    enable_partitioning: bool


class SubscriptionArgs(TypedDict, total=False):
    subscription_name: str
    lock_duration: str
    max_delivery_count: int
    default_message_time_to_live: str
    dead_lettering_on_message_expiration: bool
    dead_lettering_on_filter_evaluation_exceptions: bool
    requires_session: bool


class RedisClusterArgs(TypedDict, total=False):
    cluster_name: str
    sku: RedisSkuArgsDict
    minimum_tls_version: str
    high_availability: str
    public_network_access: str


class RedisDatabaseArgs(TypedDict, total=False):
    database_name: str
    client_protocol: str
    clustering_policy: str
    eviction_policy: str
    port: int
    access_keys_authentication: str


# ---- tags -------------------------------------------------------------------------------------------------------


def created_at(environ: Mapping[str, str] = os.environ, now: datetime | None = None) -> str:
    """The preview env's creation day: ORCHESTRATOR_CREATED_AT when set (the preview-env record), else today (UTC)."""
    return environ.get(CREATED_AT_VAR) or (now or datetime.now(UTC)).strftime("%Y-%m-%d")


def default_tags(app: str, env: Env, created: str) -> dict[str, str]:
    tags = {"app": app, "env": env.name, "managed-by": MANAGED_BY}
    if env.is_preview:
        tags["pr"] = str(env.pr) if env.pr is not None else "none"
        tags["created-at"] = created
        tags["ttl"] = f"{env.ttl_hours or DEFAULT_TTL_HOURS}h"
    if env.shares_base and env.base is not None:
        tags[BASE_TAG] = env.base
    return tags


# ---- SQL --------------------------------------------------------------------------------------------------------


def sql_server_args(name: str, sizing: Sizing, azure: Settings) -> SqlServerArgs:
    """A Flexible Server: Entra authentication beside passwords; zone-redundant HA and geo-redundant backups where
    data is protected (production), the smallest Burstable server without HA elsewhere."""
    sku, tier = SQL_SKUS[sizing.protect]
    ha = sizing.high_availability and tier != "Burstable"
    return {
        "server_name": name,
        "version": sizing.sql_engine_version.split(".")[0],
        "administrator_login": ADMIN_USER,
        "sku": {"name": azure.sql_sku or sku, "tier": tier},
        "storage": {"storage_size_gb": SQL_STORAGE_GB, "auto_grow": "Enabled" if sizing.protect else "Disabled"},
        "backup": {
            "backup_retention_days": max(sizing.backup_retention_days, 7),
            "geo_redundant_backup": "Enabled" if sizing.protect else "Disabled",
        },
        "high_availability": {"mode": "ZoneRedundant" if ha else "Disabled"},
        "auth_config": {"active_directory_auth": "Enabled", "password_auth": "Enabled"},
    }


def sql_configurations() -> dict[str, str]:
    """Server parameters: TLS required, 1.2 or later (R-SQL-20)."""
    return {"require_secure_transport": "on", "ssl_min_protocol_version": "TLSv1.2"}


# ---- pub/sub ----------------------------------------------------------------------------------------------------


def namespace_args(name: str, sizing: Sizing, azure: Settings) -> NamespaceArgs:
    """Standard or Premium, SAS keys off (Entra roles only), TLS 1.2; Premium is private (an endpoint)."""
    premium = azure.service_bus_sku == "Premium"
    args: NamespaceArgs = {
        "namespace_name": name,
        "disable_local_auth": True,
        "minimum_tls_version": "1.2",
        "public_network_access": "Disabled" if premium else "Enabled",
    }
    if premium:
        args["zone_redundant"] = sizing.high_availability
    return args


def namespace_sku(azure: Settings) -> tuple[str, int | None]:
    """(SKU name = tier, messaging units): Premium gets one unit."""
    return azure.service_bus_sku, 1 if azure.service_bus_sku == "Premium" else None


def topic_args(name: str, topic: Topic) -> TopicArgs:
    """Duplicate detection off: the Go runtime re-publishes a retry with the original message id."""
    return {
        "topic_name": name,
        "requires_duplicate_detection": False,
        "support_ordering": bool(topic.ordering_key),
        "enable_partitioning": False,
    }


def duration(value: timedelta) -> str:
    """An ISO 8601 duration in whole seconds (`PT90S`, `P14D` style values are both accepted by Service Bus)."""
    return f"PT{math.ceil(value.total_seconds())}S"


def max_delivery_count(max_retries: int) -> int:
    """Deliveries before Service Bus dead-letters a message: retries + 1 (-1 = forever: the maximum; -2 = none).

    The Go runtime counts retries itself and re-publishes them, so this bounds only deliveries that end without an
    answer (a crash, an expired lock)."""
    if max_retries == -1:
        return MAX_DELIVERY_COUNT
    if max_retries == -2:
        return 1
    return min(max(max_retries + 1, 1), MAX_DELIVERY_COUNT)


def subscription_args(name: str, sub: Subscription) -> SubscriptionArgs:
    lock = min(max(sub.ack_deadline, LOCK_MIN), LOCK_MAX)
    ttl = min(sub.message_retention, TTL_MAX) if sub.message_retention > timedelta(0) else TTL_MAX
    return {
        "subscription_name": name,
        "lock_duration": duration(lock),
        "max_delivery_count": max_delivery_count(sub.retry.max_retries),
        "default_message_time_to_live": duration(ttl),
        "dead_lettering_on_message_expiration": True,
        "dead_lettering_on_filter_evaluation_exceptions": True,
        "requires_session": False,
    }


def target_filter(subscription_name: str) -> SqlFilterArgsDict:
    """The `$Default` rule's filter: new messages (no target) and retries addressed to this subscription only."""
    quoted = subscription_name.replace("'", "''")
    expr = f"[{TARGET_SUB_PROPERTY}] IS NULL OR [{TARGET_SUB_PROPERTY}] = '{quoted}'"
    return {"sql_expression": expr}


# ---- cache ------------------------------------------------------------------------------------------------------


def redis_cluster_args(name: str, sizing: Sizing) -> RedisClusterArgs:
    return {
        "cluster_name": name,
        "sku": {"name": REDIS_SKUS[sizing.cache_size]},
        "minimum_tls_version": "1.2",
        "high_availability": "Enabled" if sizing.high_availability else "Disabled",
        "public_network_access": "Disabled",
    }


def redis_database_args(eviction_policy: str) -> RedisDatabaseArgs:
    """One non-clustered database (the runtimes' clients are single-node), TLS only, access keys for AUTH."""
    return {
        "database_name": "default",
        "client_protocol": "Encrypted",
        "clustering_policy": "NoCluster",
        "eviction_policy": EVICTION.get(eviction_policy or "allkeys-lru", "AllKeysLRU"),
        "port": REDIS_PORT,
        "access_keys_authentication": "Enabled",
    }


# ---- secrets ----------------------------------------------------------------------------------------------------


class VaultProperties(TypedDict, total=False):
    """Beside the SKU (family A, name `KEY_VAULT_SKU`), which pulumi-azure-native types as an enum."""

    tenant_id: str
    enable_rbac_authorization: bool
    enable_soft_delete: bool
    soft_delete_retention_in_days: int
    enable_purge_protection: bool


def vault_properties(tenant_id: str, sizing: Sizing) -> VaultProperties:
    """RBAC authorization; purge protection only where data is protected (it cannot be turned off again)."""
    props: VaultProperties = {
        "tenant_id": tenant_id,
        "enable_rbac_authorization": True,
        "enable_soft_delete": True,
        "soft_delete_retention_in_days": SOFT_DELETE_DAYS[sizing.protect],
    }
    if sizing.protect:
        props["enable_purge_protection"] = True
    return props


def secret_properties(content_type: str, value: Any = None) -> SecretPropertiesArgsDict:
    props: SecretPropertiesArgsDict = {"content_type": content_type}
    if value is not None:
        props["value"] = value
    return props


# ---- identity ---------------------------------------------------------------------------------------------------

SERVICE_BUS_SENDER = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"
SERVICE_BUS_RECEIVER = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
ROLE_NAMES = {
    SERVICE_BUS_SENDER: "Azure Service Bus Data Sender",
    SERVICE_BUS_RECEIVER: "Azure Service Bus Data Receiver",
    KEY_VAULT_SECRETS_USER: "Key Vault Secrets User",
}
"""Built-in role GUID -> name (docs/security-baseline.md §4.4): the only roles a workload identity gets."""

ACCESS: dict[tuple[Kind, str], tuple[tuple[str, str], ...]] = {
    (Kind.SQL, "connect"): (("connect", KEY_VAULT_SECRETS_USER),),
    (Kind.CACHE, "use"): (("use", KEY_VAULT_SECRETS_USER),),
    (Kind.SECRET, "read"): (("read", KEY_VAULT_SECRETS_USER),),
    (Kind.TOPIC, "publish"): (("publish", SERVICE_BUS_SENDER),),
    # A subscriber completes on its subscription and re-publishes its retries to the topic.
    (Kind.SUBSCRIPTION, "consume"): (("consume", SERVICE_BUS_RECEIVER), ("retry", SERVICE_BUS_SENDER)),
    (Kind.SERVICE, "call"): (),
}
"""(kind of the granted resource, grant verb) -> (grants_target key, built-in role) pairs, each assigned at the scope
the handler offers under that key."""


def roles_for(kind: Kind, verb: str, key: str) -> tuple[tuple[str, str], ...]:
    try:
        return ACCESS[(kind, verb)]
    except KeyError:
        raise Unsupported(f"no Azure role mapping for {verb!r}", where=key) from None


def grant_scope(targets: Mapping[str, Any], which: str, key: str) -> Any:
    """The resource id a Deployed.grants_target offers under `which`, else under "*"."""
    for k in (which, "*"):
        if k in targets:
            return targets[k]
    raise Unsupported(f"the Azure handler offers no scope to bind {which!r} to", where=key)


def role_definition_id(subscription_id: str, guid: str) -> str:
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}"

"""Pure argument builders for the GCP resources: plain data in, plain data out, no Pulumi.

Every safety switch comes from the resource's `Sizing` (production presets protect, preview presets make
everything destroyable); every physical name from the plan or `naming`; every label value from `naming`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from orchestrator.core import naming
from orchestrator.core.envs import Env, Sizing
from orchestrator.core.errors import Unsupported
from orchestrator.core.model import BucketOp, Kind, Subscription, Topic

if TYPE_CHECKING:
    from pulumi_gcp.pubsub import SubscriptionDeadLetterPolicyArgsDict as DeadLetterPolicy
    from pulumi_gcp.pubsub import SubscriptionExpirationPolicyArgsDict as ExpirationPolicy
    from pulumi_gcp.pubsub import SubscriptionRetryPolicyArgsDict as RetryPolicy
    from pulumi_gcp.secretmanager import SecretReplicationArgsDict as Replication
    from pulumi_gcp.sql import DatabaseInstanceSettingsArgsDict as SqlSettings
    from pulumi_gcp.storage import BucketIAMMemberConditionArgsDict as Condition
    from pulumi_gcp.storage import BucketLifecycleRuleArgsDict as LifecycleRule
    from pulumi_gcp.storage import BucketVersioningArgsDict as Versioning

MANAGED_BY = "encore-orchestrator"
BORROWS_FROM = "borrows-from"
"""The label of a shared preview env's resources: the base env whose servers it uses (policy PV-08 reads it)."""
DEFAULT_TTL_HOURS = 72
CREATED_AT_VAR = "ORCHESTRATOR_CREATED_AT"

POSTGRES_PORT = 5432
POSTGRES_VERSION = "POSTGRES_16"
ADMIN_USER = "orchestrator_admin"
SQL_TIER_PROTECTED = "db-custom-2-7680"
SQL_TIER_SMALLEST = "db-f1-micro"
SQL_LOG_FLAGS = ("log_connections", "log_disconnections", "log_checkpoints", "log_lock_waits")
SQL_LOG_RETENTION_DAYS = 7

REDIS_TLS_PORT = 6378
"""Memorystore serves TLS (SERVER_AUTHENTICATION) on 6378, not 6379."""
REDIS_VERSION = "REDIS_7_2"
CACHE_MEMORY_GB = {"small": 1, "medium": 5, "large": 16}

SUBNET_CIDR = "10.10.0.0/20"
VPC_EGRESS = "PRIVATE_RANGES_ONLY"
"""Direct VPC egress of the SQL jobs: only private ranges (Cloud SQL's private IP) go through the network."""
PRIVATE_SERVICES_PREFIX = 16
SERVICE_NETWORKING = "servicenetworking.googleapis.com"

PUBSUB_MIN_ACK_S, PUBSUB_MAX_ACK_S = 10, 600
PUBSUB_MIN_RETENTION_S, PUBSUB_MAX_RETENTION_S = 600, 7 * 24 * 3600
PUBSUB_MAX_BACKOFF_S = 600
PUBSUB_MIN_ATTEMPTS, PUBSUB_MAX_ATTEMPTS = 5, 100
NEVER_EXPIRE = ""
"""`expirationPolicy.ttl = ""`: without it a subscription is deleted after 31 days without activity."""

MULTIPART_ABORT_DAYS = 7
NONCURRENT_VERSIONS_KEPT = 3


# ---- keyword arguments (TypedDicts, so pyright checks names and types where they are unpacked) ----------------------


class TopicArgs(TypedDict, total=False):
    name: str
    message_retention_duration: str


class SubscriptionArgs(TypedDict, total=False):
    name: str
    ack_deadline_seconds: int
    message_retention_duration: str
    retry_policy: RetryPolicy
    expiration_policy: ExpirationPolicy
    enable_exactly_once_delivery: bool
    enable_message_ordering: bool


class BucketArgs(TypedDict):
    name: str
    location: str
    uniform_bucket_level_access: bool
    public_access_prevention: str
    force_destroy: bool
    versioning: Versioning
    lifecycle_rules: list[LifecycleRule]


class RedisArgs(TypedDict, total=False):
    name: str
    display_name: str
    tier: str
    memory_size_gb: int
    region: str
    redis_version: str
    auth_enabled: bool
    transit_encryption_mode: str
    connect_mode: str
    redis_configs: dict[str, str]
    deletion_protection: bool


class SecretArgs(TypedDict):
    secret_id: str
    replication: Replication
    deletion_protection: bool


# ---- labels -----------------------------------------------------------------------------------------------------


def created_at(environ: Mapping[str, str] = os.environ, now: datetime | None = None) -> str:
    """The preview env's creation day: ORCHESTRATOR_CREATED_AT when set (the preview-env record), else today (UTC)."""
    return environ.get(CREATED_AT_VAR) or (now or datetime.now(UTC)).strftime("%Y-%m-%d")


def default_labels(app: str, env: Env, created: str) -> dict[str, str]:
    """Provider default labels (GCP label rules, shaped by naming); Cloud SQL takes them as `settings.userLabels`."""
    labels = {"app": app, "env": env.name, "managed-by": MANAGED_BY}
    if env.is_preview:
        labels["pr"] = str(env.pr) if env.pr is not None else "none"
        labels["created-at"] = created
        labels["ttl"] = f"{env.ttl_hours or DEFAULT_TTL_HOURS}h"
    if env.shares_base and env.base is not None:
        labels[BORROWS_FROM] = env.base
    return {key: naming.gcp_label(value) for key, value in labels.items()}


# ---- SQL --------------------------------------------------------------------------------------------------------


def sql_tier(configured: str | None, sizing: Sizing) -> str:
    return configured or (SQL_TIER_PROTECTED if sizing.protect else SQL_TIER_SMALLEST)


def sql_settings(tier: str, sizing: Sizing, network: Any, labels: Mapping[str, str]) -> SqlSettings:
    """Private IP only, TLS only, backups (+ point-in-time recovery and log flags where data is protected)."""
    settings: SqlSettings = {
        "tier": tier,
        "edition": "ENTERPRISE",
        "availability_type": "REGIONAL" if sizing.high_availability else "ZONAL",
        "disk_autoresize": True,
        "deletion_protection_enabled": sizing.deletion_protection,
        "ip_configuration": {"ipv4_enabled": False, "private_network": network, "ssl_mode": "ENCRYPTED_ONLY"},
        "backup_configuration": {
            "enabled": True,
            "point_in_time_recovery_enabled": sizing.protect,
            "transaction_log_retention_days": SQL_LOG_RETENTION_DAYS,
            "backup_retention_settings": {"retained_backups": sizing.backup_retention_days},
        },
        "user_labels": dict(labels),
    }
    if sizing.protect:
        settings["database_flags"] = [{"name": flag, "value": "on"} for flag in SQL_LOG_FLAGS]
    return settings


# ---- pub/sub ----------------------------------------------------------------------------------------------------


def _seconds(value: timedelta) -> int:
    return math.ceil(value.total_seconds())


def _clamp(value: int, low: int, high: int) -> int:
    return min(max(value, low), high)


def duration(seconds: int) -> str:
    return f"{seconds}s"


def topic_args(name: str) -> TopicArgs:
    return {"name": name}


def subscription_args(name: str, sub: Subscription, topic: Topic) -> SubscriptionArgs:
    """A pull subscription with the metadata's ack deadline, retention and backoff within Pub/Sub's limits."""
    low = _clamp(_seconds(sub.retry.min_backoff), 0, PUBSUB_MAX_BACKOFF_S)
    high = _clamp(_seconds(sub.retry.max_backoff), low, PUBSUB_MAX_BACKOFF_S)
    args: SubscriptionArgs = {
        "name": name,
        "ack_deadline_seconds": _clamp(_seconds(sub.ack_deadline), PUBSUB_MIN_ACK_S, PUBSUB_MAX_ACK_S),
        "message_retention_duration": duration(
            _clamp(_seconds(sub.message_retention), PUBSUB_MIN_RETENTION_S, PUBSUB_MAX_RETENTION_S)),
        "retry_policy": {"minimum_backoff": duration(low), "maximum_backoff": duration(high)},
        "expiration_policy": {"ttl": NEVER_EXPIRE},
    }
    if topic.delivery_guarantee.value == "exactly-once":
        args["enable_exactly_once_delivery"] = True
    if topic.ordering_key:
        args["enable_message_ordering"] = True
    return args


def dead_letter_sink_args(name: str) -> SubscriptionArgs:
    """The subscription that keeps a dead-letter topic's messages (Pub/Sub drops what no subscription holds)."""
    return {
        "name": name,
        "ack_deadline_seconds": PUBSUB_MAX_ACK_S,
        "message_retention_duration": duration(PUBSUB_MAX_RETENTION_S),
        "expiration_policy": {"ttl": NEVER_EXPIRE},
    }


def max_delivery_attempts(max_retries: int) -> int:
    """Deliveries before dead-lettering: retries + 1 within Pub/Sub's 5..100 (-1 = forever: the maximum; -2 = never
    retry: the minimum Pub/Sub allows). The parser's default of 100 retries would be 101 attempts."""
    if max_retries == -1:
        return PUBSUB_MAX_ATTEMPTS
    if max_retries == -2:
        return PUBSUB_MIN_ATTEMPTS
    return _clamp(max_retries + 1, PUBSUB_MIN_ATTEMPTS, PUBSUB_MAX_ATTEMPTS)


def dead_letter_policy_of(dead_letter_topic: Any, attempts: int) -> DeadLetterPolicy:
    """`dead_letter_topic` is the topic's full id (`projects/<p>/topics/<id>`), as Pub/Sub requires."""
    return {"dead_letter_topic": dead_letter_topic, "max_delivery_attempts": attempts}


def pubsub_service_agent(project_number: str) -> str:
    """The Pub/Sub service agent, which forwards to dead-letter topics and acks what it forwarded."""
    return f"serviceAccount:service-{project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"


# ---- buckets ----------------------------------------------------------------------------------------------------


def bucket_args(name: str, location: str, sizing: Sizing, *, public: bool, versioned: bool) -> BucketArgs:
    """Uniform access always; public access prevention enforced unless declared public; versioning as declared and
    always where data is protected."""
    keep_versions = versioned or sizing.protect
    rules: list[LifecycleRule] = [{"action": {"type": "AbortIncompleteMultipartUpload"},
                                   "condition": {"age": MULTIPART_ABORT_DAYS}}]
    if sizing.protect and not versioned:
        rules.append({"action": {"type": "Delete"},
                      "condition": {"num_newer_versions": NONCURRENT_VERSIONS_KEPT, "with_state": "ARCHIVED"}})
    return {
        "name": name,
        "location": location.upper(),
        "uniform_bucket_level_access": True,
        "public_access_prevention": "inherited" if public else "enforced",
        "force_destroy": sizing.force_destroy,
        "versioning": {"enabled": keep_versions},
        "lifecycle_rules": rules,
    }


def log_bucket_rules(days: int) -> list[LifecycleRule]:
    return [{"action": {"type": "Delete"}, "condition": {"age": days}}]


def public_base_url(bucket: str, prefix: str = "") -> str:
    """The runtime appends the object's name, without its key prefix (runtimes/core/src/objects/mod.rs
    `public_url`), so a prefixed bucket's base URL ends in the prefix."""
    return f"https://storage.googleapis.com/{bucket}" + (f"/{prefix}" if prefix else "")


def preview_prefix(env_name: str) -> str:
    """A shared preview env's key prefix in its base env's buckets and Redis (`pr-7/`)."""
    return f"{env_name}/"


def prefix_condition(bucket: str, prefix: str) -> Condition:
    """An IAM condition matching the objects under `prefix` and listings asked for under it (a list request names
    the bucket, so its prefix is the `storage.googleapis.com/objectListPrefix` attribute)."""
    return {
        "title": f"only {prefix}*"[:100],
        "expression": f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/{prefix}") || '
                      f'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("{prefix}")',
    }


PUBLIC_READER = "allUsers"
OBJECT_VIEWER = "roles/storage.objectViewer"
LOG_WRITER = "group:cloud-storage-analytics@google.com"
"""The identity GCS usage/storage logs are written as (it needs objectCreator on the log bucket)."""


# ---- cache ------------------------------------------------------------------------------------------------------


def redis_args(name: str, region: str, sizing: Sizing, eviction_policy: str) -> RedisArgs:
    """AUTH on, TLS with server authentication, reachable through private services access only."""
    return {
        "name": name,
        "display_name": f"Encore cache {name}",
        "tier": "STANDARD_HA" if sizing.high_availability else "BASIC",
        "memory_size_gb": CACHE_MEMORY_GB[sizing.cache_size],
        "region": region,
        "redis_version": REDIS_VERSION,
        "auth_enabled": True,
        "transit_encryption_mode": "SERVER_AUTHENTICATION",
        "connect_mode": "PRIVATE_SERVICE_ACCESS",
        "redis_configs": {"maxmemory-policy": eviction_policy or "allkeys-lru"},
        "deletion_protection": sizing.deletion_protection,
    }


# ---- secrets ----------------------------------------------------------------------------------------------------


def secret_args(secret_id: str, sizing: Sizing) -> SecretArgs:
    return {"secret_id": secret_id, "replication": {"auto": {}}, "deletion_protection": sizing.deletion_protection}


def secret_version_path(secret_resource_id: str, version: str = "latest") -> str:
    """`projects/<p>/secrets/<id>/versions/<v>`: where the platform reads a value it injects as an env var."""
    return f"{secret_resource_id}/versions/{version}"


# ---- identity ---------------------------------------------------------------------------------------------------

SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"
PUBLISHER = "roles/pubsub.publisher"
SUBSCRIBER = "roles/pubsub.subscriber"
OBJECT_CREATOR = "roles/storage.objectCreator"
OBJECT_USER = "roles/storage.objectUser"
TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"

ACCESS: dict[tuple[Kind, str], tuple[str, ...]] = {
    (Kind.SQL, "connect"): (SECRET_ACCESSOR,),
    (Kind.CACHE, "use"): (SECRET_ACCESSOR,),
    (Kind.SECRET, "read"): (SECRET_ACCESSOR,),
    (Kind.TOPIC, "publish"): (PUBLISHER,),
    (Kind.SUBSCRIPTION, "consume"): (SUBSCRIBER,),
    (Kind.BUCKET, BucketOp.LIST_OBJECTS): (OBJECT_VIEWER,),
    (Kind.BUCKET, BucketOp.READ_OBJECT_CONTENTS): (OBJECT_VIEWER,),
    (Kind.BUCKET, BucketOp.GET_OBJECT_METADATA): (OBJECT_VIEWER,),
    (Kind.BUCKET, BucketOp.SIGNED_DOWNLOAD_URL): (OBJECT_VIEWER,),
    (Kind.BUCKET, BucketOp.WRITE_OBJECT): (OBJECT_CREATOR,),
    (Kind.BUCKET, BucketOp.SIGNED_UPLOAD_URL): (OBJECT_CREATOR,),
    (Kind.BUCKET, BucketOp.UPDATE_OBJECT_METADATA): (OBJECT_USER,),
    (Kind.BUCKET, BucketOp.DELETE_OBJECT): (OBJECT_USER,),
    (Kind.BUCKET, BucketOp.GET_PUBLIC_URL): (),
    (Kind.SERVICE, "call"): (),
}
"""(kind of the granted resource, grant verb) -> the predefined roles bound on that resource (baseline §4.3)."""

SIGNS_URLS = frozenset({BucketOp.SIGNED_DOWNLOAD_URL.value, BucketOp.SIGNED_UPLOAD_URL.value})
"""Signing without a key file goes through IAM signBlob on the service's own account (runtimes/core/src/objects/gcs/
bucket.rs `signed_url` with no `sign_by`), so such a service gets TOKEN_CREATOR on itself, never at project level."""


def roles_for(kind: Kind, verb: str, key: str) -> tuple[str, ...]:
    try:
        return ACCESS[(kind, verb)]
    except KeyError:
        raise Unsupported(f"no GCP role mapping for {verb!r}", where=key) from None


def member(email: str) -> str:
    return f"serviceAccount:{email}"


def config_object(service: str, file: str) -> str:
    """The runtime-config object of one service in the env's config bucket."""
    return f"{service}/{file}"


def object_condition(bucket: str, obj: str) -> Condition:
    """An IAM condition matching exactly one object (uniform access has no object ACLs)."""
    return {
        "title": f"only {obj}"[:100],
        "expression": f'resource.name == "projects/_/buckets/{bucket}/objects/{obj}"',
    }

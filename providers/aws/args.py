"""Pure argument builders for the AWS resources: plain data in, plain data out, no Pulumi.

Every safety switch comes from the resource's `Sizing` (production presets protect, preview
presets make everything destroyable); every physical name from the plan or `naming`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from orchestrator.core import naming
from orchestrator.core.envs import Env, Sizing
from orchestrator.core.errors import BadInput, Unsupported
from orchestrator.core.model import BucketOp, Kind, Subscription, Topic
from providers.aws import rds_ca
from providers.aws.settings import Settings

if TYPE_CHECKING:
    from pulumi_aws.elasticache import ParameterGroupParameterArgsDict as CacheParameter
    from pulumi_aws.rds import ClusterParameterGroupParameterArgsDict as SqlParameter
    from pulumi_aws.rds import ClusterServerlessv2ScalingConfigurationArgsDict as SqlScaling
    from pulumi_aws.s3 import BucketLifecycleConfigurationRuleArgsDict as LifecycleRule

MANAGED_BY = "encore-orchestrator"
DEFAULT_TTL_HOURS = 72
CREATED_AT_VAR = "ORCHESTRATOR_CREATED_AT"

POSTGRES_PORT = 5432
REDIS_PORT = 6379
ADMIN_USER = "orchestrator_admin"
AURORA_ENGINE = "aurora-postgresql"
REDIS_ENGINE_VERSION = "7.1"
CACHE_NODE_TYPES = {"small": "cache.t4g.micro", "medium": "cache.t4g.medium", "large": "cache.r7g.large"}
SNS_MANAGED_KEY = "alias/aws/sns"

VPC_CIDR = "10.0.0.0/16"
SUBNET_CIDRS = ("10.0.0.0/20", "10.0.16.0/20")
HTTPS_PORT = 443

SQS_MAX_RETENTION_S = 14 * 24 * 3600
SQS_MIN_RETENTION_S = 60
SQS_MAX_VISIBILITY_S = 12 * 3600
SQS_MAX_RECEIVE_COUNT = 1000
SQS_LONG_POLL_S = 20

MULTIPART_ABORT_DAYS = 7
NONCURRENT_VERSION_DAYS = 30


# ---- keyword arguments of the resources (TypedDicts, so pyright checks names and types where they are unpacked) --


class SqlClusterArgs(TypedDict, total=False):
    cluster_identifier: str
    engine: str
    engine_mode: str
    engine_version: str
    master_username: str
    manage_master_user_password: bool
    port: int
    storage_encrypted: bool
    iam_database_authentication_enabled: bool
    enable_http_endpoint: bool
    backup_retention_period: int
    deletion_protection: bool
    copy_tags_to_snapshot: bool
    enabled_cloudwatch_logs_exports: list[str]
    skip_final_snapshot: bool
    final_snapshot_identifier: str
    apply_immediately: bool
    serverlessv2_scaling_configuration: SqlScaling


class SqlInstanceArgs(TypedDict, total=False):
    """`engine` is passed by the caller: pulumi_aws types it as its EngineType enum."""

    identifier: str
    cluster_identifier: str
    engine_version: str
    instance_class: str
    publicly_accessible: bool
    auto_minor_version_upgrade: bool
    copy_tags_to_snapshot: bool
    promotion_tier: int
    apply_immediately: bool
    ca_cert_identifier: str


class TopicArgs(TypedDict, total=False):
    name: str
    kms_master_key_id: str
    fifo_topic: bool
    content_based_deduplication: bool


class QueueArgs(TypedDict, total=False):
    name: str
    sqs_managed_sse_enabled: bool
    visibility_timeout_seconds: int
    message_retention_seconds: int
    receive_wait_time_seconds: int
    fifo_queue: bool
    content_based_deduplication: bool


class PublicAccessBlockArgs(TypedDict):
    block_public_acls: bool
    ignore_public_acls: bool
    block_public_policy: bool
    restrict_public_buckets: bool


class CacheArgs(TypedDict, total=False):
    replication_group_id: str
    description: str
    engine: str
    engine_version: str
    node_type: str
    num_cache_clusters: int
    cluster_mode: str
    port: int
    automatic_failover_enabled: bool
    multi_az_enabled: bool
    at_rest_encryption_enabled: bool
    transit_encryption_enabled: bool
    transit_encryption_mode: str
    auto_minor_version_upgrade: bool
    snapshot_retention_limit: int
    apply_immediately: bool
    final_snapshot_identifier: str


class SecretArgs(TypedDict):
    name: str
    recovery_window_in_days: int
    description: str


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
    return tags


# ---- network ----------------------------------------------------------------------------------------------------


def existing_network(aws: Settings, where: str) -> tuple[str, tuple[str, ...]] | None:
    """(vpc id, private subnet ids) when the stack file names an existing network, else None (we build one)."""
    if aws.vpc_id is None:
        if aws.private_subnet_ids:
            raise BadInput("orchestrator:aws.privateSubnetIds needs orchestrator:aws.vpcId", where=where)
        return None
    if len(aws.private_subnet_ids) < 2:
        raise BadInput("orchestrator:aws.privateSubnetIds needs at least two subnets in different zones", where=where)
    return aws.vpc_id, aws.private_subnet_ids


def zones(aws: Settings, available: Iterable[str]) -> tuple[str, str]:
    names = list(aws.availability_zones) or sorted(available)
    if len(names) < 2:
        raise BadInput("the region needs two availability zones (orchestrator:aws.availabilityZones)")
    return names[0], names[1]


# ---- SQL --------------------------------------------------------------------------------------------------------


def sql_family(engine_version: str) -> str:
    return f"{AURORA_ENGINE}{engine_version.split('.')[0]}"


def sql_parameters() -> list[SqlParameter]:
    return [
        {"name": "rds.force_ssl", "value": "1"},
        {"name": "ssl_min_protocol_version", "value": "TLSv1.2"},
    ]


def sql_cluster_args(identifier: str, sizing: Sizing, aws: Settings) -> SqlClusterArgs:
    args: SqlClusterArgs = {
        "cluster_identifier": identifier,
        "engine": AURORA_ENGINE,
        "engine_mode": "provisioned",
        "engine_version": sizing.sql_engine_version,
        "master_username": ADMIN_USER,
        "manage_master_user_password": True,
        "port": POSTGRES_PORT,
        "storage_encrypted": True,
        "iam_database_authentication_enabled": True,
        "enable_http_endpoint": True,
        "backup_retention_period": sizing.backup_retention_days,
        "deletion_protection": sizing.deletion_protection,
        "copy_tags_to_snapshot": True,
        "enabled_cloudwatch_logs_exports": ["postgresql"],
        "skip_final_snapshot": not sizing.protect,
        "apply_immediately": not sizing.protect,
    }
    if sizing.protect:
        args["final_snapshot_identifier"] = naming.make("aws.rds", identifier, "final")
    if aws.sql_mode == "serverless":
        args["serverlessv2_scaling_configuration"] = {
            "min_capacity": sizing.sql_min_capacity,
            "max_capacity": sizing.sql_max_capacity,
        }
    return args


def sql_instance_args(identifier: str, index: int, sizing: Sizing, aws: Settings) -> SqlInstanceArgs:
    return {
        "identifier": naming.make("aws.rds", identifier, str(index + 1)),
        "cluster_identifier": identifier,
        "engine_version": sizing.sql_engine_version,
        "instance_class": "db.serverless" if aws.sql_mode == "serverless" else aws.sql_instance_class,
        "publicly_accessible": False,
        "auto_minor_version_upgrade": True,
        "copy_tags_to_snapshot": True,
        "promotion_tier": index,
        "apply_immediately": not sizing.protect,
        "ca_cert_identifier": rds_ca.INSTANCE_CA,
    }


def sql_log_group(identifier: str) -> str:
    return f"/aws/rds/cluster/{identifier}/postgresql"


# ---- pub/sub ----------------------------------------------------------------------------------------------------


def topic_args(name: str, topic: Topic) -> TopicArgs:
    args: TopicArgs = {"name": name, "kms_master_key_id": SNS_MANAGED_KEY}
    if topic.fifo:
        args["fifo_topic"] = True
        args["content_based_deduplication"] = False
    return args


def _seconds(value: timedelta) -> int:
    return math.ceil(value.total_seconds())


def _clamp(value: int, low: int, high: int) -> int:
    return min(max(value, low), high)


def queue_args(name: str, sub: Subscription, *, fifo: bool) -> QueueArgs:
    """The subscription's queue: visibility >= the ack deadline, retention from the metadata, both within SQS limits."""
    args: QueueArgs = {
        "name": name,
        "sqs_managed_sse_enabled": True,
        "visibility_timeout_seconds": _clamp(_seconds(sub.ack_deadline), 1, SQS_MAX_VISIBILITY_S),
        "message_retention_seconds": _clamp(_seconds(sub.message_retention), SQS_MIN_RETENTION_S, SQS_MAX_RETENTION_S),
        "receive_wait_time_seconds": SQS_LONG_POLL_S,
    }
    return _fifo_queue(args) if fifo else args


def dead_letter_args(name: str, *, fifo: bool) -> QueueArgs:
    args: QueueArgs = {"name": name, "sqs_managed_sse_enabled": True, "message_retention_seconds": SQS_MAX_RETENTION_S}
    return _fifo_queue(args) if fifo else args


def _fifo_queue(args: QueueArgs) -> QueueArgs:
    return {**args, "fifo_queue": True, "content_based_deduplication": False}


def max_receive_count(max_retries: int) -> int:
    """Deliveries before a message moves to the dead-letter queue: retries + 1 (-1 = forever: the SQS maximum)."""
    if max_retries == -1:
        return SQS_MAX_RECEIVE_COUNT
    if max_retries == -2:
        return 1
    return _clamp(max_retries + 1, 1, SQS_MAX_RECEIVE_COUNT)


def redrive_policy(dead_letter_arn: str, count: int) -> dict[str, Any]:
    return {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": count}


def redrive_allow_policy(source_queue_arn: str) -> dict[str, Any]:
    return {"redrivePermission": "byQueue", "sourceQueueArns": [source_queue_arn]}


def queue_policy(queue_arn: str, topic_arn: str) -> dict[str, Any]:
    """Only the subscribed topic may send to the queue."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TopicDelivers",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }


# ---- buckets ----------------------------------------------------------------------------------------------------


def public_access_block(public: bool) -> PublicAccessBlockArgs:
    """Public buckets allow only a public *policy*; ACLs stay blocked (ownership is enforced anyway)."""
    return {
        "block_public_acls": True,
        "ignore_public_acls": True,
        "block_public_policy": not public,
        "restrict_public_buckets": not public,
    }


def bucket_policy(bucket_arn: str, *, public: bool) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    if public:
        statements.append(
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def log_bucket_policy(log_bucket_arn: str, account_id: str) -> dict[str, Any]:
    """Server access logging of this account's buckets writes through the logging service principal (no ACLs)."""
    doc = bucket_policy(log_bucket_arn, public=False)
    doc["Statement"].append(
        {
            "Sid": "AccessLogsDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{log_bucket_arn}/*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }
    )
    return doc


def versioning_status(*, declared: bool, sizing: Sizing) -> str | None:
    """Enabled when the app declares it, and always where data is protected (production); else left off."""
    return "Enabled" if declared or sizing.protect else None


def lifecycle_rules(
    *, declared_versioned: bool, sizing: Sizing, expire_days: int | None = None
) -> list[LifecycleRule]:
    rules: list[LifecycleRule] = [
        {
            "id": "abort-incomplete-uploads",
            "status": "Enabled",
            "filter": {},
            "abort_incomplete_multipart_upload": {"days_after_initiation": MULTIPART_ABORT_DAYS},
        }
    ]
    if sizing.protect and not declared_versioned:
        rules.append(
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": {},
                "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
            }
        )
    if expire_days is not None:
        rules.append({"id": "expire-logs", "status": "Enabled", "filter": {}, "expiration": {"days": expire_days}})
    return rules


def public_base_url(regional_domain: str) -> str:
    return f"https://{regional_domain}"


# ---- cache ------------------------------------------------------------------------------------------------------


def cache_args(identifier: str, sizing: Sizing) -> CacheArgs:
    """A cluster-mode-disabled replication group (the runtime's client is single-node)."""
    replicas = sizing.cache_replicas
    ha = sizing.high_availability and replicas >= 1
    args: CacheArgs = {
        "replication_group_id": identifier,
        "description": f"Encore cache {identifier}",
        "engine": "redis",
        "engine_version": REDIS_ENGINE_VERSION,
        "node_type": CACHE_NODE_TYPES[sizing.cache_size],
        "num_cache_clusters": 1 + replicas,
        "cluster_mode": "disabled",
        "port": REDIS_PORT,
        "automatic_failover_enabled": ha,
        "multi_az_enabled": ha,
        "at_rest_encryption_enabled": True,
        "transit_encryption_enabled": True,
        "transit_encryption_mode": "required",
        "auto_minor_version_upgrade": True,
        "snapshot_retention_limit": sizing.backup_retention_days,
        "apply_immediately": not sizing.protect,
    }
    if sizing.protect:
        args["final_snapshot_identifier"] = naming.make("aws.elasticache", identifier, "final")
    return args


def cache_family() -> str:
    return f"redis{REDIS_ENGINE_VERSION.split('.')[0]}"


def cache_parameters(eviction_policy: str) -> list[CacheParameter]:
    return [{"name": "maxmemory-policy", "value": eviction_policy or "allkeys-lru"}]


# ---- secrets ----------------------------------------------------------------------------------------------------


def secret_args(name: str, sizing: Sizing, description: str) -> SecretArgs:
    return {"name": name, "recovery_window_in_days": sizing.secret_recovery_days, "description": description}


# ---- identity ---------------------------------------------------------------------------------------------------

GET_SECRET = ("secretsmanager:GetSecretValue",)
ACCESS: dict[tuple[Kind, str], tuple[str, ...]] = {
    (Kind.SQL, "connect"): GET_SECRET,
    (Kind.CACHE, "use"): GET_SECRET,
    (Kind.SECRET, "read"): GET_SECRET,
    (Kind.TOPIC, "publish"): ("sns:Publish",),
    (Kind.SUBSCRIPTION, "consume"): (
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    ),
    (Kind.BUCKET, BucketOp.LIST_OBJECTS): ("s3:ListBucket",),
    (Kind.BUCKET, BucketOp.READ_OBJECT_CONTENTS): ("s3:GetObject",),
    (Kind.BUCKET, BucketOp.GET_OBJECT_METADATA): ("s3:GetObject",),
    (Kind.BUCKET, BucketOp.SIGNED_DOWNLOAD_URL): ("s3:GetObject",),
    (Kind.BUCKET, BucketOp.WRITE_OBJECT): ("s3:PutObject", "s3:AbortMultipartUpload"),
    (Kind.BUCKET, BucketOp.SIGNED_UPLOAD_URL): ("s3:PutObject", "s3:AbortMultipartUpload"),
    (Kind.BUCKET, BucketOp.UPDATE_OBJECT_METADATA): ("s3:GetObject", "s3:PutObject"),
    (Kind.BUCKET, BucketOp.DELETE_OBJECT): ("s3:DeleteObject",),
    (Kind.BUCKET, BucketOp.GET_PUBLIC_URL): (),
    (Kind.SERVICE, "call"): (),
}
"""(kind of the granted resource, grant verb) -> the exact IAM actions (security-baseline §4.2)."""
RUNTIME_CONFIG_ACTIONS = ("s3:GetObject",)
SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue",)
METRICS_ACTION = "cloudwatch:PutMetricData"


def metrics_namespace(app: str, env: str) -> str:
    """The CloudWatch namespace of one app's env (namespaces starting with `AWS/` are reserved)."""
    return f"Encore/{app}/{env}"


def metrics_statement(namespace: str) -> dict[str, Any]:
    """PutMetricData names no resource ARN; the `cloudwatch:namespace` condition key is what narrows it."""
    return {"Effect": "Allow", "Action": [METRICS_ACTION], "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": namespace}}}
"""What a TypeScript service's runtime needs to read its own config object (ENCORE_RUNTIME_CONFIG_PATH=s3://…)."""


def actions_for(kind: Kind, verb: str, key: str) -> tuple[str, ...]:
    try:
        return ACCESS[(kind, verb)]
    except KeyError:
        raise Unsupported(f"no AWS access mapping for {verb!r}", where=key) from None


def grant_target(targets: Mapping[str, Any], verb: str, key: str) -> Any:
    """What a Deployed.grants_target offers for `verb`: its own entry, else the "*" entry."""
    if verb in targets:
        return targets[verb]
    if "*" in targets:
        return targets["*"]
    raise Unsupported(f"the AWS handler offers nothing to bind {verb!r} to", where=key)


def assume_role_policy(principal: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}],
    }


@dataclass(frozen=True)
class Within:
    """A grant target narrowed by an IAM condition: a bucket its base env lends a shared preview env, listable only
    under the env's prefix."""

    arn: str
    condition: dict[str, Any]


def policy_document(needs: Iterable[tuple[Iterable[str], str | Within]],
                    statements: Iterable[dict[str, Any]] = ()) -> dict[str, Any] | None:
    """One statement per resource ARN (and condition) with the union of its actions, then `statements`; None when
    nothing is needed."""
    by_resource: dict[tuple[str, str], set[str]] = {}
    for actions, target in needs:
        acts = set(actions)
        if acts:
            key = (target.arn, json.dumps(target.condition, sort_keys=True)) if isinstance(target, Within) \
                else (target, "")
            by_resource.setdefault(key, set()).update(acts)
    listed = []
    for (arn, condition), acts in sorted(by_resource.items()):
        statement: dict[str, Any] = {"Effect": "Allow", "Action": sorted(acts), "Resource": arn}
        if condition:
            statement["Condition"] = json.loads(condition)
        listed.append(statement)
    listed += statements
    if not listed:
        return None
    return {"Version": "2012-10-17", "Statement": listed}

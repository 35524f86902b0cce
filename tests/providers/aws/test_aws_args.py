"""The pure argument builders of providers/aws/args.py (no Pulumi)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from awsgraph import env

from orchestrator.core.envs import PRESETS, EnvType
from orchestrator.core.errors import BadInput, Unsupported
from orchestrator.core.model import BucketOp, DeliveryGuarantee, Kind, RetryPolicy, Subscription, Topic
from providers.aws import args
from providers.aws.settings import Settings

PROD, PREVIEW = PRESETS[EnvType.PRODUCTION], PRESETS[EnvType.EPHEMERAL]


def _sub(ack: timedelta = timedelta(seconds=30), retention: timedelta = timedelta(days=7)) -> Subscription:
    retry = RetryPolicy(min_backoff=timedelta(seconds=1), max_backoff=timedelta(minutes=1), max_retries=3)
    return Subscription(topic="t", name="s", service="svc", ack_deadline=ack, message_retention=retention, retry=retry)


@pytest.mark.parametrize(("retries", "count"), [(-1, 1000), (-2, 1), (0, 1), (2, 3), (100, 101), (5000, 1000)])
def test_max_receive_count(retries: int, count: int) -> None:
    assert args.max_receive_count(retries) == count


def test_queue_clamps_to_sqs_limits() -> None:
    queue = args.queue_args("q", _sub(ack=timedelta(hours=20), retention=timedelta(days=30)), fifo=False)
    assert queue["visibility_timeout_seconds"] == 12 * 3600 and queue["message_retention_seconds"] == 14 * 86400
    queue = args.queue_args("q", _sub(ack=timedelta(milliseconds=10), retention=timedelta(seconds=1)), fifo=True)
    assert queue["visibility_timeout_seconds"] == 1 and queue["message_retention_seconds"] == 60
    assert queue["fifo_queue"] is True and queue["content_based_deduplication"] is False
    assert queue["sqs_managed_sse_enabled"] is True and queue["receive_wait_time_seconds"] == 20


def test_topics() -> None:
    plain = args.topic_args("t", Topic(name="t"))
    assert plain == {"name": "t", "kms_master_key_id": "alias/aws/sns"}
    fifo = args.topic_args("t.fifo", Topic(name="t", delivery_guarantee=DeliveryGuarantee.EXACTLY_ONCE))
    assert fifo["fifo_topic"] is True
    assert args.topic_args("t.fifo", Topic(name="t", ordering_key="k"))["fifo_topic"] is True


def test_queue_policy_admits_only_the_topic() -> None:
    (stmt,) = args.queue_policy("arn:q", "arn:t")["Statement"]
    assert stmt["Principal"] == {"Service": "sns.amazonaws.com"} and stmt["Action"] == "sqs:SendMessage"
    assert stmt["Resource"] == "arn:q" and stmt["Condition"] == {"ArnEquals": {"aws:SourceArn": "arn:t"}}


def test_public_access_and_bucket_policy() -> None:
    assert all(args.public_access_block(False).values())
    public = args.public_access_block(True)
    assert public["block_public_acls"] and public["ignore_public_acls"]
    assert not public["block_public_policy"] and not public["restrict_public_buckets"]
    private = args.bucket_policy("arn:aws:s3:::b", public=False)["Statement"]
    assert [s["Sid"] for s in private] == ["DenyInsecureTransport"]
    assert private[0]["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    read = args.bucket_policy("arn:aws:s3:::b", public=True)["Statement"][1]
    assert read["Action"] == "s3:GetObject" and read["Resource"] == "arn:aws:s3:::b/*"


def test_versioning_and_lifecycle() -> None:
    assert args.versioning_status(declared=True, sizing=PREVIEW) == "Enabled"
    assert args.versioning_status(declared=False, sizing=PREVIEW) is None
    assert args.versioning_status(declared=False, sizing=PROD) == "Enabled"
    ids = [r["id"] for r in args.lifecycle_rules(declared_versioned=False, sizing=PROD)]  # type: ignore[typeddict-item]
    assert ids == ["abort-incomplete-uploads", "expire-noncurrent-versions"]
    ids = [r["id"] for r in args.lifecycle_rules(declared_versioned=True, sizing=PROD, expire_days=90)]  # type: ignore[typeddict-item]
    assert ids == ["abort-incomplete-uploads", "expire-logs"]


def test_sql_cluster_by_env_type() -> None:
    aws = Settings()
    prod = args.sql_cluster_args("c", PROD, aws)
    assert prod["deletion_protection"] and not prod["skip_final_snapshot"] and prod["final_snapshot_identifier"]
    assert prod["backup_retention_period"] == 14 and prod["storage_encrypted"] and prod["enable_http_endpoint"]
    assert prod["iam_database_authentication_enabled"] and prod["manage_master_user_password"]
    preview = args.sql_cluster_args("c", PREVIEW, aws)
    assert not preview["deletion_protection"] and preview["skip_final_snapshot"]
    assert "final_snapshot_identifier" not in preview
    assert preview["serverlessv2_scaling_configuration"] == {"min_capacity": 0, "max_capacity": 1}
    provisioned = args.sql_cluster_args("c", PROD, Settings(sqlMode="provisioned"))
    assert "serverlessv2_scaling_configuration" not in provisioned
    provisioned_instance = args.sql_instance_args("c", 0, PROD, Settings(sqlMode="provisioned"))
    assert provisioned_instance["instance_class"] == "db.r6g.large"
    assert args.sql_instance_args("c", 1, PROD, aws)["instance_class"] == "db.serverless"
    assert {"name": "rds.force_ssl", "value": "1"} in args.sql_parameters()
    assert args.sql_family("16.4") == "aurora-postgresql16"


def test_cache_by_env_type() -> None:
    prod = args.cache_args("r", PROD)
    assert prod["num_cache_clusters"] == 2 and prod["multi_az_enabled"] and prod["automatic_failover_enabled"]
    assert prod["transit_encryption_enabled"] and prod["at_rest_encryption_enabled"]
    assert prod["cluster_mode"] == "disabled" and prod["final_snapshot_identifier"]
    preview = args.cache_args("r", PREVIEW)
    assert preview["num_cache_clusters"] == 1 and not preview["multi_az_enabled"]
    assert preview["node_type"] == "cache.t4g.micro" and "final_snapshot_identifier" not in preview
    assert args.cache_parameters("") == [{"name": "maxmemory-policy", "value": "allkeys-lru"}]
    assert args.cache_parameters("volatile-ttl") == [{"name": "maxmemory-policy", "value": "volatile-ttl"}]


def test_tags() -> None:
    assert args.default_tags("shop", env("production"), "2025-01-01") == {
        "app": "shop", "env": "aws-prod", "managed-by": "encore-orchestrator"
    }
    assert args.default_tags("shop", env("ephemeral"), "2025-01-01") == {
        "app": "shop", "env": "aws-preview", "managed-by": "encore-orchestrator", "pr": "1", "created-at": "2025-01-01",
        "ttl": "72h",
    }
    assert args.created_at({"ORCHESTRATOR_CREATED_AT": "2024-02-03"}) == "2024-02-03"
    assert args.created_at({}, now=datetime(2025, 5, 6, 23, 59, tzinfo=UTC)) == "2025-05-06"


def test_network_settings() -> None:
    assert args.existing_network(Settings(), "f") is None
    with pytest.raises(BadInput, match="vpcId"):
        args.existing_network(Settings(privateSubnetIds=("subnet-a",)), "f")
    with pytest.raises(BadInput, match="two subnets"):
        args.existing_network(Settings(vpcId="vpc-01234567", privateSubnetIds=("subnet-a",)), "f")
    assert args.zones(Settings(), ["eu-west-1c", "eu-west-1a"]) == ("eu-west-1a", "eu-west-1c")
    assert args.zones(Settings(availabilityZones=("x", "y", "z")), ["a", "b"]) == ("x", "y")
    with pytest.raises(BadInput):
        args.zones(Settings(), ["only-one"])


def test_access_mapping() -> None:
    assert args.actions_for(Kind.BUCKET, BucketOp.LIST_OBJECTS.value, "bucket:b") == ("s3:ListBucket",)
    assert args.actions_for(Kind.BUCKET, BucketOp.GET_PUBLIC_URL.value, "bucket:b") == ()
    assert args.actions_for(Kind.SERVICE, "call", "service:x") == ()
    with pytest.raises(Unsupported, match="no AWS access mapping"):
        args.actions_for(Kind.TOPIC, "consume", "topic:t")
    targets = {"list-objects": "arn:b", "*": "arn:b/*"}
    assert args.grant_target(targets, "list-objects", "k") == "arn:b"
    assert args.grant_target(targets, "write-object", "k") == "arn:b/*"
    with pytest.raises(Unsupported):
        args.grant_target({"publish": "arn:t"}, "consume", "k")


def test_policy_document_merges_per_resource() -> None:
    doc = args.policy_document([
        (("s3:GetObject",), "arn:b/*"), (("s3:PutObject", "s3:AbortMultipartUpload"), "arn:b/*"),
        (("s3:ListBucket",), "arn:b"), ((), "arn:unused"),
    ])
    assert doc == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "arn:b"},
        {"Effect": "Allow", "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
         "Resource": "arn:b/*"},
    ]}
    assert args.policy_document([((), "arn:x")]) is None

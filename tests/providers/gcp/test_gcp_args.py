"""The pure argument builders of providers/gcp/args.py and the GCP settings (no Pulumi)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from gcpgraph import FIXTURES, env

from orchestrator import stacks
from orchestrator.core import appmeta, naming
from orchestrator.core.envs import PRESETS, EnvType
from orchestrator.core.errors import BadInput, Unsupported
from orchestrator.core.model import BucketOp, DeliveryGuarantee, Kind, RetryPolicy, Subscription, Topic
from orchestrator.core.plan import build
from providers.gcp import args, settings

PROD, PREVIEW = PRESETS[EnvType.PRODUCTION], PRESETS[EnvType.EPHEMERAL]


def _sub(ack: timedelta = timedelta(seconds=30), retention: timedelta = timedelta(days=7),
         low: timedelta = timedelta(seconds=1), high: timedelta = timedelta(minutes=1), retries: int = 3
         ) -> Subscription:
    retry = RetryPolicy(min_backoff=low, max_backoff=high, max_retries=retries)
    return Subscription(topic="t", name="s", service="svc", ack_deadline=ack, message_retention=retention, retry=retry)


@pytest.mark.parametrize(("retries", "attempts"),
                         [(-1, 100), (-2, 5), (0, 5), (3, 5), (4, 5), (5, 6), (99, 100), (100, 100), (5000, 100)])
def test_max_delivery_attempts_is_clamped_to_pubsub_limits(retries: int, attempts: int) -> None:
    """The parser's default of 100 retries would be 101 attempts; Pub/Sub takes 5..100."""
    assert args.max_delivery_attempts(retries) == attempts


def test_subscription_clamps_to_pubsub_limits() -> None:
    sub = args.subscription_args("s", _sub(ack=timedelta(hours=1), retention=timedelta(days=30),
                                           low=timedelta(minutes=20), high=timedelta(hours=1)), Topic(name="t"))
    assert sub["ack_deadline_seconds"] == 600 and sub["message_retention_duration"] == "604800s"
    assert sub["retry_policy"] == {"minimum_backoff": "600s", "maximum_backoff": "600s"}
    sub = args.subscription_args("s", _sub(ack=timedelta(milliseconds=10), retention=timedelta(seconds=1),
                                           low=timedelta(0), high=timedelta(milliseconds=1)), Topic(name="t"))
    assert sub["ack_deadline_seconds"] == 10 and sub["message_retention_duration"] == "600s"
    assert sub["retry_policy"] == {"minimum_backoff": "0s", "maximum_backoff": "1s"}
    assert sub["expiration_policy"] == {"ttl": ""}
    assert "enable_exactly_once_delivery" not in sub and "enable_message_ordering" not in sub


def test_subscription_backoff_never_inverted() -> None:
    sub = args.subscription_args("s", _sub(low=timedelta(seconds=30), high=timedelta(seconds=5)), Topic(name="t"))
    assert sub["retry_policy"] == {"minimum_backoff": "30s", "maximum_backoff": "30s"}


def test_exactly_once_and_ordering() -> None:
    once = Topic(name="t", delivery_guarantee=DeliveryGuarantee.EXACTLY_ONCE)
    assert args.subscription_args("s", _sub(), once)["enable_exactly_once_delivery"] is True
    ordered = Topic(name="t", ordering_key="customer")
    sub = args.subscription_args("s", _sub(), ordered)
    assert sub["enable_message_ordering"] is True and "enable_exactly_once_delivery" not in sub


def test_dead_letter_sink_keeps_messages_as_long_as_pubsub_can() -> None:
    sink = args.dead_letter_sink_args("d")
    assert sink["message_retention_duration"] == "604800s" and sink["expiration_policy"] == {"ttl": ""}


def test_labels_follow_gcp_rules() -> None:
    prod = args.default_labels("Shop.App", env("production"), "2025-01-01")
    assert prod == {"app": "shop_app", "env": "gcp-prod", "managed-by": "encore-orchestrator"}
    preview = args.default_labels("shop", env("ephemeral"), "2025-01-01")
    assert preview["pr"] == "1" and preview["created-at"] == "2025-01-01" and preview["ttl"] == "72h"
    long = args.default_labels("x" * 100, env("production"), "")
    assert len(long["app"]) == 63
    for value in (*prod.values(), *preview.values(), *long.values()):
        assert naming.is_valid("gcp.label", value), value


def test_sql_settings() -> None:
    s = args.sql_settings(args.sql_tier(None, PROD), PROD, "net", {"app": "a"})
    assert s["tier"] == "db-custom-2-7680" and s["availability_type"] == "REGIONAL"
    assert s["ip_configuration"] == {"ipv4_enabled": False, "private_network": "net", "ssl_mode": "ENCRYPTED_ONLY"}
    assert s["backup_configuration"]["point_in_time_recovery_enabled"] is True
    assert s["backup_configuration"]["backup_retention_settings"] == {"retained_backups": 14}
    assert [f["name"] for f in s["database_flags"]] == list(args.SQL_LOG_FLAGS)
    assert s["user_labels"] == {"app": "a"} and s["deletion_protection_enabled"] is True
    p = args.sql_settings(args.sql_tier(None, PREVIEW), PREVIEW, "net", {})
    assert p["tier"] == "db-f1-micro" and p["availability_type"] == "ZONAL" and "database_flags" not in p
    assert p["deletion_protection_enabled"] is False
    assert args.sql_tier("db-custom-4-15360", PREVIEW) == "db-custom-4-15360"


def test_buckets() -> None:
    private = args.bucket_args("b", "europe-west1", PREVIEW, public=False, versioned=False)
    assert private["public_access_prevention"] == "enforced" and private["uniform_bucket_level_access"] is True
    assert private["versioning"] == {"enabled": False} and private["force_destroy"] is True
    assert private["location"] == "EUROPE-WEST1"
    public = args.bucket_args("b", "europe-west1", PROD, public=True, versioned=False)
    assert public["public_access_prevention"] == "inherited" and public["versioning"] == {"enabled": True}
    assert public["force_destroy"] is False
    assert [r["action"]["type"] for r in public["lifecycle_rules"]] == ["AbortIncompleteMultipartUpload", "Delete"]


def test_redis() -> None:
    r = args.redis_args("c", "europe-west1", PROD, "volatile-lru")
    assert r["tier"] == "STANDARD_HA" and r["memory_size_gb"] == 5 and r["auth_enabled"] is True
    assert r["transit_encryption_mode"] == "SERVER_AUTHENTICATION" and r["connect_mode"] == "PRIVATE_SERVICE_ACCESS"
    assert r["redis_configs"] == {"maxmemory-policy": "volatile-lru"} and r["deletion_protection"] is True
    p = args.redis_args("c", "europe-west1", PREVIEW, "")
    assert p["tier"] == "BASIC" and p["memory_size_gb"] == 1 and p["deletion_protection"] is False
    assert p["redis_configs"] == {"maxmemory-policy": "allkeys-lru"}


def test_roles_are_predefined_and_resource_level() -> None:
    for roles in args.ACCESS.values():
        for role in roles:
            assert role.startswith("roles/") and role not in ("roles/owner", "roles/editor", "roles/viewer")
            assert not role.endswith(("Admin", ".admin"))
    assert set(args.ACCESS) >= {(Kind.BUCKET, op) for op in BucketOp}
    with pytest.raises(Unsupported):
        args.roles_for(Kind.TOPIC, "consume", "topic:t")


def test_object_condition_names_one_object() -> None:
    cond = args.object_condition("bkt", "svc/runtime-config.pb")
    assert cond["expression"] == 'resource.name == "projects/_/buckets/bkt/objects/svc/runtime-config.pb"'


def test_settings_validate(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.x.yaml").write_text(
        "config:\n  gcp:project: p-123456\n  orchestrator:cloud: gcp\n  orchestrator:envType: development\n"
        "  orchestrator:gcp:\n    vpcId: nope\n")
    with pytest.raises(BadInput, match="vpcId"):
        stacks.load(tmp_path, "x")
    (tmp_path / "Pulumi.y.yaml").write_text(
        "config:\n  orchestrator:cloud: gcp\n  orchestrator:envType: development\n")
    with pytest.raises(BadInput, match="gcp:project"):
        stacks.load(tmp_path, "y")


def test_deploy_needs_the_gateway_url_and_a_network_for_a_subnetwork(tmp_path: Path) -> None:
    app = appmeta.load(FIXTURES / "replicate-image-generator" / "meta.pb")
    base = "config:\n  gcp:project: p-123456\n  orchestrator:cloud: gcp\n  orchestrator:envType: development\n"
    (tmp_path / "Pulumi.a.yaml").write_text(base)
    with pytest.raises(BadInput, match="gatewayBaseUrl"):
        settings.check_deploy(build(app, stacks.load(tmp_path, "a")))
    (tmp_path / "Pulumi.b.yaml").write_text(base + "  orchestrator:gcp:\n    gatewayBaseUrl: https://x.example\n"
                                            "    subnetwork: apps\n")
    with pytest.raises(BadInput, match="subnetwork needs"):
        settings.check_deploy(build(app, stacks.load(tmp_path, "b")))
    (tmp_path / "Pulumi.c.yaml").write_text(base + "  orchestrator:gcp:\n    gatewayBaseUrl: https://x.example\n")
    settings.check_deploy(build(app, stacks.load(tmp_path, "c")))
    no_gateway = app.model_copy(update={"gateways": ()})
    assert not any(True for _ in build(no_gateway, stacks.load(tmp_path, "a")).of_kind(Kind.GATEWAY))
    settings.check_deploy(build(no_gateway, stacks.load(tmp_path, "a")))

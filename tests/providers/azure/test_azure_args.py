"""The pure Azure argument builders and settings, without Pulumi: every safety switch and every mapping from the
metadata (Service Bus delivery count, lock, TTL, duplicate detection, the $Default filter; SQL and Redis SKUs)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orchestrator.core.envs import PRESETS, EnvType
from orchestrator.core.errors import BadInput, Unsupported
from orchestrator.core.model import DeliveryGuarantee, Kind, RetryPolicy, Subscription, Topic
from providers.azure import args
from providers.azure.settings import Settings

PROD, PREVIEW = PRESETS[EnvType.PRODUCTION], PRESETS[EnvType.EPHEMERAL]
VNET = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v"


def _sub(ack: timedelta = timedelta(seconds=30), retention: timedelta = timedelta(days=7), retries: int = 5
         ) -> Subscription:
    retry = RetryPolicy(min_backoff=timedelta(seconds=10), max_backoff=timedelta(minutes=10), max_retries=retries)
    return Subscription(topic="orders", name="ship", service="api", ack_deadline=ack, message_retention=retention,
                        retry=retry)


@pytest.mark.parametrize(("retries", "count"), [(0, 1), (5, 6), (-1, 2000), (-2, 1), (5000, 2000)])
def test_max_delivery_count_from_max_retries(retries, count):
    assert args.subscription_args("s", _sub(retries=retries))["max_delivery_count"] == count


@pytest.mark.parametrize(("ack", "lock"), [(timedelta(seconds=30), "PT30S"), (timedelta(minutes=10), "PT300S"),
                                           (timedelta(seconds=1), "PT5S"), (timedelta(seconds=90.2), "PT91S")])
def test_lock_duration_from_the_ack_deadline_capped_at_five_minutes(ack, lock):
    assert args.subscription_args("s", _sub(ack=ack))["lock_duration"] == lock


@pytest.mark.parametrize(("retention", "ttl"), [(timedelta(days=7), "PT604800S"), (timedelta(days=30), "PT1209600S"),
                                                (timedelta(0), "PT1209600S")])
def test_ttl_from_retention_within_the_standard_tier(retention, ttl):
    sub = args.subscription_args("s", _sub(retention=retention))
    assert sub["default_message_time_to_live"] == ttl
    assert sub["dead_lettering_on_message_expiration"] is True


def test_topics_never_detect_duplicates():
    for guarantee in DeliveryGuarantee:
        topic = Topic(name="t", delivery_guarantee=guarantee)
        assert args.topic_args("t", topic)["requires_duplicate_detection"] is False


def test_default_rule_filter_names_the_subscription_itself():
    assert args.target_filter("app-env-orders-ship") == {
        "sql_expression": "[encore-target-sub] IS NULL OR [encore-target-sub] = 'app-env-orders-ship'"}
    assert args.target_filter("it's")["sql_expression"].endswith("= 'it''s'")


def test_sql_server_production_vs_preview():
    prod = args.sql_server_args("srv", PROD, Settings())
    assert prod["high_availability"] == {"mode": "ZoneRedundant"}
    assert prod["backup"]["geo_redundant_backup"] == "Enabled"
    assert prod["sku"]["tier"] == "GeneralPurpose"
    assert prod["auth_config"] == {"active_directory_auth": "Enabled", "password_auth": "Enabled"}
    preview = args.sql_server_args("srv", PREVIEW, Settings())
    assert preview["high_availability"] == {"mode": "Disabled"}
    assert preview["backup"]["geo_redundant_backup"] == "Disabled"
    assert preview["sku"] == {"name": "Standard_B1ms", "tier": "Burstable"}
    assert args.sql_server_args("srv", PREVIEW, Settings(sqlSku="Standard_B2s"))["sku"]["name"] == "Standard_B2s"
    assert args.sql_configurations() == {"require_secure_transport": "on", "ssl_min_protocol_version": "TLSv1.2"}


def test_vault_purge_protection_only_in_production():
    assert args.vault_properties("t", PROD)["enable_purge_protection"] is True
    preview = args.vault_properties("t", PREVIEW)
    assert "enable_purge_protection" not in preview
    assert preview["enable_rbac_authorization"] is True and preview["soft_delete_retention_in_days"] == 7


def test_namespace_local_auth_off_and_premium_is_private():
    standard = args.namespace_args("ns", PROD, Settings())
    assert standard["disable_local_auth"] is True and standard["minimum_tls_version"] == "1.2"
    assert standard["public_network_access"] == "Enabled" and args.namespace_sku(Settings()) == ("Standard", None)
    premium = Settings(serviceBusSku="Premium")
    assert args.namespace_args("ns", PROD, premium)["public_network_access"] == "Disabled"
    assert args.namespace_sku(premium) == ("Premium", 1)


def test_managed_redis_is_tls_only_non_clustered_with_the_metadata_eviction_policy():
    db = args.redis_database_args("volatile-ttl")
    assert db["client_protocol"] == "Encrypted" and db["clustering_policy"] == "NoCluster"
    assert db["eviction_policy"] == "VolatileTTL" and args.redis_database_args("")["eviction_policy"] == "AllKeysLRU"
    cluster = args.redis_cluster_args("c", PROD)
    assert cluster["minimum_tls_version"] == "1.2" and cluster["public_network_access"] == "Disabled"
    assert cluster["high_availability"] == "Enabled"
    assert args.redis_cluster_args("c", PREVIEW) | {} == {**cluster, "sku": {"name": "Balanced_B0"},
                                                          "high_availability": "Disabled"}


def test_roles_per_grant_and_unknown_verbs_refused():
    assert args.roles_for(Kind.SUBSCRIPTION, "consume", "k") == (
        ("consume", args.SERVICE_BUS_RECEIVER), ("retry", args.SERVICE_BUS_SENDER))
    assert args.roles_for(Kind.TOPIC, "publish", "k") == (("publish", args.SERVICE_BUS_SENDER),)
    assert args.roles_for(Kind.SERVICE, "call", "k") == ()
    with pytest.raises(Unsupported, match="'write'"):
        args.roles_for(Kind.TOPIC, "write", "topic:x")
    with pytest.raises(Unsupported):
        args.grant_scope({"publish": "id"}, "consume", "topic:x")
    assert args.role_definition_id("sub", "g") == "/subscriptions/sub/providers/Microsoft.Authorization/" \
                                                  "roleDefinitions/g"


def test_preview_tags():
    from azgraph import STACKS

    from orchestrator import stacks

    env = stacks.load(STACKS, "azure-preview")
    assert args.default_tags("app", env, "2025-01-01") == {
        "app": "app", "env": "azure-preview", "managed-by": "encore-orchestrator", "pr": "1",
        "created-at": "2025-01-01", "ttl": "72h"}


def test_existing_network_needs_every_id():
    assert Settings().existing_network("w") is False
    full = Settings(virtualNetworkId=VNET, sqlSubnetId=VNET + "/subnets/a", endpointSubnetId=VNET + "/subnets/b",
                    jobsSubnetId=VNET + "/subnets/c")
    assert full.existing_network("w") is True
    with pytest.raises(BadInput, match="all of virtualNetworkId"):
        Settings(virtualNetworkId=VNET).existing_network("Pulumi.x.yaml")


def test_location_is_required() -> None:
    from providers.azure.settings import region

    assert region({"azure-native:location": "westeurope"}, "w") == "westeurope"
    with pytest.raises(BadInput, match="azure-native:location is required"):
        region({}, "Pulumi.x.yaml")


def test_a_deploy_with_a_gateway_needs_its_base_url() -> None:
    from azgraph import fixture_plan

    from providers.azure.settings import check_deploy

    plan = fixture_plan("booking-system", "production")
    check_deploy(plan)
    no_url = plan.model_copy(update={"env": plan.env.model_copy(update={"settings": Settings()})})
    with pytest.raises(BadInput, match="gatewayBaseUrl is empty"):
        check_deploy(no_url)

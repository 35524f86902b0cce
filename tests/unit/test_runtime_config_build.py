"""runtime_config.build: Plan + Provisioned -> RuntimeConfig, checked after a round trip through our schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import rc_fixtures as fx

from orchestrator.core.errors import BadInput, OrchestratorError, PolicyViolation
from runtime_config.build import build, rid
from runtime_config.infra import AppSecret, CacheRecord, SecretRef
from runtime_config.infra_json import build_infra_json
from runtime_config.schema import infra_pb2, runtime_pb2

Environment = runtime_pb2.Environment
PRIMARY = infra_pb2.SERVER_KIND_PRIMARY


def parsed(plan, record, **kwargs) -> runtime_pb2.RuntimeConfig:
    """Build, serialise and parse back with our schema: every assertion reads the wire form."""
    data = build(plan, record, **kwargs).SerializeToString(deterministic=True)
    return runtime_pb2.RuntimeConfig.FromString(data)


@pytest.fixture(scope="module")
def aws_plan():
    return fx.shop_plan("aws")


@pytest.fixture(scope="module")
def aws_cfg(aws_plan):
    return parsed(aws_plan, fx.provisioned(aws_plan))


def test_environment(aws_cfg):
    env = aws_cfg.environment
    assert (env.app_slug, env.env_name) == ("shop", "dev")
    assert env.env_type == Environment.TYPE_PRODUCTION
    assert env.cloud == Environment.CLOUD_AWS


@pytest.mark.parametrize(("cloud", "env_type", "cloud_enum"), [
    ("local", Environment.TYPE_DEVELOPMENT, Environment.CLOUD_LOCAL),
    ("gcp", Environment.TYPE_EPHEMERAL, Environment.CLOUD_GCP),
])
def test_environment_enums(cloud, env_type, cloud_enum):
    plan = fx.shop_plan(cloud)
    env = parsed(plan, fx.provisioned(plan)).environment
    assert (env.env_type, env.cloud) == (env_type, cloud_enum)


def test_deployment_hosts_every_service_and_gateway(aws_cfg):
    dep = aws_cfg.deployment
    assert [s.name for s in dep.hosted_services] == ["api", "billing", "mailer", "orders"]
    assert not dep.hosted_services[0].HasField("worker_threads")
    gateway_rids = [g.rid for g in aws_cfg.infra.resources.gateways]
    assert list(dep.hosted_gateways) == gateway_rids and len(gateway_rids) == 2
    assert dict(dep.service_discovery.services) == {}
    assert dep.graceful_shutdown.total.seconds == 10


def test_service_auth_uses_encore_auth_with_every_key(aws_cfg):
    (auth,) = aws_cfg.deployment.auth_methods
    assert auth.WhichOneof("auth_method") == "encore_auth"
    keys = auth.encore_auth.auth_keys
    assert [(k.id, k.data.WhichOneof("source"), k.data.env) for k in keys] == [
        (2, "env", "SVC_KEY_2"), (1, "env", "SVC_KEY_1")]


def test_service_auth_is_noop_without_keys(aws_plan):
    cfg = parsed(aws_plan, fx.provisioned(aws_plan, service_auth_keys=()))
    (auth,) = cfg.deployment.auth_methods
    assert auth.WhichOneof("auth_method") == "noop"


def test_sql_round_trip(aws_cfg, aws_plan):
    (cluster,) = aws_cfg.infra.resources.sql_clusters
    (server,) = cluster.servers
    assert server.kind == PRIMARY
    assert server.host == "shop.cluster-abc.eu-west-1.rds.amazonaws.com:5432"
    assert server.HasField("tls_config") and server.tls_config.HasField("server_ca_cert")
    assert server.tls_config.server_ca_cert == fx.CA_PEM
    roles = {r.rid: r for r in aws_cfg.infra.credentials.sql_roles}
    assert [d.encore_name for d in cluster.databases] == ["billing", "orders"]
    for db in cluster.databases:
        names = aws_plan.get(f"sql:{db.encore_name}").names
        assert db.cloud_name == names["database"]
        (pool,) = db.conn_pools
        assert not pool.is_readonly and pool.max_connections == 20 and pool.min_connections == 0
        role = roles[pool.role_rid]
        assert role.username == names["role"]
        assert role.password.WhichOneof("source") == "env"
        assert role.password.env == names["password_env"]
        assert not role.HasField("client_cert_rid")


def test_sql_without_tls_has_no_tls_config():
    plan = fx.shop_plan("local")
    (server,) = parsed(plan, fx.provisioned(plan)).infra.resources.sql_clusters[0].servers
    assert not server.HasField("tls_config")


def test_redis_auth_string_over_tls(aws_cfg):
    (cluster,) = aws_cfg.infra.resources.redis_clusters
    assert not cluster.in_memory
    (server,) = cluster.servers
    assert server.kind == PRIMARY and server.HasField("tls_config")
    assert not server.tls_config.HasField("server_ca_cert")
    (db,) = cluster.databases
    assert (db.encore_name, db.database_idx, db.key_prefix) == ("sessions", 0, "sessions/")
    (pool,) = db.conn_pools
    (role,) = [r for r in aws_cfg.infra.credentials.redis_roles if r.rid == pool.role_rid]
    assert role.WhichOneof("auth") == "auth_string"
    assert role.auth_string.env == "CACHE_SESSIONS_AUTH"


def test_redis_acl():
    plan = fx.shop_plan("gcp")
    (role,) = parsed(plan, fx.provisioned(plan)).infra.credentials.redis_roles
    assert role.WhichOneof("auth") == "acl"
    assert role.acl.username == "default" and role.acl.password.env == "CACHE_SESSIONS_AUTH"


def test_redis_without_auth_has_a_role_without_auth():
    plan = fx.shop_plan("local")
    record = fx.provisioned(plan, caches=(CacheRecord(encore_name="sessions", host="127.0.0.1:56379"),))
    cfg = parsed(plan, record)
    (role,) = cfg.infra.credentials.redis_roles
    assert role.WhichOneof("auth") is None
    (db,) = cfg.infra.resources.redis_clusters[0].databases
    assert db.conn_pools[0].role_rid == role.rid and not db.HasField("key_prefix")


def test_redis_in_memory():
    plan = fx.shop_plan("local")
    cfg = parsed(plan, fx.provisioned(plan, caches=(CacheRecord(encore_name="sessions", in_memory=True),)))
    (cluster,) = cfg.infra.resources.redis_clusters
    assert cluster.in_memory and not cluster.servers
    assert not cfg.infra.credentials.redis_roles


def test_pubsub_aws(aws_cfg, aws_plan):
    (cluster,) = aws_cfg.infra.resources.pubsub_clusters
    assert cluster.WhichOneof("provider") == "aws"
    (topic,) = cluster.topics
    assert topic.encore_name == "order-created"
    physical = aws_plan.get("topic:order-created").names["topic"]
    assert topic.cloud_name == f"arn:aws:sns:eu-west-1:{fx.ACCOUNT}:{physical}"
    assert topic.delivery_guarantee == infra_pb2.PubSubTopic.DELIVERY_GUARANTEE_AT_LEAST_ONCE == 1
    assert not topic.HasField("ordering_attr")
    assert topic.WhichOneof("provider_config") is None
    subs = {s.subscription_encore_name: s for s in cluster.subscriptions}
    assert sorted(subs) == ["bill", "send-email"]
    for name, sub in subs.items():
        assert sub.topic_encore_name == "order-created" and sub.topic_cloud_name == topic.cloud_name
        queue = aws_plan.get(f"subscription:order-created/{name}").names["subscription"]
        assert sub.subscription_cloud_name == f"https://sqs.eu-west-1.amazonaws.com/{fx.ACCOUNT}/{queue}"
        assert not sub.push_only and sub.WhichOneof("provider_config") is None


def test_pubsub_exactly_once_and_ordered_topic():
    plan = fx.shop_plan("aws", fifo_topic=True)
    (cluster,) = parsed(plan, fx.provisioned(plan)).infra.resources.pubsub_clusters
    topics = {t.encore_name: t for t in cluster.topics}
    audit = topics["audit"]
    assert audit.delivery_guarantee == infra_pb2.PubSubTopic.DELIVERY_GUARANTEE_EXACTLY_ONCE == 2
    assert audit.HasField("ordering_attr") and audit.ordering_attr == "tenant"
    assert audit.cloud_name.endswith(".fifo")


def test_pubsub_gcp_push_subscription():
    plan = fx.shop_plan("gcp")
    (cluster,) = parsed(plan, fx.provisioned(plan)).infra.resources.pubsub_clusters
    assert cluster.WhichOneof("provider") == "gcp"
    subs = {s.subscription_encore_name: s for s in cluster.subscriptions}
    bill, email = subs["bill"], subs["send-email"]
    assert bill.push_only and bill.gcp_config.HasField("push_service_account")
    assert bill.gcp_config.push_jwt_audience == "https://api.shop.example"
    assert not email.push_only and not email.gcp_config.HasField("push_service_account")
    assert bill.rid == rid("dev", "subscription", "order-created/bill")


def test_buckets_s3(aws_cfg, aws_plan):
    (cluster,) = aws_cfg.infra.resources.bucket_clusters
    assert cluster.WhichOneof("provider") == "s3"
    assert cluster.s3.region == "eu-west-1"
    assert not cluster.s3.HasField("endpoint") and not cluster.s3.HasField("secret_access_key")
    buckets = {b.encore_name: b for b in cluster.buckets}
    avatars, invoices = buckets["avatars"], buckets["invoices"]
    physical = aws_plan.get("bucket:avatars").names["bucket"]
    assert avatars.cloud_name == physical
    assert avatars.public_base_url == f"https://{physical}.s3.eu-west-1.amazonaws.com"
    assert not invoices.HasField("public_base_url") and not invoices.HasField("key_prefix")


def test_buckets_local_emulator_with_static_credentials():
    plan = fx.shop_plan("local")
    (cluster,) = parsed(plan, fx.provisioned(plan)).infra.resources.bucket_clusters
    assert cluster.s3.endpoint == "http://127.0.0.1:5000" and cluster.s3.access_key_id == "test"
    assert cluster.s3.secret_access_key.WhichOneof("source") == "embedded"


def test_buckets_gcs():
    plan = fx.shop_plan("gcp")
    (cluster,) = parsed(plan, fx.provisioned(plan)).infra.resources.bucket_clusters
    assert cluster.WhichOneof("provider") == "gcs"
    assert not cluster.gcs.anonymous and not cluster.gcs.HasField("endpoint")


def test_app_secrets_from_env(aws_cfg, aws_plan):
    secrets = {s.encore_name: s for s in aws_cfg.infra.resources.app_secrets}
    assert sorted(secrets) == ["SlackHook", "StripeKey"]
    assert secrets["StripeKey"].data.env == aws_plan.get("secret:StripeKey").names["env"]
    assert not aws_cfg.infra.resources.secret_providers


def test_app_secrets_from_gcp_secret_manager():
    plan = fx.shop_plan("gcp")
    res = parsed(plan, fx.provisioned(plan)).infra.resources
    (provider,) = res.secret_providers
    assert provider.WhichOneof("provider") == "gcp_sm" and provider.gcp_sm.project_id == "shop-proj"
    for secret in res.app_secrets:
        assert secret.data.WhichOneof("source") == "provider"
        assert secret.data.provider.provider_rid == provider.rid
        assert secret.data.provider.id == plan.get(f"secret:{secret.encore_name}").names["secret"]
        assert secret.data.provider.version == ""


def test_json_key_is_kept(aws_plan):
    record = fx.provisioned(aws_plan, secrets=(
        AppSecret(encore_name="StripeKey", ref=SecretRef(env="ALL_SECRETS", json_key="StripeKey")),))
    (secret,) = parsed(aws_plan, record).infra.resources.app_secrets
    assert secret.data.WhichOneof("sub_path") == "json_key" and secret.data.json_key == "StripeKey"


def test_secret_without_record_is_left_out(aws_plan):
    record = fx.provisioned(aws_plan, secrets=())
    assert not parsed(aws_plan, record).infra.resources.app_secrets


def test_gateways(aws_cfg):
    gateways = aws_cfg.infra.resources.gateways
    assert [(g.encore_name, g.base_url) for g in gateways] == [
        ("api-gateway", "https://api.shop.example"), ("admin", "https://admin.shop.example")]
    for g in gateways:
        assert g.HasField("cors") and g.cors.allow_private_network_access
        assert g.cors.WhichOneof("allowed_origins_with_credentials") is None


def test_gateway_without_record_has_empty_base_url():
    plan = fx.shop_plan("local")
    gateways = {g.encore_name: g for g in parsed(plan, fx.provisioned(plan)).infra.resources.gateways}
    assert gateways["admin"].base_url == "" and gateways["admin"].HasField("cors")


def test_metrics_name_the_services_that_write_them(aws_cfg):
    assert [(m.encore_name, list(m.services)) for m in aws_cfg.deployment.metrics] == [
        ("orders_placed", ["orders"]), ("requests_total", ["api", "orders"])]


def test_deploy_id_and_time(aws_plan):
    when = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    record = fx.provisioned(aws_plan).model_copy(update={"deploy_id": "roll_1"})
    dep = parsed(aws_plan, record, deployed_at=when).deployment
    assert dep.deploy_id == "roll_1"
    assert dep.deployed_at.seconds == int(when.timestamp())


def test_without_deploy_time_the_timestamp_is_unset(aws_cfg):
    assert not aws_cfg.deployment.HasField("deployed_at")


def test_rids_are_unique_and_prefixed(aws_cfg):
    rids = fx.rids(aws_cfg)
    assert len(rids) == len(set(rids)) > 20
    assert all(r.startswith("res_") and len(r) == 24 for r in rids)


def test_output_is_deterministic(aws_plan):
    one = build(aws_plan, fx.provisioned(aws_plan)).SerializeToString(deterministic=True)
    two = build(fx.shop_plan("aws"), fx.provisioned(aws_plan)).SerializeToString(deterministic=True)
    assert one == two


def test_identical_duplicate_records_collapse(aws_plan, aws_cfg):
    record = fx.provisioned(aws_plan)
    record = record.model_copy(update={"sql_servers": record.sql_servers * 2, "caches": record.caches * 2})
    assert parsed(aws_plan, record) == aws_cfg


def test_conflicting_duplicate_records_are_refused(aws_plan):
    record = fx.provisioned(aws_plan)
    other = record.sql_servers[0].model_copy(update={"host": "elsewhere:5432"})
    record = record.model_copy(update={"sql_servers": (*record.sql_servers, other)})
    with pytest.raises(OrchestratorError, match="two different sql server records for 'default'"):
        build(aws_plan, record)


# --- processes that host a subset of the services ----------------------------------------------


def test_subscriber_only_process_is_trimmed(aws_plan):
    cfg = parsed(aws_plan, fx.provisioned(aws_plan), hosted_services=["mailer"])
    res = cfg.infra.resources
    assert [s.name for s in cfg.deployment.hosted_services] == ["mailer"]
    (cluster,) = res.pubsub_clusters
    assert [t.encore_name for t in cluster.topics] == ["order-created"]
    assert [s.subscription_encore_name for s in cluster.subscriptions] == ["send-email"]
    assert not res.sql_clusters and not res.redis_clusters and not res.bucket_clusters
    assert [s.encore_name for s in res.app_secrets] == ["SlackHook"]
    assert not cfg.deployment.metrics
    assert sorted(cfg.deployment.service_discovery.services) == ["api", "billing", "orders"]
    location = cfg.deployment.service_discovery.services["orders"]
    assert location.base_url == "http://orders.shop.internal:8080"
    assert location.auth_methods[0].WhichOneof("auth_method") == "encore_auth"


def test_publisher_gets_its_topic_without_foreign_subscriptions(aws_plan):
    res = parsed(aws_plan, fx.provisioned(aws_plan), hosted_services=["orders"]).infra.resources
    (cluster,) = res.pubsub_clusters
    assert [t.encore_name for t in cluster.topics] == ["order-created"] and not cluster.subscriptions
    assert [d.encore_name for d in res.sql_clusters[0].databases] == ["orders"]
    assert [b.encore_name for b in res.bucket_clusters[0].buckets] == ["invoices"]
    assert [s.encore_name for s in res.app_secrets] == ["StripeKey"]


def test_gateway_process_keeps_push_subscriptions():
    plan = fx.shop_plan("gcp")
    res = parsed(plan, fx.provisioned(plan), hosted_services=[]).infra.resources
    (cluster,) = res.pubsub_clusters
    assert [s.subscription_encore_name for s in cluster.subscriptions] == ["bill"]
    assert [t.encore_name for t in cluster.topics] == ["order-created"]


def test_unknown_hosted_service_is_refused(aws_plan):
    with pytest.raises(BadInput, match="unknown service"):
        build(aws_plan, fx.provisioned(aws_plan), hosted_services=["nope"])


def test_missing_discovery_url_is_refused(aws_plan):
    record = fx.provisioned(aws_plan, service_discovery={"api": "http://api:8080"})
    with pytest.raises(OrchestratorError, match="billing, orders"):
        build(aws_plan, record, hosted_services=["mailer"])


def test_record_for_another_env_is_refused(aws_plan):
    with pytest.raises(OrchestratorError, match="aws/prod"):
        build(aws_plan, fx.provisioned(aws_plan, env="prod"))


def test_planned_database_without_record_is_refused(aws_plan):
    record = fx.provisioned(aws_plan)
    record = record.model_copy(update={"sql_databases": record.sql_databases[:1]})
    with pytest.raises(OrchestratorError, match="sql:orders"):
        build(aws_plan, record)


# --- secrets: embedded only for local --------------------------------------------------------------


def test_canary_local_values_are_embedded():
    plan = fx.shop_plan("local")
    record = fx.provisioned(plan)
    cfg = build(plan, record)
    assert fx.CANARY.encode() in cfg.SerializeToString()
    assert set(fx.secret_sources(cfg)) == {"embedded"}
    assert fx.CANARY in json.dumps(build_infra_json(plan, record))


def test_canary_no_value_outside_local(aws_plan):
    cfg = build(aws_plan, fx.provisioned(aws_plan))
    assert "embedded" not in fx.secret_sources(cfg)
    assert len(fx.secret_sources(cfg)) >= 6
    doc = build_infra_json(aws_plan, fx.provisioned(aws_plan))
    assert fx.CANARY not in json.dumps(doc)


@pytest.mark.parametrize("builder", [build, build_infra_json])
def test_canary_planted_outside_local_is_refused(aws_plan, builder):
    # model_copy skips Provisioned's own validation, as a buggy target could.
    record = fx.provisioned(aws_plan, secrets=(AppSecret(encore_name="StripeKey", ref=SecretRef(value=fx.CANARY)),))
    with pytest.raises(PolicyViolation, match="secret:StripeKey") as err:
        builder(aws_plan, record)
    assert fx.CANARY not in str(err.value)

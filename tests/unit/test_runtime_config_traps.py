"""One test per config-generation trap of runtime-expectations.md §11, named after its number."""

from __future__ import annotations

import base64
import json

import pytest
import rc_fixtures as fx

from orchestrator.core.errors import BadInput, OrchestratorError, Unsupported
from orchestrator.core.model import Language
from runtime_config.build import build, rid
from runtime_config.encode import INLINE_VAR, PATH_VAR
from runtime_config.infra import (
    AppSecret,
    AuthKey,
    BucketRecord,
    CacheRecord,
    ObjectStorage,
    PubSub,
    PubSubSubscription,
    PubSubTopic,
    SecretRef,
    SqlServer,
)
from runtime_config.infra_json import build_infra_json
from runtime_config.schema import infra_pb2, runtime_pb2
from runtime_config.write import INFRA_CONFIG_FILE, RUNTIME_CONFIG_FILE, write_outputs


def parsed(plan, record, **kwargs) -> runtime_pb2.RuntimeConfig:
    return runtime_pb2.RuntimeConfig.FromString(build(plan, record, **kwargs).SerializeToString())


def test_trap01_go_apps_get_only_the_json_infra_config(tmp_path):
    plan = fx.shop_plan("aws", Language.GO)
    written = write_outputs(plan, fx.provisioned(plan), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [INFRA_CONFIG_FILE]
    assert written.env == {"ENCORE_INFRA_CONFIG_PATH": str(tmp_path / INFRA_CONFIG_FILE)}
    assert json.loads((tmp_path / INFRA_CONFIG_FILE).read_text())["metadata"]["app_id"] == "shop"


def test_trap01_typescript_apps_get_the_protobuf(tmp_path):
    plan = fx.shop_plan("aws")
    written = write_outputs(plan, fx.provisioned(plan), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [RUNTIME_CONFIG_FILE]
    assert set(written.env) == {INLINE_VAR}
    runtime_pb2.RuntimeConfig.FromString((tmp_path / RUNTIME_CONFIG_FILE).read_bytes())


@pytest.mark.parametrize("cloud", ["local", "aws", "gcp"])
def test_trap03_servers_are_primary_and_pools_writable(cloud):
    plan = fx.shop_plan(cloud)
    cfg = parsed(plan, fx.provisioned(plan))
    res, creds = cfg.infra.resources, cfg.infra.credentials
    sql_roles = {r.rid for r in creds.sql_roles}
    redis_roles = {r.rid for r in creds.redis_roles}
    for cluster in res.sql_clusters:
        assert [s.kind for s in cluster.servers] == [infra_pb2.SERVER_KIND_PRIMARY]
        for db in cluster.databases:
            assert [(p.is_readonly, p.role_rid in sql_roles) for p in db.conn_pools] == [(False, True)]
    assert res.redis_clusters
    for cluster in res.redis_clusters:
        assert [s.kind for s in cluster.servers] == [infra_pb2.SERVER_KIND_PRIMARY]
        for db in cluster.databases:
            assert [(p.is_readonly, p.role_rid in redis_roles) for p in db.conn_pools] == [(False, True)]


def test_trap04_azure_pubsub_is_refused():
    plan = fx.shop_plan("aws")
    record = fx.provisioned(plan)
    assert record.pubsub is not None
    ps = record.pubsub
    azure = ps.model_copy(update={
        "provider": "azure", "namespace": "ns",
        "topics": tuple(t.model_copy(update={"cloud_name": t.encore_name}) for t in ps.topics),
        "subscriptions": tuple(s.model_copy(update={"cloud_name": s.encore_name, "topic_cloud_name": s.topic})
                               for s in ps.subscriptions)})
    record = record.model_copy(update={"pubsub": azure})
    with pytest.raises(Unsupported, match="Azure"):
        build(plan, record)
    with pytest.raises(Unsupported, match="Azure"):
        build_infra_json(plan, record)


def test_trap05_gcp_config_and_short_ids_everywhere():
    plan = fx.shop_plan("gcp")
    (cluster,) = parsed(plan, fx.provisioned(plan)).infra.resources.pubsub_clusters
    for topic in cluster.topics:
        assert topic.WhichOneof("provider_config") == "gcp_config" and topic.gcp_config.project_id == "shop-proj"
        assert not topic.cloud_name.startswith("projects/")
    assert cluster.subscriptions
    for sub in cluster.subscriptions:
        assert sub.WhichOneof("provider_config") == "gcp_config" and sub.gcp_config.project_id == "shop-proj"
        assert "/" not in sub.subscription_cloud_name and "/" not in sub.topic_cloud_name


def test_trap05_project_comes_from_the_path_or_the_record():
    plan = fx.shop_plan("gcp")
    record = fx.provisioned(plan)
    assert record.pubsub is not None
    topic = PubSubTopic(encore_name="order-created", cloud_name="projects/other/topics/t1")
    sub = record.pubsub.subscriptions[0].model_copy(update={"project_id": "subs-proj"})
    record = record.model_copy(update={"pubsub": PubSub(provider="gcp", topics=(topic,), subscriptions=(sub,))})
    cluster = parsed(plan, record, hosted_services=["billing"]).infra.resources.pubsub_clusters[0]
    assert (cluster.topics[0].cloud_name, cluster.topics[0].gcp_config.project_id) == ("t1", "other")
    assert cluster.subscriptions[0].gcp_config.project_id == "subs-proj"


def test_trap05_missing_project_is_refused():
    plan = fx.shop_plan("gcp")
    record = fx.provisioned(plan)
    no_project = plan.model_copy(update={"env": plan.env.model_copy(update={"project": None})})
    assert record.pubsub is not None
    topics = tuple(t.model_copy(update={"cloud_name": t.cloud_name.rsplit("/", 1)[-1]}) for t in record.pubsub.topics)
    record = record.model_copy(update={"pubsub": record.pubsub.model_copy(update={"topics": topics}),
                                       "secrets": ()})
    with pytest.raises(BadInput, match="no GCP project"):
        build(no_project, record)


def _with_pubsub(plan, **changes):
    record = fx.provisioned(plan)
    assert record.pubsub is not None
    return record.model_copy(update={"pubsub": record.pubsub.model_copy(update=changes)})


def test_trap06_aws_topic_must_be_an_sns_arn():
    plan = fx.shop_plan("aws")
    topic = PubSubTopic(encore_name="order-created", cloud_name="shop-dev-order-created")
    with pytest.raises(OrchestratorError, match="not an SNS topic ARN"):
        build(plan, _with_pubsub(plan, topics=(topic,)))


def test_trap06_aws_subscription_must_be_a_queue_url():
    plan = fx.shop_plan("aws")
    subs = tuple(s.model_copy(update={"cloud_name": "arn:aws:sqs:eu-west-1:123456789012:q"})
                 for s in fx.provisioned(plan).pubsub.subscriptions)  # type: ignore[union-attr]
    with pytest.raises(OrchestratorError, match="not an SQS queue URL"):
        build(plan, _with_pubsub(plan, subscriptions=subs))


def test_trap06_ordered_topics_need_fifo():
    plan = fx.shop_plan("aws", fifo_topic=True)
    record = fx.provisioned(plan)
    topics = tuple(t.model_copy(update={"cloud_name": t.cloud_name.removesuffix(".fifo")})
                   for t in record.pubsub.topics)  # type: ignore[union-attr]
    with pytest.raises(OrchestratorError, match="FIFO"):
        build(plan, _with_pubsub(plan, topics=topics))


def test_trap07_stale_topics_are_not_configured():
    plan = fx.shop_plan("aws")
    record = fx.provisioned(plan)
    assert record.pubsub is not None
    stale_topic = PubSubTopic(encore_name="old-topic", cloud_name=f"arn:aws:sns:eu-west-1:{fx.ACCOUNT}:old")
    stale_sub = PubSubSubscription(topic="old-topic", encore_name="old-sub", cloud_name="https://sqs/old",
                                   topic_cloud_name=stale_topic.cloud_name)
    record = _with_pubsub(plan, topics=(*record.pubsub.topics, stale_topic),
                          subscriptions=(*record.pubsub.subscriptions, stale_sub))
    (cluster,) = parsed(plan, record).infra.resources.pubsub_clusters
    assert [t.encore_name for t in cluster.topics] == ["order-created"]
    assert {s.topic_encore_name for s in cluster.subscriptions} == {"order-created"}
    assert "old-topic" not in json.dumps(build_infra_json(plan, record))


def test_trap07_planned_topic_without_record_is_refused():
    plan = fx.shop_plan("aws")
    with pytest.raises(OrchestratorError, match="topic:order-created"):
        build(plan, _with_pubsub(plan, topics=()))


def test_trap08_nsq_needs_hosts_and_valid_names():
    plan = fx.shop_plan("local")
    with pytest.raises(BadInput, match="nsqd host"):
        build(plan, _with_pubsub(plan, provider="nsq"))
    with pytest.raises(BadInput, match="not a valid NSQ"):
        build(plan, _with_pubsub(plan, provider="nsq", hosts=("127.0.0.1:4150",)))


def test_trap09_every_gateway_has_cors():
    plan = fx.shop_plan("aws")
    record = fx.provisioned(plan)
    gateways = parsed(plan, record).infra.resources.gateways
    assert len(gateways) == 2 and all(g.HasField("cors") for g in gateways)
    doc = build_infra_json(plan, record)
    assert doc["hosted_gateways"] == ["api-gateway", "admin"] and doc["cors"] == {}


def test_trap10_json_without_tls_says_disabled():
    plan = fx.shop_plan("local")
    doc = build_infra_json(plan, fx.provisioned(plan))
    assert doc["sql_servers"][0]["tls_config"] == {"disabled": True}
    assert doc["redis"]["sessions"]["tls_config"] == {"disabled": True}


def test_trap10_json_with_tls_keeps_the_settings():
    plan = fx.shop_plan("aws")
    doc = build_infra_json(plan, fx.provisioned(plan))
    assert doc["sql_servers"][0]["tls_config"] == {
        "ca": fx.CA_PEM, "disable_ca_validation": False, "disable_tls_hostname_verification": False}
    assert "disabled" not in doc["redis"]["sessions"]["tls_config"]


def test_trap10_go_json_without_tls_says_disabled():
    # The Go runtime honours `disabled` (runtimes/go/appruntime/exported/config/parse.go: `!TLSConfig.Disabled`).
    plan = fx.shop_plan("local", Language.GO)
    doc = build_infra_json(plan, fx.provisioned(plan, caches=(
        CacheRecord(encore_name="sessions", host="127.0.0.1:56379"),)))
    assert doc["sql_servers"][0]["tls_config"] == doc["redis"]["sessions"]["tls_config"] == {"disabled": True}


def test_trap11_json_required_keys_are_always_written():
    plan = fx.shop_plan("aws")
    doc = build_infra_json(plan, fx.provisioned(plan), hosted_services=["orders"])
    redis_free = build_infra_json(plan, fx.provisioned(plan), hosted_services=["api"])["redis"]["sessions"]
    assert {"host", "database_index", "in_memory"} <= redis_free.keys()
    assert redis_free["auth"] == {"type": "auth_string", "auth_string": {"$env": "CACHE_SESSIONS_AUTH"}}
    assert doc["sql_servers"][0]["databases"]
    assert doc["pubsub"][0]["topics"]["order-created"]["subscriptions"] == {}
    assert doc["object_storage"][0]["buckets"]
    assert all("base_url" in entry for entry in doc["service_discovery"].values())
    assert all({"type", "id", "key"} <= a.keys() for a in doc["auth"])


def test_trap11_redis_acl_has_both_sub_keys():
    plan = fx.shop_plan("gcp")
    record = fx.provisioned(plan, secrets=())
    auth = build_infra_json(plan, record, hosted_services=["api"])["redis"]["sessions"]["auth"]
    assert auth == {"type": "acl", "username": "default", "password": {"$env": "CACHE_SESSIONS_AUTH"}}


def test_trap12_json_secrets_are_a_plain_map():
    plan = fx.shop_plan("aws")
    secrets = build_infra_json(plan, fx.provisioned(plan))["secrets"]
    assert sorted(secrets) == ["SlackHook", "StripeKey"]
    assert "$env" not in secrets
    assert secrets["StripeKey"] == {"$env": plan.get("secret:StripeKey").names["env"]}


def test_trap12_sql_username_is_a_plain_string():
    plan = fx.shop_plan("aws")
    db = build_infra_json(plan, fx.provisioned(plan))["sql_servers"][0]["databases"]["orders"]
    assert db["username"] == plan.get("sql:orders").names["role"]


def _provider(name: str) -> SecretRef:
    return SecretRef(provider=name)


@pytest.mark.parametrize("where", ["sql", "cache", "s3", "auth"])
def test_trap13_provider_secrets_only_for_app_secrets(where):
    plan = fx.shop_plan("gcp")
    record = fx.provisioned(plan)
    if where == "sql":
        dbs = tuple(d.model_copy(update={"password": _provider("pw")}) for d in record.sql_databases)
        record = record.model_copy(update={"sql_databases": dbs})
    elif where == "cache":
        record = record.model_copy(update={"caches": (record.caches[0].model_copy(update={"auth": _provider("a")}),)})
    elif where == "s3":
        assert record.object_storage is not None
        storage = ObjectStorage(provider="s3", region="eu-west-1", access_key_id="AKIA",
                                secret_access_key=_provider("k"), buckets=record.object_storage.buckets)
        record = record.model_copy(update={"object_storage": storage})
    else:
        record = record.model_copy(update={"service_auth_keys": (AuthKey(id=1, key=_provider("k")),)})
    with pytest.raises(Unsupported, match="only for app secrets"):
        build(plan, record)


def test_trap13_provider_app_secrets_are_fine_in_protobuf_but_not_json():
    plan = fx.shop_plan("gcp")
    record = fx.provisioned(plan)
    assert {s.data.WhichOneof("source") for s in parsed(plan, record).infra.resources.app_secrets} == {"provider"}
    with pytest.raises(Unsupported, match="secret-manager"):
        build_infra_json(plan, record)


def test_trap13_go_reads_provider_app_secrets_through_its_secret_providers_variable():
    """runtimes/go/appruntime/infrasdk/secrets: ENCORE_SECRET_PROVIDERS, which the infra config's `secrets` would
    override, so they are left out of it."""
    from runtime_config.infra_json import secret_providers

    plan = fx.shop_plan("gcp", Language.GO)
    record = fx.provisioned(plan)
    names = {s.encore_name for s in record.secrets if s.ref.provider is not None}
    assert names and not names & set(build_infra_json(plan, record).get("secrets", {}))
    value = secret_providers(plan, record)
    assert value is not None
    assert set(json.loads(value)["providers"]["gcp_secret_manager"]["refs"]) == names


def test_trap14_sql_password_with_a_newline_is_refused():
    plan = fx.shop_plan("local")
    record = fx.provisioned(plan)
    dbs = tuple(d.model_copy(update={"password": SecretRef(value="s3cret\n")}) for d in record.sql_databases)
    with pytest.raises(BadInput, match="whitespace"):
        build(plan, record.model_copy(update={"sql_databases": dbs}))


@pytest.mark.parametrize("host", ["[::1]:5432", "::1", "fe80::1", "2001:db8::5:6379"])
def test_trap16_ipv6_hosts_are_refused(host):
    plan = fx.shop_plan("local")
    with pytest.raises(BadInput, match="IPv6"):
        build(plan, fx.provisioned(plan, sql_servers=(SqlServer(host=host),)))
    with pytest.raises(BadInput, match="IPv6"):
        build(plan, fx.provisioned(plan, caches=(CacheRecord(encore_name="sessions", host=host),)))


@pytest.mark.parametrize("host", ["db.internal", "db.internal:5433", "10.0.0.7:5432", "/var/run/postgresql"])
def test_trap16_names_ipv4_and_sockets_are_fine(host):
    plan = fx.shop_plan("local")
    cfg = parsed(plan, fx.provisioned(plan, sql_servers=(SqlServer(host=host),)))
    (server,) = cfg.infra.resources.sql_clusters[0].servers
    assert server.host == host


@pytest.mark.parametrize("host", ["db:", "db:port", ":5432", "db:70000"])
def test_trap16_malformed_ports_are_refused(host):
    plan = fx.shop_plan("local")
    with pytest.raises(BadInput, match="must be 'name'"):
        build(plan, fx.provisioned(plan, sql_servers=(SqlServer(host=host),)))


def _buckets(plan, avatars_changes: dict):
    record = fx.provisioned(plan)
    storage = record.object_storage
    assert storage is not None
    buckets = tuple(b.model_copy(update=avatars_changes) if b.encore_name == "avatars" else b
                    for b in storage.buckets)
    return record.model_copy(update={"object_storage": storage.model_copy(update={"buckets": buckets})})


def _bucket(cfg, name: str) -> infra_pb2.Bucket:
    return next(b for b in cfg.infra.resources.bucket_clusters[0].buckets if b.encore_name == name)


def test_trap18_key_prefix_is_added_to_the_public_base_url():
    plan = fx.shop_plan("local")
    record = _buckets(plan, {"key_prefix": "pub/", "public_base_url": "http://127.0.0.1:5000/b/"})
    avatars = _bucket(parsed(plan, record), "avatars")
    assert (avatars.key_prefix, avatars.public_base_url) == ("pub/", "http://127.0.0.1:5000/b/pub")


def test_trap18_a_base_url_that_already_has_the_prefix_is_kept():
    plan = fx.shop_plan("local")
    record = _buckets(plan, {"key_prefix": "pub/", "public_base_url": "https://cdn.example/pub"})
    assert _bucket(parsed(plan, record), "avatars").public_base_url == "https://cdn.example/pub"


def test_trap18_public_bucket_without_base_url_is_refused():
    plan = fx.shop_plan("local")
    with pytest.raises(OrchestratorError, match="public base URL"):
        build(plan, _buckets(plan, {"public_base_url": None}))


def test_trap18_prefix_without_slash_cannot_make_public_urls():
    plan = fx.shop_plan("local")
    with pytest.raises(BadInput, match="must end with '/'"):
        build(plan, _buckets(plan, {"key_prefix": "pub"}))


def test_trap18_private_bucket_needs_no_base_url():
    plan = fx.shop_plan("local")
    record = fx.provisioned(plan)
    storage = record.object_storage
    assert storage is not None
    buckets = tuple(BucketRecord(encore_name=b.encore_name, cloud_name=b.cloud_name, key_prefix="x")
                    if b.encore_name == "invoices" else b for b in storage.buckets)
    record = record.model_copy(update={"object_storage": storage.model_copy(update={"buckets": buckets})})
    assert not _bucket(parsed(plan, record), "invoices").HasField("public_base_url")


def test_trap19_large_configs_go_through_a_file(tmp_path):
    small = fx.shop_plan("aws")
    big = fx.shop_plan("aws", extra="  orchestrator:runtimeConfigSizeLimit: 256\n")
    inline = write_outputs(small, fx.provisioned(small), tmp_path / "a").env
    value = inline[INLINE_VAR]
    payload = value.removeprefix("gzip:")
    assert base64.b64decode(payload, validate=True) and len(payload) % 4 == 0
    fallback = write_outputs(big, fx.provisioned(big), tmp_path / "b").env
    assert fallback == {PATH_VAR: str(tmp_path / "b" / RUNTIME_CONFIG_FILE)}
    uploaded = write_outputs(big, fx.provisioned(big, runtime_config_url="s3://cfg-bucket/shop/dev.pb"), tmp_path / "c")
    assert uploaded.env == {PATH_VAR: "s3://cfg-bucket/shop/dev.pb"}


def test_trap21_22_rids_are_stable_across_builds_and_processes():
    plan = fx.shop_plan("gcp")
    record = fx.provisioned(plan)
    assert record.pubsub is not None
    reordered = record.model_copy(update={
        "pubsub": record.pubsub.model_copy(update={"subscriptions": record.pubsub.subscriptions[::-1]}),
        "sql_databases": record.sql_databases[::-1],
    })
    whole = parsed(plan, record)
    gateway_only = parsed(plan, reordered, hosted_services=[])
    subscriber = parsed(plan, reordered, hosted_services=["billing"])

    def push_rid(cfg):
        return next(s.rid for s in cfg.infra.resources.pubsub_clusters[0].subscriptions
                    if s.subscription_encore_name == "bill")

    expected = rid("dev", "subscription", "order-created/bill")
    assert push_rid(whole) == push_rid(gateway_only) == push_rid(subscriber) == expected
    assert parsed(plan, reordered) == whole
    doc = build_infra_json(plan, fx.provisioned(plan, secrets=()))
    push = doc["pubsub"][0]["topics"]["order-created"]["subscriptions"]["bill"]["push_config"]
    assert push["id"] == expected


def test_trap21_other_envs_get_other_rids():
    assert rid("dev", "gateway", "api-gateway") != rid("prod", "gateway", "api-gateway")
    assert rid("dev", "gateway", "api-gateway") == rid("dev", "gateway", "api-gateway")


def test_trap21_service_signature_inputs_match_across_processes():
    plan = fx.shop_plan("aws")
    record = fx.provisioned(plan)
    envs = {(c.environment.app_slug, c.environment.env_name)
            for c in (parsed(plan, record, hosted_services=[s]) for s in ("api", "orders", "mailer"))}
    assert envs == {("shop", "dev")}


def test_trap27_public_gateway_comes_first():
    plan = fx.shop_plan("aws")
    record = fx.provisioned(plan)
    assert [g.encore_name for g in parsed(plan, record).infra.resources.gateways] == ["api-gateway", "admin"]
    assert build_infra_json(plan, record)["metadata"]["base_url"] == "https://api.shop.example"


def test_trap28_sql_is_trimmed_to_the_hosted_services():
    plan = fx.shop_plan("aws")
    record = fx.provisioned(plan)
    assert not parsed(plan, record, hosted_services=["mailer"]).infra.resources.sql_clusters
    billing = parsed(plan, record, hosted_services=["billing"])
    assert [d.encore_name for d in billing.infra.resources.sql_clusters[0].databases] == ["billing"]
    assert [r.username for r in billing.infra.credentials.sql_roles] == [plan.get("sql:billing").names["role"]]
    doc = build_infra_json(plan, record, hosted_services=["billing"])
    assert list(doc["sql_servers"][0]["databases"]) == ["billing"]


def test_trap28_unused_secrets_are_not_resolved():
    plan = fx.shop_plan("aws")
    record = fx.provisioned(plan, secrets=(
        AppSecret(encore_name="StripeKey", ref=SecretRef(env="STRIPE")),
        AppSecret(encore_name="SlackHook", ref=SecretRef(env="SLACK")),
    ))
    secrets = parsed(plan, record, hosted_services=["orders"]).infra.resources.app_secrets
    assert [s.encore_name for s in secrets] == ["StripeKey"]

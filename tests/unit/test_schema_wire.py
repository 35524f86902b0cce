"""Wire compatibility of runtime_config/schema/*.proto with the specs.

Fixture apps pin the meta.v1 field numbers they use; the hand-computed byte
strings below pin the numbers and wire types no fixture exercises.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import duration_pb2, empty_pb2, json_format, timestamp_pb2
from google.protobuf.message import Message

from orchestrator.core.schema import meta_pb2, schema_pb2
from runtime_config.schema import infra_pb2, runtime_pb2, secretdata_pb2

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
FIXTURE_DIRS = sorted(p.parent for pattern in ("*/meta.pb", "fidelity/*/meta.pb") for p in FIXTURES.glob(pattern))

SecretData = secretdata_pb2.SecretData
INT_STRING = re.compile(r"-?\d+")


def _normalise(value: object) -> object:
    """int64/uint64 are JSON strings in canonical form; compare them as ints."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, str) and INT_STRING.fullmatch(value):
        return int(value)
    return value


# ---------------------------------------------------------------------------
# (1) fixture apps: binary and JSON decode to the same message


def test_fixtures_present() -> None:
    assert len(FIXTURE_DIRS) >= 6


@pytest.mark.parametrize("app", FIXTURE_DIRS, ids=lambda p: p.name)
def test_fixture_pb_equals_json(app: Path) -> None:
    raw = (app / "meta.pb").read_bytes()
    text = (app / "meta.json").read_text()

    from_pb = meta_pb2.Data.FromString(raw)
    from_json = json_format.Parse(text, meta_pb2.Data())

    assert from_pb == from_json
    assert _normalise(json_format.MessageToDict(from_pb)) == _normalise(json.loads(text))
    assert from_pb.gateways, "both parsers always emit at least one gateway"


@pytest.mark.parametrize("app", FIXTURE_DIRS, ids=lambda p: p.name)
def test_fixture_snake_case_json_accepted(app: Path) -> None:
    from_pb = meta_pb2.Data.FromString((app / "meta.pb").read_bytes())
    snake = json_format.MessageToJson(from_pb, preserving_proto_field_name=True)
    assert json_format.Parse(snake, meta_pb2.Data()) == from_pb


# ---------------------------------------------------------------------------
# (2a) a hand-built RuntimeConfig survives a round trip, field by field


def _build_runtime_config() -> runtime_pb2.RuntimeConfig:
    cfg = runtime_pb2.RuntimeConfig()

    env = cfg.environment
    env.app_id = "app-123"
    env.app_slug = "shop"
    env.env_id = "env-1"
    env.env_name = "prod"
    env.env_type = runtime_pb2.Environment.TYPE_PRODUCTION
    env.cloud = runtime_pb2.Environment.CLOUD_AWS

    res = cfg.infra.resources
    gw = res.gateways.add(rid="gw0", encore_name="api-gateway", base_url="https://api.example.com")
    gw.hostnames.append("api.example.com")
    gw.cors.unsafe_allow_all_origins_with_credentials = False
    gw.cors.allowed_origins_without_credentials.allowed_origins.append("*")
    gw.cors.extra_allowed_headers.append("X-Request-Id")
    gw.cors.allow_private_network_access = True

    sql = res.sql_clusters.add(rid="sql0")
    server = sql.servers.add(rid="srv0", host="db.internal:5432", kind=infra_pb2.SERVER_KIND_PRIMARY)
    server.tls_config.SetInParent()
    db = sql.databases.add(rid="db0", encore_name="orders", cloud_name="orders_prod")
    db.conn_pools.add(role_rid="role0", max_connections=20)

    ps = res.pubsub_clusters.add(rid="ps0")
    ps.aws.SetInParent()
    ps.topics.add(
        rid="t0",
        encore_name="order-created",
        cloud_name="arn:aws:sns:eu-west-1:123456789012:order-created",
        delivery_guarantee=infra_pb2.PubSubTopic.DELIVERY_GUARANTEE_AT_LEAST_ONCE,
        ordering_attr="",
    )
    ps.subscriptions.add(
        rid="s0",
        topic_encore_name="order-created",
        subscription_encore_name="send-email",
        subscription_cloud_name="https://sqs.eu-west-1.amazonaws.com/123456789012/q",
    )

    redis = res.redis_clusters.add(rid="r0")
    redis.servers.add(rid="rs0", host="cache.internal", kind=infra_pb2.SERVER_KIND_PRIMARY)
    redis.databases.add(rid="rdb0", encore_name="sessions", database_idx=2, key_prefix="sessions/")

    res.app_secrets.add(rid="sec0", encore_name="StripeKey", data=SecretData(env="STRIPE_KEY"))

    buckets = res.bucket_clusters.add(rid="b0")
    buckets.s3.region = "eu-west-1"
    buckets.buckets.add(rid="bk0", encore_name="invoices", cloud_name="shop-prod-invoices")

    creds = cfg.infra.credentials
    creds.sql_roles.add(
        rid="role0", username="orders_svc", password=SecretData(embedded=b"pw", encoding=SecretData.ENCODING_NONE)
    )
    creds.redis_roles.add(rid="rrole0", auth_string=SecretData(env="REDIS_TOKEN"))

    dep = cfg.deployment
    dep.deploy_id = "roll_abc"
    dep.deployed_at.FromSeconds(1_700_000_000)
    dep.hosted_gateways.append("gw0")
    dep.hosted_services.add(name="orders", worker_threads=0)
    auth = dep.auth_methods.add()
    auth.encore_auth.auth_keys.add(id=2, data=SecretData(env="SVC_KEY_2"))
    loc = dep.service_discovery.services["billing"]
    loc.base_url = "http://billing.internal:8080"
    loc.auth_methods.add().noop.SetInParent()
    dep.graceful_shutdown.total.FromSeconds(10)
    dep.metrics.add(encore_name="active_client", services=["orders"])
    return cfg


def test_runtime_config_roundtrip() -> None:
    original = _build_runtime_config()
    decoded = runtime_pb2.RuntimeConfig.FromString(original.SerializeToString())
    assert decoded == original

    env = decoded.environment
    assert (env.app_id, env.app_slug, env.env_id, env.env_name) == ("app-123", "shop", "env-1", "prod")
    assert env.env_type == runtime_pb2.Environment.TYPE_PRODUCTION == 2
    assert env.cloud == runtime_pb2.Environment.CLOUD_AWS == 3
    assert not decoded.HasField("encore_platform")

    res = decoded.infra.resources
    (gw,) = res.gateways
    assert (gw.rid, gw.encore_name, gw.base_url) == ("gw0", "api-gateway", "https://api.example.com")
    assert list(gw.hostnames) == ["api.example.com"]
    # A oneof member set to false is still present.
    assert gw.cors.WhichOneof("allowed_origins_with_credentials") == ("unsafe_allow_all_origins_with_credentials")
    assert gw.cors.unsafe_allow_all_origins_with_credentials is False
    assert list(gw.cors.allowed_origins_without_credentials.allowed_origins) == ["*"]
    assert list(gw.cors.extra_allowed_headers) == ["X-Request-Id"]
    assert gw.cors.allow_private_network_access is True
    assert gw.cors.disable_credentials is False

    (sql,) = res.sql_clusters
    (server,) = sql.servers
    assert (server.rid, server.host) == ("srv0", "db.internal:5432")
    assert server.kind == infra_pb2.SERVER_KIND_PRIMARY == 1
    assert server.HasField("tls_config")
    assert not server.tls_config.HasField("server_ca_cert")
    (db,) = sql.databases
    assert (db.rid, db.encore_name, db.cloud_name) == ("db0", "orders", "orders_prod")
    (pool,) = db.conn_pools
    assert (pool.is_readonly, pool.role_rid, pool.min_connections, pool.max_connections) == (
        False,
        "role0",
        0,
        20,
    )

    (ps,) = res.pubsub_clusters
    assert ps.WhichOneof("provider") == "aws"
    (topic,) = ps.topics
    assert topic.encore_name == "order-created"
    assert topic.delivery_guarantee == 1
    assert topic.HasField("ordering_attr") and topic.ordering_attr == ""
    assert topic.WhichOneof("provider_config") is None
    (sub,) = ps.subscriptions
    assert (sub.topic_encore_name, sub.subscription_encore_name) == ("order-created", "send-email")
    assert sub.subscription_cloud_name.startswith("https://sqs.")
    assert sub.push_only is False

    (redis,) = res.redis_clusters
    assert redis.servers[0].kind == infra_pb2.SERVER_KIND_PRIMARY
    assert not redis.servers[0].HasField("tls_config")
    (rdb,) = redis.databases
    assert (rdb.encore_name, rdb.database_idx, rdb.key_prefix) == ("sessions", 2, "sessions/")

    (secret,) = res.app_secrets
    assert secret.encore_name == "StripeKey"
    assert secret.data.WhichOneof("source") == "env"
    assert secret.data.env == "STRIPE_KEY"
    assert secret.data.WhichOneof("sub_path") is None

    (bc,) = res.bucket_clusters
    assert bc.WhichOneof("provider") == "s3"
    assert bc.s3.region == "eu-west-1"
    assert not bc.s3.HasField("endpoint")
    assert not bc.s3.HasField("secret_access_key")
    assert bc.buckets[0].cloud_name == "shop-prod-invoices"
    assert not bc.buckets[0].HasField("public_base_url")

    creds = decoded.infra.credentials
    (role,) = creds.sql_roles
    assert (role.username, role.password.embedded) == ("orders_svc", b"pw")
    assert role.password.WhichOneof("source") == "embedded"
    assert not role.HasField("client_cert_rid")
    (rrole,) = creds.redis_roles
    assert rrole.WhichOneof("auth") == "auth_string"
    assert rrole.auth_string.env == "REDIS_TOKEN"

    dep = decoded.deployment
    assert dep.deploy_id == "roll_abc"
    assert dep.deployed_at.seconds == 1_700_000_000
    assert list(dep.hosted_gateways) == ["gw0"]
    (hosted,) = dep.hosted_services
    assert hosted.name == "orders"
    assert hosted.HasField("worker_threads") and hosted.worker_threads == 0
    assert not hosted.HasField("log_config")
    (auth,) = dep.auth_methods
    assert auth.WhichOneof("auth_method") == "encore_auth"
    (key,) = auth.encore_auth.auth_keys
    assert (key.id, key.data.env) == (2, "SVC_KEY_2")
    loc = dep.service_discovery.services["billing"]
    assert loc.base_url == "http://billing.internal:8080"
    assert loc.auth_methods[0].WhichOneof("auth_method") == "noop"
    assert dep.graceful_shutdown.total.seconds == 10
    assert not dep.graceful_shutdown.HasField("handlers")
    assert (dep.metrics[0].encore_name, list(dep.metrics[0].services)) == (
        "active_client",
        ["orders"],
    )


# ---------------------------------------------------------------------------
# (2b) hand-computed encodings: tag = (number << 3) | wire type

Sub = infra_pb2.PubSubCluster
Topic = meta_pb2.PubSubTopic

WIRE_CASES: list[tuple[str, Message, bytes]] = [
    # runtime.proto
    (
        "RuntimeConfig.encore_platform = 5, empty message still present",
        runtime_pb2.RuntimeConfig(encore_platform=runtime_pb2.EncorePlatform()),
        b"\x2a\x00",
    ),
    (
        "ServiceAuth.noop = 10",
        runtime_pb2.ServiceAuth(noop=runtime_pb2.ServiceAuth.NoopAuth()),
        b"\x52\x00",
    ),
    (
        "ServiceAuth.encore_auth = 11",
        runtime_pb2.ServiceAuth(encore_auth=runtime_pb2.ServiceAuth.EncoreAuth()),
        b"\x5a\x00",
    ),
    (
        "HostedService.worker_threads = 2, optional: zero is encoded",
        runtime_pb2.HostedService(worker_threads=0),
        b"\x10\x00",
    ),
    (
        "Deployment.deployed_at = 2 (Timestamp.seconds = 1)",
        runtime_pb2.Deployment(deployed_at=timestamp_pb2.Timestamp(seconds=1)),
        b"\x12\x02\x08\x01",
    ),
    (
        "GracefulShutdown.handlers = 3 (Duration field 2, nanos = 5)",
        runtime_pb2.GracefulShutdown(handlers=duration_pb2.Duration(nanos=5)),
        b"\x1a\x02\x10\x05",
    ),
    (
        "SamplingConfig.default = 2 (Empty)",
        runtime_pb2.TracingProvider.SamplingConfig(default=empty_pb2.Empty()),
        b"\x12\x00",
    ),
    (
        "EncoreTracingProvider.sampling_rate = 2, optional double, fixed64",
        runtime_pb2.TracingProvider.EncoreTracingProvider(sampling_rate=0.0),
        b"\x11" + b"\x00" * 8,
    ),
    (
        "MetricsProvider.datadog = 14",
        runtime_pb2.MetricsProvider(datadog=runtime_pb2.MetricsProvider.Datadog(site="s")),
        b"\x72\x03\x0a\x01s",
    ),
    # secretdata.proto
    ("SecretData.env = 2", SecretData(env="X"), b"\x12\x01X"),
    ("SecretData.embedded = 1, empty bytes still present", SecretData(embedded=b""), b"\x0a\x00"),
    ("SecretData.json_key = 10", SecretData(json_key="k"), b"\x52\x01k"),
    ("SecretData.encoding = 20, two-byte tag", SecretData(encoding=SecretData.ENCODING_BASE64), b"\xa0\x01\x01"),
    (
        "SecretData.provider = 3 (ProviderRef.version = 3)",
        SecretData(provider=SecretData.ProviderRef(version="v")),
        b"\x1a\x03\x1a\x01v",
    ),
    # infra.proto
    ("PubSubCluster.aws = 6", Sub(aws=Sub.AWSSqsSns()), b"\x32\x00"),
    ("PubSubCluster.nsq = 9", Sub(nsq=Sub.NSQ(hosts=["h"])), b"\x4a\x03\x0a\x01h"),
    (
        "SQLServer.kind = 3",
        infra_pb2.SQLServer(kind=infra_pb2.SERVER_KIND_PRIMARY),
        b"\x18\x01",
    ),
    (
        "Infrastructure.Resources.secret_providers = 7, SecretProvider.gcp_sm = 10",
        infra_pb2.Infrastructure.Resources(
            secret_providers=[
                infra_pb2.SecretProvider(gcp_sm=infra_pb2.SecretProvider.GCPSecretManager(project_id="x"))
            ]
        ),
        b"\x3a\x05\x52\x03\x0a\x01x",
    ),
    (
        "RedisRole.auth_string = 11 (SecretData.env = 2)",
        infra_pb2.RedisRole(auth_string=SecretData(env="R")),
        b"\x5a\x03\x12\x01R",
    ),
    (
        "BucketCluster.s3 = 10",
        infra_pb2.BucketCluster(s3=infra_pb2.BucketCluster.S3(region="r")),
        b"\x52\x03\x0a\x01r",
    ),
    (
        "Gateway.CORS.unsafe_allow_all_origins_with_credentials = 4, false but present",
        infra_pb2.Gateway.CORS(unsafe_allow_all_origins_with_credentials=False),
        b"\x20\x00",
    ),
    # meta.proto
    (
        "RPC.expose = 14, map entry key = 1, value = 2",
        meta_pb2.RPC(expose={"api-gateway": meta_pb2.RPC.ExposeOptions()}),
        b"\x72\x0f\x0a\x0bapi-gateway\x12\x00",
    ),
    ("RPC.body_limit = 15, optional: zero is encoded", meta_pb2.RPC(body_limit=0), b"\x78\x00"),
    (
        "RPC.static_assets = 19, two-byte tag",
        meta_pb2.RPC(static_assets=meta_pb2.RPC.StaticAssets()),
        b"\x9a\x01\x00",
    ),
    ("Data.uncommitted_changes = 8", meta_pb2.Data(uncommitted_changes=True), b"\x40\x01"),
    (
        "Data.buckets = 17, two-byte tag",
        meta_pb2.Data(buckets=[meta_pb2.Bucket(name="b")]),
        b"\x8a\x01\x03\x0a\x01b",
    ),
    (
        "BucketUsage.operations = 2, packed",
        meta_pb2.BucketUsage(
            bucket="b",
            operations=[
                meta_pb2.BucketUsage.LIST_OBJECTS,
                meta_pb2.BucketUsage.GET_PUBLIC_URL,
            ],
        ),
        b"\x0a\x01b\x12\x02\x01\x07",
    ),
    (
        "Metric.value_type = 2 is a varint enum (INT64 = 5)",
        meta_pb2.Metric(value_type=schema_pb2.INT64),
        b"\x10\x05",
    ),
    (
        "Metric.Label.type = 2 is a varint enum (STRING = 12)",
        meta_pb2.Metric.Label(type=schema_pb2.STRING),
        b"\x10\x0c",
    ),
    (
        "RetryPolicy.max_retries = 3, negative int64 is a 10-byte varint",
        Topic.RetryPolicy(max_retries=-1),
        b"\x18" + b"\xff" * 9 + b"\x01",
    ),
    (
        "Subscription.max_concurrency = 6, optional: zero is encoded",
        Topic.Subscription(max_concurrency=0),
        b"\x30\x00",
    ),
    (
        "PubSubTopic.delivery_guarantee = 4 (EXACTLY_ONCE = 1)",
        Topic(delivery_guarantee=Topic.EXACTLY_ONCE),
        b"\x20\x01",
    ),
    (
        "CacheCluster.eviction_policy = 4",
        meta_pb2.CacheCluster(eviction_policy="noeviction"),
        b"\x22\x0anoeviction",
    ),
]


@pytest.mark.parametrize(("message", "expected"), [c[1:] for c in WIRE_CASES], ids=[c[0] for c in WIRE_CASES])
def test_hand_computed_encoding(message: Message, expected: bytes) -> None:
    assert message.SerializeToString() == expected
    assert type(message).FromString(expected) == message


def test_bucket_usage_operations_unpacked_form_accepted() -> None:
    unpacked = b"\x10\x01\x10\x07"
    decoded = meta_pb2.BucketUsage.FromString(unpacked)
    assert list(decoded.operations) == [1, 7]


def test_map_entry_without_value_decodes() -> None:
    decoded = meta_pb2.RPC.FromString(b"\x72\x0d\x0a\x0bapi-gateway")
    assert list(decoded.expose) == ["api-gateway"]


def test_schema_v1_fields_are_typed_with_encores_numbers() -> None:
    """Data.decls = 3, RPC.request_schema = 5, RPC.loc = 8, PubSubTopic.message_type = 3, Decl.id = 1,
    Decl.name = 2, Type.named = 1, DeclRef.id = 1 (encoredev/encore proto/encore/parser/{meta,schema}/v1/*.proto)."""
    decl = b"\x08\x01\x12\x03abc"
    assert meta_pb2.Data.FromString(b"\x1a\x07" + decl).decls[0] == schema_pb2.Decl(id=1, name="abc")
    named = b"\x0a\x02\x08\x01"
    rpc_wire = b"\x2a\x04" + named + b"\x42\x04" + b"\x0a\x02pk"
    rpc = meta_pb2.RPC.FromString(rpc_wire)
    assert rpc.request_schema.named.id == 1 and rpc.loc.pkg_path == "pk"
    assert rpc.SerializeToString() == rpc_wire
    assert meta_pb2.PubSubTopic.FromString(b"\x1a\x04" + named).message_type.named.id == 1


def test_middleware_global_keyword_field() -> None:
    mw = meta_pb2.Middleware()
    setattr(mw, "global", True)  # `global` is a Python keyword
    assert mw.SerializeToString() == b"\x20\x01"
    assert getattr(meta_pb2.Middleware.FromString(b"\x20\x01"), "global") is True


def test_enum_values_from_spec() -> None:
    assert schema_pb2.Builtin.Value("DECIMAL") == 20
    assert schema_pb2.Builtin.Value("USER_ID") == 17
    assert meta_pb2.PathSegment.ParamType.Value("UUID") == 12
    assert meta_pb2.Lang.Value("TYPESCRIPT") == 1
    assert meta_pb2.BucketUsage.Operation.Value("SIGNED_DOWNLOAD_URL") == 9
    assert infra_pb2.PubSubTopic.DeliveryGuarantee.Value("DELIVERY_GUARANTEE_EXACTLY_ONCE") == 2
    assert infra_pb2.ServerKind.Value("SERVER_KIND_READ_REPLICA") == 3
    assert runtime_pb2.Environment.Cloud.Value("CLOUD_AZURE") == 5
    assert SecretData.Encoding.Value("ENCODING_GZIP") == 2


def test_reserved_secretdata_numbers() -> None:
    descriptor = SecretData.DESCRIPTOR
    assert {f.number for f in descriptor.fields} == {1, 2, 3, 10, 20}
    # Unknown (reserved) numbers are skipped on decode, not an error.
    decoded = SecretData.FromString(b"\x22\x01x\x12\x01X")  # field 4, then env
    assert decoded.env == "X"


# ---------------------------------------------------------------------------
# (3) checked-in generated modules are up to date


def test_regen_check_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runtime_config.schema.regen", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr

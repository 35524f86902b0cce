"""The runtime config built from the GCP program's mocked stack outputs, field by field (runtime-expectations
§4-§8), including the GCP traps: `project_id` on every topic and subscription, short ids (never `projects/...`),
the Cloud SQL and Memorystore server CAs, secrets through Secret Manager."""

from __future__ import annotations

import json
import re

import pytest
from gcpgraph import FIXTURE_NAMES, PROJECT_OF, REGION, fixture_plan, fixture_render, synth_plan, synth_render

from orchestrator.core import naming
from orchestrator.core.model import Kind, Topic
from orchestrator.core.plan import Plan
from providers.gcp import mocks
from providers.gcp.delivery import secret_sources
from runtime_config.build import build as build_config
from runtime_config.infra import Provisioned
from runtime_config.infra_json import build_infra_json, secret_providers
from runtime_config.schema import infra_pb2
from runtime_config.write import SECRET_PROVIDERS_VAR, write_outputs

PROJECT = PROJECT_OF["production"]
PRIVATE_IP = re.compile(r"^10\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
VERSION_PATH = re.compile(rf"^projects/{PROJECT}/secrets/[A-Za-z0-9_-]+/versions/latest$")


def provisioned(outputs: dict) -> Provisioned:
    return Provisioned.model_validate(outputs["provisioned"])


def test_synthetic_typescript_config() -> None:
    plan = synth_plan(10, "production")
    record = provisioned(synth_render(10, "production").outputs)
    assert record.cloud == "gcp" and record.region == REGION and record.env == "gcp-prod"
    cfg = build_config(plan, record)
    resources, credentials = cfg.infra.resources, cfg.infra.credentials
    _check_sql(plan, resources, credentials)
    _check_redis(plan, resources, credentials)
    _check_pubsub(plan, resources)
    _check_buckets(plan, resources)
    _check_secrets(plan, resources)
    assert [g.base_url for g in resources.gateways] == ["https://api.example.com"] * len(resources.gateways)


def _check_sql(plan: Plan, resources, credentials) -> None:
    """runtimes/core/src/sqldb/manager.rs: host:port split at the first colon; the CA loaded with from_pem (one
    certificate); the private IP is not in Cloud SQL's server certificate, so host names are not verified (trap 15)."""
    (cluster,) = resources.sql_clusters
    (server,) = cluster.servers
    assert server.kind == infra_pb2.SERVER_KIND_PRIMARY
    host, _, port = server.host.partition(":")
    assert PRIVATE_IP.match(host) and port == "5432"
    instance = plan.get("sql-server:default").names["server"]
    assert server.tls_config.server_ca_cert == mocks.mock_ca(f"sql/{instance}")
    assert server.tls_config.server_ca_cert.count("-----BEGIN CERTIFICATE-----") == 1
    assert server.tls_config.disable_tls_hostname_verification is True
    assert server.tls_config.disable_ca_validation is False
    roles = {r.rid: r for r in credentials.sql_roles}
    databases = {d.encore_name: d for d in cluster.databases}
    for res in plan.of_kind(Kind.SQL):
        db = databases[res.name]
        assert db.cloud_name == res.names["database"]
        (pool,) = db.conn_pools
        role = roles[pool.role_rid]
        assert role.username == res.names["role"]
        assert role.password.env == res.names["password_env"] and not role.password.embedded


def _check_redis(plan: Plan, resources, credentials) -> None:
    """Memorystore with SERVER_AUTHENTICATION serves TLS on 6378 with its own CA (runtimes/core/src/cache: the
    tls_config's server_ca_cert is added as a root); AUTH string from the environment (trap 13)."""
    caches = list(plan.of_kind(Kind.CACHE))
    assert caches
    roles = {r.rid: r for r in credentials.redis_roles}
    clusters = {c.databases[0].encore_name: c for c in resources.redis_clusters}
    for res in caches:
        cluster = clusters[res.name]
        (server,) = cluster.servers
        ident = res.names["cluster"]
        host, _, port = server.host.partition(":")
        assert PRIVATE_IP.match(host) and port == "6378" and not cluster.in_memory
        assert server.tls_config.server_ca_cert == mocks.mock_ca(f"redis/{ident}")
        (db,) = cluster.databases
        assert db.database_idx == 0 and db.key_prefix == res.names["key_prefix"]
        role = roles[db.conn_pools[0].role_rid]
        assert role.auth_string.env == res.names["auth_env"]


def _check_pubsub(plan: Plan, resources) -> None:
    """runtimes/core/src/pubsub/gcp/topic.rs and sub.rs build `projects/{project_id}/topics|subscriptions/{name}`
    from gcp_config.project_id (a panic without it) and the short cloud name (a full path would be doubled)."""
    (ps,) = resources.pubsub_clusters
    assert ps.WhichOneof("provider") == "gcp"
    topics = {t.encore_name: t for t in ps.topics}
    for res in plan.of_kind(Kind.TOPIC):
        assert isinstance(res.spec, Topic)
        topic = topics[res.name]
        assert topic.cloud_name == res.names["topic"] and not topic.cloud_name.startswith("projects/")
        assert topic.WhichOneof("provider_config") == "gcp_config" and topic.gcp_config.project_id == PROJECT
        assert topic.ordering_attr == res.spec.ordering_key
        once = topic.delivery_guarantee == infra_pb2.PubSubTopic.DELIVERY_GUARANTEE_EXACTLY_ONCE
        assert once == (res.spec.delivery_guarantee.value == "exactly-once")
    subs = {(s.topic_encore_name, s.subscription_encore_name): s for s in ps.subscriptions}
    assert len(subs) == sum(1 for _ in plan.of_kind(Kind.SUBSCRIPTION))
    for res in plan.of_kind(Kind.SUBSCRIPTION):
        topic, _, name = res.name.partition("/")
        sub = subs[(topic, name)]
        assert sub.subscription_cloud_name == res.names["subscription"]
        assert sub.topic_cloud_name == plan.get(f"topic:{topic}").names["topic"]
        assert sub.WhichOneof("provider_config") == "gcp_config" and sub.gcp_config.project_id == PROJECT
        assert not sub.push_only and not sub.gcp_config.push_service_account  # pulled


def _check_buckets(plan: Plan, resources) -> None:
    (cluster,) = resources.bucket_clusters
    assert cluster.WhichOneof("provider") == "gcs"
    assert not cluster.gcs.anonymous and not cluster.gcs.HasField("endpoint")
    buckets = {b.encore_name: b for b in cluster.buckets}
    saw_public = False
    for res in plan.of_kind(Kind.BUCKET):
        bucket = buckets[res.name]
        assert bucket.cloud_name == res.names["bucket"]
        if res.spec.public:  # type: ignore[union-attr]
            saw_public = True
            assert bucket.public_base_url == f"https://storage.googleapis.com/{res.names['bucket']}"
        else:
            assert not bucket.HasField("public_base_url")
    assert saw_public


def _check_secrets(plan: Plan, resources) -> None:
    """runtimes/core/src/secrets/gcpsm.rs reads `projects/<project_id>/secrets/<id>/versions/latest` through the
    provider named by provider_rid."""
    (provider,) = resources.secret_providers
    assert provider.WhichOneof("provider") == "gcp_sm" and provider.gcp_sm.project_id == PROJECT
    secrets = {s.encore_name: s for s in resources.app_secrets}
    for res in plan.of_kind(Kind.SECRET):
        data = secrets[res.name].data
        assert data.WhichOneof("source") == "provider"
        assert data.provider.provider_rid == provider.rid and data.provider.id == res.names["secret"]
        assert not data.provider.version  # latest


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_configs(name: str) -> None:
    plan = fixture_plan(name, "production")
    record = provisioned(fixture_render(name, "production").outputs)
    assert record.cloud == "gcp" and record.env == "gcp-prod"
    for where, ref in record.secret_refs():
        assert ref.value is None, where
        if ref.provider is None:
            assert ref.env and ref.source and VERSION_PATH.match(ref.source), where
    if plan.language.value == "go":
        doc = build_infra_json(plan, record)
        if "pubsub" in doc:
            (ps,) = doc["pubsub"]
            assert ps["type"] == "gcp_pubsub" and ps["project_id"] == PROJECT
            for topic in ps["topics"].values():
                assert topic["project_id"] == PROJECT and not topic["name"].startswith("projects/")
                for sub in topic["subscriptions"].values():
                    assert sub["project_id"] == PROJECT and not sub["name"].startswith("projects/")
        for server in doc.get("sql_servers", []):
            assert server["host"].endswith(":5432") and server["tls_config"]["ca"].startswith("-----BEGIN")
            assert all(set(db["password"]) == {"$env"} for db in server["databases"].values())
        assert "secrets" not in doc or all(set(v) == {"$env"} for v in doc["secrets"].values())
    else:
        cfg = build_config(plan, record)
        if any(True for _ in plan.of_kind(Kind.SQL)):
            _check_sql(plan, cfg.infra.resources, cfg.infra.credentials)
        if any(True for _ in plan.of_kind(Kind.TOPIC)):
            _check_pubsub(plan, cfg.infra.resources)
        if any(True for _ in plan.of_kind(Kind.SECRET)):
            _check_secrets(plan, cfg.infra.resources)


def test_go_secrets_come_through_the_secret_providers_variable(tmp_path) -> None:
    """runtimes/go/appruntime/infrasdk/secrets: the infra config's `secrets` map wins over ENCORE_SECRET_PROVIDERS,
    so Secret Manager-backed secrets are only in the latter, as `gcp_secret_manager` refs with the project."""
    plan = fixture_plan("ai-chat", "production")
    record = provisioned(fixture_render("ai-chat", "production").outputs)
    declared = {r.name: r.names["secret"] for r in plan.of_kind(Kind.SECRET)}
    assert declared
    value = secret_providers(plan, record)
    assert value is not None
    doc = json.loads(value)
    assert doc == {"providers": {"gcp_secret_manager": {
        "type": "gcp_secret_manager", "config": {"project_id": PROJECT},
        "refs": {name: {"id": secret_id} for name, secret_id in declared.items()}}}}
    assert not set(declared) & set(build_infra_json(plan, record).get("secrets", {}))
    written = write_outputs(plan, record, tmp_path)
    assert written.env[SECRET_PROVIDERS_VAR] == value


def test_services_sign_their_calls_with_a_key_from_the_environment() -> None:
    """encore_auth, not noop (trap 21): the key lives in Secret Manager and reaches the process as an env var, which
    the platform fills from the version path."""
    plan = synth_plan(10, "production")
    record = provisioned(synth_render(10, "production").outputs)
    (method,) = build_config(plan, record).deployment.auth_methods
    assert method.WhichOneof("auth_method") == "encore_auth"
    (key,) = method.encore_auth.auth_keys
    env = naming.env_var("SERVICE", "AUTH", "KEY")
    assert key.id == 1 and key.data.env == env
    signing = naming.make("gcp.secret", plan.app, plan.env.name, "service-auth")
    assert secret_sources(record)[env] == f"projects/{PROJECT}/secrets/{signing}/versions/latest"


def test_every_injected_variable_names_its_secret_version() -> None:
    plan = synth_plan(10, "production")
    record = provisioned(synth_render(10, "production").outputs)
    sources = secret_sources(record)
    expected = {naming.env_var("SERVICE", "AUTH", "KEY")}
    expected |= {r.names["password_env"] for r in plan.of_kind(Kind.SQL)}
    expected |= {r.names["auth_env"] for r in plan.of_kind(Kind.CACHE)}
    assert set(sources) == expected
    assert all(v is not None and VERSION_PATH.match(v) for v in sources.values())
    cache = next(iter(plan.of_kind(Kind.CACHE)))
    auth = f"projects/{PROJECT}/secrets/{cache.names['auth_secret']}/versions/latest"
    assert sources[cache.names["auth_env"]] == auth


def test_no_metrics_provider_on_gcp() -> None:
    """The program configures no exporter on GCP yet (docs/gcp.md); the runtime then exports nothing."""
    record = provisioned(synth_render(10, "production").outputs)
    assert record.metrics is None
    assert not build_config(synth_plan(10, "production"), record).deployment.observability.metrics

"""The runtime config built from the program's mocked stack outputs, field by field (runtime-expectations §4-§8)."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import pytest
import yaml
from awsgraph import FIXTURE_NAMES, FIXTURES, fixture_plan, fixture_render, render, synth_plan, synth_render
from cryptography import x509
from cryptography.x509.oid import NameOID

from orchestrator import stacks
from orchestrator.core import appmeta, naming
from orchestrator.core.model import App, Kind, Topic
from orchestrator.core.plan import Plan, build
from providers.aws import mocks
from providers.aws.delivery import secret_sources
from runtime_config.build import build as build_config
from runtime_config.infra import Provisioned, Tls
from runtime_config.infra_json import build_infra_json
from runtime_config.schema import infra_pb2

REGION = "eu-west-1"
ACCOUNT = mocks.ACCOUNT
SNS_ARN = re.compile(rf"^arn:aws:sns:{REGION}:{ACCOUNT}:[A-Za-z0-9_-]+(\.fifo)?$")
SQS_URL = re.compile(rf"^https://sqs\.{REGION}\.amazonaws\.com/{ACCOUNT}/[A-Za-z0-9_-]+(\.fifo)?$")
PEM = "-----BEGIN CERTIFICATE-----\nMIIBmock\n-----END CERTIFICATE-----\n"


def provisioned(outputs: dict) -> Provisioned:
    return Provisioned.model_validate(outputs["provisioned"])


def test_synthetic_typescript_config() -> None:
    plan = synth_plan(10, "production")
    record = provisioned(synth_render(10, "production").outputs)
    cfg = build_config(plan, record)
    resources, credentials = cfg.infra.resources, cfg.infra.credentials
    _check_sql(plan, resources, credentials)
    _check_redis(plan, resources, credentials)
    _check_pubsub(plan, resources)
    _check_buckets(plan, resources)
    _check_secrets(plan, resources)
    assert [g.base_url for g in resources.gateways] == ["https://api.example.com"] * len(resources.gateways)


def _check_sql(plan: Plan, resources, credentials, *, ca: str | None = None) -> None:
    (cluster,) = resources.sql_clusters
    (server,) = cluster.servers
    assert server.kind == infra_pb2.SERVER_KIND_PRIMARY
    host, _, port = server.host.partition(":")
    server_name = plan.get("sql-server:default").names["server"]
    assert port == "5432" and host.startswith(f"{server_name}.cluster-")
    assert host.endswith(f".{REGION}.rds.amazonaws.com")
    assert server.HasField("tls_config")
    if ca is not None:
        assert server.tls_config.server_ca_cert == ca
    else:
        assert _subjects_as_the_rust_core_reads(server.tls_config.server_ca_cert) == [
            f"Amazon RDS {REGION} Root CA RSA2048 G1"
        ]
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
    caches = list(plan.of_kind(Kind.CACHE))
    assert caches
    roles = {r.rid: r for r in credentials.redis_roles}
    clusters = {c.databases[0].encore_name: c for c in resources.redis_clusters}
    for res in caches:
        cluster = clusters[res.name]
        (server,) = cluster.servers
        ident = res.names["cluster"]
        assert server.kind == infra_pb2.SERVER_KIND_PRIMARY and not cluster.in_memory
        assert re.match(rf"^master\.{re.escape(ident)}\.[0-9a-f]+\.{REGION}\.cache\.amazonaws\.com:6379$", server.host)
        assert server.HasField("tls_config") and not server.tls_config.HasField("server_ca_cert")
        (db,) = cluster.databases
        assert db.database_idx == 0 and db.key_prefix == res.names["key_prefix"]
        role = roles[db.conn_pools[0].role_rid]
        assert role.auth_string.env == res.names["auth_env"]


def _check_pubsub(plan: Plan, resources) -> None:
    (ps,) = resources.pubsub_clusters
    assert ps.WhichOneof("provider") == "aws"
    topics = {t.encore_name: t for t in ps.topics}
    arns = {}
    for res in plan.of_kind(Kind.TOPIC):
        assert isinstance(res.spec, Topic)
        topic = topics[res.name]
        assert SNS_ARN.match(topic.cloud_name) and topic.cloud_name.endswith(":" + res.names["topic"])
        assert topic.cloud_name.endswith(".fifo") == res.spec.fifo
        if res.spec.ordering_key:
            assert topic.ordering_attr == res.spec.ordering_key
        arns[res.name] = topic.cloud_name
    subs = {(s.topic_encore_name, s.subscription_encore_name): s for s in ps.subscriptions}
    for res in plan.of_kind(Kind.SUBSCRIPTION):
        topic, _, name = res.name.partition("/")
        sub = subs[(topic, name)]
        assert SQS_URL.match(sub.subscription_cloud_name)
        assert sub.subscription_cloud_name.endswith("/" + res.names["subscription"])
        assert sub.topic_cloud_name == arns[topic]


def _check_buckets(plan: Plan, resources) -> None:
    (cluster,) = resources.bucket_clusters
    assert cluster.WhichOneof("provider") == "s3" and cluster.s3.region == REGION
    assert not cluster.s3.HasField("access_key_id") and not cluster.s3.HasField("secret_access_key")
    buckets = {b.encore_name: b for b in cluster.buckets}
    saw_public = False
    for res in plan.of_kind(Kind.BUCKET):
        bucket = buckets[res.name]
        assert bucket.cloud_name == res.names["bucket"]
        if res.spec.public:  # type: ignore[union-attr]
            saw_public = True
            assert bucket.public_base_url == f"https://{res.names['bucket']}.s3.{REGION}.amazonaws.com"
        else:
            assert not bucket.HasField("public_base_url")
    assert saw_public


def _check_secrets(plan: Plan, resources) -> None:
    secrets = {s.encore_name: s for s in resources.app_secrets}
    for res in plan.of_kind(Kind.SECRET):
        assert secrets[res.name].data.env == res.names["env"]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_configs(name: str) -> None:
    plan = fixture_plan(name, "production")
    record = provisioned(fixture_render(name, "production").outputs)
    assert record.cloud == "aws" and record.region == REGION and record.env == "aws-prod"
    for where, ref in record.secret_refs():
        assert ref.value is None and ref.env and ref.source and ref.source.startswith("arn:aws:secretsmanager:"), where
    if plan.language.value == "go":
        doc = build_infra_json(plan, record)
        if "pubsub" in doc:
            (ps,) = doc["pubsub"]
            assert ps["type"] == "aws_sns_sqs"
            for topic in ps["topics"].values():
                assert SNS_ARN.match(topic["arn"])
                assert all(SQS_URL.match(s["url"]) for s in topic["subscriptions"].values())
        for server in doc.get("sql_servers", []):
            assert server["host"].endswith(":5432") and "tls_config" in server
            assert _subjects_as_the_go_runtime_reads(server["tls_config"]["ca"]) == {
                f"Amazon RDS {REGION} Root CA {kind} G1" for kind in ("RSA2048", "RSA4096", "ECC384")
            }
            assert all(set(db["password"]) == {"$env"} for db in server["databases"].values())
    else:
        cfg = build_config(plan, record)
        if any(True for _ in plan.of_kind(Kind.SQL)):
            _check_sql(plan, cfg.infra.resources, cfg.infra.credentials)
        if any(True for _ in plan.of_kind(Kind.TOPIC)):
            _check_pubsub(plan, cfg.infra.resources)
        _check_secrets(plan, cfg.infra.resources)


def test_sql_ca_from_the_stack_file(tmp_path: Path) -> None:
    config = {"aws:region": REGION, "orchestrator:cloud": "aws", "orchestrator:envType": "production",
              "orchestrator:aws": {"sqlCaCertPem": PEM}}
    (tmp_path / "Pulumi.ca.yaml").write_text(yaml.safe_dump({"config": config}))
    plan = build(_app("polar-file-sharing"), stacks.load(tmp_path, "ca"))
    rendered = render(plan)
    record = provisioned(rendered.outputs)
    assert record.sql_servers[0].tls is not None and record.sql_servers[0].tls.ca_cert == PEM
    assert not any("sqlCaCertPem" in w for w in rendered.warnings)
    cfg = build_config(plan, record)
    _check_sql(plan, cfg.infra.resources, cfg.infra.credentials, ca=PEM)


def test_sql_ca_warns_only_outside_the_bundle(tmp_path: Path) -> None:
    config = {"aws:region": "il-central-1", "orchestrator:cloud": "aws", "orchestrator:envType": "production"}
    (tmp_path / "Pulumi.il.yaml").write_text(yaml.safe_dump({"config": config}))
    plan = build(_app("polar-file-sharing"), stacks.load(tmp_path, "il"))
    rendered = render(plan)
    assert provisioned(rendered.outputs).sql_servers[0].tls == Tls()
    assert any("il-central-1" in w and "sqlCaCertPem" in w for w in rendered.warnings)
    assert not any("sqlCaCertPem" in w for w in fixture_render("polar-file-sharing", "production").warnings)


def _subjects_as_the_rust_core_reads(pem: str) -> list[str]:
    """runtimes/core/src/sqldb/manager.rs: `native_tls::Certificate::from_pem` takes one certificate, so the
    value must hold exactly one (a second would be dropped without a word)."""
    assert pem.count("-----BEGIN CERTIFICATE-----") == 1
    cert = x509.load_pem_x509_certificate(pem.encode())
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def _subjects_as_the_go_runtime_reads(pem: str) -> set[str]:
    """runtimes/go/storage/sqldb/db.go: `x509.CertPool.AppendCertsFromPEM` adds every certificate (verify-ca)."""
    certs = ssl.create_default_context(cadata=pem).get_ca_certs()
    assert len(certs) == pem.count("-----BEGIN CERTIFICATE-----")
    return {str(dict(rdn[0] for rdn in c["subject"])["commonName"]) for c in certs}


def _app(name: str) -> App:
    return appmeta.load(FIXTURES / name / "meta.pb")


def test_gateway_without_url_warns(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.nourl.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  orchestrator:cloud: aws\n  orchestrator:envType: development\n"
    )
    plan = build(_app("replicate-image-generator"), stacks.load(tmp_path, "nourl"))
    rendered = render(plan)
    assert provisioned(rendered.outputs).gateways[0].base_url == ""
    assert any("gatewayBaseUrl" in w for w in rendered.warnings)


def test_cache_secret_name_is_made_by_naming() -> None:
    plan = synth_plan(10, "production")
    names = {r["inputs"]["name"] for r in synth_render(10, "production").resources
             if r["type"] == "aws:secretsmanager/secret:Secret"}
    for res in plan.of_kind(Kind.CACHE):
        assert naming.make("aws.secretsmanager", plan.app, plan.env.name, "cache", res.name) in names


def test_services_sign_their_calls_with_a_key_from_the_environment() -> None:
    """encore_auth, not noop (trap 21): the key lives in Secrets Manager and reaches the process as an env var."""
    plan = synth_plan(10, "production")
    rendered = synth_render(10, "production")
    cfg = build_config(plan, provisioned(rendered.outputs))
    (method,) = cfg.deployment.auth_methods
    assert method.WhichOneof("auth_method") == "encore_auth"
    (key,) = method.encore_auth.auth_keys
    assert key.id == 1 and key.data.WhichOneof("source") == "env"
    assert key.data.env == naming.env_var("SERVICE", "AUTH", "KEY")
    signing = naming.make("aws.secretsmanager", plan.app, plan.env.name, "service-auth")
    secrets = [r for r in rendered.resources if r["type"] == "aws:secretsmanager/secret:Secret"]
    assert signing in {r["inputs"]["name"] for r in secrets}


def test_metrics_go_to_cloudwatch_in_the_envs_namespace() -> None:
    """The core's one AWS exporter (runtimes/core/src/metrics/exporter/aws.rs) and Go's `aws_cloudwatch` infra-config
    entry (runtimes/go/appruntime/exported/config/infra/config.go) both need only the namespace."""
    plan = synth_plan(10, "production")
    record = provisioned(synth_render(10, "production").outputs)
    namespace = f"Encore/{plan.app}/{plan.env.name}"
    (provider,) = build_config(plan, record).deployment.observability.metrics
    assert provider.WhichOneof("provider") == "aws" and provider.aws.namespace == namespace
    assert not provider.HasField("collection_interval")
    go = synth_plan(10, "production", "go")
    doc = build_infra_json(go, provisioned(synth_render(10, "production", "go").outputs))
    assert doc["metrics"] == {"type": "aws_cloudwatch", "namespace": namespace}


def _env_refs(node: object) -> list[str]:
    if isinstance(node, dict):
        if set(node) == {"$env"}:
            return [node["$env"]]
        return [ref for value in node.values() for ref in _env_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _env_refs(value)]
    return []


@pytest.mark.parametrize("name", [n for n in FIXTURE_NAMES if fixture_plan(n, "production").language.value == "go"])
def test_go_process_still_sees_every_referenced_env_var(name: str) -> None:
    """Emulates a Go app's start-up: runtimes/go/appruntime/shared/encoreenv/encoreenv.go unsets every ENCORE_*
    variable at init, then appruntime/exported/config/infra/config.go resolves {"$env": X} with os.Getenv."""
    plan = fixture_plan(name, "production")
    record = provisioned(fixture_render(name, "production").outputs)
    environ = {"ENCORE_INFRA_CONFIG_PATH": "/encore/infra.config.json",
               **{var: "injected" for var in secret_sources(record)}}
    after_init = {k: v for k, v in environ.items() if not k.startswith("ENCORE_")}
    refs = _env_refs(build_infra_json(plan, record))
    assert refs
    assert [ref for ref in refs if not after_init.get(ref)] == []

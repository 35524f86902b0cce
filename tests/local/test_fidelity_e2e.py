"""Issue 9's end-to-end proof: configs that Encore's real runtimes start with, read the way each runtime reads them.

Two fixture apps (tests/fixtures/apps/fidelity/): go-shop (Go: two cache clusters, two secrets, an exactly-once and
an ordered topic with subscriptions, a bucket, a database) and ts-shop (TypeScript, given as protobuf JSON metadata:
typed topics and an auth handler with params). Both deploy on the local target (secrets set with `orchestrator secret
set`) and pass `orchestrator verify`; then each process's config is read back as its runtime reads it, and the same
apps' AWS configs, rendered with `runtime-config --offline`, pass the same readings.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
import redis
from google.protobuf import json_format

from orchestrator.core.schema import meta_pb2
from runtime_config.encode import GZIP_PREFIX, INLINE_VAR, PATH_VAR
from runtime_config.schema import runtime_pb2

if TYPE_CHECKING:
    from tests.local.conftest import Project

pytestmark = pytest.mark.local

REPO = Path(__file__).resolve().parents[2]
FIDELITY = REPO / "tests" / "fixtures" / "apps" / "fidelity"
GO_ENV, TS_ENV, AWS_ENV = "fid-go", "fid-ts", "aws-prod"
GO_SECRETS = {"StripeKey": "sk_test_fidelity", "SlackWebhook": "https://hooks.example/fidelity"}
TS_SECRETS = {"StripeKey": "sk_test_fidelity_ts", "MailgunKey": "mg-fidelity"}
GO_TOPICS = {"payment-captured": {"issue-invoice"}, "stock-changed": {"reprice"}}
TS_TOPICS = {"order-placed", "email-bounced"}


# ---- the Go runtime's reading (runtimes/go, Encore at 2b626e8)

def go_startup_environ(process_env: dict[str, str]) -> dict[str, str]:
    """What `os.Getenv` sees once a Go app has started: appruntime/shared/encoreenv/encoreenv.go unsets every
    ENCORE_* variable at init (after appconf has read ENCORE_INFRA_CONFIG_PATH and ENCORE_DEPLOY_ID)."""
    return {k: v for k, v in process_env.items() if not k.startswith("ENCORE_")}


def env_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        if set(node) == {"$env"}:
            return [node["$env"]]
        return [ref for value in node.values() for ref in env_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in env_refs(value)]
    return []


def go_resolve(node: Any, environ: dict[str, str]) -> Any:
    """appruntime/exported/config/infra/config.go: `EnvString.Value()` of {"$env": X} is `os.Getenv(X)` ("" if
    unset)."""
    if isinstance(node, dict):
        if set(node) == {"$env"}:
            return environ.get(node["$env"], "")
        return {k: go_resolve(v, environ) for k, v in node.items()}
    if isinstance(node, list):
        return [go_resolve(v, environ) for v in node]
    return node


def check_go_reading(doc: dict[str, Any], process_env: dict[str, str]) -> dict[str, Any]:
    """The checks both the local and the AWS Go config must pass; returns the config with `$env` resolved."""
    refs = env_refs(doc)
    assert [r for r in refs if r.startswith("ENCORE_")] == []
    environ = go_startup_environ(process_env)
    assert [r for r in refs if not environ.get(r)] == [], "referenced but empty after the Go start-up"
    cfg = go_resolve(doc, environ)
    # appruntime/exported/config/parse.go: only "acl" and "auth_string", else log.Fatalf.
    assert set(cfg["redis"]) == {"carts", "ratelimit"}
    for cache in cfg["redis"].values():
        assert cache["auth"]["type"] == "auth_string" and cache["auth"]["auth_string"]
    # parse.go resets its topic and bucket maps per pubsub[] / object_storage[] entry: only the last one counts.
    (pubsub,) = cfg["pubsub"]
    assert pubsub["type"] == "aws_sns_sqs"
    assert {t: set(v["subscriptions"]) for t, v in pubsub["topics"].items()} == GO_TOPICS
    for topic in pubsub["topics"].values():  # exactly-once and ordered: FIFO names; the rest comes from the code
        assert topic["arn"].endswith(".fifo")
        assert all(s["url"].endswith(".fifo") for s in topic["subscriptions"].values())
    (storage,) = cfg["object_storage"]
    assert set(storage["buckets"]) == {"invoices"}
    assert cfg["secrets"].keys() == GO_SECRETS.keys() and all(cfg["secrets"].values())
    assert [a["key"] for a in cfg["auth"]] and all(a["key"] for a in cfg["auth"])  # also the platform request key
    return cfg


def go_database(cfg: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """parse.go reads the `databases` key as the physical database name and `name` as the Encore name."""
    ((physical, db),) = cfg["sql_servers"][0]["databases"].items()
    assert db["name"] == "payments"
    return physical, db


# ---- the TypeScript runtime's reading (runtimes/core)

def ts_runtime_config(process_env: dict[str, str]) -> runtime_pb2.RuntimeConfig:
    """runtimes/core/src/lib.rs (`runtime_config_from_env`): ENCORE_RUNTIME_CONFIG inline (base64, `gzip:`), else
    the file at ENCORE_RUNTIME_CONFIG_PATH."""
    if INLINE_VAR in process_env:
        value = process_env[INLINE_VAR]
        raw = base64.b64decode(value.removeprefix(GZIP_PREFIX), validate=True)
        return runtime_pb2.RuntimeConfig.FromString(gzip.decompress(raw) if value.startswith(GZIP_PREFIX) else raw)
    return runtime_pb2.RuntimeConfig.FromString(Path(process_env[PATH_VAR]).read_bytes())


def json_meta(path: Path) -> meta_pb2.Data:
    return json_format.Parse(path.read_text(), meta_pb2.Data())


def decl_name(meta: meta_pb2.Data, typ: Any) -> str:
    assert typ.WhichOneof("typ") == "named"
    return {d.id: d.name for d in meta.decls}[typ.named.id]


def check_topics_have_message_types(cfg: runtime_pb2.RuntimeConfig, meta: meta_pb2.Data) -> None:
    """runtimes/core/src/pubsub/manager.rs: every configured topic must be in the metadata with a message_type."""
    (cluster,) = cfg.infra.resources.pubsub_clusters
    assert {t.encore_name for t in cluster.topics} == TS_TOPICS
    by_name = {t.name: t for t in meta.pubsub_topics}
    assert {decl_name(meta, by_name[t.encore_name].message_type) for t in cluster.topics} == {
        "OrderPlaced", "EmailBounced"}


def first_certificate_cn(pem: str) -> str:
    """runtimes/core/src/sqldb/manager.rs loads `server_ca_cert` with native_tls Certificate::from_pem: the first
    certificate only."""
    first = pem[: pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")]
    (cert,) = ssl.create_default_context(cadata=first).get_ca_certs()
    subject: Any = cert["subject"]
    return {key: value for ((key, value),) in subject}["commonName"]


# ---- deploys

def set_secrets(project: Project, env: str, meta: Path, values: dict[str, str]) -> None:
    for name, value in values.items():
        project.set_secret(env, name, value, meta)


@pytest.fixture(scope="module")
def go_meta(project: Project) -> Path:
    meta = project.app("fidelity/go-shop", name="go-shop")
    project.stack(GO_ENV, local={"redis": "server"})  # the in-memory default would test no Redis auth
    set_secrets(project, GO_ENV, meta, GO_SECRETS)
    project.deploy(GO_ENV, meta)
    return meta


@pytest.fixture(scope="module")
def ts_meta(project: Project) -> Path:
    from tests.local.conftest import write_migrations

    root = project.apps / "ts-shop"
    root.mkdir(parents=True, exist_ok=True)
    meta = root / "meta.json"
    shutil.copyfile(FIDELITY / "ts-shop" / "meta.json", meta)
    write_migrations(root, json_meta(meta))
    project.stack(TS_ENV)
    set_secrets(project, TS_ENV, meta, TS_SECRETS)
    result = project.deploy(TS_ENV, meta)
    assert "has no message type" not in result.stderr  # the schema package came through the JSON reader
    return meta


@pytest.fixture(scope="module")
def aws_stack(project: Project) -> str:
    """The shipped aws-prod stack, only ever rendered offline (so not in `project.envs`: nothing to destroy)."""
    shutil.copyfile(REPO / "stacks" / f"Pulumi.{AWS_ENV}.yaml", project.stacks / f"Pulumi.{AWS_ENV}.yaml")
    return AWS_ENV


# ---- local target

@pytest.mark.parametrize("env", [GO_ENV, TS_ENV])
def test_deployed_env_verifies(project: Project, go_meta: Path, ts_meta: Path, env: str) -> None:
    result = project.verify(env)
    assert "✓ all" in result.stderr and "FAILED" not in result.stderr, result.stderr
    for secret in (*GO_SECRETS.values(), *TS_SECRETS.values()):
        assert secret not in result.stdout + result.stderr


def test_go_process_reads_its_config_as_the_go_runtime_does(project: Project, go_meta: Path) -> None:
    process_env = project.env_vars(GO_ENV)
    assert process_env["ENCORE_DEPLOY_ID"]  # appconf.go reads it before the unset (trap 42)
    assert not any(k.startswith("ENCORE_RUNTIME_CONFIG") for k in process_env)  # Go reads only the JSON file
    # Trap 41: only the SNS, SQS and S3 calls go to the emulator, not every AWS call the app makes.
    assert "AWS_ENDPOINT_URL" not in process_env
    assert len({process_env[f"AWS_ENDPOINT_URL_{service}"] for service in ("SNS", "SQS", "S3")}) == 1
    doc = json.loads(Path(process_env["ENCORE_INFRA_CONFIG_PATH"]).read_text())
    cfg = check_go_reading(doc, process_env)
    assert cfg["secrets"] == GO_SECRETS

    # Go ignores key_prefix: two clusters on one local redis-server are kept apart by database index.
    caches = cfg["redis"]
    assert len({(c["host"], c["database_index"]) for c in caches.values()}) == 2
    for name, cache in caches.items():
        host, port = cache["host"].rsplit(":", 1)
        # parse.go: auth_string sets only the server's Password (User stays ""), which storage/cache/manager_internal.go
        # hands to the client: AUTH as the default user.
        client = redis.Redis(host=host, port=int(port), db=cache["database_index"],
                             password=cache["auth"]["auth_string"], socket_timeout=5)
        key = f"fidelity:{name}"
        assert client.ping() and client.set(key, name) and client.get(key) == name.encode()
        client.close()

    physical, db = go_database(cfg)
    assert physical == project.state_doc(GO_ENV)["resources"]["sql:payments"]["names"]["database"]
    host, port = cfg["sql_servers"][0]["host"].rsplit(":", 1)
    with psycopg.connect(host=host, port=int(port), dbname=physical, user=db["username"], password=db["password"],
                         connect_timeout=10) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (physical,)

    arns = {t["arn"] for t in cfg["pubsub"][0]["topics"].values()}
    assert {a.rsplit(":", 1)[1] for a in arns} <= project.inventory(GO_ENV)["topics"]


def test_typescript_process_reads_its_config_and_lossless_metadata(project: Project, ts_meta: Path) -> None:
    process_env = project.env_vars(TS_ENV)
    cfg = ts_runtime_config(process_env)
    assert cfg.environment.env_name == TS_ENV and cfg.deployment.deploy_id
    handed = meta_pb2.Data.FromString(Path(process_env["ENCORE_APP_META_PATH"]).read_bytes())
    given = json_meta(ts_meta)
    assert handed == given  # every field of the JSON, the schema package included
    check_topics_have_message_types(cfg, handed)

    params = handed.auth_handler.params
    assert decl_name(handed, params) == "AuthParams"
    (params_decl,) = (d for d in handed.decls if d.id == params.named.id)
    wires = {f.name: f.wire for f in params_decl.type.struct.fields}
    assert wires["authorization"].header.name == "Authorization" and wires["session"].cookie.name == "session"
    assert decl_name(handed, handed.auth_handler.auth_data) == "AuthData"
    assert handed.gateways[0].explicit.auth_handler == handed.auth_handler

    secrets = {s.encore_name: s.data.embedded.decode() for s in cfg.infra.resources.app_secrets}
    assert secrets == TS_SECRETS
    (cluster,) = cfg.infra.resources.sql_clusters
    assert [d.encore_name for d in cluster.databases] == ["orders"]
    (buckets,) = cfg.infra.resources.bucket_clusters
    assert [b.encore_name for b in buckets.buckets] == ["receipts"] and buckets.buckets[0].public_base_url


# ---- AWS, rendered offline

def test_go_aws_config_offline_passes_the_go_reading(project: Project, go_meta: Path, aws_stack: str,
                                                     tmp_path: Path) -> None:
    from orchestrator import pipeline
    from orchestrator.ui import UI
    from providers.aws.delivery import deliver

    cli = project.popen("runtime-config", "--env", aws_stack, "--meta", str(go_meta), "--offline",
                        "--format", "infra-json")
    # Meanwhile, what the deploy would set in the process's environment: its env vars and the secrets the
    # platform injects (the same program under the same mocks).
    ctx = pipeline.Context(stacks_dir=project.stacks, state_root=project.root / "aws-state", ui=UI())
    plan = pipeline.plan(ctx, aws_stack, go_meta)
    delivered = deliver(plan, pipeline.offline_provisioned(ctx, plan), {}, tmp_path)
    process_env = {**delivered.env_vars, **{var: f"value-of-{var}" for var in delivered.secret_env}}
    assert all(delivered.secret_env.values())  # each injected from a Secrets Manager ARN
    stdout, stderr = cli.communicate(timeout=240)
    assert cli.returncode == 0, stderr
    doc = json.loads(stdout)

    cfg = check_go_reading(doc, process_env)
    assert sorted(env_refs(doc)) == sorted(delivered.secret_env)
    physical, db = go_database(cfg)
    assert physical != "payments" and db["password"]
    tls = cfg["sql_servers"][0]["tls_config"]
    assert not tls.get("disabled") and first_certificate_cn(tls["ca"]).startswith("Amazon RDS eu-west-1 Root CA")
    assert doc["metrics"] == {"type": "aws_cloudwatch", "namespace": f"Encore/go-shop/{aws_stack}"}


def test_typescript_aws_config_offline_passes_the_core_reading(project: Project, ts_meta: Path,
                                                               aws_stack: str) -> None:
    out = project.root / "ts-aws.pb"
    result = project.cli("runtime-config", "--env", aws_stack, "--meta", str(ts_meta), "--offline",
                         "--format", "pb", "--output", str(out))
    assert result.code == 0, str(result)
    cfg = runtime_pb2.RuntimeConfig.FromString(out.read_bytes())
    assert cfg.environment.cloud == runtime_pb2.Environment.CLOUD_AWS

    (cluster,) = cfg.infra.resources.sql_clusters
    (server,) = cluster.servers
    assert server.tls_config.server_ca_cert
    assert first_certificate_cn(server.tls_config.server_ca_cert) == "Amazon RDS eu-west-1 Root CA RSA2048 G1"
    check_topics_have_message_types(cfg, json_meta(ts_meta))
    (metrics,) = cfg.deployment.observability.metrics
    assert metrics.WhichOneof("provider") == "aws" and metrics.aws.namespace == f"Encore/ts-shop/{aws_stack}"
    sources = {s.encore_name: s.data.WhichOneof("source") for s in cfg.infra.resources.app_secrets}
    assert sources == dict.fromkeys(TS_SECRETS, "env")
    assert not any(s.data.env.startswith("ENCORE_") for s in cfg.infra.resources.app_secrets)

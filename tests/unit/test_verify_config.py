"""orchestrator.verify.config (and verify's check list) without servers: where the config is read from, the
JSON infra config as each runtime reads it, SecretData resolution."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest

from orchestrator import verify
from orchestrator.core.errors import BadInput
from orchestrator.core.model import App, Cache, Language
from orchestrator.verify.config import from_infra_json, load
from runtime_config.schema import runtime_pb2
from runtime_config.secrets import SecretData, SecretError, resolve


def _config(env_name: str) -> bytes:
    cfg = runtime_pb2.RuntimeConfig()
    cfg.environment.env_name = env_name
    return cfg.SerializeToString()


def test_precedence(tmp_path: Path) -> None:
    raw = _config("from-value")
    (tmp_path / "rc.pb").write_bytes(gzip.compress(_config("from-path")))
    (tmp_path / "infra.json").write_text(json.dumps({"metadata": {"env_name": "from-json"}}))
    value = base64.b64encode(raw).decode()
    everything = {"ENCORE_INFRA_CONFIG_PATH": str(tmp_path / "infra.json"), "ENCORE_RUNTIME_CONFIG": value,
                  "ENCORE_RUNTIME_CONFIG_PATH": str(tmp_path / "rc.pb")}
    assert load(everything)[0].environment.env_name == "from-json"
    del everything["ENCORE_INFRA_CONFIG_PATH"]
    assert load(everything)[0].environment.env_name == "from-value"
    gz = "gzip:" + base64.b64encode(gzip.compress(raw)).decode()
    assert load({"ENCORE_RUNTIME_CONFIG": gz})[0].environment.env_name == "from-value"
    del everything["ENCORE_RUNTIME_CONFIG"]
    assert load(everything)[0].environment.env_name == "from-path"


@pytest.mark.parametrize("environ", [
    {}, {"ENCORE_INFRA_CONFIG_PATH": ""}, {"ENCORE_RUNTIME_CONFIG": "not base64!"},
    {"ENCORE_RUNTIME_CONFIG": base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode()},
    {"ENCORE_RUNTIME_CONFIG_PATH": "/nonexistent/rc.pb"},
])
def test_unusable_config_is_bad_input(environ: dict[str, str]) -> None:
    with pytest.raises(BadInput):
        load(environ)


DOC = {
    "sql_servers": [{"host": "db:5433", "databases": {"orders": {"name": "orders_phys", "username": "u",
                                                                  "password": {"$env": "PW"}}}}],
    "redis": {"c": {"host": "r", "database_index": 2, "in_memory": False, "tls_config": {"disabled": True},
                    "auth": {"type": "auth_string", "auth_string": "s"}}},
    "pubsub": [{"type": "aws_sns_sqs", "topics": {"t": {"arn": "arn:aws:sns:eu-west-1:1:t",
                                                         "subscriptions": {"s": {"url": "https://q/1/s"}}}}}],
    "object_storage": [{"type": "s3", "region": "eu-west-1", "buckets": {"b": {"name": "b-phys", "key_prefix": "p/"}}}],
    "secrets": {"A": "lit", "B": {"$env": "B_VAR"}},
}


def test_infra_json_as_the_rust_core_reads_it() -> None:
    cfg = from_infra_json(DOC)
    res, creds = cfg.infra.resources, cfg.infra.credentials
    (cluster,) = res.sql_clusters
    assert (cluster.databases[0].encore_name, cluster.databases[0].cloud_name) == ("orders", "orders_phys")
    assert cluster.servers[0].HasField("tls_config")  # absent tls_config means TLS (prefer)
    assert creds.sql_roles[0].password.env == "PW"
    assert not res.redis_clusters[0].servers[0].HasField("tls_config")
    assert creds.redis_roles[0].auth_string.embedded == b"s"
    assert res.pubsub_clusters[0].subscriptions[0].subscription_cloud_name == "https://q/1/s"
    assert res.bucket_clusters[0].buckets[0].key_prefix == "p/"
    assert {s.encore_name: s.data.WhichOneof("source") for s in res.app_secrets} == {"A": "embedded", "B": "env"}


def test_infra_json_as_the_go_runtime_reads_it() -> None:
    doc = {"sql_servers": [{"host": "db", "databases": {"orders_phys": {"name": "orders", "username": "u",
                                                                        "password": "p"}}}]}
    (cluster,) = from_infra_json(doc, go=True).infra.resources.sql_clusters
    assert (cluster.databases[0].encore_name, cluster.databases[0].cloud_name) == ("orders", "orders_phys")
    assert not cluster.servers[0].HasField("tls_config")


def test_secret_sources_and_encodings() -> None:
    env = {"V": "plain", "PARTS": "envref:P1,P2", "P1": "ab", "P2": "cd", "J": json.dumps({"k": {"bytes": "aGk="}})}
    assert resolve(SecretData(embedded=b"x"), env) == b"x"
    assert resolve(SecretData(env="V"), env) == b"plain"
    assert resolve(SecretData(env="PARTS"), env) == b"abcd"
    assert resolve(SecretData(embedded=base64.b64encode(b"y"), encoding=SecretData.ENCODING_BASE64), env) == b"y"
    gz = base64.b64encode(gzip.compress(b"z"))
    assert resolve(SecretData(embedded=gz, encoding=SecretData.ENCODING_GZIP), env) == b"z"
    assert resolve(SecretData(env="J", json_key="k"), env) == b"hi"
    assert resolve(SecretData(embedded=b'{"k": "s"}', json_key="k"), env) == b"s"


@pytest.mark.parametrize(("data", "message"), [
    (SecretData(env="MISSING"), "MISSING is not set"),
    (SecretData(env="REF"), "R2"),
    (SecretData(), "no source"),
    (SecretData(embedded=b"{}", json_key="k"), "no such key"),
    (SecretData(provider=SecretData.ProviderRef(provider_rid="p", id="x")), "is not in this config"),
])
def test_unresolvable_secrets(data: SecretData, message: str) -> None:
    with pytest.raises(SecretError, match=message):
        resolve(data, {"REF": "envref:R1,R2", "R1": "a"})


def test_check_list_without_servers() -> None:
    cfg = runtime_pb2.RuntimeConfig()
    memory = cfg.infra.resources.redis_clusters.add(in_memory=True)
    memory.databases.add(encore_name="fast")
    gcp = cfg.infra.resources.pubsub_clusters.add()
    gcp.gcp.SetInParent()
    gcp.topics.add(encore_name="t")
    cfg.infra.resources.app_secrets.add(encore_name="S", data=SecretData(env="S_VAR"))
    app = App(name="a", language=Language.TYPESCRIPT, caches=(Cache(name="fast"), Cache(name="gone")))

    rows = [verify._run(check) for check in verify.checks(cfg, app, {"S_VAR": "v"})]

    skipped = ("ping/set/get/del", verify.SKIPPED, "in-process (nothing to check)")
    assert ("cache:fast", *skipped) in rows
    assert ("cache:gone", *skipped) in rows  # the in-memory cluster serves every unconfigured cache
    assert ("topic:t", "publish", verify.FAILED) in [r[:3] for r in rows]
    assert ("secret:S", "resolves", verify.OK, "non-empty (env)") in rows

    del cfg.infra.resources.redis_clusters[:]
    rows = [verify._run(check) for check in verify.checks(cfg, app, {"S_VAR": "v"})]
    assert ("cache:gone", "in runtime config", verify.FAILED) in [r[:3] for r in rows]

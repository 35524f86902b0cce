"""The runtime config an Azure deploy delivers, from the program's mocked outputs, field by field, for each of the
three shapes: TypeScript (protobuf), Go without topics (JSON infra config), Go with topics (the Go runtime's legacy
JSON config, checked against the struct tags of runtimes/go/appruntime/exported/config/config.go, copied into
tests/fixtures/go_legacy_config_tags.json). Which runtime reads each field is cited beside it."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from azgraph import REPO, fixture_plan, render, synth_plan, synth_render
from fake_azure import FakeContainerApps

from orchestrator.core.errors import OrchestratorError, Unsupported
from orchestrator.core.model import Kind
from providers.azure import delivery, mocks
from providers.azure.sql import ca_bundle
from runtime_config import legacy_json
from runtime_config.build import build
from runtime_config.infra import Provisioned
from runtime_config.infra_json import build_infra_json
from runtime_config.schema import runtime_pb2

CANARY = "canary-Hs5nQ2wE8rT4yU7i"
TAGS = json.loads((REPO / "tests" / "fixtures" / "go_legacy_config_tags.json").read_text())["structs"]
ROOTS = ("DigiCert Global Root G2", "Microsoft RSA Root Certificate Authority 2017")


def provisioned(rendered: Any) -> Provisioned:
    return Provisioned.model_validate(rendered.outputs["provisioned"])


def test_the_bundled_ca_holds_exactly_the_two_azure_roots() -> None:
    pem = ca_bundle()
    assert pem.count("-----BEGIN CERTIFICATE-----") == 2
    assert all(f'Label: "{root}"' in pem for root in ROOTS)


def test_go_without_topics_gets_the_json_infra_config() -> None:
    plan = synth_plan(10, "production", "go", False)
    record = provisioned(synth_render(10, "production", "go", False))
    doc = build_infra_json(plan, record)
    assert doc["metadata"]["cloud"] == "azure" and "pubsub" not in doc
    for server in doc["sql_servers"]:
        assert server["host"].endswith(".postgres.database.azure.com:5432")
        # parse.go copies tls_config.ca into ServerCACert; sqldb/db.go then verifies (sslmode=verify-ca)
        assert server["tls_config"]["ca"] == ca_bundle()
        for cloud_name, db in server["databases"].items():
            assert db["name"] != cloud_name and set(db["password"]) == {"$env"}
    assert doc["redis"]
    for cache in doc["redis"].values():
        # cache/manager_internal.go: tls_config present -> EnableTLS; Managed Redis listens on 10000
        assert cache["host"].endswith(".redis.azure.net:10000") and cache["tls_config"] == {
            "disable_tls_hostname_verification": False, "disable_ca_validation": False}
        assert cache["auth"]["type"] == "auth_string" and set(cache["auth"]["auth_string"]) == {"$env"}
    assert all(set(v) == {"$env"} for v in doc["secrets"].values())
    assert [a["key"] for a in doc["auth"]] == [{"$env": "ORCH_SERVICE_AUTH_KEY_2CE7"}]


def test_typescript_without_topics_gets_the_protobuf() -> None:
    plan = synth_plan(10, "ephemeral", "typescript", False)
    cfg = build(plan, provisioned(synth_render(10, "ephemeral", "typescript", False)))
    assert cfg.environment.cloud == runtime_pb2.Environment.CLOUD_AZURE
    res = cfg.infra.resources
    assert res.sql_clusters and all(s.tls_config.server_ca_cert == ca_bundle()
                                    for c in res.sql_clusters for s in c.servers)
    assert res.redis_clusters and all(s.HasField("tls_config") and s.host.endswith(":10000")
                                      for c in res.redis_clusters for s in c.servers)
    assert not res.pubsub_clusters and not res.bucket_clusters
    assert res.app_secrets and all(s.data.WhichOneof("source") == "env" for s in res.app_secrets)


def test_go_with_topics_cannot_use_the_infra_config() -> None:
    plan = fixture_plan("booking-system", "production")
    with pytest.raises(Unsupported, match="Azure"):
        build_infra_json(plan, provisioned(render(plan)))


def _legacy(name: str = "ai-chat", env_type: str = "production") -> tuple[dict[str, Any], Provisioned]:
    plan = fixture_plan(name, env_type)
    record = provisioned(render(plan))
    values = {ref.env: f"{CANARY}-{ref.env}" for _, ref in record.secret_refs() if ref.env}
    return legacy_json.build_legacy_json(plan, record, values), record


def _check_tags(node: dict[str, Any], struct: str) -> None:
    assert set(node) <= set(TAGS[struct]), f"{struct}: {set(node) - set(TAGS[struct])}"


def test_legacy_config_keys_are_the_go_struct_tags() -> None:
    doc, _ = _legacy()
    _check_tags(doc, "Runtime")
    for s in doc["sql_servers"]:
        _check_tags(s, "SQLServer")
    for d in doc["sql_databases"]:
        _check_tags(d, "SQLDatabase")
    for p in doc["pubsub_providers"]:
        _check_tags(p, "PubsubProvider")
        _check_tags(p["azure"], "AzureServiceBusProvider")
    for t in doc["pubsub_topics"].values():
        _check_tags(t, "PubsubTopic")
        for s in t["subscriptions"].values():
            _check_tags(s, "PubsubSubscription")
    for k in doc["auth_keys"]:
        _check_tags(k, "EncoreAuthKey")
    for g in doc["gateways"]:
        _check_tags(g, "Gateway")
    _check_tags(doc["graceful_shutdown"], "GracefulShutdownTimings")
    _check_tags(doc["cors"], "CORS")
    for a in doc["service_auth"]:
        _check_tags(a, "ServiceAuth")


def test_legacy_config_field_by_field() -> None:
    doc, record = _legacy()
    plan = fixture_plan("ai-chat", "production")
    assert (doc["app_id"], doc["env_name"], doc["env_type"], doc["env_cloud"]) == (
        "ai-chat", "azure-prod", "production", "azure")
    assert doc["api_base_url"] == "https://api.example.com"
    assert doc["graceful_shutdown"] == {"total": 10 * 1_000_000_000}  # time.Duration: nanoseconds
    # appruntime/shared/platform and service auth: "encore-auth" with the keys as []byte (base64 in JSON)
    assert doc["service_auth"] == [{"method": "encore-auth"}]
    (key,) = doc["auth_keys"]
    assert key["kid"] == 1 and base64.b64decode(key["data"]).decode() == f"{CANARY}-ORCH_SERVICE_AUTH_KEY_2CE7"
    # pubsub/internal/azure/clients.go: <namespace>.servicebus.windows.net; topic.go: provider names are entities
    assert record.pubsub is not None
    assert doc["pubsub_providers"] == [{"azure": {"namespace": record.pubsub.namespace}}]
    topics = {r.name: r for r in plan.resources if r.kind is Kind.TOPIC}
    assert set(doc["pubsub_topics"]) == set(topics)
    for name, topic in doc["pubsub_topics"].items():
        assert topic["provider_id"] == 0 and topic["provider_name"] == topics[name].names["topic"]
        for sub_name, sub in topic["subscriptions"].items():
            planned = plan.get(f"subscription:{name}/{sub_name}")
            assert sub == {"id": "", "encore_name": sub_name, "provider_name": planned.names["subscription"],
                           "push_only": False}
    # storage/sqldb: server_ca_cert -> verify-ca; the password embedded (the legacy format has no $env)
    (server,) = doc["sql_servers"]
    assert server["host"].endswith(".postgres.database.azure.com:5432") and server["server_ca_cert"] == ca_bundle()
    dbs = {r.name: r for r in plan.resources if r.kind is Kind.SQL}
    assert {d["encore_name"] for d in doc["sql_databases"]} == set(dbs)
    for d in doc["sql_databases"]:
        names = dbs[d["encore_name"]].names
        assert d["server_id"] == 0 and d["database_name"] == names["database"] and d["user"] == names["role"]
        assert d["password"] == f"{CANARY}-{names['password_env']}"
    assert doc["hosted_services"] == [r.name for r in plan.resources if r.kind is Kind.SERVICE]
    assert doc["gateways"] == [{"name": "api-gateway", "host": ""}]


def test_legacy_config_redis_fields() -> None:
    plan = synth_plan(10, "production")
    record = provisioned(synth_render(10, "production"))
    values = {ref.env: CANARY for _, ref in record.secret_refs() if ref.env}
    doc = legacy_json.build_legacy_json(plan, record, values)
    assert len(doc["redis_servers"]) == len(doc["redis_databases"]) >= 2
    for i, (server, db) in enumerate(zip(doc["redis_servers"], doc["redis_databases"], strict=True)):
        _check_tags(server, "RedisServer")
        _check_tags(db, "RedisDatabase")
        # cache/manager_internal.go: enable_tls -> TLS; password without user -> AUTH <password>
        assert server["enable_tls"] is True and server["password"] == CANARY and "user" not in server
        assert server["host"].endswith(":10000") and db["server_id"] == i and db["database"] == 0


def test_legacy_config_needs_every_embedded_value() -> None:
    plan = fixture_plan("booking-system", "production")
    with pytest.raises(Unsupported, match="embeds secret values"):
        legacy_json.build_legacy_json(plan, provisioned(render(plan)), {})


def test_encode_is_what_parse_go_decodes() -> None:
    doc, _ = _legacy("booking-system")
    assert json.loads(base64.b64decode(legacy_json.encode(doc))) == doc


def test_the_program_builds_the_legacy_config_from_the_generated_values(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []
    original = legacy_json.encode
    monkeypatch.setattr(legacy_json, "encode", lambda doc: seen.append(doc) or original(doc))
    rendered = render(synth_plan(10, "ephemeral"), password=CANARY)
    (doc,) = seen
    assert {d["password"] for d in doc["sql_databases"]} == {CANARY}
    assert {s["password"] for s in doc["redis_servers"]} == {mocks.MOCK_KEY}
    assert base64.b64decode(doc["auth_keys"][0]["data"]).decode() == CANARY
    (secret,) = [r for r in rendered.resources if r["name"] == "runtime-config/legacy"]
    assert secret["inputs"]["properties"] == "[secret]"
    assert CANARY not in json.dumps(rendered.outputs, default=str)


# ---- delivery -------------------------------------------------------------------------------------------------


def _outputs(rendered: Any) -> dict[str, Any]:
    return {k: v for k, v in rendered.outputs.items() if k != "provisioned"}


def _jobs_succeed(rendered: Any) -> Any:
    """A Container Apps client whose SQL job executions all succeed (test_azure_sql_jobs_run.py covers the rest)."""
    jobs = rendered.outputs.get(delivery.SQL_JOBS_OUTPUT, [])
    client = FakeContainerApps({job["job"]: ["Succeeded"] for job in jobs})
    return lambda subscription: client


def test_deliver_go_with_topics_as_a_secret_reference_only(tmp_path: Path) -> None:
    plan = fixture_plan("ai-chat", "production")
    rendered = render(plan)
    out = delivery.deliver(plan, provisioned(rendered), _outputs(rendered), tmp_path,
                           jobs_client=_jobs_succeed(rendered))
    assert out.files == {} and list(tmp_path.iterdir()) == []
    assert "ENCORE_RUNTIME_CONFIG" not in out.env_vars
    location = out.secret_env["ENCORE_RUNTIME_CONFIG"]
    assert location == rendered.outputs[delivery.LEGACY_OUTPUT]
    assert location is not None and location.startswith("https://") and ".vault.azure.net/secrets/" in location
    assert "ENCORE_APP_SECRETS" not in out.secret_env
    assert all(v is None or v.startswith("https://") for v in out.secret_env.values())
    assert any("AZURE_CLIENT_ID=" in n for n in out.notes)
    with pytest.raises(OrchestratorError, match=delivery.LEGACY_OUTPUT):
        delivery.deliver(plan, provisioned(rendered), {}, tmp_path)


def _go_app_secrets(environ: dict[str, str]) -> dict[str, str]:
    """What the Go runtime reads from ENCORE_APP_SECRETS, as runtimes/go/appruntime/infrasdk/secrets/
    manager_internal.go does: `envref:` chunks from ENCORE_* variables only (encoreenv.Get), concatenated, split on
    "," then "=", values unpadded base64url."""
    encore = {k: v for k, v in environ.items() if k.startswith("ENCORE_")}
    value = encore["ENCORE_APP_SECRETS"]
    if value.startswith("envref:"):
        value = "".join(encore[name] for name in value.removeprefix("envref:").split(",") if name)
    out = {}
    for part in value.split(","):
        key, val = part.split("=", 1)
        out[key] = base64.urlsafe_b64decode(val + "=" * (-len(val) % 4)).decode()
    return out


def test_go_app_secrets_reach_the_legacy_runtime_through_an_envref(tmp_path: Path) -> None:
    plan = fixture_plan("ai-chat", "production")
    rendered = render(plan)
    record = provisioned(rendered)
    out = delivery.deliver(plan, record, _outputs(rendered), tmp_path, jobs_client=_jobs_succeed(rendered))
    stored = {s.ref.source: s.encore_name for s in record.secrets}
    assert len(stored) == 6
    # the platform fills each secret variable from its Key Vault secret, stored as name=base64url(value)
    environ = dict(out.env_vars)
    for var, source in out.secret_env.items():
        if source in stored:
            name = stored[source]
            environ[var] = f"{name}=" + base64.urlsafe_b64encode(f"value of {name}".encode()).decode().rstrip("=")
    assert _go_app_secrets(environ) == {name: f"value of {name}" for name in stored.values()}
    assert any("base64url" in n for n in out.notes)


def test_deliver_go_without_topics_writes_the_infra_config(tmp_path: Path) -> None:
    plan = synth_plan(10, "production", "go", False)
    rendered = synth_render(10, "production", "go", False)
    out = delivery.deliver(plan, provisioned(rendered), _outputs(rendered), tmp_path,
                           jobs_client=_jobs_succeed(rendered))
    assert set(out.files) == {"infra_config"} and out.env_vars["ENCORE_INFRA_CONFIG_PATH"] == str(
        out.files["infra_config"])
    assert (out.files["infra_config"].stat().st_mode & 0o777) == 0o600
    assert any("ship that file" in n for n in out.notes)


def test_deliver_typescript_inline(tmp_path: Path) -> None:
    plan = synth_plan(10, "ephemeral", "typescript", False)
    rendered = synth_render(10, "ephemeral", "typescript", False)
    out = delivery.deliver(plan, provisioned(rendered), _outputs(rendered), tmp_path,
                           jobs_client=_jobs_succeed(rendered))
    assert "ENCORE_RUNTIME_CONFIG" in out.env_vars
    cfg = runtime_pb2.RuntimeConfig.FromString(out.files["runtime_config"].read_bytes())
    assert cfg.environment.env_name == "azure-preview"
    assert set(out.secret_env) == {ref.env for _, ref in provisioned(rendered).secret_refs()}

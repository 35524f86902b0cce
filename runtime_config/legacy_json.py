"""Plan + Provisioned -> the Go runtime's legacy JSON runtime config (`config.Runtime`), the only format in which a
Go app can use Azure Service Bus (`pubsub_providers[].azure.namespace`): the JSON infra config has no Azure variant
and the Rust core none at all (runtime-expectations.md trap 38).

The shape follows the struct tags of `Runtime`, `SQLServer`, `SQLDatabase`, `RedisServer`, `RedisDatabase`,
`PubsubProvider`, `AzureServiceBusProvider`, `PubsubTopic`, `PubsubSubscription`, `EncoreAuthKey`, `Gateway`,
`Service` and `GracefulShutdownTimings` in runtimes/go/appruntime/exported/config/config.go. The Go runtime reads it
from `ENCORE_RUNTIME_CONFIG` as standard base64 of the JSON (parse.go `parseRuntimeConfigEnv`), and only when
`ENCORE_INFRA_CONFIG_PATH` is unset (parse.go `ParseRuntime` prefers the infra config).

The format has no `$env` references: SQL passwords, Redis auth and signing keys are embedded, so callers pass their
`values` (env var -> value) and must treat the result as a secret. App secrets are not part of it: the Go runtime
reads them from `ENCORE_APP_SECRETS` (runtimes/go/appruntime/infrasdk/secrets/secrets.go).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from orchestrator.core.errors import Unsupported
from orchestrator.core.plan import Plan
from runtime_config.infra import CacheRecord, Provisioned, SecretRef, Tls
from runtime_config.scope import GRACEFUL_SHUTDOWN_SECONDS, Scope, scope

NANOS = 1_000_000_000
"""`time.Duration` marshals as integer nanoseconds."""
SERVICE_AUTH = "encore-auth"
"""The method name the Go runtime's service auth uses for HMAC keys (parse.go maps infra `key` auth to it)."""


def build_legacy_json(plan: Plan, provisioned: Provisioned, values: Mapping[str, str], *,
                      hosted_services: Sequence[str] | None = None) -> dict[str, Any]:
    """The `config.Runtime` document for a process hosting `hosted_services` (default: all) and every gateway."""
    s = scope(plan, provisioned, hosted_services)
    env = plan.env
    auth = [{"method": SERVICE_AUTH}] if s.auth_keys else [{"method": "noop"}]
    doc: dict[str, Any] = {
        "app_id": plan.app,
        "app_slug": plan.app,
        "api_base_url": s.gateways[0].base_url if s.gateways else "",
        "env_id": env.name,
        "env_name": env.name,
        "env_type": env.env_type.value,
        "env_cloud": s.cloud,
        "deploy_id": provisioned.deploy_id or "",
        "graceful_shutdown": {"total": GRACEFUL_SHUTDOWN_SECONDS * NANOS},
        "hosted_services": list(s.services),
        "service_auth": auth,
        "log_config": "",
    }
    if s.auth_keys:
        doc["auth_keys"] = [
            {"kid": k.id, "data": base64.b64encode(_value(k.key, values, f"service auth key {k.id}").encode()).decode()}
            for k in s.auth_keys
        ]
    if s.gateways:
        doc["gateways"] = [{"name": g.encore_name, "host": ""} for g in s.gateways]
        doc["cors"] = {"allow_private_network_access": True}
    if s.discovery:
        doc["service_discovery"] = {name: {"name": name, "url": url, "protocol": "http", "service_auth": auth[0]}
                                    for name, url in s.discovery.items()}
    _sql(s, doc, values)
    _redis(s.caches, doc, values)
    if s.pubsub is not None:
        _pubsub(s, doc)
    if s.object_storage is not None:
        raise Unsupported("the Go legacy runtime config is written only for Azure, which has no object storage",
                          where="provisioned object_storage")
    return doc


def encode(doc: dict[str, Any]) -> str:
    """The `ENCORE_RUNTIME_CONFIG` value: standard base64 of the compact JSON."""
    return base64.b64encode(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).decode("ascii")


def _value(ref: SecretRef, values: Mapping[str, str], where: str) -> str:
    if ref.value is not None:
        return ref.value
    if ref.env is not None and ref.env in values:
        return values[ref.env]
    raise Unsupported(f"the Go legacy runtime config embeds secret values and none is known for {ref.env or ref}",
                      where=where)


def _ca(tls: Tls | None) -> str:
    return (tls.ca_cert or "") if tls is not None else ""


def _sql(s: Scope, doc: dict[str, Any], values: Mapping[str, str]) -> None:
    servers, databases = [], []
    for i, (server, dbs) in enumerate(s.sql):
        entry: dict[str, Any] = {"host": server.host}
        if ca := _ca(server.tls):
            entry["server_ca_cert"] = ca  # sqldb/db.go: a CA means sslmode=verify-ca, none means prefer
        servers.append(entry)
        databases += [
            {"server_id": i, "encore_name": db.encore_name, "database_name": db.cloud_name, "user": db.username,
             "password": _value(db.password, values, f"sql:{db.encore_name} password"),
             "min_connections": db.min_connections, "max_connections": db.max_connections}
            for db in dbs
        ]
    if servers:
        doc["sql_servers"], doc["sql_databases"] = servers, databases


def _redis(caches: Sequence[CacheRecord], doc: dict[str, Any], values: Mapping[str, str]) -> None:
    servers, databases = [], []
    for i, cache in enumerate(caches):
        server: dict[str, Any] = {"host": cache.host or "", "in_memory": cache.in_memory,
                                  "enable_tls": cache.tls is not None}
        if ca := _ca(cache.tls):
            server["server_ca_cert"] = ca
        if cache.auth is not None and not cache.in_memory:
            server["password"] = _value(cache.auth, values, f"cache:{cache.encore_name} auth")
            if cache.auth_username is not None:
                server["user"] = cache.auth_username
        servers.append(server)
        databases.append({"server_id": i, "encore_name": cache.encore_name, "database": cache.database_index,
                          "key_prefix": cache.key_prefix or ""})
    if servers:
        doc["redis_servers"], doc["redis_databases"] = servers, databases


def _pubsub(s: Scope, doc: dict[str, Any]) -> None:
    ps = s.pubsub
    assert ps is not None
    if ps.provider != "azure":
        raise Unsupported("the Go legacy runtime config is written only for Azure Service Bus; other providers go "
                          "through the JSON infra config", where="provisioned pubsub")
    doc["pubsub_providers"] = [{"azure": {"namespace": ps.namespace}}]
    doc["pubsub_topics"] = {
        t.encore_name: {
            "encore_name": t.encore_name,
            "provider_id": 0,
            "provider_name": t.cloud_name,
            "subscriptions": {
                sub.encore_name: {"id": "", "encore_name": sub.encore_name, "provider_name": sub.cloud_name,
                                  "push_only": False}
                for sub in ps.subscriptions if sub.topic == t.encore_name
            },
        }
        for t in ps.topics
    }

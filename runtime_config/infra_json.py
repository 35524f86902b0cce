"""The same process config as the JSON infra config (`ENCORE_INFRA_CONFIG_PATH`), the format Go apps read.

It stays in the subset both runtimes parse (runtime-config.md §7.13): a plain `secrets` map (never
the whole-map `{"$env": ...}` form, trap 12), plain SQL usernames, and `databases`, `topics`,
`subscriptions`, `buckets`, `in_memory`, `database_index` always written (trap 11), plus a `cors`
object whenever a gateway is hosted (trap 9). Redis auth strings use `"type": "auth_string"`: the Go
runtime log.Fatalf's on any type but "acl" and "auth_string" (runtimes/go/appruntime/exported/config/parse.go),
and the Rust core reads "auth_string" too (runtimes/core/src/infracfg.rs).

Two keys mean different things to the two runtimes' parsers, so they follow the app's language:

* SQL databases: the Rust core keys them by Encore name and reads the physical name from `name`;
  the Go runtime keys them by physical name and reads the Encore name from `name`.
No TLS is `"tls_config": {"disabled": true}`: the Rust core needs it (absent means TLS on, trap 10)
and the Go runtime honours it (runtimes/go/appruntime/exported/config/parse.go).

The Go parser keeps only the last `pubsub[]` and the last `object_storage[]` entry (parse.go resets
the topic and bucket maps per entry), so each is written as one entry holding every topic/bucket.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from orchestrator.core.errors import BadInput, Unsupported
from orchestrator.core.model import Language
from orchestrator.core.plan import Plan
from runtime_config.infra import (
    BucketRecord,
    CacheRecord,
    ObjectStorage,
    Provisioned,
    PubSub,
    PubSubSubscription,
    SecretRef,
    SqlDatabase,
    SqlServer,
    Tls,
)
from runtime_config.scope import AZURE_PUBSUB, GRACEFUL_SHUTDOWN_SECONDS, Scope, rid, scope

EnvString = str | dict[str, str]


def build_infra_json(
    plan: Plan, provisioned: Provisioned, *, hosted_services: Sequence[str] | None = None
) -> dict[str, Any]:
    """The infra-config document for a process hosting `hosted_services` (default: all) and every gateway."""
    s = scope(plan, provisioned, hosted_services)
    go = plan.language is Language.GO
    doc: dict[str, Any] = {
        "metadata": _metadata(s),
        "graceful_shutdown": {"total": GRACEFUL_SHUTDOWN_SECONDS},
        "hosted_services": list(s.services),
    }
    if s.gateways:
        doc["hosted_gateways"] = [g.encore_name for g in s.gateways]
        doc["cors"] = {}
    if s.auth_keys:
        doc["auth"] = [
            {"type": "key", "id": k.id, "key": _env_string(k.key, where=f"service auth key {k.id}")}
            for k in s.auth_keys
        ]
    if s.discovery:
        doc["service_discovery"] = {name: {"base_url": url} for name, url in s.discovery.items()}
    if s.sql:
        doc["sql_servers"] = [_sql_server(server, dbs, go=go) for server, dbs in s.sql]
    if s.caches:
        doc["redis"] = {c.encore_name: _redis(c) for c in s.caches}
    if s.pubsub is not None:
        doc["pubsub"] = [_pubsub(s, s.pubsub, go=go)]
    if s.object_storage is not None:
        doc["object_storage"] = [_object_storage(s.object_storage)]
    if s.metrics_provider is not None:
        doc["metrics"] = {"type": s.metrics_provider.provider, "namespace": s.metrics_provider.namespace}
    # Go reads Secret Manager-backed secrets through ENCORE_SECRET_PROVIDERS (`secret_providers`); the Rust core's
    # JSON reader has no such variable, so for it they stay an error (`_env_string`).
    from_env = [x for x in s.secrets if x.ref.provider is None or not go]
    if from_env:
        doc["secrets"] = {x.encore_name: _env_string(x.ref, where=f"secret:{x.encore_name}") for x in from_env}
    return doc


SECRET_PROVIDERS_VAR = "ENCORE_SECRET_PROVIDERS"
GO_GCP_SECRET_MANAGER = "gcp_secret_manager"


def secret_providers(
    plan: Plan, provisioned: Provisioned, *, hosted_services: Sequence[str] | None = None
) -> str | None:
    """The `ENCORE_SECRET_PROVIDERS` value through which a Go process reads its Secret Manager-backed app secrets
    (the infra config's `secrets` map would win over it, so those are left out there); None when it has none.

    runtimes/go/appruntime/infrasdk/secrets/provider.go reads `{"providers": {<name>: {"type", "config", "refs":
    {<secret>: {"id"}}}}}`; gcpsm/gcpsm.go needs `config.project_id` and reads `projects/<p>/secrets/<id>/versions/
    latest`."""
    s = scope(plan, provisioned, hosted_services)
    refs = {x.encore_name: {"id": x.ref.provider} for x in s.secrets if x.ref.provider is not None}
    if not refs:
        return None
    if not plan.env.project:
        raise BadInput("secret-manager references need gcp:project", where="secrets")
    entry = {"type": GO_GCP_SECRET_MANAGER, "config": {"project_id": plan.env.project}, "refs": refs}
    return json.dumps({"providers": {GO_GCP_SECRET_MANAGER: entry}}, sort_keys=True, separators=(",", ":"))


def _metadata(s: Scope) -> dict[str, str]:
    env = s.plan.env
    meta = {"app_id": s.plan.app, "env_name": env.name, "env_type": env.env_type.value, "cloud": s.cloud}
    if s.gateways and s.gateways[0].base_url:
        meta["base_url"] = s.gateways[0].base_url
    return meta


def _env_string(ref: SecretRef, *, where: str) -> EnvString:
    if ref.json_key is not None:
        raise Unsupported("the JSON infra config cannot take one key of a JSON secret", where=where)
    if ref.env is not None:
        return {"$env": ref.env}
    if ref.value is not None:
        return ref.value
    raise Unsupported("the JSON infra config has no secret-manager references; inject the value as an env var",
                      where=where)


def _tls(tls: Tls | None) -> dict[str, Any]:
    if tls is None:
        return {"disabled": True}
    out: dict[str, Any] = {
        "disable_tls_hostname_verification": tls.disable_hostname_verification,
        "disable_ca_validation": tls.disable_ca_validation,
    }
    if tls.ca_cert is not None:
        out["ca"] = tls.ca_cert
    return out


def _sql_server(server: SqlServer, dbs: tuple[SqlDatabase, ...], *, go: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"host": server.host, "tls_config": _tls(server.tls), "databases": {}}
    for db in dbs:
        key, name = (db.cloud_name, db.encore_name) if go else (db.encore_name, db.cloud_name)
        out["databases"][key] = {
            "name": name,
            "username": db.username,
            "password": _env_string(db.password, where=f"sql:{db.encore_name} password"),
            "min_connections": db.min_connections,
            "max_connections": db.max_connections,
        }
    return out


def _redis(cache: CacheRecord) -> dict[str, Any]:
    where = f"cache:{cache.encore_name}"
    out: dict[str, Any] = {"host": cache.host or "", "database_index": cache.database_index,
                           "in_memory": cache.in_memory, "tls_config": _tls(cache.tls)}
    if cache.key_prefix is not None:
        # Only the Rust core applies it: runtimes/go/storage/cache never reads RedisDatabase.KeyPrefix,
        # so Go apps sharing one Redis server need distinct database indexes.
        out["key_prefix"] = cache.key_prefix
    if cache.auth is not None and not cache.in_memory:
        secret = _env_string(cache.auth, where=f"{where} auth")
        out["auth"] = (
            {"type": "acl", "username": cache.auth_username, "password": secret}
            if cache.auth_username is not None
            else {"type": "auth_string", "auth_string": secret}
        )
    return out


def _pubsub(s: Scope, ps: PubSub, *, go: bool) -> dict[str, Any]:
    if ps.provider == "azure":
        raise Unsupported(AZURE_PUBSUB, where="provisioned pubsub")
    for t in ps.topics:
        # The Go runtime reads delivery guarantee and ordering from the app's code; the Rust core's JSON reader
        # makes every topic at-least-once (runtimes/core/src/infracfg.rs).
        if s.topic_specs[t.encore_name].fifo and not go:
            raise Unsupported("the JSON infra config cannot express exactly-once or ordered topics to the Rust core",
                              where=f"topic:{t.encore_name}")

    def subscriptions(topic: str) -> list[PubSubSubscription]:
        return [x for x in ps.subscriptions if x.topic == topic]

    topics: dict[str, Any] = {}
    for t in ps.topics:
        subs = subscriptions(t.encore_name)
        if ps.provider == "aws":
            topics[t.encore_name] = {"arn": t.cloud_name,
                                     "subscriptions": {x.encore_name: {"url": x.cloud_name} for x in subs}}
        elif ps.provider == "gcp":
            topics[t.encore_name] = {"name": t.cloud_name, "project_id": t.project_id,
                                     "subscriptions": {x.encore_name: _gcp_subscription(s, x) for x in subs}}
        else:
            topics[t.encore_name] = {"name": t.cloud_name,
                                     "subscriptions": {x.encore_name: {"name": x.cloud_name} for x in subs}}
    if ps.provider == "aws":
        return {"type": "aws_sns_sqs", "topics": topics}
    if ps.provider == "gcp":
        out: dict[str, Any] = {"type": "gcp_pubsub", "topics": topics}
        if s.plan.env.project:
            out["project_id"] = s.plan.env.project
        return out
    return {"type": "nsq", "hosts": ps.hosts[0], "topics": topics}


def _gcp_subscription(s: Scope, sub: PubSubSubscription) -> dict[str, Any]:
    out: dict[str, Any] = {"name": sub.cloud_name, "project_id": sub.project_id}
    if sub.push_service_account is not None:
        out["push_config"] = {
            "id": rid(s.plan.env.name, "subscription", f"{sub.topic}/{sub.encore_name}"),
            "service_account": sub.push_service_account,
            "jwt_audience": sub.push_jwt_audience,
        }
    return out


def _object_storage(storage: ObjectStorage) -> dict[str, Any]:
    buckets = {b.encore_name: _bucket(b) for b in storage.buckets}
    if storage.provider == "gcs":
        if storage.anonymous:
            raise Unsupported("the JSON infra config cannot express anonymous (emulator) GCS access",
                              where="object storage")
        out: dict[str, Any] = {"type": "gcs", "buckets": buckets}
    else:
        out = {"type": "s3", "region": storage.region, "buckets": buckets}
        if storage.access_key_id is not None:
            out["access_key_id"] = storage.access_key_id
        if storage.secret_access_key is not None:
            out["secret_access_key"] = _env_string(storage.secret_access_key, where="object storage secret_access_key")
    if storage.endpoint is not None:
        out["endpoint"] = storage.endpoint
    return out


def _bucket(bucket: BucketRecord) -> dict[str, str]:
    out = {"name": bucket.cloud_name}
    if bucket.key_prefix is not None:
        out["key_prefix"] = bucket.key_prefix
    if bucket.public_base_url is not None:
        out["public_base_url"] = bucket.public_base_url
    return out

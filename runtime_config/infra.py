"""Provisioned: the cloud-neutral record of what exists, which every target fills.

Targets build it from fragments (one per planned resource, returned by handlers as plain
dicts in this JSON shape, whose leaves may be Pulumi Outputs inside a program) and the
runtime-config builder reads only this. Secret *values* appear only as `SecretRef.value`,
which is allowed for the `local` cloud alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from orchestrator.core.errors import Unsupported


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SecretRef(_Record):
    """Where a secret's value comes from at runtime: exactly one of value, env, provider."""

    value: str | None = None
    """Embedded plaintext: local environments only."""
    env: str | None = None
    """Name of the environment variable the platform injects the value into."""
    provider: str | None = None
    """A GCP Secret Manager secret id (usable for app secrets only)."""
    json_key: str | None = None
    source: str | None = None
    """Where the value is stored (a Secrets Manager ARN, a Key Vault URI); for the compute platform."""

    @model_validator(mode="after")
    def _one_source(self) -> SecretRef:
        if sum(x is not None for x in (self.value, self.env, self.provider)) != 1:
            raise ValueError("a secret reference needs exactly one of value, env, provider")
        return self

    def __repr__(self) -> str:
        return "SecretRef(value=<hidden>)" if self.value is not None else super().__repr__()


class Tls(_Record):
    ca_cert: str | None = None
    disable_hostname_verification: bool = False
    disable_ca_validation: bool = False


class SqlServer(_Record):
    name: str = "default"
    host: str
    """`host`, `host:port` or an absolute Unix-socket directory."""
    tls: Tls | None = None


class SqlDatabase(_Record):
    encore_name: str
    cloud_name: str
    server: str = "default"
    username: str
    password: SecretRef
    min_connections: int = 0
    max_connections: int = 0


class PubSubTopic(_Record):
    encore_name: str
    cloud_name: str
    exactly_once: bool = False
    ordering_attr: str | None = None
    project_id: str | None = None


class PubSubSubscription(_Record):
    topic: str
    encore_name: str
    cloud_name: str
    topic_cloud_name: str
    project_id: str | None = None
    push_service_account: str | None = None
    push_jwt_audience: str | None = None


class PubSub(_Record):
    provider: Literal["aws", "gcp", "azure", "nsq"]
    namespace: str | None = None
    hosts: tuple[str, ...] = ()
    topics: tuple[PubSubTopic, ...] = ()
    subscriptions: tuple[PubSubSubscription, ...] = ()


class BucketRecord(_Record):
    encore_name: str
    cloud_name: str
    key_prefix: str | None = None
    public_base_url: str | None = None


class ObjectStorage(_Record):
    provider: Literal["s3", "gcs"]
    region: str | None = None
    endpoint: str | None = None
    access_key_id: str | None = None
    secret_access_key: SecretRef | None = None
    anonymous: bool = False
    buckets: tuple[BucketRecord, ...] = ()


class CacheRecord(_Record):
    encore_name: str
    in_memory: bool = False
    host: str | None = None
    database_index: int = 0
    key_prefix: str | None = None
    tls: Tls | None = None
    auth: SecretRef | None = None
    auth_username: str | None = None

    @model_validator(mode="after")
    def _host_unless_memory(self) -> CacheRecord:
        if not self.in_memory and not self.host:
            raise ValueError(f"cache {self.encore_name}: a host is required unless in_memory")
        if not 0 <= self.database_index <= 15:
            raise ValueError(f"cache {self.encore_name}: database_index must be 0-15")
        return self


class AppSecret(_Record):
    encore_name: str
    ref: SecretRef


class GatewayRecord(_Record):
    encore_name: str
    base_url: str
    hostnames: tuple[str, ...] = ()


class AuthKey(_Record):
    id: int
    key: SecretRef


class Metrics(_Record):
    provider: Literal["aws_cloudwatch"]
    namespace: str


class Provisioned(_Record):
    cloud: Literal["local", "aws", "gcp", "azure"]
    env: str
    region: str | None = None
    sql_servers: tuple[SqlServer, ...] = ()
    sql_databases: tuple[SqlDatabase, ...] = ()
    pubsub: PubSub | None = None
    object_storage: ObjectStorage | None = None
    caches: tuple[CacheRecord, ...] = ()
    secrets: tuple[AppSecret, ...] = ()
    gateways: tuple[GatewayRecord, ...] = ()
    service_discovery: dict[str, str] = {}
    service_auth_keys: tuple[AuthKey, ...] = ()
    runtime_config_url: str | None = None
    metrics: Metrics | None = None
    """Where the runtime exports metrics; None exports none."""
    deploy_id: str | None = None
    """The deploy that wrote the config (pipeline.deploy makes one per run); every process of it reads the same."""

    @model_validator(mode="after")
    def _no_plaintext_outside_local(self) -> Provisioned:
        if self.cloud != "local":
            for where, ref in self.secret_refs():
                if ref.value is not None:
                    raise ValueError(f"{where}: plaintext secret values are only allowed for the local cloud")
        return self

    def secret_refs(self) -> Iterable[tuple[str, SecretRef]]:
        for db in self.sql_databases:
            yield f"sql_databases.{db.encore_name}.password", db.password
        for cache in self.caches:
            if cache.auth:
                yield f"caches.{cache.encore_name}.auth", cache.auth
        if self.object_storage and self.object_storage.secret_access_key:
            yield "object_storage.secret_access_key", self.object_storage.secret_access_key
        for s in self.secrets:
            yield f"secrets.{s.encore_name}", s.ref
        for k in self.service_auth_keys:
            yield f"service_auth_keys.{k.id}", k.key

    def redacted(self) -> dict[str, Any]:
        """The record as JSON data with every embedded secret value replaced by a marker."""
        return _redact(self.model_dump(mode="json", exclude_none=True))


REDACTED = "[secret]"


def _redact(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (REDACTED if k == "value" and isinstance(v, str) else _redact(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_redact(v) for v in node]
    return node


ONE_PROVIDER = {"pubsub.": "pub/sub", "object_storage.": "object-storage"}
"""Only one of each: the Go runtime keeps the last `pubsub[]`/`object_storage[]` infra-config entry
(runtimes/go/appruntime/exported/config/parse.go)."""


def merge(fragments: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge handler fragments (dicts in Provisioned's shape): lists concatenate, mappings merge, scalars must agree."""
    out: dict[str, Any] = {}
    for fragment in fragments:
        _merge_into(out, fragment, path="")
    return out


def _merge_into(dst: dict[str, Any], src: Mapping[str, Any], path: str) -> None:
    for key, value in src.items():
        where = f"{path}{key}"
        if key not in dst:
            dst[key] = (
                list(value)
                if isinstance(value, (list, tuple))
                else (dict(value) if isinstance(value, Mapping) else value)
            )
        elif isinstance(dst[key], list) and isinstance(value, (list, tuple)):
            dst[key].extend(value)
        elif isinstance(dst[key], dict) and isinstance(value, Mapping):
            _merge_into(dst[key], value, path=where + ".")
        elif dst[key] is not value and dst[key] != value:
            if path in ONE_PROVIDER:
                raise Unsupported(f"resources need two {ONE_PROVIDER[path]} providers ({where}: {dst[key]!r} and "
                                  f"{value!r}); the runtime config carries one", where="provisioned " + path[:-1])
            raise ValueError(f"provisioned fragments disagree on {where}")

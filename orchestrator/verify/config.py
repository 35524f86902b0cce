"""Read the runtime config and app metadata exactly where the native core reads them.

Precedence (runtime-config spec §6.1): ENCORE_INFRA_CONFIG_PATH (JSON, even when empty) wins,
then ENCORE_RUNTIME_CONFIG (base64 / gzip:), then ENCORE_RUNTIME_CONFIG_PATH (file, s3://, gs://;
raw or gzip protobuf). The JSON infra config is converted to the same RuntimeConfig message the
core builds from it (§7), so every check reads one shape. Go apps read that JSON with the Go
runtime, whose parser differs in two places (see runtime_config/infra_json.py): SQL databases
are keyed by physical name with the Encore name in `name`, and an absent `tls_config` means no TLS.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from google.protobuf.message import DecodeError

from orchestrator.core.errors import BadInput
from runtime_config.schema import infra_pb2, runtime_pb2, secretdata_pb2

if TYPE_CHECKING:
    from orchestrator.core.model import App

SecretData = secretdata_pb2.SecretData
PRIMARY = infra_pb2.SERVER_KIND_PRIMARY
DEFAULT_META_PATH = Path("/encore/meta")


def load(environ: Mapping[str, str], *, go: bool = False) -> tuple[runtime_pb2.RuntimeConfig, str]:
    """The runtime config the app's runtime (`go`: the Go runtime) would load from `environ`, and where from."""
    if "ENCORE_INFRA_CONFIG_PATH" in environ:
        path = environ["ENCORE_INFRA_CONFIG_PATH"]
        where = f"ENCORE_INFRA_CONFIG_PATH={path}"
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise BadInput(f"cannot read the infra config: {exc}", where=where) from None
        if not isinstance(doc, dict):
            raise BadInput("the infra config must be a JSON object", where=where)
        try:
            return from_infra_json(doc, go=go), where
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise BadInput(f"invalid infra config ({type(exc).__name__}: {exc})", where=where) from None
    if "ENCORE_RUNTIME_CONFIG" in environ:
        value = environ["ENCORE_RUNTIME_CONFIG"]
        where = "ENCORE_RUNTIME_CONFIG"
        try:
            raw = _unpack_value(value)
        except (binascii.Error, OSError, EOFError) as exc:
            raise BadInput(f"not standard base64 (or gzip: + base64) of a protobuf: {exc}", where=where) from None
        return _decode(raw, where), where
    if "ENCORE_RUNTIME_CONFIG_PATH" in environ:
        location = environ["ENCORE_RUNTIME_CONFIG_PATH"]
        where = f"ENCORE_RUNTIME_CONFIG_PATH={location}"
        raw = _fetch(location, where)
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return _decode(raw, where), where
    raise BadInput(
        "no runtime config: set ENCORE_INFRA_CONFIG_PATH, ENCORE_RUNTIME_CONFIG or ENCORE_RUNTIME_CONFIG_PATH",
        where="environment",
    )


def load_meta(environ: Mapping[str, str], fallback: Path | None) -> App | None:
    """The app metadata as the core finds it (ENCORE_APP_META, ENCORE_APP_META_PATH, /encore/meta)."""
    from orchestrator.core import appmeta

    if "ENCORE_APP_META" in environ:
        return appmeta.load_value(environ["ENCORE_APP_META"])
    for candidate in (environ.get("ENCORE_APP_META_PATH"), DEFAULT_META_PATH, fallback):
        if candidate and Path(candidate).is_file():
            return appmeta.load(Path(candidate))
    return None


def _unpack_value(value: str) -> bytes:
    if value.startswith("gzip:"):
        return gzip.decompress(base64.b64decode(value[len("gzip:") :], validate=True))
    return base64.b64decode(value, validate=True)


def _decode(raw: bytes, where: str) -> runtime_pb2.RuntimeConfig:
    try:
        return runtime_pb2.RuntimeConfig.FromString(raw)
    except DecodeError as exc:
        raise BadInput(f"not a RuntimeConfig protobuf: {exc}", where=where) from None


def _fetch(location: str, where: str) -> bytes:
    """A file path, or a `<scheme>://` URL fetched by the probes of the target whose CONFIG_FETCH lists the scheme."""
    scheme, sep, _ = location.partition("://")
    try:
        if not sep:
            return Path(location).read_bytes()
        from orchestrator.verify.hooks import probe

        fetch = probe("CONFIG_FETCH", scheme)
        if fetch is None:
            raise BadInput(f"reading {scheme}:// is not implemented here", where=where)
        return fetch(location)
    except BadInput:
        raise
    except Exception as exc:
        raise BadInput(f"cannot read the runtime config: {type(exc).__name__}: {exc}", where=where) from None


def from_infra_json(doc: Mapping[str, Any], *, go: bool = False) -> runtime_pb2.RuntimeConfig:
    """The parts of the JSON infra config (§7) that name resources, as the core (`go`: the Go runtime) reads them."""
    cfg = runtime_pb2.RuntimeConfig()
    res, creds = cfg.infra.resources, cfg.infra.credentials
    rids = iter(str(i) for i in range(1_000_000))

    meta = doc.get("metadata") or {}
    cfg.environment.app_slug = meta.get("app_id", "")
    cfg.environment.env_name = meta.get("env_name", "")

    for storage in doc.get("object_storage") or []:
        cluster = res.bucket_clusters.add(rid=next(rids))
        if storage["type"] == "s3":
            cluster.s3.region = storage["region"]
            if "endpoint" in storage:
                cluster.s3.endpoint = storage["endpoint"]
            if "access_key_id" in storage:
                cluster.s3.access_key_id = storage["access_key_id"]
            if "secret_access_key" in storage:
                cluster.s3.secret_access_key.CopyFrom(_env_string(storage["secret_access_key"]))
        elif storage["type"] == "gcs":
            cluster.gcs.SetInParent()
            if "endpoint" in storage:
                cluster.gcs.endpoint = storage["endpoint"]
        else:
            raise ValueError(f"object_storage type {storage['type']!r}")
        for name, bucket in (storage.get("buckets") or {}).items():
            b = cluster.buckets.add(rid=next(rids), encore_name=name, cloud_name=bucket["name"])
            if "key_prefix" in bucket:
                b.key_prefix = bucket["key_prefix"]

    for server in doc.get("sql_servers") or []:
        cluster = res.sql_clusters.add()
        srv = infra_pb2.SQLServer(host=server["host"], kind=PRIMARY)
        tls = _tls(server.get("tls_config"), go=go)
        if tls is not None:
            srv.tls_config.CopyFrom(tls)
        default_cert = (server.get("tls_config") or {}).get("client_cert")
        for key, db in server["databases"].items():
            encore_name, cloud_name = (db.get("name", key), key) if go else (key, db.get("name", key))
            role = creds.sql_roles.add(rid=next(rids), username=db["username"])
            role.password.CopyFrom(_env_string(db["password"]))
            cert = db.get("client_cert") or default_cert
            if cert:
                c = creds.client_certs.add(rid=next(rids), cert=cert["cert"])
                c.key.CopyFrom(_env_string(cert["key"]))
                role.client_cert_rid = c.rid
            d = cluster.databases.add(rid=next(rids), encore_name=encore_name, cloud_name=cloud_name)
            d.conn_pools.add(role_rid=role.rid)
        cluster.rid = next(rids)
        srv.rid = next(rids)
        cluster.servers.append(srv)

    for encore_name, redis in (doc.get("redis") or {}).items():
        cluster = res.redis_clusters.add(in_memory=bool(redis["in_memory"]))
        srv = cluster.servers.add(host=redis["host"], kind=PRIMARY)
        tls = _tls(redis.get("tls_config"), go=go)
        if tls is not None:
            srv.tls_config.CopyFrom(tls)
        role = creds.redis_roles.add(rid=next(rids))
        auth = redis.get("auth")
        if auth and auth.get("type") == "acl":
            role.acl.username = auth["username"]
            role.acl.password.CopyFrom(_env_string(auth["password"]))
        elif auth:
            role.auth_string.CopyFrom(_env_string(auth["auth_string"]))
        d = cluster.databases.add(rid=next(rids), encore_name=encore_name, database_idx=int(redis["database_index"]))
        if "key_prefix" in redis:
            d.key_prefix = redis["key_prefix"]
        d.conn_pools.add(role_rid=role.rid)

    for ps in doc.get("pubsub") or []:
        cluster = res.pubsub_clusters.add(rid=next(rids))
        kind = ps["type"]
        if kind == "aws_sns_sqs":
            cluster.aws.SetInParent()
        elif kind == "gcp_pubsub":
            cluster.gcp.SetInParent()
        elif kind == "nsq":
            cluster.nsq.hosts.append(ps["hosts"])
        else:
            raise ValueError(f"pubsub type {kind!r}")
        for topic_name, topic in ps["topics"].items():
            topic_cloud = topic.get("arn") or topic.get("name", "")
            cluster.topics.add(encore_name=topic_name, cloud_name=topic_cloud,
                               delivery_guarantee=infra_pb2.PubSubTopic.DELIVERY_GUARANTEE_AT_LEAST_ONCE)
            for sub_name, sub in (topic.get("subscriptions") or {}).items():
                cluster.subscriptions.add(
                    topic_encore_name=topic_name, subscription_encore_name=sub_name, topic_cloud_name=topic_cloud,
                    subscription_cloud_name=sub.get("url") or sub.get("name", ""),
                )

    for name, value in (doc.get("secrets") or {}).items():
        res.app_secrets.add(rid=next(rids), encore_name=name).data.CopyFrom(_env_string(value))
    return cfg


def _env_string(value: Any) -> SecretData:
    if isinstance(value, str):
        return SecretData(embedded=value.encode())
    if isinstance(value, dict) and isinstance(value.get("$env"), str):
        return SecretData(env=value["$env"])
    raise ValueError("expected a string or {\"$env\": NAME}")


def _tls(value: Mapping[str, Any] | None, *, go: bool) -> infra_pb2.TLSConfig | None:
    """Absent -> TLS with defaults (an empty TLSConfig; Go: no TLS); `disabled` -> no TLS at all."""
    if value is None:
        return None if go else infra_pb2.TLSConfig()
    if value.get("disabled"):
        return None
    tls = infra_pb2.TLSConfig(
        disable_tls_hostname_verification=bool(value.get("disable_tls_hostname_verification")),
        disable_ca_validation=bool(value.get("disable_ca_validation")),
    )
    if "ca" in value:
        tls.server_ca_cert = value["ca"]
    return tls

"""The only reader of Encore parser metadata (`encore.parser.meta.v1.Data`): bytes in, `App` out.

Accepted forms, told apart by content (shared/spec/app-metadata.md §1, §3):

* protobuf JSON: the first non-blank character is `{` (lowerCamelCase or snake_case keys,
  int64 as strings or numbers, enums as names or numbers);
* the ENCORE_APP_META value: `gzip:` + base64 of gzip, or base64 text that decodes to
  protobuf (standard alphabet, padded; line breaks allowed);
* anything else: binary protobuf, as at /encore/meta.

A source is a file path or `env:VARNAME` (the named environment variable holds one of the
forms above; a file whose name starts with `env:` is reached as `./env:...`).
`load_with_bytes` also returns the binary metadata to hand to the runtime: the original
bytes for binary/base64/gzip input; for JSON input the re-encoded message, lossless for
every field Encore's meta.proto and schema.proto define (both copied unchanged into
`schema/`), schema.v1 content included.

Validation: every problem is a one-line `BadInput` naming the source and the element.
Encore names of resources (services, databases, topics, subscriptions, caches, buckets,
secrets, cron jobs, gateways, metrics) must match `NAME_RULE`: 1-63 ASCII characters of
`A-Z a-z 0-9 _ . -`, the first a letter or digit. Physical names are made from them by
`naming`, which can shape anything, so the rule only keeps out what no cloud, key
(`<kind>:<name>`, `<topic>/<sub>`) or log line can carry. Subscription durations must be
what every cloud accepts after clamping (`check_subscription`).

Leniency, on purpose: unknown fields are ignored (binary and JSON), as newer parsers may
add some; unknown enum numbers and names are errors. `BucketUsage.Operation.UNKNOWN`
grants nothing. RPC calls from service-less (library) packages are not attributed to any
service. Durations keep microsecond precision.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import os
import re
import threading
import zlib
from collections.abc import Iterable, Iterator
from datetime import timedelta
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any, NoReturn

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message

from orchestrator.core.errors import BadInput
from orchestrator.core.gcpause import without_cycle_collection
from orchestrator.core.model import (
    AccessType,
    App,
    AuthHandler,
    Bucket,
    BucketOp,
    BucketUsage,
    Cache,
    CronJob,
    Database,
    DeliveryGuarantee,
    Endpoint,
    Gateway,
    Keyspace,
    Language,
    Metric,
    MetricKind,
    Migration,
    RetryPolicy,
    Secret,
    Service,
    Subscription,
    Topic,
)
from orchestrator.core.schema import meta_pb2, schema_pb2

MAX_BYTES = 64 * 1024 * 1024
MAX_ELEMENTS = 100_000
DEFAULT_APP_NAME = "app"
NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
NAME_RULE_TEXT = "1-63 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit"
APP_NAME = re.compile(r"[a-z][a-z0-9-]{0,40}")
EVICTION_POLICIES = frozenset(
    {"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-ttl",
     "volatile-random"}
)
DEFAULT_EVICTION_POLICY = "allkeys-lru"
EVERY_MINUTES = frozenset(n for n in range(1, 1441) if 1440 % n == 0)
CRON_FIELD = re.compile(r"[0-9A-Za-z*/,?#-]+")

SECOND = 1_000_000_000
ACK_DEADLINE_MAX = 12 * 3600 * SECOND
RETENTION_MIN = 60 * SECOND
RETENTION_MAX = 31 * 86400 * SECOND
MAX_RETRIES_MIN = -2
DEFAULT_RETRY = meta_pb2.PubSubTopic.RetryPolicy(min_backoff=10 * SECOND, max_backoff=600 * SECOND, max_retries=100)

PARSE_STACK_BYTES = 256 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
_BASE64_TEXT = re.compile(rb"[A-Za-z0-9+/\r\n]+={0,2}\s*")
_GZIP = 16 + zlib.MAX_WBITS

_LANGUAGE = {meta_pb2.GO: Language.GO, meta_pb2.TYPESCRIPT: Language.TYPESCRIPT}
_ACCESS = {
    meta_pb2.RPC.PRIVATE: AccessType.PRIVATE,
    meta_pb2.RPC.PUBLIC: AccessType.PUBLIC,
    meta_pb2.RPC.AUTH: AccessType.AUTH,
}
_OPS = {meta_pb2.BucketUsage.Operation.Value(op.name): op for op in BucketOp}
_METRIC_KIND = {meta_pb2.Metric.MetricKind.Value(k.name): k for k in MetricKind}
_SEGMENT_PREFIX = {
    meta_pb2.PathSegment.LITERAL: "",
    meta_pb2.PathSegment.PARAM: ":",
    meta_pb2.PathSegment.WILDCARD: "*",
    meta_pb2.PathSegment.FALLBACK: "!",
}


# ---------------------------------------------------------------------------
# Sources


def load(source: str | Path, *, name: str | None = None) -> App:
    """The App declared by the metadata at `source` (a file path or `env:VARNAME`)."""
    return load_with_bytes(source, name=name)[0]


def load_with_bytes(source: str | Path, *, name: str | None = None) -> tuple[App, bytes]:
    """The App and the binary metadata to pass to the runtime (see the module doc for JSON input)."""
    where = str(source)
    if where.startswith("env:"):
        var = where[len("env:"):]
        value = os.environ.get(var) if var else None
        if value is None:
            raise BadInput(f"environment variable {_q(var)} is not set", where=where)
        return _load(_value_bytes(value), where=where, name=name or DEFAULT_APP_NAME)
    path = Path(source)
    return _load(_read(path, where), where=where, name=name or app_name_for(path))


def load_bytes(data: bytes, *, where: str, name: str) -> App:
    """The App declared by `data` in any accepted form; `where` names it in errors."""
    return _load(data, where=where, name=name)[0]


def load_value(value: str, *, where: str = "ENCORE_APP_META", name: str = DEFAULT_APP_NAME) -> App:
    """The App declared by an ENCORE_APP_META value (base64, or `gzip:` + base64)."""
    return _load(_value_bytes(value), where=where, name=name)[0]


BUILD_FOLDERS = frozenset({".encore", "encore", "build", "dist", "out", "target", "meta", ".build", "tmp"})
"""Folders a build writes the metadata into: they name the tool, not the app."""


def app_name_for(path: Path) -> str:
    """The default app name: the app root's folder name shaped to `^[a-z][a-z0-9-]*$` (at most 41 characters).

    The app root is the metadata's folder, or the one above it when that folder is a build folder
    (`.encore/meta`, `build/meta.pb`), so moving the file between those keeps the name. The metadata
    itself carries no app id (`module_path` is `app` for every TypeScript app): set
    `orchestrator:app` in the stack file to pin it.
    """
    try:
        folder = path.resolve().parent
    except (OSError, RuntimeError):
        folder = path.parent
    while folder.name.lower() in BUILD_FOLDERS and folder.parent != folder:
        folder = folder.parent
    return shape_app_name(folder.name) or DEFAULT_APP_NAME


def shape_app_name(name: str) -> str:
    shaped = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if shaped and not shaped[0].isalpha():
        shaped = f"app-{shaped}"
    return shaped[:41].rstrip("-")


def _value_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


def _read(path: Path, where: str) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise BadInput("no such metadata file", where=where) from None
    except IsADirectoryError:
        raise BadInput("is a directory, not a metadata file", where=where) from None
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror or exc}", where=where) from None
    return data


@without_cycle_collection
def _load(data: bytes, *, where: str, name: str) -> tuple[App, bytes]:
    if not APP_NAME.fullmatch(name):
        raise BadInput(f"app name {_q(name)} must match ^[a-z][a-z0-9-]*$ (at most 41 characters)", where=where)
    try:
        msg, raw = decode(data, where=where)
        return from_message(msg, where=where, name=name), raw
    except BadInput:
        raise
    # A safety net: the decoders above turn every failure they know into BadInput already.
    except (DecodeError, json_format.ParseError, UnicodeError, RecursionError, ValueError, OverflowError) as exc:
        raise BadInput(f"cannot read app metadata: {_one_line(exc)}", where=where) from None


# ---------------------------------------------------------------------------
# Decoding


def decode(data: bytes, *, where: str) -> tuple[meta_pb2.Data, bytes]:
    """The parsed message and the binary metadata (see `load_with_bytes`)."""
    if len(data) > MAX_BYTES:
        raise BadInput(f"metadata is larger than {MAX_BYTES // (1024 * 1024)} MiB", where=where)
    text = data.removeprefix(_BOM).lstrip()
    try:
        if text.startswith(b"{"):
            msg = _parse_json(text, where)
            return msg, msg.SerializeToString(deterministic=True)
        if text.startswith(b"gzip:"):
            raw = _gunzip(_base64(text[len(b"gzip:"):], where, "the gzip: value"), where)
            return _parse_binary(raw, where), raw
        if _BASE64_TEXT.fullmatch(text):
            raw = _base64(text, where, "the ENCORE_APP_META value")
            return _parse_binary(raw, where), raw
    except BadInput:
        # Binary metadata can look textual (a 123-byte module path starts with b"\n{").
        if not _is_binary_metadata(data):
            raise
    return _parse_binary(data, where), data


def _is_binary_metadata(data: bytes) -> bool:
    try:
        return bool(_from_string(data).svcs)
    except (DecodeError, RecursionError, ValueError):
        return False


def _base64(text: bytes, where: str, what: str) -> bytes:
    compact = re.sub(rb"\s+", b"", text)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(f"{what} is not valid standard base64", where=where) from None


def _gunzip(data: bytes, where: str) -> bytes:
    inflater = zlib.decompressobj(_GZIP)
    try:
        out = inflater.decompress(data, MAX_BYTES + 1)
    except zlib.error as exc:
        raise BadInput(f"the gzip: value is not valid gzip data ({exc})", where=where) from None
    if len(out) > MAX_BYTES:
        raise BadInput(f"the gzip: value inflates to more than {MAX_BYTES // (1024 * 1024)} MiB", where=where)
    if not inflater.eof:
        raise BadInput("the gzip: value is truncated", where=where)
    if inflater.unused_data:
        raise BadInput("the gzip: value has data after the gzip stream", where=where)
    return out


def _parse_binary(raw: bytes, where: str) -> meta_pb2.Data:
    try:
        return _from_string(raw)
    except (DecodeError, RecursionError, ValueError):
        raise BadInput(
            "not app metadata: neither protobuf JSON, an ENCORE_APP_META value nor valid binary protobuf"
            " (truncated or corrupt?)",
            where=where,
        ) from None


def _from_string(raw: bytes) -> meta_pb2.Data:
    """`Data.FromString` on a thread whose stack holds upb's deepest recursion.

    Importing pulumi calls `SetAllowOversizeProtos(True)`, which raises upb's nesting limit
    from 100 to 65535; deeply nested groups then overflow a default 8 MiB stack and kill
    the process (about 40 MiB are needed; virtual memory, touched only as deep as used).
    """
    result: list[meta_pb2.Data | Exception] = []

    def parse() -> None:
        try:
            result.append(meta_pb2.Data.FromString(raw))
        except Exception as exc:
            result.append(exc)

    previous = threading.stack_size(PARSE_STACK_BYTES)
    try:
        worker = threading.Thread(target=parse, name="appmeta-parse")
        worker.start()
    finally:
        threading.stack_size(previous)
    worker.join()
    if isinstance(result[0], Exception):
        raise result[0]
    return result[0]


def _parse_json(text: bytes, where: str) -> meta_pb2.Data:
    try:
        doc = json.loads(text.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadInput(f"metadata JSON is not valid UTF-8 (byte {exc.start})", where=where) from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where=where) from None
    except (ValueError, RecursionError) as exc:
        raise BadInput(f"not valid JSON: {_one_line(exc)}", where=where) from None
    if not isinstance(doc, dict):
        raise BadInput("metadata JSON must be an object", where=where)
    _prune(doc, meta_pb2.DESCRIPTOR.message_types_by_name["Data"])
    msg = meta_pb2.Data()
    try:
        json_format.ParseDict(doc, msg)
    except (json_format.ParseError, RecursionError, ValueError, TypeError, AttributeError) as exc:
        raise BadInput(f"not valid metadata JSON: {_one_line(exc)}", where=where) from None
    return msg


def _prune(doc: dict[str, Any], desc: Descriptor) -> None:
    """Removes keys of fields our schema does not know (newer parsers may add some).

    Pruning here instead of letting `json_format` ignore unknown fields keeps unknown enum
    names an error.
    """
    fields = _json_fields(desc)
    for key in list(doc):
        field = fields.get(key)
        if field is None:
            del doc[key]
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            for child, child_desc in _json_children(doc[key], field):
                _prune(child, child_desc)


def _json_children(value: Any, field: FieldDescriptor) -> Iterator[tuple[dict[str, Any], Descriptor]]:
    desc = _message_type(field)
    if desc.GetOptions().map_entry:
        value_field = desc.fields_by_name["value"]
        is_message = value_field.type == FieldDescriptor.TYPE_MESSAGE
        items = value.values() if isinstance(value, dict) and is_message else ()
        desc = _message_type(value_field) if is_message else desc
    elif field.is_repeated:
        items = value if isinstance(value, list) else ()
    else:
        items = (value,)
    for item in items:
        if isinstance(item, dict):
            yield item, desc


@cache
def _json_fields(desc: Descriptor) -> dict[str, FieldDescriptor]:
    return {**desc.fields_by_name, **{f.json_name: f for f in desc.fields}}


# ---------------------------------------------------------------------------
# Message -> App


def from_message(msg: meta_pb2.Data, *, where: str, name: str) -> App:
    """The App `msg` declares, after every check in the module doc."""
    _check_size(msg, where)
    _check_enums(msg, where)
    if not msg.svcs:
        raise BadInput("the metadata declares no services", where=where)
    return _Reader(msg, where).app(name)


def _check_size(msg: meta_pb2.Data, where: str) -> None:
    count = (
        len(msg.svcs) + len(msg.pkgs) + sum(len(s.rpcs) for s in msg.svcs) + len(msg.sql_databases)
        + len(msg.pubsub_topics) + sum(len(t.subscriptions) for t in msg.pubsub_topics) + len(msg.cache_clusters)
        + sum(len(c.keyspaces) for c in msg.cache_clusters) + len(msg.buckets) + len(msg.cron_jobs)
        + len(msg.gateways) + len(msg.metrics)
    )
    if count > MAX_ELEMENTS:
        raise BadInput(f"the metadata declares {count} services, endpoints and resources (limit {MAX_ELEMENTS})",
                       where=where)


def _check_enums(msg: meta_pb2.Data, where: str) -> None:
    """proto3 keeps enum numbers it does not know; each is an error naming the field."""
    found = _unknown_enum(msg)
    if found:
        raise BadInput(f"{found[0]}: {found[1]}", where=where)


def _unknown_enum(msg: Message) -> tuple[str, str] | None:
    """(field path, problem) of the first enum number the schema does not know; labels are made only then."""
    if not _has_enums(msg.DESCRIPTOR):
        return None
    for field, value in msg.ListFields():
        if field.type == FieldDescriptor.TYPE_ENUM and field.enum_type is not None:
            for number in value if field.is_repeated else (value,):
                if number not in field.enum_type.values_by_number:
                    return field.name, f"unknown {field.enum_type.name} value {number}"
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            children: list[tuple[str | int | None, Message]]
            if _message_type(field).GetOptions().map_entry:
                is_msg = _message_type(field).fields_by_name["value"].type == FieldDescriptor.TYPE_MESSAGE
                children = [(_q(str(k)), v) for k, v in value.items()] if is_msg else []
            elif field.is_repeated:
                children = list(enumerate(value))
            else:
                children = [(None, value)]
            for key, item in children:
                below = _unknown_enum(item)
                if below:
                    at = "" if key is None else f"[{key if isinstance(key, str) else _label(item, key)}]"
                    return f"{field.name}{at}.{below[0]}", below[1]
    return None


@cache
def _has_enums(desc: Descriptor) -> bool:
    """Whether `desc` or a message below it has an enum field (schema.v1.Type is recursive)."""
    seen: set[str] = set()
    todo = [desc]
    while todo:
        current = todo.pop()
        if current.full_name in seen:
            continue
        seen.add(current.full_name)
        for f in current.fields:
            if f.type == FieldDescriptor.TYPE_ENUM:
                return True
            if f.type == FieldDescriptor.TYPE_MESSAGE:
                todo.append(_message_type(f))
    return False


def _message_type(field: FieldDescriptor) -> Descriptor:
    desc = field.message_type
    if desc is None:
        raise TypeError(f"{field.full_name} is not a message field")
    return desc


def _label(item: Message, index: int) -> str:
    for attr in ("name", "encore_name", "id"):
        f = item.DESCRIPTOR.fields_by_name.get(attr)
        if f is not None and f.type == FieldDescriptor.TYPE_STRING and getattr(item, attr):
            return _q(getattr(item, attr))
    return str(index)


class _Reader:
    """Maps one validated message to the model; every `fail` names `where` and the element."""

    def __init__(self, msg: meta_pb2.Data, where: str) -> None:
        self.msg = msg
        self.where = where
        self.services = [s.name for s in msg.svcs]
        self.known_services = set(self.services)
        self.service_by_rel_path = {s.rel_path: s.name for s in reversed(msg.svcs)}
        self.service_by_pkg = {p.rel_path: p.service_name for p in reversed(msg.pkgs) if p.service_name}

    def fail(self, message: str) -> NoReturn:
        raise BadInput(message, where=self.where)

    def app(self, name: str) -> App:
        msg = self.msg
        self.unique("service", self.services)
        self.packages()
        databases = tuple(self.database(db) for db in msg.sql_databases)
        self.unique("database", (d.name for d in databases))
        buckets = tuple(self.bucket(b) for b in msg.buckets)
        self.unique("bucket", (b.name for b in buckets))
        topics = tuple(self.topic(t) for t in msg.pubsub_topics)
        self.unique("topic", (t.name for t in topics))
        caches = tuple(self.cache(c) for c in msg.cache_clusters)
        self.unique("cache cluster", (c.name for c in caches))
        metrics = tuple(self.metric(m) for m in msg.metrics)
        self.unique("metric", (m.name for m in metrics))
        secrets = self.secrets()
        calls = self.calls()
        known_dbs = {d.name for d in databases}
        known_buckets = {b.name for b in buckets}
        secrets_of: dict[str, list[str]] = {}
        for secret in secrets:
            for user in secret.services:
                secrets_of.setdefault(user, []).append(secret.name)
        services = tuple(
            self.service(s, known_dbs, known_buckets, secrets_of.get(s.name, []), calls.get(s.name, set()))
            for s in msg.svcs
        )
        cron_jobs = tuple(self.cron(job) for job in msg.cron_jobs)
        self.unique("cron job", (j.id for j in cron_jobs))
        gateways = tuple(self.gateway(g) for g in msg.gateways)
        self.unique("gateway", (g.name for g in gateways))
        auth = self.auth_handler(msg.auth_handler, "auth handler") if msg.HasField("auth_handler") else None
        return App(
            name=name, language=_LANGUAGE[msg.language], revision=msg.app_revision, services=services,
            databases=databases, topics=topics, caches=caches, buckets=buckets, secrets=secrets,
            cron_jobs=cron_jobs, gateways=gateways, auth_handler=auth, metrics=metrics, warnings=self.warnings(),
        )

    def warnings(self) -> tuple[str, ...]:
        """runtimes/core/src/pubsub/manager.rs bails with "topic X has no message type" at startup."""
        if self.msg.language != meta_pb2.TYPESCRIPT:
            return ()
        return tuple(
            f"topic {_q(t.name)} has no message type in the metadata: the TypeScript runtime will refuse to start"
            for t in self.msg.pubsub_topics
            if not t.HasField("message_type")
        )

    # -- checks -------------------------------------------------------------

    def name(self, kind: str, value: str, *, within: str = "") -> str:
        if not NAME_RULE.fullmatch(value):
            self.fail(f"{within}{kind} name {_q(value)} is not usable: use {NAME_RULE_TEXT}")
        return value

    def unique(self, kind: str, names: Iterable[str], *, within: str = "") -> None:
        seen: set[str] = set()
        for value in names:
            self.name(kind, value, within=within)
            if value in seen:
                self.fail(f"{within}duplicate {kind} {_q(value)}")
            seen.add(value)

    def service_ref(self, value: str, within: str, role: str = "names") -> str:
        if value not in self.known_services:
            self.fail(f"{within}{role} unknown service {_q(value)}")
        return value

    # -- resources ----------------------------------------------------------

    def packages(self) -> None:
        for pkg in self.msg.pkgs:
            if pkg.service_name:
                self.service_ref(pkg.service_name, f"package {_q(pkg.rel_path)}: ")

    def database(self, db: meta_pb2.SQLDatabase) -> Database:
        within = f"database {_q(db.name)}: "
        self.name("database", db.name)
        rel_path = db.migration_rel_path if db.HasField("migration_rel_path") else None
        if rel_path is not None and not _safe_relative(rel_path, allow_dot=True):
            self.fail(f"{within}migration directory {_q(rel_path)} must be a relative path inside the app")
        migrations = sorted(
            (Migration(filename=m.filename, number=m.number, description=m.description) for m in db.migrations),
            key=lambda m: (m.number, m.filename),
        )
        for prev, cur in itertools.pairwise(migrations):
            if prev.number == cur.number:
                self.fail(f"{within}two migrations are numbered {cur.number} ({_q(prev.filename)}, {_q(cur.filename)})")
        for m in migrations:
            if not _safe_relative(m.filename):
                self.fail(f"{within}migration file {_q(m.filename)} must be a relative path inside the migration "
                          "directory")
        return Database(
            name=db.name, migration_rel_path=rel_path, migrations=tuple(migrations),
            allow_non_sequential_migrations=db.allow_non_sequential_migrations,
        )

    def bucket(self, b: meta_pb2.Bucket) -> Bucket:
        return Bucket(name=self.name("bucket", b.name), versioned=b.versioned, public=b.public)

    def topic(self, t: meta_pb2.PubSubTopic) -> Topic:
        within = f"topic {_q(t.name)}: "
        self.name("topic", t.name)
        publishers = tuple(dict.fromkeys(
            self.service_ref(p.service_name, within, "publisher names") for p in t.publishers
        ))
        self.unique("subscription", (s.name for s in t.subscriptions), within=within)
        subs = tuple(self.subscription(t.name, s, within) for s in t.subscriptions)
        return Topic(
            name=t.name,
            delivery_guarantee=(DeliveryGuarantee.EXACTLY_ONCE
                                if t.delivery_guarantee == meta_pb2.PubSubTopic.EXACTLY_ONCE
                                else DeliveryGuarantee.AT_LEAST_ONCE),
            ordering_key=t.ordering_key, publishers=publishers, subscriptions=subs,
        )

    def subscription(self, topic: str, s: meta_pb2.PubSubTopic.Subscription, within: str) -> Subscription:
        within = f"{within}subscription {_q(s.name)}"
        self.service_ref(s.service_name, within + " ")
        retry = s.retry_policy if s.HasField("retry_policy") else DEFAULT_RETRY
        problem = check_subscription(s.ack_deadline, s.message_retention, retry)
        if problem:
            self.fail(f"{within}: {problem}")
        return Subscription(
            topic=topic, name=s.name, service=s.service_name, ack_deadline=_duration(s.ack_deadline),
            message_retention=_duration(s.message_retention),
            retry=RetryPolicy(min_backoff=_duration(retry.min_backoff), max_backoff=_duration(retry.max_backoff),
                              max_retries=retry.max_retries),
            max_concurrency=s.max_concurrency if s.HasField("max_concurrency") else None,
        )

    def cache(self, c: meta_pb2.CacheCluster) -> Cache:
        within = f"cache cluster {_q(c.name)}: "
        self.name("cache cluster", c.name)
        policy = c.eviction_policy or DEFAULT_EVICTION_POLICY
        if policy not in EVICTION_POLICIES:
            allowed = ", ".join(sorted(EVICTION_POLICIES))
            self.fail(f"{within}unknown eviction policy {_q(policy)} (use one of {allowed})")
        keyspaces = []
        for k in c.keyspaces:
            pattern = _render(k.path_pattern) if k.HasField("path_pattern") else ""
            service = self.service_ref(k.service, f"{within}keyspace {_q(pattern)} ")
            keyspaces.append(Keyspace(service=service, pattern=pattern))
        return Cache(name=c.name, eviction_policy=policy, keyspaces=tuple(keyspaces))

    def metric(self, m: meta_pb2.Metric) -> Metric:
        self.name("metric", m.name)
        service = m.service_name or None
        if service is not None:
            self.service_ref(service, f"metric {_q(m.name)} ")
        return Metric(
            name=m.name, kind=_METRIC_KIND[m.kind], value_type=schema_pb2.Builtin.Name(m.value_type), service=service
        )

    def secrets(self) -> tuple[Secret, ...]:
        users: dict[str, set[str]] = {}
        for pkg in self.msg.pkgs:
            for secret in pkg.secrets:
                self.name("secret", secret, within=f"package {_q(pkg.rel_path)}: ")
                users.setdefault(secret, set()).update([pkg.service_name] if pkg.service_name else self.services)
        return tuple(Secret(name=n, services=tuple(sorted(users[n]))) for n in sorted(users))

    def calls(self) -> dict[str, set[str]]:
        calls: dict[str, set[str]] = {}
        for pkg in self.msg.pkgs:
            for call in pkg.rpc_calls:
                callee = self.service_by_pkg.get(call.pkg) or self.service_by_rel_path.get(call.pkg)
                if callee is None:
                    self.fail(f"package {_q(pkg.rel_path)}: call to {_q(call.pkg + '.' + call.name)} names a package "
                              "that belongs to no service")
                if pkg.service_name and callee != pkg.service_name:
                    calls.setdefault(pkg.service_name, set()).add(callee)
        return calls

    def service(
        self, s: meta_pb2.Service, dbs: set[str], buckets: set[str], secrets: list[str], calls: set[str]
    ) -> Service:
        within = f"service {_q(s.name)}: "
        for db in s.databases:
            if db not in dbs:
                self.fail(f"{within}uses unknown database {_q(db)}")
        usages = []
        for u in s.buckets:
            if u.bucket not in buckets:
                self.fail(f"{within}uses unknown bucket {_q(u.bucket)}")
            ops = sorted({_OPS[op] for op in u.operations if op in _OPS}, key=list(BucketOp).index)
            usages.append(BucketUsage(bucket=u.bucket, operations=tuple(ops)))
        return Service(
            name=s.name, rel_path=s.rel_path, endpoints=tuple(_endpoint(rpc) for rpc in s.rpcs),
            databases=tuple(dict.fromkeys(s.databases)), buckets=tuple(usages),
            secrets=tuple(secrets), calls=tuple(sorted(calls)),
            metrics=tuple(dict.fromkeys(s.metrics)),
        )

    def cron(self, job: meta_pb2.CronJob) -> CronJob:
        within = f"cron job {_q(job.id)}: "
        self.name("cron job", job.id)
        target = f"{job.endpoint.pkg}.{job.endpoint.name}"
        service = self.service_by_rel_path.get(job.endpoint.pkg) or self.service_by_pkg.get(job.endpoint.pkg)
        if service is None:
            self.fail(f"{within}endpoint {_q(target)} is in no known service")
        rpc = next((r for r in self.msg.svcs[self.services.index(service)].rpcs if r.name == job.endpoint.name), None)
        if rpc is None:
            self.fail(f"{within}endpoint {_q(target)} names unknown endpoint {_q(job.endpoint.name)} of service "
                      f"{_q(service)}")
        if not _valid_schedule(job.schedule):
            self.fail(f"{within}schedule {_q(job.schedule)} must be \"every:<minutes dividing 1440>\" or "
                      "\"schedule:<5-field cron expression>\"")
        return CronJob(id=job.id, title=job.title or job.id, schedule=job.schedule, service=service,
                       endpoint=rpc.name, path=_render(rpc.path))

    def gateway(self, g: meta_pb2.Gateway) -> Gateway:
        within = f"gateway {_q(g.encore_name)}: "
        self.name("gateway", g.encore_name)
        if not g.HasField("explicit"):
            return Gateway(name=g.encore_name)
        service = self.service_ref(g.explicit.service_name, within) if g.explicit.service_name else None
        auth = (self.auth_handler(g.explicit.auth_handler, f"{within}auth handler")
                if g.explicit.HasField("auth_handler") else None)
        return Gateway(name=g.encore_name, service=service, auth_handler=auth)

    def auth_handler(self, h: meta_pb2.AuthHandler, within: str) -> AuthHandler:
        self.service_ref(h.service_name, f"{within} {_q(h.name)} ")
        return AuthHandler(name=h.name, service=h.service_name)


def check_subscription(ack_deadline: int, retention: int, retry: meta_pb2.PubSubTopic.RetryPolicy) -> str | None:
    """Why no cloud can take these settings (nanoseconds), or None.

    Each bound is one that every target can represent after clamping to its own range
    (SQS visibility <= 12 h, retention 60 s - 14 d, Pub/Sub ack 10-600 s, retention <= 31 d).
    """
    if not 0 < ack_deadline <= ACK_DEADLINE_MAX:
        return f"ack deadline {_human(ack_deadline)} must be above 0 and at most 12h"
    if not RETENTION_MIN <= retention <= RETENTION_MAX:
        return f"message retention {_human(retention)} must be between 60s and 31 days"
    if retry.min_backoff < 0 or retry.max_backoff < 0:
        return f"retry backoffs ({_human(retry.min_backoff)}, {_human(retry.max_backoff)}) must not be negative"
    if retry.min_backoff > retry.max_backoff:
        return f"retry min backoff {_human(retry.min_backoff)} is above max backoff {_human(retry.max_backoff)}"
    if retry.max_retries < MAX_RETRIES_MIN:
        return f"max retries {retry.max_retries} must be -2 (none), -1 (forever) or at least 0"
    return None


# ---------------------------------------------------------------------------
# Helpers


def _endpoint(rpc: meta_pb2.RPC) -> Endpoint:
    return Endpoint(
        name=rpc.name, path=_render(rpc.path), methods=tuple(rpc.http_methods), access=_ACCESS[rpc.access_type],
        exposed="api-gateway" in rpc.expose, raw=rpc.proto == meta_pb2.RPC.RAW,
    )


def _render(path: meta_pb2.Path) -> str:
    """§4.9: segments joined by `/` (URL paths with the implied leading `/`), `:`/`*`/`!` before parameters."""
    joined = "/".join(_SEGMENT_PREFIX[seg.type] + seg.value for seg in path.segments)
    return joined if path.type == meta_pb2.Path.CACHE_KEYSPACE else "/" + joined


def _valid_schedule(schedule: str) -> bool:
    kind, _, spec = schedule.partition(":")
    if kind == "every":
        return spec.isascii() and spec.isdigit() and int(spec) in EVERY_MINUTES
    if kind == "schedule":
        fields = spec.split()
        return len(fields) == 5 and all(CRON_FIELD.fullmatch(f) for f in fields)
    return False


def _safe_relative(path: str, *, allow_dot: bool = False) -> bool:
    if not path or "\\" in path or any(ord(c) < 32 for c in path):
        return False
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        return False
    return allow_dot or pure.parts != ()


def _duration(ns: int) -> timedelta:
    seconds, rest = divmod(ns, SECOND)
    return timedelta(seconds=seconds, microseconds=rest // 1000)


def _human(ns: int) -> str:
    if ns % SECOND == 0:
        return f"{ns // SECOND}s"
    return f"{ns}ns"


def _q(value: str) -> str:
    """A name quoted for a one-line message: JSON escapes for control and non-ASCII characters."""
    return json.dumps(value if len(value) <= 80 else value[:77] + "...")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."

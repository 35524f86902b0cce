"""appmeta: every accepted form gives the same App; every rule rejects with a one-line message naming the element."""

from __future__ import annotations

import base64
import gzip
import json
import random
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format

from bench import synth
from orchestrator.core import appmeta
from orchestrator.core.errors import BadInput, ExitCode
from orchestrator.core.model import AccessType, App, BucketOp, DeliveryGuarantee, Language, MetricKind
from orchestrator.core.schema import meta_pb2

SECOND = 1_000_000_000
INT64_KEYS = {"ackDeadline", "messageRetention", "minBackoff", "maxBackoff", "maxRetries", "number", "bodyLimit"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def gz_value(data: bytes) -> str:
    return "gzip:" + b64(gzip.compress(data, mtime=0))


def base_meta() -> meta_pb2.Data:
    """A synthetic TypeScript app with every kind (6 services: svc-0 .. svc-5)."""
    return synth.synth_app(6)


def load_msg(msg: meta_pb2.Data, where: str = "meta.pb") -> Any:
    return appmeta.load_bytes(msg.SerializeToString(), where=where, name="app")


def rejects(data: bytes, fragment: str, where: str = "meta.pb") -> BadInput:
    with pytest.raises(BadInput) as info:
        appmeta.load_bytes(data, where=where, name="app")
    message = str(info.value)
    assert message.startswith(f"{where}: "), message
    assert "\n" not in message and "\r" not in message, message
    assert fragment in message, message
    assert info.value.exit_code is ExitCode.BAD_INPUT
    return info.value


# ---------------------------------------------------------------------------
# Forms


def _add_schema_keys(doc: dict[str, Any]) -> None:
    """What real protobuf JSON carries in the schema.v1-typed fields."""
    typ = {"named": {"id": 3}}
    loc = {"pkgPath": "x", "pkgName": "x", "filename": "x.ts", "startPos": 1, "endPos": 9}
    doc["decls"] = [{"id": 3, "name": "Msg", "type": {"struct": {"fields": [{"name": "a", "typ": typ}]}}}]
    for pkg in doc.get("pkgs", []):
        pkg["traceNodes"] = [{"id": 1, "filepath": "x.ts", "rpcDef": {"serviceName": "x", "rpcName": "y"}}]
    for svc in doc.get("svcs", []):
        for rpc in svc.get("rpcs", []):
            rpc.update(requestSchema=typ, responseSchema=typ, loc=loc, handshakeSchema=typ)
            for seg in rpc.get("path", {}).get("segments", []):
                seg["validation"] = {"rule": {"minLen": "1"}}
    for topic in doc.get("pubsubTopics", []):
        topic["messageType"] = typ
    for cluster in doc.get("cacheClusters", []):
        for ks in cluster.get("keyspaces", []):
            ks.update(keyType={"builtin": "STRING"}, valueType=typ)
    handlers = [doc.get("authHandler")] + [g.get("explicit", {}).get("authHandler") for g in doc.get("gateways", [])]
    for handler in handlers:
        if handler:
            handler.update(loc=loc, authData=typ, params=typ)
    doc["middleware"] = [{"name": {"pkg": "x", "name": "mw"}, "loc": loc, "global": True}]


def _without_warnings(app: App) -> App:
    """The schema keys add message types, which remove the missing-message-type warnings."""
    return app.model_copy(update={"warnings": ()})


def _ints_as_numbers(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: int(v) if k in INT64_KEYS and isinstance(v, str) else _ints_as_numbers(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_ints_as_numbers(v) for v in node]
    return node


def _forms(raw: bytes, json_text: str) -> dict[str, bytes]:
    msg = meta_pb2.Data.FromString(raw)
    with_schema = json.loads(json_text)
    _add_schema_keys(with_schema)
    return {
        "pb": raw,
        "base64": b64(raw).encode(),
        "base64-newline": (b64(raw) + "\n").encode(),
        "base64-wrapped": base64.encodebytes(raw),
        "gzip": gz_value(raw).encode(),
        "json": json_text.encode(),
        "json-bom": b"\xef\xbb\xbf" + json_text.encode(),
        "json-snake": json_format.MessageToJson(msg, preserving_proto_field_name=True).encode(),
        "json-int-enums": json_format.MessageToJson(msg, use_integers_for_enums=True).encode(),
        "json-int64-numbers": json.dumps(_ints_as_numbers(json.loads(json_text))).encode(),
        "json-schema-keys": json.dumps(with_schema).encode(),
    }


def test_fixture_forms_load_identically(
    fixture_app: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixtures_dir: Path
) -> None:
    folder = fixtures_dir / fixture_app
    expected = appmeta.load(folder / "meta.pb")
    assert expected.name == fixture_app
    raw = (folder / "meta.pb").read_bytes()
    forms = _forms(raw, (folder / "meta.json").read_text())
    for form, data in forms.items():
        path = tmp_path / fixture_app / form
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        assert _without_warnings(appmeta.load(path)) == _without_warnings(expected), form
        assert appmeta.load(str(path)) == appmeta.load(path), form
        assert appmeta.load_bytes(data, where=form, name=fixture_app) == appmeta.load(path), form
    assert appmeta.load_value(b64(raw), name=fixture_app) == expected
    assert appmeta.load_value(gz_value(raw), name=fixture_app) == expected
    monkeypatch.setenv("TEST_APP_META", gz_value(raw))
    assert appmeta.load("env:TEST_APP_META", name=fixture_app) == expected
    assert appmeta.load(Path("env:TEST_APP_META"), name=fixture_app) == expected
    assert appmeta.load(folder / "meta.json") == expected


@pytest.mark.parametrize("language", ["typescript", "go"])
def test_synthetic_forms_load_identically(language: str, tmp_path: Path) -> None:
    msg = synth.synth_app(12, language=language, seed=3)
    raw = msg.SerializeToString()
    expected = appmeta.load_bytes(raw, where="x", name="synth")
    for form, data in _forms(raw, json_format.MessageToJson(msg)).items():
        loaded = appmeta.load_bytes(data, where=form, name="synth")
        assert _without_warnings(loaded) == _without_warnings(expected), form


def test_original_bytes_pass_through(fixture_app: str, tmp_path: Path, fixtures_dir: Path) -> None:
    """Binary, base64 and gzip: input keep the exact bytes (trap 20); JSON gives the re-encoded message."""
    raw = (fixtures_dir / fixture_app / "meta.pb").read_bytes() + b"\xa2\x06\x03xyz"  # unknown field 100 survives
    for data in (raw, b64(raw).encode(), gz_value(raw).encode()):
        path = tmp_path / "meta"
        path.write_bytes(data)
        _, out = appmeta.load_with_bytes(path)
        assert out == raw
    app, out = appmeta.load_with_bytes(fixtures_dir / fixture_app / "meta.json")
    assert out == meta_pb2.Data.FromString(raw[:-6]).SerializeToString(deterministic=True)
    assert appmeta.load_bytes(out, where="x", name=app.name) == app


@pytest.mark.parametrize("module_path", ["{" * 123, "zip:" + "x" * 99, "A" * 65])
def test_binary_that_looks_textual(module_path: str) -> None:
    """Binary metadata whose bytes look like JSON, a gzip: value or base64 text still loads as binary."""
    msg = base_meta()
    msg.module_path = module_path
    raw = msg.SerializeToString()
    assert raw.lstrip()[:1] in (b"{", b"g", b"A") or raw[:2] == b"\nA"
    assert appmeta.load_bytes(raw, where="x", name="app") == load_msg(base_meta())


def test_schema_content_is_kept() -> None:
    msg = base_meta()
    msg.decls.add(id=3, name="Msg")
    msg.svcs[0].rpcs[0].request_schema.named.id = 3
    msg.pubsub_topics[0].message_type.named.id = 3
    raw = msg.SerializeToString()
    app = appmeta.load_bytes(raw, where="x", name="app")
    assert _without_warnings(app) == _without_warnings(load_msg(base_meta()))
    assert appmeta.decode(raw, where="x")[0] == msg


def test_json_becomes_binary_without_losing_a_field(fixture_app: str, fixtures_dir: Path) -> None:
    """The Rust core decodes the binary with Encore's meta.proto and schema.proto
    (runtimes/core/src/meta/mod.rs; proto/encore/parser/{meta,schema}/v1/*.proto): the binary made from
    protobuf JSON must be the same message as the parser's binary, schema.v1 content included."""
    folder = fixtures_dir / fixture_app
    _, out = appmeta.load_with_bytes(folder / "meta.json")
    assert meta_pb2.Data.FromString(out) == meta_pb2.Data.FromString((folder / "meta.pb").read_bytes())
    doc = json.loads((folder / "meta.json").read_text())
    _add_schema_keys(doc)
    _, out = appmeta.decode(json.dumps(doc).encode(), where="x")
    assert json.loads(json_format.MessageToJson(meta_pb2.Data.FromString(out))) == doc


# ---------------------------------------------------------------------------
# Mapping


def test_ts_uptime_mapping(fixtures_dir: Path) -> None:
    app = appmeta.load(fixtures_dir / "ts-uptime" / "meta.pb")
    assert app.language is Language.TYPESCRIPT
    assert [s.name for s in app.services] == ["frontend", "monitor", "site", "slack"]
    monitor = app.service("monitor")
    assert {e.name: e.path for e in monitor.endpoints}["check"] == "/check/:siteID"
    nextjs = app.service("frontend").endpoints[0]
    assert (nextjs.path, nextjs.raw, nextjs.exposed, nextjs.access) == ("/!rest", True, True, AccessType.PUBLIC)
    assert "TRACE" in nextjs.methods
    (cron,) = app.cron_jobs
    assert (cron.id, cron.service, cron.endpoint, cron.path, cron.schedule) == (
        "check-all", "monitor", "checkAll", "/check-all", "every:60")
    sub = next(t for t in app.topics if t.name == "site.added").subscriptions[0]
    assert (sub.topic, sub.name, sub.service) == ("site.added", "check-site", "monitor")
    assert sub.ack_deadline == timedelta(seconds=30) and sub.message_retention == timedelta(days=7)
    assert (sub.retry.min_backoff, sub.retry.max_backoff, sub.retry.max_retries) == (
        timedelta(seconds=10), timedelta(minutes=10), 100)
    assert sub.max_concurrency is None
    assert [(s.name, s.services) for s in app.secrets] == [("SlackWebhookURL", ("slack",))]
    assert app.service("slack").secrets == ("SlackWebhookURL",)
    assert [g.name for g in app.gateways] == ["api-gateway"] and app.gateways[0].service is None


def test_polar_mapping(fixtures_dir: Path) -> None:
    app = appmeta.load(fixtures_dir / "polar-file-sharing" / "meta.json")
    assert app.auth_handler is not None
    assert (app.auth_handler.name, app.auth_handler.service) == ("myAuthHandler", "auth")
    (gw,) = app.gateways
    assert gw.service == "auth" and gw.auth_handler == app.auth_handler
    files = app.service("files")
    assert files.buckets[0].bucket == "uploads"
    assert files.buckets[0].operations == (BucketOp.READ_OBJECT_CONTENTS, BucketOp.WRITE_OBJECT)
    payments = next(d for d in app.databases if d.name == "payments")
    assert payments.migration_rel_path == "payments/migrations"
    assert [m.number for m in payments.migrations] == [1, 2]
    assert app.buckets[0].public is False


def test_ai_chat_mapping(fixtures_dir: Path) -> None:
    app = appmeta.load(fixtures_dir / "ai-chat" / "meta.pb")
    assert app.language is Language.GO
    everyone = tuple(sorted(s.name for s in app.services))
    secrets = {s.name: s.services for s in app.secrets}
    assert secrets["NGrokToken"] == everyone  # declared by the service-less `proxy` package
    assert secrets["DiscordToken"] == ("discord",)
    assert app.users_of_database("chat") == ("chat", "local")
    (metric,) = app.metrics
    assert (metric.name, metric.kind, metric.value_type, metric.service) == (
        "active_client", MetricKind.GAUGE, "UINT64", "local")
    (cron,) = app.cron_jobs
    assert (cron.service, cron.path) == ("chat", "/chat.InitiateConversation")
    llm = next(t for t in app.topics if t.name == "llm-messages")
    assert llm.publishers == () and llm.subscriptions[0].max_concurrency == 100


def test_booking_and_replicate_mapping(fixtures_dir: Path) -> None:
    booking = appmeta.load(fixtures_dir / "booking-system" / "meta.pb")
    assert booking.service("user").endpoints == ()
    assert booking.gateways[0].auth_handler is not None and booking.gateways[0].service == "user"
    assert [e.access for e in booking.service("booking").endpoints].count(AccessType.AUTH) == 3
    replicate = appmeta.load(fixtures_dir / "replicate-image-generator" / "meta.pb")
    assert replicate.buckets[0].public is True
    assert replicate.service("ai").buckets[0].operations == (BucketOp.WRITE_OBJECT, BucketOp.GET_PUBLIC_URL)


def test_synthetic_app_mapping() -> None:
    app = load_msg(synth.synth_app(12))
    assert len(app.services) == 12
    assert any(t.delivery_guarantee is DeliveryGuarantee.EXACTLY_ONCE for t in app.topics)
    assert any(t.ordering_key for t in app.topics)
    cache0 = next(c for c in app.caches if c.name == "cache-0")
    assert cache0.eviction_policy == "allkeys-lru"  # empty in the metadata
    assert cache0.keyspaces[0].pattern == "svc-00/users/:id"
    assert cache0.keyspaces[4].pattern == ""
    assert {c.eviction_policy for c in app.caches} >= {"allkeys-lru", "allkeys-lfu"}
    assert app.service("svc-00").calls == ("svc-01",)
    assert app.service("svc-03").databases == ("svc-03-db", "svc-02-db")
    db = next(d for d in app.databases if d.name == "svc-02-db")
    assert [m.number for m in db.migrations] == [1, 2, 3]
    subs = [s for t in app.topics for s in t.subscriptions]
    assert {s.max_concurrency for s in subs} >= {None, 1, 10, 50}
    assert {s.ack_deadline for s in subs} >= {timedelta(seconds=10), timedelta(minutes=5)}
    assert {j.schedule.split(":")[0] for j in app.cron_jobs} == {"every", "schedule"}
    assert {b.public for b in app.buckets} == {True, False} and {b.versioned for b in app.buckets} == {True, False}
    assert app.gateways[0].auth_handler is not None
    assert next(s for s in app.secrets if s.name == "SharedToken").services == tuple(s.name for s in app.services)


def test_go_synthetic_app_has_no_fifo_topics_unless_asked() -> None:
    go = load_msg(synth.synth_app(20, language="go"))
    assert not any(t.fifo for t in go.topics)
    assert any(s.retry.max_retries == -1 for t in go.topics for s in t.subscriptions)
    assert next(s for s in go.secrets if s.name == "LibraryToken").services == tuple(s.name for s in go.services)
    forced = load_msg(synth.synth_app(20, language="go", fifo_topics=True))
    assert any(t.fifo for t in forced.topics)


def test_synth_is_deterministic(tmp_path: Path) -> None:
    a = synth.synth_app(40, seed=7).SerializeToString(deterministic=True)
    assert a == synth.synth_app(40, seed=7).SerializeToString(deterministic=True)
    assert a != synth.synth_app(40, seed=8).SerializeToString(deterministic=True)
    assert synth.main(["--services", "3", "--out", str(tmp_path / "s"), "--language", "go"]) == 0
    assert appmeta.load(tmp_path / "s" / "meta.json") == appmeta.load(tmp_path / "s" / "meta.pb")


@pytest.mark.parametrize(("folder", "expected"), [
    ("My App", "my-app"), ("app_v2", "app-v2"), ("2fast", "app-2fast"), ("___", "app"), ("Ünïcode", "n-code"),
    ("x" * 60, "x" * 41),
])
def test_app_name_from_folder(folder: str, expected: str, tmp_path: Path, fixtures_dir: Path) -> None:
    path = tmp_path / folder / "meta.pb"
    path.parent.mkdir()
    path.write_bytes((fixtures_dir / "ts-uptime" / "meta.pb").read_bytes())
    assert appmeta.load(path).name == expected
    assert appmeta.load(path, name="given").name == "given"


@pytest.mark.parametrize("inside", [".encore/meta", "build/meta.pb", "meta.pb", "dist/out/meta.pb", ".Encore/meta"])
def test_app_name_is_the_app_root_not_the_build_folder(inside: str, tmp_path: Path, fixtures_dir: Path) -> None:
    """Moving the metadata between the app root and its build folders keeps the app (and every name) stable."""
    path = tmp_path / "uptime" / inside
    path.parent.mkdir(parents=True)
    path.write_bytes((fixtures_dir / "ts-uptime" / "meta.pb").read_bytes())
    assert appmeta.load(path).name == "uptime"


def test_bad_explicit_app_name(fixtures_dir: Path) -> None:
    rejects_name = (fixtures_dir / "ts-uptime" / "meta.pb").read_bytes()
    with pytest.raises(BadInput, match='app name "Bad_Name"'):
        appmeta.load_bytes(rejects_name, where="x", name="Bad_Name")


# ---------------------------------------------------------------------------
# Validation: one case per rule

Mutator = Callable[[meta_pb2.Data], Any]


def _sub(d: meta_pb2.Data) -> meta_pb2.PubSubTopic.Subscription:
    return d.pubsub_topics[0].subscriptions[0]


def _dup(repeated: Any) -> None:
    repeated.add().CopyFrom(repeated[0])


SUB = 'topic "svc-0.events": subscription "svc-1-handler"'
RULES: dict[str, tuple[Mutator, str]] = {
    "no services": (lambda d: d.ClearField("svcs"), "the metadata declares no services"),
    # duplicates
    "dup service": (lambda d: _dup(d.svcs), 'duplicate service "svc-0"'),
    "dup database": (lambda d: _dup(d.sql_databases), 'duplicate database "svc-0-db"'),
    "dup topic": (lambda d: _dup(d.pubsub_topics), 'duplicate topic "svc-0.events"'),
    "dup subscription": (lambda d: _dup(d.pubsub_topics[0].subscriptions),
                         'topic "svc-0.events": duplicate subscription "svc-1-handler"'),
    "dup cache": (lambda d: _dup(d.cache_clusters), 'duplicate cache cluster "cache-0"'),
    "dup bucket": (lambda d: _dup(d.buckets), 'duplicate bucket "bucket-0"'),
    "dup cron": (lambda d: _dup(d.cron_jobs), 'duplicate cron job "svc-0-tick"'),
    "dup gateway": (lambda d: _dup(d.gateways), 'duplicate gateway "api-gateway"'),
    "dup metric": (lambda d: _dup(d.metrics), 'duplicate metric "requests_total"'),
    "dup migration number": (lambda d: _dup(d.sql_databases[2].migrations),
                             'database "svc-2-db": two migrations are numbered'),
    # references
    "service database": (lambda d: d.svcs[0].databases.append("nope"), 'service "svc-0": uses unknown database "nope"'),
    "service bucket": (lambda d: d.svcs[0].buckets.add(bucket="nope"), 'service "svc-0": uses unknown bucket "nope"'),
    "publisher": (lambda d: d.pubsub_topics[0].publishers.add(service_name="ghost"),
                  'topic "svc-0.events": publisher names unknown service "ghost"'),
    "subscriber": (lambda d: setattr(_sub(d), "service_name", "ghost"), f'{SUB} names unknown service "ghost"'),
    "keyspace": (lambda d: setattr(d.cache_clusters[0].keyspaces[0], "service", "ghost"),
                 'cache cluster "cache-0": keyspace "svc-0/users/:id" names unknown service "ghost"'),
    "cron package": (lambda d: setattr(d.cron_jobs[0].endpoint, "pkg", "nowhere"),
                     'cron job "svc-0-tick": endpoint "nowhere.tick" is in no known service'),
    "cron endpoint": (lambda d: setattr(d.cron_jobs[0].endpoint, "name", "nope"),
                      'cron job "svc-0-tick": endpoint "svc-0.nope" names unknown endpoint "nope" of service "svc-0"'),
    "auth handler": (lambda d: setattr(d.auth_handler, "service_name", "ghost"),
                     'auth handler "auth" names unknown service "ghost"'),
    "gateway service": (lambda d: setattr(d.gateways[0].explicit, "service_name", "ghost"),
                        'gateway "api-gateway": names unknown service "ghost"'),
    "gateway auth handler": (lambda d: setattr(d.gateways[0].explicit.auth_handler, "service_name", "ghost"),
                             'gateway "api-gateway": auth handler "auth" names unknown service "ghost"'),
    "package service": (lambda d: setattr(d.pkgs[0], "service_name", "ghost"),
                        'package "svc-0": names unknown service "ghost"'),
    "rpc call": (lambda d: d.pkgs[0].rpc_calls.add(pkg="nowhere", name="x"),
                 'package "svc-0": call to "nowhere.x" names a package that belongs to no service'),
    "metric service": (lambda d: setattr(d.metrics[2], "service_name", "ghost"),
                       'metric "svc_0_depth" names unknown service "ghost"'),
    # durations
    "ack zero": (lambda d: setattr(_sub(d), "ack_deadline", 0), f"{SUB}: ack deadline 0s must be above 0"),
    "ack negative": (lambda d: setattr(_sub(d), "ack_deadline", -SECOND), f"{SUB}: ack deadline -1s"),
    "ack too long": (lambda d: setattr(_sub(d), "ack_deadline", 12 * 3600 * SECOND + 1),
                     f"{SUB}: ack deadline 43200000000001ns must be above 0 and at most 12h"),
    "retention short": (lambda d: setattr(_sub(d), "message_retention", 59 * SECOND),
                        f"{SUB}: message retention 59s must be between 60s and 31 days"),
    "retention long": (lambda d: setattr(_sub(d), "message_retention", (31 * 86400 + 1) * SECOND),
                       f"{SUB}: message retention 2678401s"),
    "min backoff negative": (lambda d: setattr(_sub(d).retry_policy, "min_backoff", -1),
                             f"{SUB}: retry backoffs (-1ns, 60s) must not be negative"),
    "max backoff negative": (lambda d: setattr(_sub(d).retry_policy, "max_backoff", -SECOND),
                             f"{SUB}: retry backoffs"),
    "min above max": (lambda d: (setattr(_sub(d).retry_policy, "min_backoff", 11 * SECOND),
                                 setattr(_sub(d).retry_policy, "max_backoff", 10 * SECOND)),
                      f"{SUB}: retry min backoff 11s is above max backoff 10s"),
    "max retries": (lambda d: setattr(_sub(d).retry_policy, "max_retries", -3), f"{SUB}: max retries -3 must be"),
    # enums
    "enum language": (lambda d: setattr(d, "language", 7), "language: unknown Lang value 7"),
    "enum access": (lambda d: setattr(d.svcs[0].rpcs[0], "access_type", 9),
                    'svcs["svc-0"].rpcs["create"].access_type: unknown AccessType value 9'),
    "enum negative": (lambda d: setattr(d.svcs[0].rpcs[0], "access_type", -1), "unknown AccessType value -1"),
    "enum protocol": (lambda d: setattr(d.svcs[0].rpcs[0], "proto", 5),
                      'rpcs["create"].proto: unknown Protocol value 5'),
    "enum segment": (lambda d: setattr(d.svcs[0].rpcs[2].path.segments[2], "type", 9),
                     'rpcs["get"].path.segments[2].type: unknown SegmentType value 9'),
    "enum param type": (lambda d: setattr(d.svcs[0].rpcs[2].path.segments[2], "value_type", 99),
                        "segments[2].value_type: unknown ParamType value 99"),
    "enum path type": (lambda d: setattr(d.svcs[0].rpcs[2].path, "type", 4), "path.type: unknown Type value 4"),
    "enum delivery": (lambda d: setattr(d.pubsub_topics[0], "delivery_guarantee", 3),
                      'pubsub_topics["svc-0.events"].delivery_guarantee: unknown DeliveryGuarantee value 3'),
    "enum operation": (lambda d: d.svcs[0].buckets[0].operations.append(42),
                       'svcs["svc-0"].buckets[0].operations: unknown Operation value 42'),
    "enum metric kind": (lambda d: setattr(d.metrics[0], "kind", 9),
                         'metrics["requests_total"].kind: unknown MetricKind'),
    "enum builtin": (lambda d: setattr(d.metrics[0], "value_type", 77), "value_type: unknown Builtin value 77"),
    "enum label": (lambda d: setattr(d.metrics[1].labels[0], "type", 77),
                   'metrics["latency_seconds"].labels[0].type: unknown Builtin value 77'),
    "enum selector": (lambda d: d.svcs[0].rpcs[0].tags.add(type=5),
                      'rpcs["create"].tags[0].type: unknown Type value 5'),
    # other values
    "schedule every": (lambda d: setattr(d.cron_jobs[0], "schedule", "every:7"),
                       'cron job "svc-0-tick": schedule "every:7" must be'),
    "schedule fields": (lambda d: setattr(d.cron_jobs[0], "schedule", "schedule:* * *"), 'schedule "schedule:* * *"'),
    "schedule kind": (lambda d: setattr(d.cron_jobs[0], "schedule", "hourly"), 'schedule "hourly"'),
    "eviction": (lambda d: setattr(d.cache_clusters[0], "eviction_policy", "lru"),
                 'cache cluster "cache-0": unknown eviction policy "lru"'),
    "migration traversal": (lambda d: setattr(d.sql_databases[0].migrations[0], "filename", "../../etc/passwd"),
                            'database "svc-0-db": migration file "../../etc/passwd" must be a relative path'),
    "migration absolute dir": (lambda d: setattr(d.sql_databases[0], "migration_rel_path", "/etc"),
                               'database "svc-0-db": migration directory "/etc" must be a relative path'),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_rule(rule: str) -> None:
    mutate, fragment = RULES[rule]
    msg = base_meta()
    load_msg(msg)
    mutate(msg)
    rejects(msg.SerializeToString(), fragment)


def _rename_bucket(d: meta_pb2.Data, name: str) -> None:
    for usage in (u for s in d.svcs for u in s.buckets if u.bucket == d.buckets[0].name):
        usage.bucket = name
    d.buckets[0].name = name


ACCEPTED: dict[str, Mutator] = {
    "ack 12h": lambda d: setattr(_sub(d), "ack_deadline", 12 * 3600 * SECOND),
    "retention 60s": lambda d: setattr(_sub(d), "message_retention", 60 * SECOND),
    "retention 31d": lambda d: setattr(_sub(d), "message_retention", 31 * 86400 * SECOND),
    "zero backoffs": lambda d: (setattr(_sub(d).retry_policy, "min_backoff", 0),
                                setattr(_sub(d).retry_policy, "max_backoff", 0)),
    "retries -2": lambda d: setattr(_sub(d).retry_policy, "max_retries", -2),
    "retry policy absent": lambda d: _sub(d).ClearField("retry_policy"),
    "schedule every day": lambda d: setattr(d.cron_jobs[0], "schedule", "every:1440"),
    "schedule names": lambda d: setattr(d.cron_jobs[0], "schedule", "schedule:0 9 * * MON-FRI"),
    "name 63": lambda d: _rename_bucket(d, "b" * 63),
    "name digits dots": lambda d: setattr(d.pubsub_topics[0], "name", "9.Topic_x-1"),
    "migration subdir": lambda d: setattr(d.sql_databases[0].migrations[0], "filename", "1_init/migration.sql"),
    "migration dir dot": lambda d: setattr(d.sql_databases[0], "migration_rel_path", "."),
    "unknown operation 0": lambda d: d.svcs[0].buckets[0].operations.append(0),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_accepted_edge(case: str) -> None:
    msg = base_meta()
    ACCEPTED[case](msg)
    app = load_msg(msg)
    if case == "retry policy absent":
        sub = app.topics[0].subscriptions[0]
        assert (sub.retry.min_backoff, sub.retry.max_retries) == (timedelta(seconds=10), 100)


BAD_NAMES = ["", "x" * 64, "a\nb", "a b", "a/b", "ünï", "-lead", ".hidden", "a:b", "tab\there", "\x00"]
NAME_SETTERS: dict[str, tuple[Mutator | Callable[[meta_pb2.Data, str], Any], str]] = {
    "service": (lambda d, n: setattr(d.svcs[0], "name", n), "service name "),
    "database": (lambda d, n: setattr(d.sql_databases[0], "name", n), "database name "),
    "topic": (lambda d, n: setattr(d.pubsub_topics[0], "name", n), "topic name "),
    "subscription": (lambda d, n: setattr(_sub(d), "name", n), "subscription name "),
    "cache": (lambda d, n: setattr(d.cache_clusters[0], "name", n), "cache cluster name "),
    "bucket": (lambda d, n: setattr(d.buckets[0], "name", n), "bucket name "),
    "secret": (lambda d, n: d.pkgs[0].secrets.append(n), 'package "svc-0": secret name '),
    "cron": (lambda d, n: setattr(d.cron_jobs[0], "id", n), "cron job name "),
    "gateway": (lambda d, n: setattr(d.gateways[0], "encore_name", n), "gateway name "),
    "metric": (lambda d, n: setattr(d.metrics[0], "name", n), "metric name "),
}


@pytest.mark.parametrize("kind", list(NAME_SETTERS))
@pytest.mark.parametrize("bad", BAD_NAMES, ids=repr)
def test_unusable_names(kind: str, bad: str) -> None:
    setter, label = NAME_SETTERS[kind]
    msg = base_meta()
    setter(msg, bad)  # type: ignore[call-arg]
    rejects(msg.SerializeToString(), f"{label}{json.dumps(bad)} is not usable: use 1-63 characters")


# ---------------------------------------------------------------------------
# Undecodable input and sizes


def _pb() -> bytes:
    return base_meta().SerializeToString()


DECODE_CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "truncated": (lambda: _pb()[:-1], "not app metadata"),
    "truncated varint": (lambda: _pb()[:1] + b"\xff", "not app metadata"),
    "json not utf-8": (lambda: b'{"svcs": "\xff"}', "metadata JSON is not valid UTF-8 (byte 10)"),
    "json syntax": (lambda: b'{"svcs": [', "not valid JSON: Expecting value at line 1 column 11"),
    "json deep": (lambda: b'{"a":' * 5000 + b"1" + b"}" * 5000, "not valid JSON"),
    "json huge int": (lambda: b'{"language": ' + b"9" * 5000 + b"}", "not valid JSON"),
    "json wrong list": (lambda: b'{"svcs": "x"}', "not valid metadata JSON"),
    "json wrong string": (lambda: b'{"svcs": [{"name": 5}]}', "not valid metadata JSON"),
    "json wrong enum": (lambda: b'{"language": "COBOL"}', "not valid metadata JSON"),
    "json wrong int64": (lambda: b'{"pubsubTopics": [{"subscriptions": [{"ackDeadline": "soon"}]}]}',
                         "not valid metadata JSON"),
    "json wrong map": (lambda: b'{"svcs": [{"rpcs": [{"expose": ["api-gateway"]}]}]}', "not valid metadata JSON"),
    "json empty object": (lambda: b"{}", "the metadata declares no services"),
    "json unknown keys": (lambda: b'{"futureField": {"x": 1}, "svcs": [{"newThing": 1}]}',
                          'service name "" is not usable'),
    "json array": (lambda: b"[1, 2]", "not app metadata"),
    "gzip not base64": (lambda: b"gzip:!!!", "the gzip: value is not valid standard base64"),
    "base64 wrong length": (lambda: b"QUJD" * 9 + b"Q", "the ENCORE_APP_META value is not valid standard base64"),
    "gzip not gzip": (lambda: b"gzip:" + b64(b"hello world").encode(), "the gzip: value is not valid gzip data"),
    "gzip truncated": (lambda: b"gzip:" + b64(gzip.compress(_pb())[:-20]).encode(), "the gzip: value is truncated"),
    "gzip trailing": (lambda: b"gzip:" + b64(gzip.compress(_pb()) + b"junk").encode(), "data after the gzip stream"),
    "gzip of garbage": (lambda: gz_value(b"\xff" * 64).encode(), "not app metadata"),
    "base64 of truncated": (lambda: b64(_pb()[:-1]).encode(), "not app metadata"),
    "base64 bad padding": (lambda: b"Cg=", "the ENCORE_APP_META value is not valid standard base64"),
    "empty": (lambda: b"", "the metadata declares no services"),
    "too large": (lambda: b"\0" * (appmeta.MAX_BYTES + 1), "metadata is larger than 64 MiB"),
    "gzip bomb": (lambda: b"gzip:" + b64(gzip.compress(b"\0" * (appmeta.MAX_BYTES + 1), 1)).encode(),
                  "the gzip: value inflates to more than 64 MiB"),
}


@pytest.mark.parametrize("case", list(DECODE_CASES))
def test_undecodable(case: str) -> None:
    make, fragment = DECODE_CASES[case]
    rejects(make(), fragment, where="in.meta")


def test_random_bytes_are_bad_input() -> None:
    rng = random.Random(5)
    for size in (1, 2, 7, 64, 500, 4096):
        for _ in range(20):
            with pytest.raises(BadInput) as info:
                appmeta.load_bytes(rng.randbytes(size), where="r", name="app")
            assert "\n" not in str(info.value)


DEEP_SCRIPT = """
import pulumi  # raises upb's nesting limit from 100 to 65535, process-wide
from orchestrator.core import appmeta
from orchestrator.core.errors import BadInput
for data in (b"\\x7b" * 65_534 + b"\\x7c" * 65_534, b"\\x7b" * 70_000, b"\\x22\\x05" + b"\\x0b" * 70_000):
    try:
        appmeta.load_bytes(data, where="deep", name="app")
    except BadInput as exc:
        print(exc)
"""


def test_deep_nesting_after_pulumi_import_is_bad_input() -> None:
    """Deeply nested groups must be a BadInput, not a crash, even after pulumi was imported."""
    out = subprocess.run([sys.executable, "-c", DEEP_SCRIPT], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("deep: ") == 3, out.stdout


def test_too_many_elements() -> None:
    msg = meta_pb2.Data()
    for i in range(appmeta.MAX_ELEMENTS + 1):
        msg.svcs.add(name=f"s{i}")
    rejects(msg.SerializeToString(), "the metadata declares 100001 services, endpoints and resources (limit 100000)")


def test_file_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BadInput, match=re.escape(f"{tmp_path / 'nope.pb'}: no such metadata file")):
        appmeta.load(tmp_path / "nope.pb")
    with pytest.raises(BadInput, match="is a directory"):
        appmeta.load(tmp_path)
    big = tmp_path / "big" / "meta.pb"
    big.parent.mkdir()
    with big.open("wb") as f:
        f.truncate(appmeta.MAX_BYTES + 1)
    with pytest.raises(BadInput, match="larger than 64 MiB"):
        appmeta.load(big)
    monkeypatch.delenv("NO_SUCH_META", raising=False)
    with pytest.raises(BadInput, match=r'^env:NO_SUCH_META: environment variable "NO_SUCH_META" is not set$'):
        appmeta.load("env:NO_SUCH_META")


def test_topics_without_a_message_type_warn_for_typescript_only(fixtures_dir: Path) -> None:
    """runtimes/core/src/pubsub/manager.rs refuses a topic without `message_type`; the Go runtime has its
    types compiled in."""
    raw = (fixtures_dir / "ts-uptime" / "meta.pb").read_bytes()
    app = appmeta.load_bytes(raw, where="x", name="ts-uptime")
    assert len(app.warnings) == len(app.topics) == 2 and "no message type" in app.warnings[0]
    msg = meta_pb2.Data.FromString(raw)
    for topic in msg.pubsub_topics:
        topic.message_type.named.id = 1
    assert appmeta.load_bytes(msg.SerializeToString(), where="x", name="ts-uptime").warnings == ()
    go = appmeta.load(fixtures_dir / "go-webhook-processor" / "meta.pb")
    assert go.topics and go.warnings == ()

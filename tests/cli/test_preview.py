"""`orchestrator preview` per kind: add, change each mapped field, remove; the app-level line, the resource-level
diff and the exit code (`--detailed-exitcode --fail-on-destroy`: 8 for changes, 9 when something is destroyed).

The base is a three-service synthetic app (bench/synth.py: every kind), the new metadata a copy with one change;
"remove" is the "add" case run the other way round. These run `orchestrator.cli.main` in this process with the
graph rendered here under mocks (memoised per plan) instead of in spawned children, to keep the matrix fast;
test_preview_contract.py runs the real entry point, children included.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format

from bench import synth
from orchestrator import cli
from orchestrator.engine import policy_gate

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"
ENV = "aws-preview"
SECOND = 1_000_000_000
BASE: dict[str, Any] = json_format.MessageToDict(synth.synth_app(3))
_GRAPHS: dict[str, list[dict[str, Any]]] = {}


def render_here(plans: Any, roots: Any) -> list[list[dict[str, Any]]]:
    from orchestrator.engine import graph

    out = []
    for plan, root in zip(plans, roots, strict=True):
        key = plan.to_json() + str(root)
        if key not in _GRAPHS:
            _GRAPHS[key] = graph.render(plan, app_root=root)
        out.append(copy.deepcopy(_GRAPHS[key]))
    return out


@pytest.fixture(autouse=True)
def graphs_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_gate, "render_isolated", render_here)


def write(doc: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(doc, sort_keys=True))
    return path


def preview(tmp_path: Path, new: dict[str, Any], base: dict[str, Any], fmt: str = "json",
            env: str = ENV, *flags: str) -> tuple[int, str]:
    out = tmp_path / f"preview.{fmt}"
    app = tmp_path / "shop"  # the app's name: the metadata's folder
    app.mkdir(exist_ok=True)
    args = ["--stacks", str(STACKS), "--state-dir", str(tmp_path / "state"), "preview", "--env", env,
            "--meta", str(write(new, app / "new.json")), "--base-meta", str(write(base, app / "base.json")),
            "--format", fmt, "--output", str(out), "--detailed-exitcode", "--fail-on-destroy", *flags]
    with pytest.raises(SystemExit) as done:
        cli.main(args)
    return int(done.value.code or 0), out.read_text() if out.exists() else ""


def changed(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    mutate(doc)
    return doc


def topic(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in doc["pubsubTopics"] if t["name"] == name)


def sub(doc: dict[str, Any]) -> dict[str, Any]:
    return topic(doc, "svc-0.events")["subscriptions"][0]


def add_database(d: dict[str, Any]) -> None:
    d["sqlDatabases"].append({"name": "extra-db"})
    d["svcs"][1]["databases"].append("extra-db")


def add_topic(d: dict[str, Any]) -> None:
    d["pubsubTopics"].append({"name": "orders", "messageType": {"named": {}}, "publishers": [{"serviceName": "svc-1"}]})


def add_subscription(d: dict[str, Any]) -> None:
    topic(d, "svc-0.events")["subscriptions"].append({
        "name": "email", "serviceName": "svc-0", "ackDeadline": str(30 * SECOND),
        "messageRetention": str(86400 * SECOND), "retryPolicy": {"maxRetries": "3"}})


def add_bucket(d: dict[str, Any]) -> None:
    d["buckets"].append({"name": "uploads"})
    d["svcs"][2]["buckets"].append({"bucket": "uploads", "operations": ["WRITE_OBJECT"]})


def add_cache(d: dict[str, Any]) -> None:
    d["cacheClusters"].append({"name": "sessions", "keyspaces": [{"service": "svc-1", "pathPattern": {
        "segments": [{"value": "sessions"}, {"type": "PARAM", "value": "id"}], "type": "CACHE_KEYSPACE"}}]})


def add_secret(d: dict[str, Any]) -> None:
    d["pkgs"][1]["secrets"].append("StripeKey")


def add_cron(d: dict[str, Any]) -> None:
    d["cronJobs"].append({"id": "nightly", "title": "Nightly", "schedule": "schedule:0 3 * * *",
                          "endpoint": {"pkg": "svc-0", "name": "tick"}})


def add_service(d: dict[str, Any]) -> None:
    d["svcs"].append({"name": "svc-3", "relPath": "svc-3", "rpcs": [{
        "name": "ping", "serviceName": "svc-3", "accessType": "PUBLIC", "httpMethods": ["GET"],
        "path": {"segments": [{"value": "svc-3"}, {"value": "ping"}]}, "expose": {"api-gateway": {}}}]})
    d["pkgs"].append({"relPath": "svc-3", "name": "svc-3", "serviceName": "svc-3"})


ADDS: dict[str, tuple[Callable[[dict[str, Any]], None], str, str]] = {
    # kind: (mutation, the app-level key, a resource type created for it on AWS)
    "database": (add_database, "sql:extra-db", "orchestrator:aws:Sql"),
    "topic": (add_topic, "topic:orders", "aws:sns/topic:Topic"),
    "subscription": (add_subscription, "subscription:svc-0.events/email", "aws:sqs/queue:Queue"),
    "bucket": (add_bucket, "bucket:uploads", "aws:s3/bucket:Bucket"),
    "cache": (add_cache, "cache:sessions", "orchestrator:aws:Cache"),
    "secret": (add_secret, "secret:StripeKey", "aws:secretsmanager/secret:Secret"),
    "cron": (add_cron, "cron:nightly", "orchestrator:aws:CronJob"),
    "service": (add_service, "service:svc-3", "aws:iam/role:Role"),
}


def _resources(doc: dict[str, Any], verb: str) -> list[tuple[str, str]]:
    return [(n["type"], n["name"]) for n in doc["resources"][verb]]


@pytest.mark.parametrize("kind", sorted(ADDS))
def test_add_then_remove(kind: str, tmp_path: Path) -> None:
    mutate, key, made = ADDS[kind]
    added = changed(mutate)
    code, out = preview(tmp_path, added, BASE)
    doc = json.loads(out)
    assert code == 8, out
    assert [r["key"] for r in doc["app_diff"]["added"]] == [key]
    name = key.partition(":")[2]
    assert any(t == made and n.startswith(key) for t, n in _resources(doc, "creates")), _resources(doc, "creates")
    assert doc["resources"]["deletes"] == [] and doc["resources"]["replaces"] == []

    code, out = preview(tmp_path, BASE, added)
    doc = json.loads(out)
    assert code == 9, out
    assert [r["key"] for r in doc["app_diff"]["removed"]] == [key]
    assert any(t == made and n.startswith(key) for t, n in _resources(doc, "deletes"))
    code, text = preview(tmp_path, BASE, added, "text")
    loses_data = kind in ("database", "topic", "subscription", "bucket", "cache", "secret")
    assert (f"! removes data: remove {key}" if loses_data else f"- {key}") in text.splitlines(), text
    assert name in text


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation setting one field: `sub.ackDeadline`, `bucket.versioned`, ..."""
    where, _, field = path.partition(".")

    def mutate(d: dict[str, Any]) -> None:
        target = {"sub": lambda: sub(d), "retry": lambda: sub(d)["retryPolicy"],
                  "topic": lambda: topic(d, "svc-0.events"), "db": lambda: d["sqlDatabases"][0],
                  "bucket": lambda: d["buckets"][0], "cache": lambda: d["cacheClusters"][0],
                  "cron": lambda: d["cronJobs"][0], "svc": lambda: d["svcs"][0]}[where]()
        target[field] = value

    return mutate


def _publishers(d: dict[str, Any]) -> None:
    topic(d, "svc-0.events")["publishers"].append({"serviceName": "svc-2"})


def _secret_services(d: dict[str, Any]) -> None:
    d["pkgs"][2]["secrets"].append("Svc0ApiKey")


def _keyspace(d: dict[str, Any]) -> None:
    d["cacheClusters"][0]["keyspaces"].pop()


def _endpoint(d: dict[str, Any]) -> None:
    d["svcs"][1]["rpcs"].append({"name": "health", "serviceName": "svc-1", "accessType": "PUBLIC",
                                 "httpMethods": ["GET"], "path": {"segments": [{"value": "health"}]},
                                 "expose": {"api-gateway": {}}})


def _migration(d: dict[str, Any]) -> None:
    d["sqlDatabases"][0]["migrations"].append({"filename": "2_step_2.up.sql", "number": "2", "description": "step_2"})


CHANGES: list[tuple[str, Callable[[dict[str, Any]], None], str, str, tuple[str, str] | None, int]] = [
    # (id, mutation, changed app key, its field, (resource type, changed input) or None, exit code); None: no
    # resource changes, as the runtime reads the field from its config (backoff, concurrency, endpoints, titles)
    ("database.migrations", _migration, "sql:svc-0-db", "spec.migrations[2_step_2.up.sql]",
     ("pulumi-python:dynamic/orchestrator:SqlDatabase", "migrations"), 8),
    ("database.allow_non_sequential", _set("db.allowNonSequentialMigrations", False), "sql:svc-0-db",
     "spec.allow_non_sequential_migrations", ("pulumi-python:dynamic/orchestrator:SqlDatabase", "nonSequential"), 8),
    ("topic.publishers", _publishers, "topic:svc-0.events", "spec.publishers",
     ("aws:iam/rolePolicy:RolePolicy", "policy"), 8),
    ("topic.delivery_guarantee", _set("topic.deliveryGuarantee", "EXACTLY_ONCE"), "topic:svc-0.events",
     "spec.delivery_guarantee", ("aws:sns/topic:Topic", "fifoTopic"), 9),
    ("subscription.ack_deadline", _set("sub.ackDeadline", str(90 * SECOND)), "subscription:svc-0.events/svc-1-handler",
     "spec.ack_deadline", ("aws:sqs/queue:Queue", "visibilityTimeoutSeconds"), 8),
    ("subscription.message_retention", _set("sub.messageRetention", str(3 * 86400 * SECOND)),
     "subscription:svc-0.events/svc-1-handler", "spec.message_retention",
     ("aws:sqs/queue:Queue", "messageRetentionSeconds"), 8),
    ("subscription.max_retries", _set("retry.maxRetries", "9"), "subscription:svc-0.events/svc-1-handler",
     "spec.retry.max_retries", ("aws:sqs/queue:Queue", "redrivePolicy"), 8),
    ("subscription.min_backoff", _set("retry.minBackoff", str(2 * SECOND)), "subscription:svc-0.events/svc-1-handler",
     "spec.retry.min_backoff", None, 8),
    ("subscription.max_backoff", _set("retry.maxBackoff", str(120 * SECOND)), "subscription:svc-0.events/svc-1-handler",
     "spec.retry.max_backoff", None, 8),
    ("subscription.max_concurrency", _set("sub.maxConcurrency", 3), "subscription:svc-0.events/svc-1-handler",
     "spec.max_concurrency", None, 8),
    ("bucket.versioned", _set("bucket.versioned", False), "bucket:bucket-0", "spec.versioned",
     ("orchestrator:aws:Bucket", "versioned"), 9),
    ("bucket.public", _set("bucket.public", True), "bucket:bucket-0", "spec.public",
     ("orchestrator:aws:Bucket", "public"), 8),
    ("cache.eviction_policy", _set("cache.evictionPolicy", "allkeys-lfu"), "cache:cache-0", "spec.eviction_policy",
     ("aws:elasticache/parameterGroup:ParameterGroup", "parameters"), 8),
    ("cache.keyspaces", _keyspace, "cache:cache-0", "spec.keyspaces", ("aws:iam/rolePolicy:RolePolicy", "policy"), 8),
    ("secret.services", _secret_services, "secret:Svc0ApiKey", "spec.services",
     ("aws:iam/rolePolicy:RolePolicy", "policy"), 8),
    ("cron.schedule", _set("cron.schedule", "every:30"), "cron:svc-0-tick", "spec.schedule",
     ("orchestrator:aws:CronJob", "schedule"), 8),
    ("cron.title", _set("cron.title", "Tick, renamed"), "cron:svc-0-tick", "spec.title", None, 8),
    ("service.endpoints", _endpoint, "service:svc-1", "spec.endpoints[health]", None, 8),
]


@pytest.mark.parametrize(("case", "mutate", "key", "field", "resource", "code"), CHANGES, ids=[c[0] for c in CHANGES])
def test_change_each_mapped_field(case: str, mutate: Callable[[dict[str, Any]], None], key: str, field: str,
                                  resource: tuple[str, str] | None, code: int, tmp_path: Path) -> None:
    got, out = preview(tmp_path, changed(mutate), BASE)
    doc = json.loads(out)
    assert got == code, out
    touched = [r for r in (*doc["app_diff"]["changed"], *doc["app_diff"]["replaced"]) if r["key"] == key]
    assert touched, doc["app_diff"]
    assert any(c["path"].startswith(field) for c in touched[0]["changes"]), touched[0]["changes"]
    nodes = [*doc["resources"]["updates"], *doc["resources"]["replaces"]]
    if resource is None:
        assert nodes == [] and doc["resources"]["creates"] == [] and doc["resources"]["deletes"] == [], nodes
    else:
        rtype, prop = resource
        hit = [n for n in nodes if n["type"] == rtype and any(c["path"].split(".")[0] == prop for c in n["changes"])]
        assert hit, nodes
    _, text = preview(tmp_path, changed(mutate), BASE, "text")
    assert f"~ {key}" in text or f"-/+ {key}" in text or f"! removes data: replace {key}" in text, text


def test_the_comment_for_a_removal_puts_it_first_and_marks_the_diagram(tmp_path: Path) -> None:
    code, text = preview(tmp_path, BASE, changed(add_bucket), "markdown")
    assert code == 9
    lines = text.splitlines()
    assert lines[0] == "<!-- orchestrator-preview:shop:aws-preview -->"
    assert lines[3].startswith("**App:** 0 to add, 1 to change, 0 to replace, 1 to remove, 1 grant change · ")
    head = text.split("<details>", 1)[0]
    assert "- **remove bucket `uploads`**: **its objects are lost**" in head
    assert "- resources: delete 1 x `aws:s3/bucket:Bucket`;" in head
    assert '["- bucket uploads"]:::removed' in text and '["~ service svc-2"]:::changed' in text
    assert "\x1b" not in text and text.count("<details>") == text.count("</details>")
    assert preview(tmp_path, BASE, changed(add_bucket), "markdown")[1] == text

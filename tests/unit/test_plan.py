"""plan.build: deterministic, grants exactly as the metadata says (app-metadata.md §5), valid physical names."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench import synth
from orchestrator import stacks
from orchestrator.core import appmeta, envs, naming
from orchestrator.core import plan as planning
from orchestrator.core.model import App
from orchestrator.core.plan import Grant, Plan
from providers import registry

ROOT = Path(__file__).resolve().parents[2]
STACKS = {
    "local": "config:\n  orchestrator:cloud: local\n  orchestrator:envType: development\n",
    "aws": "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: production\n  aws:region: eu-west-1\n",
    "gcp": "config:\n  orchestrator:cloud: gcp\n  orchestrator:envType: ephemeral\n  gcp:project: my-project\n",
    "azure": (
        "config:\n  orchestrator:cloud: azure\n  orchestrator:envType: test\n  azure-native:location: westeurope\n"
    ),
}
ENV_VAR = re.compile(r"ORCH_[A-Z0-9_]+")

# Which namer table (and so which naming namespace per cloud) makes each role's name.
ROLE_TABLE = {
    "identity": "IDENTITY", "server": "SERVER", "password_secret": "SECRET", "login_secret": "SECRET", "topic": "TOPIC",
    "subscription": "QUEUE", "dead_letter": "QUEUE", "cluster": "CACHE", "bucket": "BUCKET", "secret": "SECRET",
    "schedule": "CRON", "auth_secret": "SECRET",
}
POSTGRES_ROLES = {"database", "role"}
ENV_ROLES = {"password_env", "auth_env", "env"}


def env_for(cloud: str, name: str = "dev") -> envs.Env:
    return stacks.parse(STACKS[cloud], name=name, where=f"stacks/Pulumi.{name}.yaml")


def synth_apps() -> dict[str, App]:
    return {
        "synth-ts": appmeta.load_bytes(synth.synth_app(40).SerializeToString(), where="synth", name="synth-ts"),
        "synth-go": appmeta.load_bytes(synth.synth_app(25, language="go").SerializeToString(), where="synth",
                                       name="synth-go"),
    }


# ---------------------------------------------------------------------------
# Determinism

PLAN_SCRIPT = """
import json, sys
from orchestrator import stacks
from providers import registry
from orchestrator.core import appmeta, plan
env = stacks.parse(sys.argv[1], name="dev", where="x")
sys.stdout.write(json.dumps([plan.build(appmeta.load(p), env).to_json() for p in sys.argv[2:]]))
"""


@pytest.mark.parametrize("cloud", ["local", "aws"])
def test_deterministic_in_process_and_across_processes(
    cloud: str, fixtures_dir: Path, fixture_names: tuple[str, ...], synth_app: Any
) -> None:
    paths = [str(fixtures_dir / n / "meta.pb") for n in fixture_names] + [str(synth_app(30))]
    env = env_for(cloud)
    first = [planning.build(appmeta.load(p), env).to_json() for p in paths]
    assert [planning.build(appmeta.load(p), env).to_json() for p in paths] == first
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", PLAN_SCRIPT, STACKS[cloud], *paths], cwd=ROOT, capture_output=True, text=True,
            check=True, env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
        ).stdout
        assert json.loads(out) == first


# ---------------------------------------------------------------------------
# Grants


def _g(*rows: tuple[str, str, str]) -> tuple[Grant, ...]:
    return tuple(sorted(Grant(*row) for row in rows))


HAND_WRITTEN = {
    "ts-uptime": _g(
        ("monitor", "connect", "sql:monitor"),
        ("monitor", "publish", "topic:uptime-transition"),
        ("monitor", "consume", "subscription:site.added/check-site"),
        ("site", "connect", "sql:site"),
        ("site", "publish", "topic:site.added"),
        ("slack", "consume", "subscription:uptime-transition/slack-notification"),
        ("slack", "read", "secret:SlackWebhookURL"),
    ),
    "polar-file-sharing": _g(
        ("auth", "connect", "sql:auth"),
        ("files", "connect", "sql:files"),
        ("files", "read-object-contents", "bucket:uploads"),
        ("files", "write-object", "bucket:uploads"),
        ("payments", "connect", "sql:payments"),
        ("payments", "read", "secret:PolarAccessToken"),
    ),
    "go-webhook-processor": _g(
        ("ingest", "publish", "topic:webhook-received"),
        ("ingest", "read", "secret:WebhookSecretGitHub"),
        ("ingest", "read", "secret:WebhookSecretStripe"),
        ("notifications", "connect", "sql:notifications"),
        ("notifications", "consume", "subscription:webhook-received/notify-important"),
        ("processor", "connect", "sql:processor"),
        ("processor", "consume", "subscription:webhook-received/process-events"),
    ),
    "replicate-image-generator": _g(
        ("ai", "get-public-url", "bucket:generated-images"),
        ("ai", "read", "secret:ReplicateToken"),
        ("ai", "write-object", "bucket:generated-images"),
    ),
}


@pytest.mark.parametrize("name", sorted(HAND_WRITTEN))
def test_hand_written_grants(name: str, fixtures_dir: Path) -> None:
    app = appmeta.load(fixtures_dir / name / "meta.pb")
    assert planning.build(app, env_for("local")).grants == HAND_WRITTEN[name]


def grants_from_json(doc: dict[str, Any]) -> tuple[Grant, ...]:
    """§5 of app-metadata.md applied to the raw protobuf JSON, independently of appmeta."""
    services = [s["name"] for s in doc["svcs"]]
    by_path = {s.get("relPath", ""): s["name"] for s in doc["svcs"]}
    by_pkg = {p.get("relPath", ""): p["serviceName"] for p in doc.get("pkgs", []) if p.get("serviceName")}
    out: set[Grant] = set()
    for s in doc["svcs"]:
        out.update(Grant(s["name"], "connect", f"sql:{db}") for db in s.get("databases", []))
        for usage in s.get("buckets", []):
            out.update(Grant(s["name"], op.lower().replace("_", "-"), f"bucket:{usage['bucket']}")
                       for op in usage.get("operations", []))
    for t in doc.get("pubsubTopics", []):
        out.update(Grant(p["serviceName"], "publish", f"topic:{t['name']}") for p in t.get("publishers", []))
        out.update(Grant(s["serviceName"], "consume", f"subscription:{t['name']}/{s['name']}")
                   for s in t.get("subscriptions", []))
    for c in doc.get("cacheClusters", []):
        out.update(Grant(k["service"], "use", f"cache:{c['name']}") for k in c.get("keyspaces", []))
    for p in doc.get("pkgs", []):
        readers = [p["serviceName"]] if p.get("serviceName") else services
        out.update(Grant(r, "read", f"secret:{secret}") for secret in p.get("secrets", []) for r in readers)
        for call in p.get("rpcCalls", []):
            callee = by_pkg.get(call["pkg"]) or by_path.get(call["pkg"])
            if p.get("serviceName") and callee != p["serviceName"]:
                out.add(Grant(p["serviceName"], "call", f"service:{callee}"))
    return tuple(sorted(out))


def test_grants_derived_from_metadata(fixture_app: str, fixtures_dir: Path) -> None:
    folder = fixtures_dir / fixture_app
    expected = grants_from_json(json.loads((folder / "meta.json").read_text()))
    assert planning.build(appmeta.load(folder / "meta.pb"), env_for("aws")).grants == expected


@pytest.mark.parametrize("language", ["typescript", "go"])
def test_synthetic_grants_derived_from_metadata(language: str, synth_app: Any) -> None:
    pb = synth_app(20, language=language)
    expected = grants_from_json(json.loads(pb.with_name("meta.json").read_text()))
    grants = planning.build(appmeta.load(pb), env_for("local")).grants
    assert grants == expected
    assert {g.verb for g in grants} >= {"connect", "publish", "consume", "use", "read", "call", "write-object"}


def test_service_without_declarations_gets_no_grants(fixtures_dir: Path) -> None:
    app = appmeta.load(fixtures_dir / "ts-uptime" / "meta.pb")
    assert planning.build(app, env_for("aws")).grants_for("frontend") == ()


# ---------------------------------------------------------------------------
# Physical names


def namespace_of(plan: Plan, role: str, fifo: bool) -> tuple[str, str]:
    """(namer table, naming namespace) a role's name was made in."""
    if role in POSTGRES_ROLES:
        return "POSTGRES", "postgres"
    if role == "key_prefix":
        return "REDIS", "redis.prefix"
    table = ROLE_TABLE[role]
    namespace = registry.get(plan.env.cloud).naming[table.lower()]
    if fifo and namespace in ("aws.sns", "aws.sqs"):
        namespace += ".fifo"
    return table, namespace


def check_names(plan: Plan) -> None:
    seen: dict[tuple[str, str, str], str] = {}
    for res in plan.resources:
        fifo = bool(getattr(res.spec, "fifo", False)) or (
            res.kind.value == "subscription" and plan.get(f"topic:{res.name.split('/')[0]}").spec.fifo  # type: ignore[union-attr]
        )
        for role, name in res.names.items():
            if role in ENV_ROLES:
                assert ENV_VAR.fullmatch(name), (res.key, role, name)
                continue
            table, namespace = namespace_of(plan, role, fifo)
            value = name.removesuffix("/") if role == "key_prefix" else name
            assert naming.is_valid(namespace, value), (plan.env.cloud, res.key, role, name)
            other = seen.setdefault((table, namespace, value), f"{res.key}:{role}")
            assert other == f"{res.key}:{role}", f"{res.key}:{role} and {other} are both named {name!r}"


@pytest.mark.parametrize("cloud", sorted(STACKS))
def test_physical_names_valid_per_cloud(cloud: str, fixtures_dir: Path, fixture_names: tuple[str, ...]) -> None:
    apps = [appmeta.load(fixtures_dir / n / "meta.pb") for n in fixture_names] + list(synth_apps().values())
    for app in apps:
        check_names(planning.build(app, env_for(cloud)))


@pytest.mark.parametrize("cloud", sorted(STACKS))
def test_physical_names_valid_for_awkward_names(cloud: str) -> None:
    """Encore names at the edge of appmeta's rule: long, dotted, upper case, leading digits."""
    msg = synth.synth_app(6)
    msg.pubsub_topics[0].name = "9" + "Topic.Name_" * 5 + "x" * 7
    msg.buckets[0].name = "B" * 63
    for svc in msg.svcs:
        for usage in svc.buckets:
            if usage.bucket == "bucket-0":
                usage.bucket = "B" * 63
    msg.cache_clusters[0].name = "cache.with.dots-and_underscores-" + "c" * 31
    msg.cron_jobs[0].id = "Cron_" + "j" * 58
    app = appmeta.load_bytes(msg.SerializeToString(), where="x", name="a" * 41)
    check_names(planning.build(app, env_for(cloud, name="a" * 32)))


def test_names_of_dead_letter_queue_and_similar_subscription_do_not_collide() -> None:
    """A subscription named "<sub>-dlq" beside "<sub>" must not share the dead-letter queue's name."""
    msg = synth.synth_app(6)
    topic = msg.pubsub_topics[0]
    topic.name = "orders"
    twin = topic.subscriptions.add()
    twin.CopyFrom(topic.subscriptions[0])
    twin.name = topic.subscriptions[0].name + "-dlq"
    app = appmeta.load_bytes(msg.SerializeToString(), where="x", name="app")
    check_names(planning.build(app, env_for("aws")))


def test_env_app_name_overrides_metadata_folder(fixtures_dir: Path) -> None:
    app = appmeta.load(fixtures_dir / "ts-uptime" / "meta.pb")
    env = stacks.parse(STACKS["local"] + "  orchestrator:app: uptime\n", name="dev", where="x")
    plan = planning.build(app, env)
    assert plan.app == "uptime"
    assert plan.get("service:monitor").names["identity"].startswith("uptime-dev-")

"""The GCP program under Pulumi mocks: shape of the graph, golden snapshots, secrets, safety options, wiring."""

from __future__ import annotations

import difflib
import json
import os

import pytest
from gcpgraph import (
    ENV_TYPES,
    FIXTURE_NAMES,
    FIXTURES,
    GOLDEN,
    PROJECT_OF,
    fixture_plan,
    fixture_render,
    named,
    of_type,
    render,
    synth_plan,
    synth_render,
)

from orchestrator.core import naming
from orchestrator.core.model import Kind, Subscription, Topic
from orchestrator.engine import graph
from providers.gcp import args, policy

CANARY = "canary-Zq7pW3xR9sT2vB8n"
SUBSCRIPTION = "gcp:pubsub/subscription:Subscription"
TOPIC = "gcp:pubsub/topic:Topic"


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_golden(name: str, env_type: str) -> None:
    text = graph.to_json(fixture_render(name, env_type).resources)
    path = GOLDEN / f"{name}-{env_type}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), text.splitlines(keepends=True), str(path), "rendered", n=2
        ))
        pytest.fail(f"graph differs from {path.name} (UPDATE_GOLDEN=1 to accept):\n{diff[:6000]}")


@pytest.mark.parametrize("env_type", ENV_TYPES)
def test_one_component_per_planned_resource(env_type: str) -> None:
    plan = synth_plan(10, env_type)
    resources = synth_render(10, env_type).resources
    components = {r["name"]: r["type"] for r in resources if r["type"].startswith("orchestrator:gcp:")}
    for res in plan.resources:
        kind = "".join(part.capitalize() for part in res.kind.value.split("-"))
        expected = {"Cron": "CronJob"}.get(kind, kind)
        assert components.get(res.key) == f"orchestrator:gcp:{expected}", res.key
    by_urn = {r["urn"]: r for r in resources}
    for r in resources:
        if r["type"].startswith(("gcp:", "random:")):
            parent = by_urn.get(r["parent"] or "")
            assert parent is not None and parent["type"].startswith("orchestrator:gcp:"), r["urn"]
            if r["type"].startswith("gcp:"):
                assert r["options"]["provider"].endswith("::pulumi:providers:gcp::gcp"), r["urn"]


def test_provider_has_project_region_and_labels() -> None:
    resources = fixture_render("ts-uptime", "ephemeral").resources
    (provider,) = of_type(resources, "pulumi:providers:gcp")
    labels = json.loads(provider["inputs"]["defaultLabels"])
    assert provider["inputs"]["project"] == PROJECT_OF["ephemeral"] and provider["inputs"]["region"] == "europe-west1"
    assert labels == {"app": "ts-uptime", "env": "gcp-preview", "managed-by": "encore-orchestrator", "pr": "1",
                      "created-at": "2025-01-01", "ttl": "72h"}
    (instance,) = of_type(resources, policy.SQL_INSTANCE)
    assert instance["inputs"]["settings"]["userLabels"] == labels  # default labels do not reach Cloud SQL


def test_secrets_never_leave_as_plaintext() -> None:
    plan = synth_plan(10, "production")
    rendered = render(plan, password=CANARY)
    text = graph.to_json(rendered.resources)
    assert CANARY not in text and CANARY not in json.dumps(rendered.outputs, default=str)
    versions = of_type(rendered.resources, policy.SECRET_VERSION)
    assert versions and all(v["inputs"]["secretData"] == graph.SECRET for v in versions)
    (user,) = of_type(rendered.resources, policy.SQL_USER)
    assert user["inputs"]["password"] == graph.SECRET
    assert "mock-auth-" not in text  # the Memorystore AUTH string only reaches its secret version
    for job in of_type(rendered.resources, policy.JOB):
        envs = job["inputs"]["template"]["template"]["containers"][0]["envs"]
        passwords = [e for e in envs if e["name"] in ("ADMIN_PASSWORD", "ROLE_PASSWORD")]
        assert len(passwords) == 2 and all(set(e) == {"name", "valueSource"} for e in passwords)


def test_outputs() -> None:
    rendered = fixture_render("ts-uptime", "production")
    assert set(rendered.outputs) == {"provisioned", "cron_jobs", "runtime_config_bucket", "shares"}  # shares: issue 14
    plan = fixture_plan("ts-uptime", "production")
    store = naming.make("gcp.gcs", plan.app, plan.env.name, "runtime-config")
    assert rendered.outputs["runtime_config_bucket"] == store
    bucket = named(rendered.resources, "runtime-config/bucket")
    assert bucket["inputs"]["name"] == store and bucket["options"]["protect"] is True
    assert bucket["inputs"]["publicAccessPrevention"] == "enforced"
    assert "runtime_config_bucket" not in fixture_render("ai-chat", "production").outputs  # Go: a file in the image
    assert rendered.outputs["cron_jobs"][0]["id"] == "check-all"
    assert any("check-all" in w and "not scheduled" in w for w in rendered.warnings)


def test_production_protects_and_previews_do_not() -> None:
    prod = fixture_render("polar-file-sharing", "production").resources
    preview = fixture_render("polar-file-sharing", "ephemeral").resources
    stateful = [r for r in prod if r["type"] in policy.STATEFUL]
    assert stateful and all(r["options"]["protect"] and r["options"]["retainOnDelete"] for r in stateful)
    assert not any(r["options"]["protect"] or r["options"]["retainOnDelete"] for r in preview)
    (instance,) = of_type(prod, policy.SQL_INSTANCE)
    settings = instance["inputs"]["settings"]
    assert instance["inputs"]["deletionProtection"] is True and settings["deletionProtectionEnabled"] is True
    assert settings["availabilityType"] == "REGIONAL" and settings["tier"] == args.SQL_TIER_PROTECTED
    assert settings["backupConfiguration"]["pointInTimeRecoveryEnabled"] is True
    assert {f["name"] for f in settings["databaseFlags"]} == set(args.SQL_LOG_FLAGS)
    (instance,) = of_type(preview, policy.SQL_INSTANCE)
    settings = instance["inputs"]["settings"]
    assert instance["inputs"]["deletionProtection"] is False and settings["deletionProtectionEnabled"] is False
    assert settings["tier"] == "db-f1-micro" and settings["availabilityType"] == "ZONAL"
    assert "databaseFlags" not in settings
    vpc = named(preview, "network/vpc")["inputs"]["name"]
    assert settings["ipConfiguration"] == {"ipv4Enabled": False, "sslMode": "ENCRYPTED_ONLY",
                                           "privateNetwork": f"projects/acme-shop-previews/global/networks/{vpc}"}
    # every resource whose provider default is to refuse deletion says false in previews
    for r in preview:
        if "deletionProtection" in r["inputs"]:
            assert r["inputs"]["deletionProtection"] is False, r["urn"]
    assert all(j["inputs"]["deletionProtection"] is False for j in of_type(prod, policy.JOB))  # jobs hold no data


def test_buckets_force_destroyable_only_in_previews() -> None:
    for env_type, expected in (("production", False), ("ephemeral", True)):
        buckets = of_type(fixture_render("polar-file-sharing", env_type).resources, policy.BUCKET)
        assert buckets and {b["inputs"]["forceDestroy"] for b in buckets} == {expected}
        assert all(b["inputs"]["uniformBucketLevelAccess"] is True for b in buckets)


def _subscriptions(env_type: str) -> tuple[object, dict[str, dict]]:
    plan = synth_plan(10, env_type)
    subs = {s["inputs"]["name"]: s for s in of_type(synth_render(10, env_type).resources, SUBSCRIPTION)}
    return plan, subs


@pytest.mark.parametrize("env_type", ENV_TYPES)
def test_subscription_settings_follow_the_metadata(env_type: str) -> None:
    plan, subs = _subscriptions(env_type)
    topics = {r.name: r for r in plan.of_kind(Kind.TOPIC)}  # type: ignore[attr-defined]
    saw = {"exactly_once": False, "ordered": False}
    for res in plan.of_kind(Kind.SUBSCRIPTION):  # type: ignore[attr-defined]
        spec = res.spec
        assert isinstance(spec, Subscription)
        topic = topics[spec.topic].spec
        assert isinstance(topic, Topic)
        sub = subs[res.names["subscription"]]["inputs"]
        assert sub["topic"] == f"projects/{PROJECT_OF[env_type]}/topics/{topics[spec.topic].names['topic']}"
        assert sub["ackDeadlineSeconds"] == min(max(int(spec.ack_deadline.total_seconds()), 10), 600)
        assert sub["expirationPolicy"] == {"ttl": ""}
        low, high = sub["retryPolicy"]["minimumBackoff"], sub["retryPolicy"]["maximumBackoff"]
        assert low.endswith("s") and high.endswith("s") and 0 <= int(low[:-1]) <= int(high[:-1]) <= 600
        dead = sub["deadLetterPolicy"]
        assert dead["deadLetterTopic"] == f"projects/{PROJECT_OF[env_type]}/topics/{res.names['dead_letter']}"
        assert 5 <= dead["maxDeliveryAttempts"] <= 100
        assert dead["maxDeliveryAttempts"] == args.max_delivery_attempts(spec.retry.max_retries)
        once = topic.delivery_guarantee.value == "exactly-once"
        assert sub.get("enableExactlyOnceDelivery", False) is once
        assert sub.get("enableMessageOrdering", False) is bool(topic.ordering_key)
        saw["exactly_once"] |= once
        saw["ordered"] |= bool(topic.ordering_key)
        sink = subs[res.names["dead_letter"]]["inputs"]  # the dead-letter topic's messages are kept
        assert sink["topic"] == dead["deadLetterTopic"] and sink["expirationPolicy"] == {"ttl": ""}
    assert saw == {"exactly_once": True, "ordered": True}, "the synthetic app should declare both"


def test_pubsub_service_agent_may_dead_letter_and_nothing_else() -> None:
    resources = fixture_render("go-webhook-processor", "production").resources
    agent = "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"
    grants = [r for r in resources if r["type"].endswith("IAMMember") and r["inputs"]["member"] == agent]
    subs = of_type(resources, SUBSCRIPTION)
    dead_letters = {s["inputs"]["deadLetterPolicy"]["deadLetterTopic"].rsplit("/", 1)[-1]
                    for s in subs if "deadLetterPolicy" in s["inputs"]}
    consumers = {s["inputs"]["name"] for s in subs if "deadLetterPolicy" in s["inputs"]}
    assert len(dead_letters) == 2
    assert sorted((g["type"].split(":")[-1], g["inputs"].get("topic") or g["inputs"].get("subscription"),
                   g["inputs"]["role"]) for g in grants) == sorted(
        [("TopicIAMMember", t, "roles/pubsub.publisher") for t in dead_letters]
        + [("SubscriptionIAMMember", s, "roles/pubsub.subscriber") for s in consumers])


def test_public_bucket() -> None:
    resources = fixture_render("replicate-image-generator", "production").resources
    public = [b for b in of_type(resources, policy.BUCKET_IAM[0]) if b["inputs"]["member"] == "allUsers"]
    assert [(b["name"], b["inputs"]["role"]) for b in public] == [
        ("bucket:generated-images/public-read", "roles/storage.objectViewer")]
    bucket = named(resources, "bucket:generated-images/bucket")["inputs"]
    assert bucket["publicAccessPrevention"] == "inherited" and bucket["uniformBucketLevelAccess"] is True
    assert bucket["versioning"] == {"enabled": True}  # always in production
    assert bucket["logging"]["logBucket"] == named(resources, "access-logs/bucket")["inputs"]["name"]
    private = [b for b in of_type(resources, policy.BUCKET) if b["name"] != "bucket:generated-images/bucket"]
    assert private and all(b["inputs"]["publicAccessPrevention"] == "enforced" for b in private)


def test_cache_is_memorystore_with_auth_tls_and_eviction() -> None:
    plan = synth_plan(10, "production")
    resources = synth_render(10, "production").resources
    instances = {i["inputs"]["name"]: i["inputs"] for i in of_type(resources, policy.REDIS)}
    caches = list(plan.of_kind(Kind.CACHE))
    assert caches and len(instances) == len(caches)
    for res in caches:
        i = instances[res.names["cluster"]]
        assert i["authEnabled"] is True and i["transitEncryptionMode"] == "SERVER_AUTHENTICATION"
        assert i["tier"] == "STANDARD_HA" and i["connectMode"] == "PRIVATE_SERVICE_ACCESS"
        assert i["redisConfigs"] == {"maxmemory-policy": res.spec.eviction_policy}  # type: ignore[union-attr]
        assert i["authorizedNetwork"].endswith("/global/networks/" + named(resources, "network/vpc")["inputs"]["name"])
    preview = of_type(synth_render(10, "ephemeral").resources, policy.REDIS)
    assert preview and all(i["inputs"]["tier"] == "BASIC" and i["inputs"]["memorySizeGb"] == 1 for i in preview)


def test_network_has_private_services_access() -> None:
    resources = fixture_render("booking-system", "production").resources
    subnet = named(resources, "network/subnet")["inputs"]
    assert subnet["privateIpGoogleAccess"] is True and subnet["region"] == "europe-west1"
    assert named(resources, "network/vpc")["inputs"]["autoCreateSubnetworks"] is False
    reserved = named(resources, "network/private-services")["inputs"]
    assert reserved["purpose"] == "VPC_PEERING" and reserved["addressType"] == "INTERNAL"
    connection = named(resources, "network/private-services-access")
    assert connection["inputs"]["service"] == "servicenetworking.googleapis.com"
    assert connection["inputs"]["reservedPeeringRanges"] == [reserved["name"]]
    (instance,) = of_type(resources, policy.SQL_INSTANCE)
    assert connection["urn"] in instance["dependencies"]


def test_existing_network(tmp_path) -> None:
    from orchestrator import stacks
    from orchestrator.core import appmeta
    from orchestrator.core.plan import build

    (tmp_path / "Pulumi.shared.yaml").write_text(
        "config:\n  gcp:project: acme-shared\n  gcp:region: europe-west1\n  orchestrator:cloud: gcp\n"
        "  orchestrator:envType: development\n  orchestrator:gcp:\n    network: shared-vpc\n    subnetwork: apps\n"
    )
    plan = build(appmeta.load(FIXTURES / "booking-system" / "meta.pb"), stacks.load(tmp_path, "shared"))
    resources = render(plan).resources
    for typ in ("gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork",
                "gcp:servicenetworking/connection:Connection"):
        assert not of_type(resources, typ)
    (instance,) = of_type(resources, policy.SQL_INSTANCE)
    assert instance["inputs"]["settings"]["ipConfiguration"]["privateNetwork"] == (
        "projects/acme-shared/global/networks/shared-vpc")
    job = of_type(resources, policy.JOB)[0]
    assert job["inputs"]["template"]["template"]["vpcAccess"]["networkInterfaces"] == [
        {"network": "projects/acme-shared/global/networks/shared-vpc",
         "subnetwork": "projects/acme-shared/regions/europe-west1/subnetworks/apps"}]


def test_program_order_puts_identities_after_what_they_bind() -> None:
    from orchestrator.engine.program import order

    plan = synth_plan(10, "production")
    position = {r.key: i for i, r in enumerate(order(plan))}
    for g in plan.grants:
        if not g.resource.startswith("service:"):
            assert position[g.resource] < position[f"service:{g.service}"]

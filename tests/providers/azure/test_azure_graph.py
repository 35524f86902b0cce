"""The Azure program under Pulumi mocks on every fixture app (the refused ones: exit 7 with the reason), golden
snapshots, v3 type tokens, tags, safety options, secrets never in plaintext, and Service Bus as the Go runtime needs
it."""

from __future__ import annotations

import difflib
import json
import os

import pytest
from azgraph import ENV_TYPES, FIXTURE_NAMES, GOLDEN, fixture_plan, fixture_render, of_type, render, synth_plan

from orchestrator.core.errors import ExitCode, Unsupported
from orchestrator.core.model import Bucket, Kind, Language
from orchestrator.engine import graph
from orchestrator.support import check
from providers.azure import policy

CANARY = "canary-Kx4mV8qP2wZ7tR3n"
TS_PUBSUB = "the Rust core behind TypeScript apps has no Azure Service Bus client"
NO_BLOB = "no Encore runtime has an Azure Blob Storage provider"


def refused(name: str) -> dict[str, str]:
    """What the Azure table must refuse for a fixture, derived from its plan: buckets always, pub/sub for TypeScript."""
    plan = fixture_plan(name, "production")
    out = {r.key: NO_BLOB for r in plan.resources if isinstance(r.spec, Bucket)}
    if plan.language is Language.TYPESCRIPT:
        out |= {r.key: TS_PUBSUB for r in plan.resources if r.kind in (Kind.TOPIC, Kind.SUBSCRIPTION)}
    return out


ACCEPTED = tuple(n for n in FIXTURE_NAMES if not refused(n))
REFUSED = tuple(n for n in FIXTURE_NAMES if refused(n))


def test_the_fixtures_cover_both_outcomes():
    assert ACCEPTED and REFUSED
    assert {fixture_plan(n, "production").language for n in REFUSED} == {Language.TYPESCRIPT}


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("name", REFUSED)
def test_refused_fixtures_exit_7_naming_every_resource_and_why(name: str, env_type: str) -> None:
    with pytest.raises(Unsupported) as err:
        check(fixture_plan(name, env_type))
    assert err.value.exit_code is ExitCode.UNSUPPORTED
    text = str(err.value)
    for key, reason in refused(name).items():
        assert f"{key}: {reason}" in text
    assert f"{len(refused(name))} resource(s) cannot be deployed to azure" in text


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("name", ACCEPTED)
def test_golden(name: str, env_type: str) -> None:
    check(fixture_plan(name, env_type))
    text = graph.to_json(fixture_render(name, env_type).resources)
    path = GOLDEN / f"{name}-{env_type}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), text.splitlines(keepends=True),
                                            str(path), "rendered", n=2))
        pytest.fail(f"graph differs from {path.name} (UPDATE_GOLDEN=1 to accept):\n{diff[:6000]}")


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("name", ACCEPTED)
def test_v3_tokens_components_and_the_explicit_provider(name: str, env_type: str) -> None:
    resources = fixture_render(name, env_type).resources
    by_urn = {r["urn"]: r for r in resources}
    for r in resources:
        assert not r["type"].startswith("azure-native:cache:"), "v2 token"
        if r["type"].startswith(("azure-native:", "random:")):
            parent = by_urn.get(r["parent"] or "")
            assert parent is not None and parent["type"].startswith("orchestrator:azure:"), r["urn"]
        if r["type"].startswith("azure-native:"):
            assert r["options"]["provider"].endswith("::pulumi:providers:azure-native::azure-native"), r["urn"]
    plan = fixture_plan(name, env_type)
    components = {r["name"] for r in resources if r["type"].startswith("orchestrator:azure:")}
    assert {r.key for r in plan.resources} <= components


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("name", ACCEPTED)
def test_every_taggable_resource_is_tagged(name: str, env_type: str) -> None:
    resources = fixture_render(name, env_type).resources
    env = fixture_plan(name, env_type).env
    tagged = [r for r in resources if r["type"] in policy.TAGGED]
    assert len({r["type"] for r in tagged}) >= 10
    for r in tagged:
        tags = r["inputs"]["tags"]
        assert tags["app"] == name and tags["env"] == env.name and tags["managed-by"] == "encore-orchestrator"
        if env.is_preview:
            assert {"pr", "created-at", "ttl"} <= set(tags)


@pytest.mark.parametrize("name", ACCEPTED)
def test_production_protects_and_previews_destroy(name: str) -> None:
    for env_type, protected in (("production", True), ("ephemeral", False)):
        for r in fixture_render(name, env_type).resources:
            if r["type"] in policy.STATEFUL:
                assert r["options"]["protect"] is protected and r["options"]["retainOnDelete"] is protected, r["urn"]
    (prod_vault,) = of_type(fixture_render(name, "production").resources, policy.VAULT)
    (preview_vault,) = of_type(fixture_render(name, "ephemeral").resources, policy.VAULT)
    assert prod_vault["inputs"]["properties"]["enablePurgeProtection"] is True
    assert "enablePurgeProtection" not in preview_vault["inputs"]["properties"]


def test_preview_vault_names_are_unique_per_stack():
    """A destroyed vault stays soft-deleted under its name: the preview vault's name takes a random suffix."""
    resources = fixture_render("booking-system", "ephemeral").resources
    (suffix,) = of_type(resources, "random:index/randomString:RandomString")
    (vault,) = of_type(resources, policy.VAULT)
    assert suffix["urn"] in vault["dependencies"]
    (prod,) = of_type(fixture_render("booking-system", "production").resources, policy.VAULT)
    assert not of_type(fixture_render("booking-system", "production").resources,
                       "random:index/randomString:RandomString")
    assert prod["inputs"]["vaultName"] != vault["inputs"]["vaultName"]


@pytest.mark.parametrize("name", ACCEPTED)
def test_service_bus_subscriptions_get_the_target_filter_and_no_dedup(name: str) -> None:
    resources = fixture_render(name, "production").resources
    plan = fixture_plan(name, "production")
    subs = of_type(resources, policy.SUBSCRIPTION)
    rules = of_type(resources, policy.DEFAULT_RULE)
    assert len(subs) == len(rules) == sum(1 for _ in plan.of_kind(Kind.SUBSCRIPTION)) > 0
    for sub in subs:
        name_ = sub["inputs"]["subscriptionName"]
        (rule,) = [r for r in rules if r["inputs"]["subscriptionName"] == name_]
        assert rule["inputs"]["filterType"] == "SqlFilter"
        assert rule["inputs"]["sqlFilter"] == {
            "sqlExpression": f"[encore-target-sub] IS NULL OR [encore-target-sub] = '{name_}'"}
        assert sub["urn"] in rule["dependencies"]
    for topic in of_type(resources, policy.TOPIC):
        assert topic["inputs"]["requiresDuplicateDetection"] is False
    (namespace,) = of_type(resources, policy.NAMESPACE)
    assert namespace["inputs"]["disableLocalAuth"] is True and namespace["inputs"]["sku"]["name"] == "Standard"


@pytest.mark.parametrize("name", ACCEPTED)
def test_no_secret_value_in_the_graph_or_the_outputs(name: str) -> None:
    rendered = render(fixture_plan(name, "production"), password=CANARY)
    assert CANARY not in json.dumps(rendered.resources) and CANARY not in json.dumps(rendered.outputs, default=str)
    assert "mock-redis-access-key" not in json.dumps(rendered.resources)
    secrets = of_type(rendered.resources, policy.SECRET)
    with_value = [s for s in secrets if s["inputs"]["properties"] == graph.SECRET]
    # the signing key, the admin and per-database passwords, the legacy runtime config
    plan = fixture_plan(name, "production")
    assert len(with_value) == 3 + sum(1 for _ in plan.of_kind(Kind.SQL)) + sum(1 for _ in plan.of_kind(Kind.CACHE))
    server = of_type(rendered.resources, policy.SERVER)[0]
    assert server["inputs"]["administratorLoginPassword"] == graph.SECRET


def test_app_secrets_are_created_without_a_value_and_never_overwritten():
    resources = fixture_render("ai-chat", "production").resources
    app_secrets = [r for r in of_type(resources, policy.SECRET) if r["name"].startswith("secret:")]
    assert len(app_secrets) == 6
    for r in app_secrets:
        assert r["inputs"]["properties"] == {"contentType": "text/plain"}
        assert r["options"]["ignoreChanges"] == ["properties.value"]


def test_synthetic_go_app_with_topics_and_caches_renders_and_passes_the_baseline():
    from azgraph import synth_render

    from orchestrator import policy as engine

    plan = synth_plan(10, "production")
    check(plan)
    resources = synth_render(10, "production").resources
    assert of_type(resources, policy.MANAGED_REDIS) and of_type(resources, policy.SUBSCRIPTION)
    assert not engine.blocking(engine.evaluate(resources, "production", policy.RULES))

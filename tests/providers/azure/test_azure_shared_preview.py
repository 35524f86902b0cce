"""Shared preview envs on Azure (issue 14), through the real CLI on a temporary stacks dir holding azure-prod and
shared preview stacks with base azure-prod (never deployed: `graph` borrows what the base's program shares under
mocks): zero server-class resources for every fixture Azure renders, the preview baseline, names that carry the PR
and fit Azure's limits, role assignments scoped to the PR, and a runtime config on the base's endpoints."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from azgraph import FIXTURE_NAMES, FIXTURES, GOLDEN, REPO, STACKS, fixture_plan, render, synth_meta

from orchestrator import policy, stacks, support
from orchestrator.core import appmeta, naming
from orchestrator.core.plan import build
from providers.azure import args
from providers.azure import policy as az
from providers.azure.mocks import MOCK_KEY

SERVER_CLASS = {
    "azure-native:dbforpostgresql:Server",
    "azure-native:dbforpostgresql:Configuration",
    "azure-native:redis:Redis",
    "azure-native:redisenterprise:RedisEnterprise",
    "azure-native:redisenterprise:Database",
    "azure-native:network:VirtualNetwork",
    "azure-native:network:Subnet",
    "azure-native:network:NatGateway",
    "azure-native:network:PublicIPAddress",
    "azure-native:network:PrivateEndpoint",
    "azure-native:privatedns:PrivateZone",
    "azure-native:app:ManagedEnvironment",
}
"""Database servers and their parameters, cache clusters, networks, NAT gateways, public IPs, private endpoints
and DNS zones, and the Container Apps environment of the SQL jobs: none in a shared preview."""
BORROWED = {"azure-native:servicebus:Namespace", "azure-native:resources:ResourceGroup"}
"""Also the base's (cheaper to borrow: a Standard namespace bills a base charge per namespace)."""

PR, BIG_PR = 7, 999_999_999
BASE = "azure-prod"
RENDERED = tuple(n for n in FIXTURE_NAMES
                 if not any(support.kind_support("azure", r.kind, fixture_plan(n, "production").language)
                            for r in fixture_plan(n, "production").resources))
"""The fixtures Azure renders (the others are refused with exit 7: buckets, TypeScript topics)."""


def test_the_rendered_fixtures_are_the_go_ones() -> None:
    assert RENDERED == ("ai-chat", "booking-system", "go-webhook-processor")


def shared_stack(pr: int) -> str:
    return "\n".join([
        "config:",
        "  azure-native:location: westeurope",
        "  orchestrator:cloud: azure",
        "  orchestrator:envType: ephemeral",
        f"  orchestrator:base: {BASE}",
        f"  orchestrator:pr: {pr}",
        "  orchestrator:azure:",
        "    gatewayBaseUrl: https://pr.example.com",
        "",
    ])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("azure-shared")
    (root / "stacks").mkdir()
    (root / "stacks" / f"Pulumi.{BASE}.yaml").write_text((STACKS / f"Pulumi.{BASE}.yaml").read_text())
    for pr in (PR, BIG_PR):
        (root / "stacks" / f"Pulumi.pr-{pr}.yaml").write_text(shared_stack(pr))
    (root / "go.pb").write_bytes(synth_meta(3, "go"))
    (root / "ts.pb").write_bytes(synth_meta(3, "typescript", topics=False))
    return root


def cli(project: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ORCHESTRATOR_STATE_STORE", "ORCHESTRATOR_META")}
    return subprocess.run([sys.executable, "-m", "orchestrator", *argv], cwd=project, capture_output=True, text=True,
                          timeout=300, env={**env, "PYTHONPATH": str(REPO), "ORCHESTRATOR_CREATED_AT": "2025-01-01"})


_graphs: dict[tuple[str, int], list[dict[str, Any]]] = {}


def graph(project: Path, meta: str, pr: int = PR) -> list[dict[str, Any]]:
    """`orchestrator graph --env pr-N` (cached per module run: each costs two mocked renders)."""
    if (meta, pr) not in _graphs:
        out_file = project / f"{Path(meta).parent.name or 'synth'}-{Path(meta).stem}-{pr}.json"
        out = cli(project, "graph", "--env", f"pr-{pr}", "--meta", meta, "--output", str(out_file))
        assert out.returncode == 0, out.stderr
        assert f"base env {BASE} was never deployed" in out.stderr
        _graphs[(meta, pr)] = json.loads(out_file.read_text())
    return _graphs[(meta, pr)]


def meta(name: str) -> str:
    return str(FIXTURES / name / "meta.pb")


@cache
def base_shares(name: str) -> dict[str, Any]:
    """What azure-prod lends, rendered in this process from the same stack file the CLI's base reads."""
    return render(fixture_plan(name, "production")).outputs["shares"]


# ---- zero server-class resources --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RENDERED)
def test_a_shared_preview_creates_no_server_class_resource(project: Path, name: str) -> None:
    types = {r["type"] for r in graph(project, meta(name))}
    assert not types & (SERVER_CLASS | BORROWED), sorted(types & (SERVER_CLASS | BORROWED))
    # What it makes instead: its own databases on the base's server, topics and subscriptions in the base's namespace.
    assert {"azure-native:dbforpostgresql:Database", "azure-native:app:Job", "azure-native:servicebus:Topic",
            "azure-native:servicebus:Subscription"} <= types
    # The assertion can fail: the base (and an isolated preview) render those types.
    base_types = {r["type"] for r in json.loads((GOLDEN / f"{name}-production.json").read_text())}
    assert {"azure-native:dbforpostgresql:Server", "azure-native:network:VirtualNetwork",
            "azure-native:app:ManagedEnvironment", "azure-native:servicebus:Namespace"} <= base_types


def test_a_typescript_app_borrows_the_base_cache_cluster(project: Path) -> None:
    types = {r["type"] for r in graph(project, str(project / "ts.pb"))}
    assert not types & (SERVER_CLASS | BORROWED), sorted(types & (SERVER_CLASS | BORROWED))


def test_go_caches_are_refused_with_exit_7(project: Path) -> None:
    out = cli(project, "graph", "--env", f"pr-{PR}", "--meta", str(project / "go.pb"), "--output", "go.json")
    assert out.returncode == 7, out.stderr
    errors = [line for line in out.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(errors) == 1 and "Traceback" not in out.stderr
    assert errors[0].startswith(f"error: env pr-{PR}: cache:") and "--strategy isolated" in errors[0]
    assert "Go runtime ignores key_prefix" in errors[0]


# ---- the preview baseline ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RENDERED)
def test_the_preview_baseline_passes(project: Path, name: str) -> None:
    resources = graph(project, meta(name))
    assert policy.blocking(policy.evaluate(resources, "ephemeral", az.RULES)) == []
    for res in resources:
        if res["type"] in az.TAGGED:
            tags = res["inputs"]["tags"]
            assert (tags["env"], tags["pr"], tags[args.BASE_TAG]) == (f"pr-{PR}", str(PR), BASE), res["urn"]


@pytest.mark.parametrize("name", RENDERED)
def test_the_shared_rule_fires_on_a_server_in_a_shared_graph(project: Path, name: str) -> None:
    resources = [dict(r) for r in graph(project, meta(name))]
    server = next(r for r in json.loads((GOLDEN / f"{name}-ephemeral.json").read_text())
                  if r["type"] == az.SERVER)
    found = [v for v in policy.evaluate([*resources, server], "ephemeral", az.RULES) if v.rule == "PV-08"]
    assert len(found) == 1 and found[0].blocking


# ---- names ------------------------------------------------------------------------------------------------------

NAMES: dict[str, tuple[str, str]] = {
    "azure-native:keyvault:Vault": ("vaultName", "azure.keyvault"),
    "azure-native:keyvault:Secret": ("secretName", "azure.keyvault.secret"),
    "azure-native:app:Job": ("jobName", "azure.containerapps"),
    "azure-native:managedidentity:UserAssignedIdentity": ("resourceName", "azure.identity"),
    "azure-native:servicebus:Topic": ("topicName", "azure.servicebus.entity"),
    "azure-native:servicebus:Subscription": ("subscriptionName", "azure.servicebus.entity"),
    "azure-native:dbforpostgresql:Database": ("databaseName", "postgres"),
}
"""Every type a shared preview names, the input holding the name and its naming namespace (its limits: Key Vault
24 characters, Container Apps jobs 32, Service Bus entities 50, PostgreSQL identifiers 63)."""


@pytest.mark.parametrize("pr", [PR, BIG_PR])
@pytest.mark.parametrize("name", RENDERED)
def test_names_carry_the_pr_and_fit_every_limit(project: Path, name: str, pr: int) -> None:
    resources = graph(project, meta(name), pr)
    seen = set()
    for res in resources:
        if res["type"] not in NAMES:
            continue
        key, namespace = NAMES[res["type"]]
        physical = res["inputs"][key]
        slug = f"pr_{pr}" if namespace == "postgres" else f"pr-{pr}"
        assert naming.is_valid(namespace, physical), (res["urn"], physical)
        assert len(physical) <= naming.RULES[namespace].max_len
        assert slug in physical, (res["urn"], physical)
        seen.add(res["type"])
    assert seen == set(NAMES)


# ---- grants -----------------------------------------------------------------------------------------------------


def _own_ids(resources: list[dict[str, Any]]) -> set[str]:
    """The ARM ids the mocks give this graph's own topics, subscriptions and secrets (providers/azure/mocks.py)."""
    from providers.azure import mocks

    ids = set()
    for res in resources:
        if res["type"] in ("azure-native:servicebus:Topic", "azure-native:servicebus:Subscription",
                           "azure-native:keyvault:Secret"):
            inputs = {k: v for k, v in res["inputs"].items() if k != "properties"}  # masked in the graph
            made = mocks.new_resource(res["type"], inputs, res["name"], "westeurope")
            assert made is not None
            ids.add(made[0])
    return ids


@pytest.mark.parametrize("name", RENDERED)
def test_role_assignments_are_scoped_to_the_pr(project: Path, name: str) -> None:
    resources = graph(project, meta(name))
    shares = base_shares(name)
    own = _own_ids(resources)
    lent_secrets = {s["id"] for s in shares["secrets"].values()}
    admin_secret = shares["sql"]["admin_secret_id"]
    assignments = [r for r in resources if r["type"] == az.ROLE_ASSIGNMENT]
    assert assignments
    types = {r["urn"]: r["type"] for r in resources}
    borrowed_reads = set()
    for res in assignments:
        scope, role = res["inputs"]["scope"], res["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1]
        if scope in own:
            continue
        # The base's resources: only reading one of its secrets, never its namespace, vault, group or a server.
        assert role == args.KEY_VAULT_SECRETS_USER and scope in lent_secrets | {admin_secret}, (res["urn"], scope)
        borrowed_reads.add((types[res["parent"]], scope))
    # The base's admin password: read by the preview's SQL-jobs identity only; the base's app secrets: by services.
    assert {who for who, scope in borrowed_reads if scope == admin_secret} == {"orchestrator:azure:SqlOnBase"}
    assert {who for who, scope in borrowed_reads if scope in lent_secrets} == {"orchestrator:azure:Service"}


# ---- the runtime config -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RENDERED)
def test_the_runtime_config_points_at_the_base_with_the_prs_own_names(project: Path, name: str) -> None:
    out = cli(project, "runtime-config", "--env", f"pr-{PR}", "--meta", meta(name), "--offline",
              "--format", "go-legacy-json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    shares = base_shares(name)
    assert doc["env_name"] == f"pr-{PR}"
    # Runtime config fields read by runtimes/go/appruntime/exported/config/config.go (SQLServer.Host,
    # SQLDatabase.DatabaseName/User, AzureServiceBusProvider.Namespace, PubsubTopic.ProviderName).
    assert [s["host"] for s in doc["sql_servers"]] == [f"{shares['sql']['fqdn']}:{args.POSTGRES_PORT}"]
    assert doc["sql_databases"]
    for db in doc["sql_databases"]:
        assert f"_pr_{PR}_" in db["database_name"] and f"_pr_{PR}_" in db["user"] and db["password"] == "[secret]"
    assert doc["pubsub_providers"] == [{"azure": {"namespace": shares["service_bus"]["namespace_name"]}}]
    for topic in doc["pubsub_topics"].values():
        assert f"-pr-{PR}-" in topic["provider_name"]
        assert all(f"-pr-{PR}-" in s["provider_name"] for s in topic["subscriptions"].values())


def test_a_typescript_cache_is_the_base_cluster_under_the_prs_prefix() -> None:
    app = appmeta.load_bytes(synth_meta(3, "typescript", topics=False), where="synth", name="synth")
    base = render(build(app, stacks.load(STACKS, BASE))).outputs
    pr_env = stacks.parse(shared_stack(PR), name=f"pr-{PR}", where="pr stack")
    provisioned = render(build(app, pr_env, base["shares"])).outputs["provisioned"]
    assert provisioned["caches"]
    for cache_record in provisioned["caches"]:
        lent = base["shares"]["caches"][cache_record["encore_name"]]
        assert cache_record["host"] == f"{lent['host']}:{args.REDIS_PORT}"
        base_prefix = next(c["key_prefix"] for c in base["provisioned"]["caches"]
                           if c["encore_name"] == cache_record["encore_name"])
        assert cache_record["key_prefix"] == f"pr-{PR}/{base_prefix}"
        assert cache_record["auth"]["source"] == lent["auth_secret_uri"]


# ---- what the base lends ----------------------------------------------------------------------------------------


def test_the_base_lends_its_servers_by_reference_and_no_secret_value() -> None:
    canary = "canary-password-1f3a"
    rendered = render(fixture_plan("booking-system", "production"), password=canary)
    shares = rendered.outputs["shares"]
    assert "shares" not in rendered.secret_outputs
    text = json.dumps(shares)
    assert canary not in text and MOCK_KEY not in text
    assert set(shares) >= {"resource_group", "key_vault", "network", "sql", "service_bus", "secrets"}
    assert re.fullmatch(r"https://[^/]+\.vault\.azure\.net/secrets/[^/]+", shares["sql"]["admin_secret_uri"])
    assert shares["sql"]["jobs_environment_id"].endswith(
        next(r["inputs"]["environmentName"] for r in rendered.resources
             if r["type"] == "azure-native:app:ManagedEnvironment"))
    assert set(shares["secrets"]) == {"SendGridAPIKey"}


def test_a_preview_lends_nothing() -> None:
    assert "shares" not in render(fixture_plan("booking-system", "ephemeral")).outputs


# ---- secret set -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("own", [False, True])
def test_secret_set_writes_only_a_secret_the_preview_keeps(own: bool) -> None:
    from fake_azure import FakeSecretClient

    from orchestrator.core.errors import BadInput
    from providers.azure import delivery

    text = shared_stack(PR) + ("  orchestrator:previewOwnSecrets: [SendGridAPIKey]\n" if own else "")
    pr_env = stacks.parse(text, name=f"pr-{PR}", where="pr stack")
    plan = build(appmeta.load(FIXTURES / "booking-system" / "meta.pb"), pr_env, base_shares("booking-system"))
    record = {"provisioned": render(plan).outputs["provisioned"], "env_vars": {}}
    physical = plan.get("secret:SendGridAPIKey").names["secret"]
    written: list[FakeSecretClient] = []

    def client(url: str) -> FakeSecretClient:
        written.append(FakeSecretClient(url))
        return written[-1]

    if not own:
        with pytest.raises(BadInput, match=f"from base env {BASE}'s Key Vault"):
            delivery.set_secret(pr_env, physical, "value", record, secret_client=client)
        assert written == []
        return
    delivery.set_secret(pr_env, physical, "value", record, secret_client=client)
    ((vault, name, _, _),) = written[0].written
    assert vault.startswith(f"https://pr-{PR}-") and name == physical and BASE not in vault


def test_what_the_base_does_not_lend_is_a_one_line_error() -> None:
    from orchestrator.core.errors import BadInput

    pr_env = stacks.parse(shared_stack(PR), name=f"pr-{PR}", where="pr stack")
    lent = {k: v for k, v in base_shares("booking-system").items() if k != "service_bus"}
    plan = build(appmeta.load(FIXTURES / "booking-system" / "meta.pb"), pr_env, lent)
    with pytest.raises(BadInput, match=f"base env {BASE}'s shares hold no service_bus.namespace_name"):
        render(plan)


def test_a_deploy_refuses_go_caches_before_anything_is_touched() -> None:
    from orchestrator.core.errors import Unsupported
    from providers.azure import settings

    pr_env = stacks.parse(shared_stack(PR), name=f"pr-{PR}", where="pr stack")
    app = appmeta.load_bytes(synth_meta(3, "go"), where="synth", name="synth")
    with pytest.raises(Unsupported, match="Go runtime ignores key_prefix"):
        settings.check_deploy(build(app, pr_env, {"resource_group": "rg"}))
    settings.check_deploy(build(app, stacks.load(STACKS, BASE)))  # the base itself keeps its caches

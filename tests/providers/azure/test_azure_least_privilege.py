"""For every service of every accepted fixture (and the synthetic Go app): its role assignments are exactly what its
grants need, each at the granted resource's own scope.

The expected side is written from the baseline (§4.4) and the Go runtime's Service Bus use here, independently of
providers/azure/args.py: a publisher sends to its topic; a subscriber receives on its subscription and sends to its
topic (runtimes/go/pubsub/internal/azure/topic.go re-publishes retries there); every secret the service reads
(database password, Redis key, app secret, the signing key) is one Key Vault Secrets User assignment on that secret.
"""

from __future__ import annotations

import pytest
from azgraph import ENV_TYPES, FIXTURE_NAMES, fixture_plan, fixture_render, of_type, synth_plan, synth_render

from orchestrator.core.model import Language
from orchestrator.core.plan import Plan
from providers.azure import mocks
from providers.azure import policy as az

SENDER, RECEIVER = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39", "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
GO_FIXTURES = [n for n in FIXTURE_NAMES if fixture_plan(n, "production").language is Language.GO]


def _graph_names(resources: list[dict]) -> tuple[str, str, str]:
    (group,) = of_type(resources, az.RESOURCE_GROUP)
    (vault,) = of_type(resources, az.VAULT)
    namespaces = of_type(resources, az.NAMESPACE)
    return (group["inputs"]["resourceGroupName"], vault["inputs"]["vaultName"],
            namespaces[0]["inputs"]["namespaceName"] if namespaces else "")


def expected(plan: Plan, service: str, resources: list[dict]) -> set[tuple[str, str]]:
    group, vault, namespace = _graph_names(resources)
    base = f"/subscriptions/{mocks.SUBSCRIPTION}/resourceGroups/{group}/providers/"

    def secret(name: str) -> str:
        return f"{base}Microsoft.KeyVault/vaults/{vault}/secrets/{name}"

    def topic(name: str) -> str:
        return f"{base}Microsoft.ServiceBus/namespaces/{namespace}/topics/{name}"

    (auth,) = [r for r in of_type(resources, az.SECRET) if r["name"] == "service-auth/secret"]
    need = {(SECRETS_USER, secret(auth["inputs"]["secretName"]))}
    for g in plan.grants_for(service):
        res = plan.get(g.resource)
        kind = g.resource.partition(":")[0]
        if kind == "sql":
            need.add((SECRETS_USER, secret(res.names["password_secret"])))
        elif kind == "cache":
            need.add((SECRETS_USER, secret(res.names["auth_secret"])))
        elif kind == "secret":
            need.add((SECRETS_USER, secret(res.names["secret"])))
        elif kind == "topic":
            need.add((SENDER, topic(res.names["topic"])))
        elif kind == "subscription":
            topic_name = plan.get(res.depends_on[0]).names["topic"]
            need.add((RECEIVER, f"{topic(topic_name)}/subscriptions/{res.names['subscription']}"))
            need.add((SENDER, topic(topic_name)))
        else:
            assert kind == "service", g
    return need


def actual(resources: list[dict], service: str) -> set[tuple[str, str]]:
    component = next(r["urn"] for r in resources
                     if r["type"] == az.SERVICE_COMPONENT and r["name"] == f"service:{service}")
    assignments = [r for r in of_type(resources, az.ROLE_ASSIGNMENT) if r["parent"] == component]
    found = [(r["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1], r["inputs"]["scope"]) for r in assignments]
    assert len(found) == len(set(found)), f"duplicate assignments for {service}"
    identity = next(r for r in of_type(resources, az.IDENTITY) if r["parent"] == component)
    principal = mocks._guid(f"principal/{identity['inputs']['resourceName']}")
    assert all(r["inputs"]["principalId"] == principal for r in assignments)
    return set(found)


def _check(plan: Plan, resources: list[dict]) -> None:
    services = [r.name for r in plan.resources if r.kind.value == "service"]
    assert services
    for service in services:
        assert actual(resources, service) == expected(plan, service, resources), service


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("name", GO_FIXTURES)
def test_fixture_services_get_exactly_their_roles(name: str, env_type: str) -> None:
    _check(fixture_plan(name, env_type), fixture_render(name, env_type).resources)


def test_synthetic_app_services_get_exactly_their_roles() -> None:
    _check(synth_plan(10, "production"), synth_render(10, "production").resources)


def test_a_service_without_grants_gets_only_the_signing_key() -> None:
    plan, resources = fixture_plan("booking-system", "production"), fixture_render("booking-system", "production")
    lonely = [r.name for r in plan.resources if r.kind.value == "service" and not plan.grants_for(r.name)]
    assert lonely == ["frontend", "user"]
    for service in lonely:
        assert [role for role, _ in actual(resources.resources, service)] == [SECRETS_USER]


def test_the_sql_jobs_read_only_their_passwords() -> None:
    resources = fixture_render("ai-chat", "production").resources
    jobs = [r for r in of_type(resources, az.ROLE_ASSIGNMENT) if r["name"].startswith(("sql/", "sql:"))]
    secrets = {r["name"]: r for r in of_type(resources, az.SECRET)}
    assert jobs and all(r["inputs"]["roleDefinitionId"].endswith(SECRETS_USER) for r in jobs)
    scopes = {r["inputs"]["scope"].rsplit("/", 1)[-1] for r in jobs}
    expected_names = {s["inputs"]["secretName"] for n, s in secrets.items()
                      if n.endswith(("/password-secret", "/admin-secret"))}
    assert scopes == expected_names

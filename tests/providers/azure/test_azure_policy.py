"""Every Azure baseline rule: a passing and a failing graph each; every accepted fixture passes as production and
preview. The base graph is the synthetic Go app (SQL, Service Bus, Managed Redis, secrets); each failing case
mutates one input the rule reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from azgraph import ENV_TYPES, FIXTURE_NAMES, fixture_plan, fixture_render, of_type, synth_render

from orchestrator import policy
from orchestrator.core.model import Language
from providers.azure import policy as az

Graph = list[dict[str, Any]]
Mutation = Callable[[Graph], None]


def _set(typ: str, path: str, value: Any) -> Mutation:
    *parents, key = path.split(".")

    def mutate(g: Graph) -> None:
        targets = of_type(g, typ)
        assert targets, f"no {typ} to mutate"
        for r in targets:
            node = r["inputs"]
            for p in parents:
                node = node.setdefault(p, {})
            if value is _DROP:
                node.pop(key, None)
            else:
                node[key] = value

    return mutate


_DROP = object()


def _option(typ: str, key: str) -> Mutation:
    def mutate(g: Graph) -> None:
        of_type(g, typ)[0]["options"][key] = True

    return mutate


def _add(typ: str, inputs: dict[str, Any]) -> Mutation:
    def mutate(g: Graph) -> None:
        g.append({"urn": f"urn:pulumi:t::p::{typ}::extra", "type": typ, "name": "extra", "parent": None,
                  "inputs": inputs, "options": {"protect": False, "retainOnDelete": False}, "dependencies": []})

    return mutate


def _drop(typ: str) -> Mutation:
    def mutate(g: Graph) -> None:
        assert of_type(g, typ)
        g[:] = [r for r in g if r["type"] != typ]

    return mutate


def _second_identity(g: Graph) -> None:
    first = of_type(g, az.IDENTITY)
    owned = next(r for r in first if r["parent"] and "orchestrator:azure:Service" in r["parent"])
    g.append({**owned, "urn": owned["urn"] + "-2", "name": owned["name"] + "-2"})


def _unprotect(typ: str) -> Mutation:
    def mutate(g: Graph) -> None:
        of_type(g, typ)[0]["options"]["protect"] = False

    return mutate


SUB_ID = "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/"
OWNER = SUB_ID + "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
GOOD_REDIS = {"enableNonSslPort": False, "minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled",
              "sku": {"name": "Premium"}}

CASES: list[tuple[str, str, Mutation | None, Mutation | None]] = [
    # (rule, env type, failing mutation, mutation that makes the passing base graph contain the rule's type)
    ("R-SQL-18", "production", _set(az.SERVER, "network.publicNetworkAccess", "Enabled"), None),
    ("R-SQL-19", "production", _set(az.FIREWALL, "endIpAddress", "255.255.255.255"),
     _add(az.FIREWALL, {"startIpAddress": "0.0.0.0", "endIpAddress": "10.0.0.255"})),
    ("R-SQL-20", "production", _set(az.CONFIGURATION, "value", "off"), None),
    ("R-SQL-20", "ephemeral", _drop(az.CONFIGURATION), None),
    ("R-SQL-AZ-AUTH", "production", _set(az.SERVER, "authConfig.activeDirectoryAuth", "Disabled"), None),
    ("R-SQL-AZ-HA", "production", _set(az.SERVER, "highAvailability.mode", "Disabled"), None),
    ("R-MSG-08", "production", _set(az.NAMESPACE, "disableLocalAuth", False), None),
    ("R-MSG-09", "production", _set(az.NAMESPACE, "minimumTlsVersion", "1.0"), None),
    ("R-MSG-09", "ephemeral", _set(az.NAMESPACE, "identity", _DROP), None),
    ("R-MSG-10", "production", _set(az.NAMESPACE, "publicNetworkAccess", "Enabled"),
     _set(az.NAMESPACE, "publicNetworkAccess", "Disabled")),
    ("R-MSG-11", "production", _set(az.SUBSCRIPTION, "deadLetteringOnMessageExpiration", False), None),
    ("R-MSG-11", "ephemeral", _set(az.SUBSCRIPTION, "maxDeliveryCount", _DROP), None),
    ("R-MSG-11", "production", _set(az.SUBSCRIPTION, "lockDuration", "PT301S"), None),
    ("R-MSG-AZ-DEDUP", "production", _set(az.TOPIC, "requiresDuplicateDetection", True), None),
    ("R-MSG-AZ-FILTER", "production", _set(az.DEFAULT_RULE, "sqlFilter.sqlExpression", "1=1"), None),
    ("R-MSG-AZ-FILTER", "ephemeral", _drop(az.DEFAULT_RULE), None),
    ("R-RDS-09", "production", _set(az.MANAGED_REDIS, "minimumTlsVersion", "1.0"), None),
    ("R-RDS-09", "production", _set(az.MANAGED_REDIS_DB, "clientProtocol", "Plaintext"), None),
    ("R-RDS-09", "ephemeral", _set(az.CACHE_REDIS, "enableNonSslPort", True), _add(az.CACHE_REDIS, GOOD_REDIS)),
    ("R-RDS-10", "production", _set(az.MANAGED_REDIS, "publicNetworkAccess", "Enabled"), None),
    ("R-RDS-11", "production", _set(az.MANAGED_REDIS, "highAvailability", "Disabled"), None),
    ("R-RDS-11", "production", _set(az.CACHE_REDIS, "sku.name", "Basic"), _add(az.CACHE_REDIS, GOOD_REDIS)),
    ("R-SEC-05", "production", _set(az.VAULT, "properties.enableRbacAuthorization", False), None),
    ("R-SEC-08", "production", _set(az.SECRET, "properties.contentType", _DROP),
     _set(az.SECRET, "properties", {"contentType": "text/plain", "attributes": {"expires": 1}})),
    ("R-IAM-13", "production", _set(az.ROLE_ASSIGNMENT, "scope", "/subscriptions/s/resourceGroups/g"), None),
    ("R-IAM-13", "ephemeral", _set(az.ROLE_ASSIGNMENT, "principalType", "User"), None),
    ("R-IAM-13", "production", _set(az.ROLE_ASSIGNMENT, "roleDefinitionId", OWNER), None),
    ("R-IAM-14", "production", _set(az.ROLE_ASSIGNMENT, "roleDefinitionId", OWNER), None),
    ("R-IAM-AZ-ONE", "production", _second_identity, None),
    ("PV-01", "ephemeral", _option(az.SERVER, "protect"), None),
    ("PV-04", "ephemeral", _set(az.VAULT, "properties.enablePurgeProtection", True), None),
    ("PV-05", "ephemeral", _set(az.TOPIC, "topicName", "no-slug"), None),
    ("PV-05", "ephemeral", _set(az.VAULT, "vaultName", "v" * 25), None),
    ("PV-06", "ephemeral", _set(az.VAULT, "tags.ttl", _DROP), None),
    ("PV-07", "ephemeral", _set(az.SERVER, "sku.tier", "GeneralPurpose"), None),
    ("PV-07", "ephemeral", _set(az.MANAGED_REDIS, "sku.name", "Balanced_B5"), None),
    # An isolated preview holds servers; tagged as borrowing its base's, it must not.
    ("PV-08", "ephemeral", _set(az.VAULT, "tags.shares-base", "azure-prod"), None),
    ("P-01", "production", None, None),
    ("R-TAG-01", "production", _set(az.NAMESPACE, "tags.managed-by", _DROP), None),
]


CASES = [(r, e, m if m is not None else _unprotect(az.SERVER), p) for r, e, m, p in CASES]


def _violations(g: Graph, env_type: str, rule: str) -> list[policy.Violation]:
    return [v for v in policy.evaluate(g, env_type, az.RULES) if v.rule == rule]


@pytest.mark.parametrize(("rule", "env_type", "fail", "prepare"), CASES,
                         ids=[f"{r}-{e}-{i}" for i, (r, e, _, _) in enumerate(CASES)])
def test_rule_passes_and_fails(rule: str, env_type: str, fail: Mutation, prepare: Mutation | None) -> None:
    g = synth_render(10, env_type).resources
    if prepare is not None:
        prepare(g)
    assert _violations(g, env_type, rule) == []
    fail(g)
    found = _violations(g, env_type, rule)
    assert found, f"{rule} did not fire"
    rule_obj = next(r for r in az.RULES if r.id == rule)
    assert all(v.advisory == (rule_obj.advisory or (rule_obj.scope == "P" and env_type != "production"))
               for v in found)


def test_every_rule_has_a_case() -> None:
    assert {r.id for r in az.RULES} == {rule for rule, *_ in CASES}


def test_the_baseline_ids_the_issue_names_are_all_there() -> None:
    wanted = {"R-SQL-18", "R-SQL-19", "R-SQL-20", "R-MSG-08", "R-MSG-09", "R-MSG-10", "R-MSG-11", "R-RDS-09",
              "R-RDS-10", "R-RDS-11", "R-SEC-05", "R-SEC-08", "R-IAM-13", "R-IAM-14", "PV-01", "PV-04", "PV-05",
              "PV-06", "PV-07", "P-01"}
    assert wanted <= {r.id for r in az.RULES}


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("name", [n for n in FIXTURE_NAMES if fixture_plan(n, "production").language is Language.GO])
def test_fixtures_meet_the_baseline(name: str, env_type: str) -> None:
    violations = policy.evaluate(fixture_render(name, env_type).resources, env_type, az.RULES)
    assert policy.blocking(violations) == []

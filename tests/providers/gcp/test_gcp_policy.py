"""Every GCP baseline rule: one passing and one failing graph; every fixture passes as production and preview."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from gcpgraph import ENV_TYPES, FIXTURE_NAMES, REPO, fixture_render, of_type, synth_render

from orchestrator import policy
from providers.gcp import policy as gcp

Graph = list[dict[str, Any]]
Mutation = Callable[[Graph], None]

PROVIDER = "urn:pulumi:t::p::pulumi:providers:gcp::gcp"
SA = "serviceAccount:svc@acme-shop-prod.iam.gserviceaccount.com"
_DROP = object()


def _set(typ: str, key: str, value: Any, *, only: Callable[[dict[str, Any]], bool] = lambda r: True) -> Mutation:
    def mutate(g: Graph) -> None:
        targets = [r for r in of_type(g, typ) if only(r)]
        assert targets, f"no {typ} to mutate"
        for r in targets:
            if value is _DROP:
                r["inputs"].pop(key, None)
            else:
                r["inputs"][key] = value

    return mutate


def _settings(path: tuple[str, ...], value: Any) -> Mutation:
    """Set settings.<path> of the Cloud SQL instance (_DROP removes it)."""

    def mutate(g: Graph) -> None:
        (instance,) = of_type(g, gcp.SQL_INSTANCE)
        node = instance["inputs"]["settings"]
        for key in path[:-1]:
            node = node.setdefault(key, {})
        if value is _DROP:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value

    return mutate


def _option(typ: str, key: str, value: bool) -> Mutation:
    def mutate(g: Graph) -> None:
        of_type(g, typ)[0]["options"][key] = value

    return mutate


def _labels(edit: Callable[[dict[str, str]], object]) -> Mutation:
    def mutate(g: Graph) -> None:
        (p,) = of_type(g, gcp.GCP_PROVIDER)
        labels = json.loads(p["inputs"]["defaultLabels"])
        edit(labels)
        p["inputs"]["defaultLabels"] = json.dumps(labels)

    return mutate


def _member(typ: str, target: dict[str, Any], role: str, member: str, parent: str | None = None) -> Mutation:
    def mutate(g: Graph) -> None:
        g.append({"urn": f"urn:x::{typ}::extra-{len(g)}", "type": typ, "name": f"extra-{len(g)}", "parent": parent,
                  "inputs": {**target, "role": role, "member": member},
                  "options": {"protect": False, "retainOnDelete": False, "provider": PROVIDER}, "dependencies": []})

    return mutate


def _on_first(typ: str, key: str) -> Callable[[Graph], str]:
    return lambda g: of_type(g, typ)[0]["inputs"][key]


def _member_on(typ: str, target_type: str, key: str, input_key: str, role: str, member: str) -> Mutation:
    """A member resource of `typ` on the first `target_type` (its `input_key` input names it by `key`)."""

    def mutate(g: Graph) -> None:
        _member(typ, {key: _on_first(target_type, input_key)(g)}, role, member)(g)

    return mutate


def _second_account(g: Graph) -> None:
    account = of_type(g, gcp.ACCOUNT)[0]
    g.append(dict(account, urn=account["urn"] + "-2", name=account["name"] + "-2"))


def _kms(period: str) -> Graph:
    return [{"urn": "urn:x::key", "type": gcp.KMS_KEY, "name": "key", "parent": None,
             "inputs": {"name": "key", "keyRing": "ring", "rotationPeriod": period},
             "options": {"protect": True, "retainOnDelete": True, "provider": PROVIDER}, "dependencies": []}]


def _synth(env_type: str) -> Callable[[], Graph]:
    return lambda: synth_render(10, env_type).resources


def _fixed(graph: Graph) -> Callable[[], Graph]:
    return lambda: json.loads(json.dumps(graph))


def _with_project_member(role: str) -> Callable[[], Graph]:
    """The synthetic graph plus one project-level binding of `role` to a service account."""

    def make() -> Graph:
        g = synth_render(10, PROD).resources
        _member(gcp.PROJECT_IAM[0], {"project": "acme-shop-prod"}, role, SA)(g)
        return g

    return make


PROD, PREVIEW = "production", "ephemeral"
SUBS = gcp.SUBSCRIPTION
CONSUMER = {"only": lambda r: "deadLetterPolicy" in r["inputs"]}


def _drop_project_members(g: Graph) -> None:
    g[:] = [r for r in g if r["type"] not in gcp.PROJECT_IAM]


# rule id -> (env type, base graph, mutation that makes it pass (None: the base passes), mutation that makes it fail)
CASES: dict[str, tuple[str, Callable[[], Graph], Mutation | None, Mutation]] = {
    "R-SQL-11": (PROD, _synth(PROD), None, _settings(("ipConfiguration", "ipv4Enabled"), True)),
    "R-SQL-12": (PROD, _synth(PROD), None, _settings(("ipConfiguration", "authorizedNetworks"),
                                                     [{"value": "0.0.0.0/0"}])),
    "R-SQL-13": (PROD, _synth(PROD), None, _settings(("ipConfiguration", "sslMode"),
                                                     "ALLOW_UNENCRYPTED_AND_ENCRYPTED")),
    "R-SQL-14": (PROD, _synth(PROD), None, _settings(("backupConfiguration", "pointInTimeRecoveryEnabled"), False)),
    "R-SQL-15": (PROD, _synth(PROD), None, _set(gcp.SQL_INSTANCE, "deletionProtection", False)),
    "R-SQL-16": (PROD, _synth(PROD), None, _settings(("databaseFlags",), [])),
    "R-GCS-01": (PROD, _synth(PROD), None, _set(gcp.BUCKET, "uniformBucketLevelAccess", False)),
    "R-GCS-02": (PROD, _synth(PROD), None, _set(gcp.BUCKET, "publicAccessPrevention", "inherited")),
    "R-GCS-03": (PROD, _synth(PROD), None, _member_on(gcp.BUCKET_IAM[0], gcp.BUCKET, "bucket", "name",
                                                      "roles/storage.objectViewer", "allAuthenticatedUsers")),
    "R-GCS-04": (PROD, _synth(PROD), None, _set(gcp.BUCKET, "versioning", {"enabled": False})),
    "R-GCS-05": (PROD, _synth(PROD), None, _set(gcp.BUCKET, "logging", _DROP)),
    "R-MSG-05": (PROD, _synth(PROD), None, _member_on(gcp.TOPIC_IAM[0], gcp.TOPIC, "topic", "name",
                                                      "roles/pubsub.publisher", "allUsers")),
    "R-MSG-06": (PROD, _synth(PROD), None, _set(SUBS, "deadLetterPolicy", _DROP, **CONSUMER)),
    "R-MSG-07": (PROD, _synth(PROD), _set(gcp.TOPIC, "kmsKeyName", "projects/p/locations/l/keyRings/r/cryptoKeys/k"),
                 lambda g: None),
    "R-RDS-06": (PROD, _synth(PROD), None, _set(gcp.REDIS, "authEnabled", False)),
    "R-RDS-07": (PROD, _synth(PROD), None, _set(gcp.REDIS, "transitEncryptionMode", "DISABLED")),
    "R-RDS-08": (PROD, _synth(PROD), None, _set(gcp.REDIS, "tier", "BASIC")),
    "R-SEC-04": (PROD, _synth(PROD), None, _member_on(gcp.SECRET_IAM[0], gcp.SECRET, "secretId", "secretId",
                                                      "roles/secretmanager.secretAccessor", "allUsers")),
    "R-SEC-10": (PROD, _fixed(_kms("7776000s")), None, _set(gcp.KMS_KEY, "rotationPeriod", "31536000s")),
    "R-IAM-08": (PROD, _with_project_member("roles/logging.logWriter"), None,
                 _set(gcp.PROJECT_IAM[0], "role", "roles/editor")),
    "R-IAM-09": (PROD, _synth(PROD), None, _set(gcp.SECRET_IAM[0], "role", "roles/secretmanager.admin")),
    "R-IAM-10": (PROD, _synth(PROD), None, _second_account),
    "R-IAM-11": (PROD, _with_project_member("roles/logging.logWriter"), None,
                 _set(gcp.PROJECT_IAM[0], "role", "roles/iam.serviceAccountUser")),
    "R-IAM-12": (PROD, _synth(PROD), None, _set(gcp.TOPIC_IAM[0], "member", "user:alice@example.com",
                                                only=lambda r: r["inputs"]["member"].startswith("serviceAccount:"))),
    "PV-01": (PREVIEW, _synth(PREVIEW), None, _option(gcp.SQL_INSTANCE, "protect", True)),
    "PV-02": (PREVIEW, _synth(PREVIEW), None, _set(gcp.SQL_INSTANCE, "deletionProtection", True)),
    "PV-03": (PREVIEW, _synth(PREVIEW), None, _set(gcp.BUCKET, "forceDestroy", False)),
    "PV-05": (PREVIEW, _synth(PREVIEW), None, _set(gcp.BUCKET, "name", "someone-elses-bucket")),
    "PV-06": (PREVIEW, _synth(PREVIEW), None, _labels(lambda t: t.pop("ttl"))),
    "PV-07": (PREVIEW, _synth(PREVIEW), None, _set(gcp.REDIS, "tier", "STANDARD_HA")),
    # An isolated preview makes its own servers; labelled as a shared one (borrowing gcp-prod's), it may not.
    "PV-08": (PREVIEW, _synth(PREVIEW), None, _labels(lambda t: t.update({"borrows-from": "gcp-prod"}))),
    "P-01": (PROD, _synth(PROD), None, _option(gcp.SQL_INSTANCE, "retainOnDelete", False)),
    "R-TAG-01": (PROD, _synth(PROD), None, _labels(lambda t: t.pop("app"))),
}


def test_every_rule_has_cases() -> None:
    assert sorted(CASES) == sorted(r.id for r in gcp.RULES)


def test_rule_ids_unique() -> None:
    ids = [r.id for r in gcp.RULES]
    assert len(ids) == len(set(ids))


def _of_rule(rule_id: str, graph: Graph, env_type: str) -> tuple[int, list[policy.Violation]]:
    (rule,) = [r for r in gcp.RULES if r.id == rule_id]
    applies = sum(1 for r in graph if rule.applies(r))
    return applies, [v for v in policy.evaluate(graph, env_type, gcp.RULES) if v.rule == rule_id]


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes(rule_id: str) -> None:
    env_type, base, make_pass, _ = CASES[rule_id]
    graph = base()
    if make_pass:
        make_pass(graph)
    applies, found = _of_rule(rule_id, graph, env_type)
    assert applies, f"{rule_id} applies to nothing in its passing case"
    assert found == [], [str(v) for v in found]


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fails(rule_id: str) -> None:
    env_type, base, make_pass, make_fail = CASES[rule_id]
    graph = base()
    if make_pass is None:
        make_fail(graph)
    _, found = _of_rule(rule_id, graph, env_type)
    assert found, f"{rule_id} found nothing in its failing case"


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixtures_meet_the_baseline(name: str, env_type: str) -> None:
    found = policy.blocking(policy.evaluate(fixture_render(name, env_type).resources, env_type, gcp.RULES))
    assert found == [], "\n".join(map(str, found))


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("language", ["typescript", "go"])
def test_synthetic_apps_meet_the_baseline(env_type: str, language: str) -> None:
    found = policy.blocking(policy.evaluate(synth_render(10, env_type, language).resources, env_type, gcp.RULES))
    assert found == [], "\n".join(map(str, found))


def test_the_public_bucket_and_the_log_writer_are_the_only_non_account_members() -> None:
    resources = fixture_render("replicate-image-generator", PROD).resources
    members = {r["inputs"]["member"] for r in resources if r["type"] in gcp.ALL_IAM}
    assert {m for m in members if not m.startswith("serviceAccount:")} == {"allUsers", gcp.LOG_WRITER}
    assert not any(r["type"] in gcp.PROJECT_IAM for r in resources)


def test_public_read_on_a_private_bucket_is_a_violation() -> None:
    graph = synth_render(10, PROD).resources
    private = [b for b in of_type(graph, gcp.BUCKET) if b["name"] == "runtime-config/bucket"]
    _member(gcp.BUCKET_IAM[0], {"bucket": private[0]["inputs"]["name"]}, "roles/storage.objectViewer", "allUsers")(
        graph)
    assert _of_rule("R-GCS-03", graph, PROD)[1]


def test_scopes() -> None:
    prod = {r.id: adv for r, adv in policy.rules_for(gcp.RULES, "production")}
    preview = {r.id: adv for r, adv in policy.rules_for(gcp.RULES, "ephemeral")}
    assert prod["R-SQL-15"] is False and preview["R-SQL-15"] is True
    assert "PV-02" in preview and "PV-02" not in prod
    assert prod["R-MSG-07"] is True  # advisory by definition


@pytest.mark.parametrize("policy_value", ["PREVENT", "ABANDON"])
def test_previews_refuse_deletion_policies_that_block_or_leak(policy_value: str) -> None:
    graph = synth_render(10, PREVIEW).resources
    _set(gcp.TOPIC, "deletionPolicy", policy_value)(graph)
    assert _of_rule("PV-02", graph, PREVIEW)[1]


def test_exceptions_are_documented() -> None:
    doc = (REPO / "docs" / "security-exceptions.md").read_text(encoding="utf-8")
    ids = {r.id for r in gcp.RULES}
    for rule_id in gcp.EXCEPTIONS:
        assert rule_id in ids
        assert f"`{rule_id}`" in doc, f"{rule_id} is excepted but not documented"


def test_violations_name_the_resource() -> None:
    graph = synth_render(10, PROD).resources
    _set(gcp.REDIS, "authEnabled", False)(graph)
    found = [v for v in policy.evaluate(graph, PROD, gcp.RULES) if v.rule == "R-RDS-06"]
    assert found and found[0].blocking and str(found[0]).startswith("R-RDS-06: cache:")
    assert str(found[0]).endswith("/redis: authEnabled is not true")


def test_empty_graph_is_quiet() -> None:
    assert policy.evaluate([], "production", gcp.RULES) == []

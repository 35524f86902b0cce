"""Every AWS baseline rule: one passing and one failing graph; every fixture passes as production and preview."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from awsgraph import ENV_TYPES, FIXTURE_NAMES, REPO, fixture_render, of_type, shared_synth, synth_render

from orchestrator import policy
from providers.aws import policy as aws

Graph = list[dict[str, Any]]
Mutation = Callable[[Graph], None]

PROVIDER = "urn:pulumi:t::p::pulumi:providers:aws::aws"


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


_DROP = object()


def _drop_type(*types: str) -> Mutation:
    def mutate(g: Graph) -> None:
        assert any(r["type"] in types for r in g)
        g[:] = [r for r in g if r["type"] not in types]

    return mutate


def _option(typ: str, key: str, value: bool) -> Mutation:
    def mutate(g: Graph) -> None:
        of_type(g, typ)[0]["options"][key] = value

    return mutate


def _edit_policy(typ: str, edit: Callable[[dict[str, Any]], None], key: str = "policy",
                 only: Callable[[dict[str, Any]], bool] = lambda r: True) -> Mutation:
    def mutate(g: Graph) -> None:
        r = next(r for r in of_type(g, typ) if only(r))
        doc = json.loads(r["inputs"][key])
        edit(doc)
        r["inputs"][key] = json.dumps(doc)

    return mutate


def _tags(edit: Callable[[dict[str, str]], None]) -> Mutation:
    def mutate(g: Graph) -> None:
        (p,) = of_type(g, "pulumi:providers:aws")
        doc = json.loads(p["inputs"]["defaultTags"])
        edit(doc["tags"])
        p["inputs"]["defaultTags"] = json.dumps(doc)

    return mutate


def _open_private_bucket(g: Graph) -> None:
    private = {c["urn"] for c in of_type(g, aws.BUCKET_COMPONENT) if not c["inputs"]["public"]}
    blocks = [b for b in of_type(g, aws.S3_PUBLIC_ACCESS) if b["parent"] in private]
    assert blocks
    blocks[0]["inputs"]["blockPublicPolicy"] = False


def _receive_count(count: int) -> Mutation:
    def mutate(g: Graph) -> None:
        for q in of_type(g, aws.SQS_QUEUE):
            if "redrivePolicy" in q["inputs"]:
                q["inputs"]["redrivePolicy"] = json.dumps(dict(json.loads(q["inputs"]["redrivePolicy"]),
                                                               maxReceiveCount=count))

    return mutate


def _add_rotation(g: Graph) -> None:
    for version in of_type(g, aws.SECRET_VERSION):
        g.append({"urn": version["urn"] + "-rotation", "type": aws.SECRET_ROTATION, "name": "rotation",
                  "parent": version["parent"], "inputs": {}, "options": {"protect": False, "retainOnDelete": False},
                  "dependencies": [d for d in version["dependencies"] if "secret:Secret" in d]})


def _add_open_ingress(g: Graph) -> None:
    (group,) = [s for s in of_type(g, aws.SECURITY_GROUP) if s["name"] == "network/cache-sg"]
    g.append({"urn": "urn:x::open", "type": aws.INGRESS_RULES[0], "name": "open", "parent": None,
              "inputs": {"cidrIpv4": "0.0.0.0/0", "fromPort": 6379, "toPort": 6379, "ipProtocol": "tcp"},
              "options": {"protect": False, "retainOnDelete": False, "provider": None},
              "dependencies": [group["urn"]]})


def _second_role(g: Graph) -> None:
    role = dict(of_type(g, aws.IAM_ROLE)[0], urn="urn:x::extra-role", name="extra-role")
    g.append(role)


def _statement(edit: Callable[[dict[str, Any]], None]) -> Mutation:
    return _edit_policy(aws.IAM_ROLE_POLICY, lambda doc: edit(doc["Statement"][0]))


def _kms(rotation: bool) -> Graph:
    return [{"urn": "urn:x::key", "type": aws.KMS_KEY, "name": "key", "parent": None,
             "inputs": {"enableKeyRotation": rotation, "policy": json.dumps({"Statement": [
                 {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*",
                  "Resource": "*"}]})},
             "options": {"protect": False, "retainOnDelete": False, "provider": PROVIDER}, "dependencies": []}]


def _github_role(sub: str) -> Graph:
    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                            "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/"
                                                       "token.actions.githubusercontent.com"},
                            "Condition": {"StringEquals": {"token.actions.githubusercontent.com:sub": sub,
                                                           "token.actions.githubusercontent.com:aud":
                                                               "sts.amazonaws.com"}}}]}
    return [{"urn": "urn:x::ci", "type": aws.IAM_ROLE, "name": "ci", "parent": None,
             "inputs": {"name": "ci", "assumeRolePolicy": json.dumps(trust)},
             "options": {"protect": False, "retainOnDelete": False, "provider": PROVIDER}, "dependencies": []}]


def _synth(env_type: str) -> Callable[[], Graph]:
    return lambda: synth_render(10, env_type).resources


def _shared() -> Graph:
    return shared_synth(10)[1].resources


def _borrowing(g: Graph) -> None:
    """The record a shared preview env's program makes of what it borrows (providers/aws/session.py)."""
    g.append({"urn": "urn:x::borrowed", "type": aws.BORROWED, "name": "borrowed", "parent": None,
              "inputs": {"keyPrefix": "pr-1/"}, "options": {"protect": False, "retainOnDelete": False},
              "dependencies": []})


def _beyond_prefix(doc: dict[str, Any]) -> None:
    """Widen a borrowed bucket's object grant from the env's prefix to the whole bucket."""
    s = next(s for s in doc["Statement"] if "/pr-7/" in str(s["Resource"]))
    s["Resource"] = str(s["Resource"]).split("/pr-7/", 1)[0] + "/*"


def _fixed(graph: Graph) -> Callable[[], Graph]:
    return lambda: json.loads(json.dumps(graph))


PROD, PREVIEW = "production", "ephemeral"
RDS_GROUP = aws.REDIS_GROUP

# rule id -> (env type, base graph, mutation that makes it pass (None: the base passes), mutation that makes it fail)
CASES: dict[str, tuple[str, Callable[[], Graph], Mutation | None, Mutation]] = {
    "R-SQL-01": (PROD, _synth(PROD), None, _set(aws.RDS_CLUSTER, "storageEncrypted", False)),
    "R-SQL-02": (PROD, _synth(PROD), None, _set(aws.RDS_CLUSTER_INSTANCE, "publiclyAccessible", True)),
    "R-SQL-03": (PROD, _synth(PROD), None, _set(aws.RDS_CLUSTER, "backupRetentionPeriod", 3)),
    "R-SQL-04": (PROD, _synth(PROD), None, _set(aws.RDS_CLUSTER, "deletionProtection", False)),
    "R-SQL-05": (PROD, _synth(PROD), None, _set(aws.RDS_CLUSTER, "iamDatabaseAuthenticationEnabled", False)),
    "R-SQL-06": (PROD, _synth(PROD), None, lambda g: g.remove(of_type(g, aws.RDS_CLUSTER_INSTANCE)[1])),
    "R-SQL-07": (PROD, _synth(PROD), None, _set(aws.RDS_CLUSTER_PARAMS, "parameters", [])),
    "R-SQL-08": (PROD, _synth(PROD), None, _set(aws.RDS_CLUSTER_INSTANCE, "autoMinorVersionUpgrade", False)),
    "R-SQL-09": (PROD, _synth(PROD), None, _set(aws.RDS_CLUSTER, "enabledCloudwatchLogsExports", [])),
    "R-SQL-10": (PROD, _synth(PROD), None, _set(aws.RDS_CLUSTER, "skipFinalSnapshot", True)),
    "R-S3-01": (PROD, _synth(PROD), None, _open_private_bucket),
    "R-S3-02": (PROD, _synth(PROD), None, _drop_type(*aws.S3_ENCRYPTION)),
    "R-S3-02-CMK": (PROD, _synth(PROD), _set(aws.S3_ENCRYPTION[0], "rules", [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]), lambda g: None),
    "R-S3-03": (PROD, _synth(PROD), None, _drop_type(*aws.S3_VERSIONING)),
    "R-S3-04": (PROD, _synth(PROD), None, _edit_policy(aws.S3_POLICY, lambda d: d["Statement"].pop(0))),
    "R-S3-05": (PROD, _synth(PROD), None, _edit_policy(aws.S3_POLICY, lambda d: d["Statement"].append(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::x/*"}))),
    "R-S3-06": (PROD, _synth(PROD), None, _drop_type(*aws.S3_LOGGING)),
    "R-S3-07": (PROD, _synth(PROD), None, _set(aws.S3_BUCKET, "forceDestroy", True)),
    "R-MSG-01": (PROD, _synth(PROD), None, _set(aws.SNS_TOPIC, "kmsMasterKeyId", _DROP)),
    "R-MSG-01-CMK": (PROD, _synth(PROD), _set(aws.SNS_TOPIC, "kmsMasterKeyId", "arn:aws:kms:eu-west-1:1:key/k"),
                     lambda g: None),
    "R-MSG-02": (PROD, _synth(PROD), None, _set(aws.SQS_QUEUE, "sqsManagedSseEnabled", False)),
    "R-MSG-02-CMK": (PROD, _synth(PROD), _set(aws.SQS_QUEUE, "kmsMasterKeyId", "arn:aws:kms:eu-west-1:1:key/k"),
                     lambda g: None),
    "R-MSG-03": (PROD, _synth(PROD), None, _edit_policy(
        aws.SQS_QUEUE_POLICY, lambda d: d["Statement"][0].update(Principal="*", Condition={}))),
    "R-MSG-04": (PROD, _synth(PROD), None,
                 _set(aws.SQS_QUEUE, "redrivePolicy", _DROP, only=lambda r: r["name"].endswith("/queue"))),
    "R-MSG-04-COUNT": (PROD, _synth(PROD), _receive_count(5), lambda g: None),
    "R-RDS-01": (PROD, _synth(PROD), None, _set(RDS_GROUP, "atRestEncryptionEnabled", False)),
    "R-RDS-02": (PROD, _synth(PROD), None, _set(RDS_GROUP, "transitEncryptionEnabled", False)),
    "R-RDS-03": (PROD, _synth(PROD), None, _set(RDS_GROUP, "multiAzEnabled", False)),
    "R-RDS-04": (PROD, _synth(PROD), None, _set(RDS_GROUP, "snapshotRetentionLimit", 0)),
    "R-RDS-05": (PROD, _synth(PROD), None, _add_open_ingress),
    "R-SEC-01": (PROD, _synth(PROD), _set(aws.SECRET, "kmsKeyId", "arn:aws:kms:eu-west-1:1:key/k"), lambda g: None),
    "R-SEC-02": (PROD, _synth(PROD), None, _set(aws.SECRET, "recoveryWindowInDays", 3)),
    "R-SEC-03": (PROD, _synth(PROD), _add_rotation, lambda g: None),
    "R-SEC-09": (PROD, _fixed(_kms(True)), None, _set(aws.KMS_KEY, "enableKeyRotation", False)),
    "R-IAM-01": (PROD, _synth(PROD), None, _statement(lambda s: s.update(Action=["s3:*"]))),
    "R-IAM-02": (PROD, _synth(PROD), None, _statement(lambda s: s.update(Resource="*"))),
    "R-IAM-03": (PROD, _synth(PROD), None,
                 _set(aws.IAM_ROLE, "managedPolicyArns", ["arn:aws:iam::aws:policy/AmazonS3FullAccess"])),
    "R-IAM-04": (PROD, _synth(PROD), None, _statement(lambda s: s.update(Action=["iam:PassRole"]))),
    "R-IAM-05": (PROD, _synth(PROD), None, _edit_policy(
        aws.IAM_ROLE, lambda d: d["Statement"][0].update(Principal="*"), key="assumeRolePolicy")),
    "R-IAM-06": (PROD, _fixed(_github_role("repo:acme/shop:environment:prod")), None,
                 _set(aws.IAM_ROLE, "assumeRolePolicy", json.dumps(json.loads(
                     _github_role("repo:acme/*")[0]["inputs"]["assumeRolePolicy"])))),
    "R-IAM-07": (PROD, _synth(PROD), None, _second_role),
    "PV-01": (PREVIEW, _synth(PREVIEW), None, _option(aws.RDS_CLUSTER, "protect", True)),
    "PV-02": (PREVIEW, _synth(PREVIEW), None, _set(aws.RDS_CLUSTER, "deletionProtection", True)),
    "PV-03": (PREVIEW, _synth(PREVIEW), None, _set(aws.S3_BUCKET, "forceDestroy", False)),
    "PV-04": (PREVIEW, _synth(PREVIEW), None, _set(aws.SECRET, "recoveryWindowInDays", 7)),
    "PV-05": (PREVIEW, _synth(PREVIEW), None, _set(aws.S3_BUCKET, "bucket", "someone-elses-bucket")),
    "PV-06": (PREVIEW, _synth(PREVIEW), None, _tags(lambda t: t.pop("ttl"))),
    "PV-07": (PREVIEW, _synth(PREVIEW), None, _set(RDS_GROUP, "numCacheClusters", 2)),
    "PV-08": (PREVIEW, _synth(PREVIEW), None, _borrowing),
    "PV-09": (PREVIEW, _shared, None, _edit_policy(
        aws.IAM_ROLE_POLICY, _beyond_prefix, only=lambda r: "/pr-7/" in r["inputs"]["policy"])),
    "P-01": (PROD, _synth(PROD), None, _option(aws.RDS_CLUSTER, "retainOnDelete", False)),
    "R-TAG-01": (PROD, _synth(PROD), None, _tags(lambda t: t.pop("app"))),
}


def test_every_rule_has_cases() -> None:
    assert sorted(CASES) == sorted(r.id for r in aws.RULES)


def test_rule_ids_unique() -> None:
    ids = [r.id for r in aws.RULES]
    assert len(ids) == len(set(ids))


def _of_rule(rule_id: str, graph: Graph, env_type: str) -> tuple[int, list[policy.Violation]]:
    (rule,) = [r for r in aws.RULES if r.id == rule_id]
    applies = sum(1 for r in graph if rule.applies(r))
    return applies, [v for v in policy.evaluate(graph, env_type, aws.RULES) if v.rule == rule_id]


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
    found = policy.blocking(policy.evaluate(fixture_render(name, env_type).resources, env_type, aws.RULES))
    assert found == [], "\n".join(map(str, found))


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("language", ["typescript", "go"])
def test_synthetic_apps_meet_the_baseline(env_type: str, language: str) -> None:
    found = policy.blocking(policy.evaluate(synth_render(10, env_type, language).resources, env_type, aws.RULES))
    assert found == [], "\n".join(map(str, found))


def test_scopes() -> None:
    prod = {r.id: adv for r, adv in policy.rules_for(aws.RULES, "production")}
    preview = {r.id: adv for r, adv in policy.rules_for(aws.RULES, "ephemeral")}
    dev = {r.id: adv for r, adv in policy.rules_for(aws.RULES, "development")}
    assert prod["R-SQL-04"] is False and preview["R-SQL-04"] is True
    assert "PV-01" in preview and "PV-01" not in prod and "PV-01" not in dev
    assert prod["R-SEC-01"] is True  # advisory by definition


def test_exceptions_are_documented() -> None:
    doc = (REPO / "docs" / "security-exceptions.md").read_text(encoding="utf-8")
    ids = {r.id for r in aws.RULES}
    for rule_id in aws.EXCEPTIONS:
        assert rule_id in ids
        assert f"`{rule_id}`" in doc, f"{rule_id} is excepted but not documented"


def test_violations_name_the_resource() -> None:
    graph = synth_render(10, PROD).resources
    _set(aws.RDS_CLUSTER, "storageEncrypted", False)(graph)
    (v,) = [v for v in policy.evaluate(graph, PROD, aws.RULES) if v.rule == "R-SQL-01"]
    assert v.blocking and str(v) == "R-SQL-01: sql-server:default/cluster: storageEncrypted is not true"


@pytest.mark.parametrize("condition", [{}, {"StringEquals": {"cloudwatch:namespace": "*"}}])
def test_put_metric_data_on_star_needs_its_namespace_condition(condition: dict[str, Any]) -> None:
    graph = synth_render(10, PROD).resources
    assert _of_rule("R-IAM-02", graph, PROD)[1] == []
    _edit_policy(aws.IAM_ROLE_POLICY, lambda d: d["Statement"][-1].update(Condition=condition))(graph)
    assert _of_rule("R-IAM-02", graph, PROD)[1]


def test_empty_graph_is_quiet() -> None:
    assert policy.evaluate([], "production", aws.RULES) == []

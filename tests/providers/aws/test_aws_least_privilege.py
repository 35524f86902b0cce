"""For every service of every fixture (and synthetic apps): its IAM statements are exactly what its grants need.

The expected side is written from the baseline (§4.2) and runtime-expectations §6.2/§7 here,
independently of providers/aws/args.py, and the ARNs from the plan's physical names.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from awsgraph import ENV_TYPES, FIXTURE_NAMES, fixture_plan, fixture_render, of_type, synth_plan, synth_render

from orchestrator.core import naming
from orchestrator.core.model import Kind, Language
from orchestrator.core.plan import Plan
from providers.aws import mocks

GET_SECRET = {"secretsmanager:GetSecretValue"}
CONSUME = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"}
BUCKET_OPS: dict[str, tuple[str, set[str]]] = {
    "list-objects": ("bucket", {"s3:ListBucket"}),
    "read-object-contents": ("objects", {"s3:GetObject"}),
    "get-object-metadata": ("objects", {"s3:GetObject"}),
    "signed-download-url": ("objects", {"s3:GetObject"}),
    "write-object": ("objects", {"s3:PutObject", "s3:AbortMultipartUpload"}),
    "signed-upload-url": ("objects", {"s3:PutObject", "s3:AbortMultipartUpload"}),
    "update-object-metadata": ("objects", {"s3:GetObject", "s3:PutObject"}),
    "delete-object": ("objects", {"s3:DeleteObject"}),
    "get-public-url": ("objects", set()),
}


def _secret(name: str) -> str:
    return f"secret:{name}"


def expected(plan: Plan, service: str) -> dict[str, set[str]]:
    region, account = plan.env.region, mocks.ACCOUNT
    need: dict[str, set[str]] = {}
    for g in plan.grants_for(service):
        kind = g.resource.partition(":")[0]
        res = plan.get(g.resource)
        if kind == "service":
            continue
        if kind == "sql":
            arn, actions = _secret(res.names["password_secret"]), GET_SECRET
        elif kind == "cache":
            arn, actions = _secret(res.names["auth_secret"]), GET_SECRET
        elif kind == "secret":
            arn, actions = _secret(res.names["secret"]), GET_SECRET
        elif kind == "topic":
            arn, actions = f"arn:aws:sns:{region}:{account}:{res.names['topic']}", {"sns:Publish"}
        elif kind == "subscription":
            arn, actions = f"arn:aws:sqs:{region}:{account}:{res.names['subscription']}", CONSUME
        elif kind == "bucket":
            target, actions = BUCKET_OPS[g.verb]
            arn = f"arn:aws:s3:::{res.names['bucket']}" + ("/*" if target == "objects" else "")
        else:
            raise AssertionError(f"unexpected grant {g}")
        if actions:
            need.setdefault(arn, set()).update(actions)
    signing_key = naming.make("aws.secretsmanager", plan.app, plan.env.name, "service-auth")
    need.setdefault(_secret(signing_key), set()).update(GET_SECRET)  # every service signs and verifies calls
    if plan.language is Language.TYPESCRIPT:  # its runtime reads ENCORE_RUNTIME_CONFIG_PATH=s3://… itself
        store = naming.make("aws.s3", plan.app, plan.env.name, "runtime-config")
        need.setdefault(f"arn:aws:s3:::{store}/runtime-config.pb", set()).add("s3:GetObject")
    # runtimes/core/src/metrics/exporter/aws.rs: PutMetricData into the configured namespace, and only there
    need[f"*?cloudwatch:namespace=Encore/{plan.app}/{plan.env.name}"] = {"cloudwatch:PutMetricData"}
    return need


def _normalise(arn: str) -> str:
    """Secrets Manager ARNs end in a random 6-character suffix: compare them by name."""
    if ":secret:" in arn:
        return _secret(arn.split(":secret:", 1)[1].rsplit("-", 1)[0])
    return arn


def actual(resources: list[dict[str, Any]], service: str) -> dict[str, set[str]] | None:
    name = f"service:{service}/access"
    policies = [p for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy") if p["name"] == name]
    if not policies:
        return None
    (pol,) = policies
    got: dict[str, set[str]] = {}
    for s in json.loads(pol["inputs"]["policy"])["Statement"]:
        if "Condition" in s:
            ((key, namespace),) = s["Condition"].pop("StringEquals").items()
            assert s == {"Effect": "Allow", "Action": ["cloudwatch:PutMetricData"], "Resource": "*", "Condition": {}}
            got[f"*?{key}={namespace}"] = set(s["Action"])
            continue
        assert s["Effect"] == "Allow" and set(s) == {"Effect", "Action", "Resource"}
        for arn in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]):
            got.setdefault(_normalise(arn), set()).update(s["Action"])
    return got


def check(plan: Plan, resources: list[dict[str, Any]]) -> set[str]:
    """Asserts every service's policy; returns every action granted."""
    roles = {r["name"]: r for r in of_type(resources, "aws:iam/role:Role")}
    services = [r.name for r in plan.of_kind(Kind.SERVICE)]
    granted: set[str] = set()
    for svc in services:
        assert f"service:{svc}/role" in roles, svc
        want, got = expected(plan, svc), actual(resources, svc)
        if not want:
            assert got is None, f"{svc} declares nothing but has a policy"
        else:
            assert got == want, svc
            granted.update(*want.values())
    assert len(roles) == len(services)
    return granted


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_roles_are_exact(name: str, env_type: str) -> None:
    check(fixture_plan(name, env_type), fixture_render(name, env_type).resources)


@pytest.mark.parametrize("language", ["typescript", "go"])
def test_synthetic_roles_are_exact(language: str) -> None:
    granted = check(synth_plan(10, "production", language), synth_render(10, "production", language).resources)
    every = GET_SECRET | CONSUME | {"sns:Publish", "cloudwatch:PutMetricData"}
    every |= set().union(*(acts for _, acts in BUCKET_OPS.values()))
    assert granted == every, "the synthetic app should exercise every mapping"


def test_trust_is_the_compute_principal() -> None:
    plan = fixture_plan("ai-chat", "production")
    for role in of_type(fixture_render("ai-chat", "production").resources, "aws:iam/role:Role"):
        doc = json.loads(role["inputs"]["assumeRolePolicy"])
        assert doc["Statement"] == [{"Effect": "Allow", "Principal": {"Service": plan.env.settings.compute_principal},
                                     "Action": "sts:AssumeRole"}]
        assert "managedPolicyArns" not in role["inputs"]

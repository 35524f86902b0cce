"""For every service of every fixture (and synthetic apps): its service account holds exactly the role bindings its
grants need, each on the resource it names.

The expected side is written from the baseline (§4.3) and runtime-expectations §6.3/§7/§8 here, independently of
providers/gcp/args.py, and the resource names from the plan's physical names.
"""

from __future__ import annotations

from typing import Any

import pytest
from gcpgraph import (
    ENV_TYPES,
    FIXTURE_NAMES,
    PROJECT_OF,
    fixture_plan,
    fixture_render,
    of_type,
    synth_plan,
    synth_render,
)

from orchestrator.core import naming
from orchestrator.core.model import Kind, Language
from orchestrator.core.plan import Plan

ACCESSOR = "roles/secretmanager.secretAccessor"
VIEWER, CREATOR, USER = "roles/storage.objectViewer", "roles/storage.objectCreator", "roles/storage.objectUser"
BUCKET_OPS: dict[str, set[str]] = {
    "list-objects": {VIEWER},
    "read-object-contents": {VIEWER},
    "get-object-metadata": {VIEWER},
    "signed-download-url": {VIEWER},
    "write-object": {CREATOR},
    "signed-upload-url": {CREATOR},
    "update-object-metadata": {USER},  # storage.objects.update; objectCreator cannot overwrite
    "delete-object": {USER},  # storage.objects.delete
    "get-public-url": set(),
}
SIGNING = {"signed-download-url", "signed-upload-url"}
"""runtimes/core/src/objects/gcs/bucket.rs signs with no key (sign_by None): IAM signBlob on the process's own
account."""

IAM_TYPES = {
    "gcp:pubsub/topicIAMMember:TopicIAMMember": ("topic", "topic"),
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": ("subscription", "subscription"),
    "gcp:storage/bucketIAMMember:BucketIAMMember": ("bucket", "bucket"),
    "gcp:secretmanager/secretIamMember:SecretIamMember": ("secret", "secretId"),
    "gcp:serviceaccount/iAMMember:IAMMember": ("service-account", "serviceAccountId"),
}
Binding = tuple[str, str, str, str | None]
"""(scope, resource, role, IAM condition expression)."""


def _email(plan: Plan, account_id: str, env_type: str) -> str:
    return f"{account_id}@{PROJECT_OF[env_type]}.iam.gserviceaccount.com"


def _secret(plan: Plan, env_type: str, secret_id: str) -> str:
    return f"projects/{PROJECT_OF[env_type]}/secrets/{secret_id}"


def expected(plan: Plan, service: str, env_type: str) -> set[Binding]:
    need: set[Binding] = set()
    for g in plan.grants_for(service):
        kind = g.resource.partition(":")[0]
        res = plan.get(g.resource)
        if kind == "service":
            continue
        if kind == "sql":
            need.add(("secret", _secret(plan, env_type, res.names["password_secret"]), ACCESSOR, None))
        elif kind == "cache":
            need.add(("secret", _secret(plan, env_type, res.names["auth_secret"]), ACCESSOR, None))
        elif kind == "secret":
            need.add(("secret", _secret(plan, env_type, res.names["secret"]), ACCESSOR, None))
        elif kind == "topic":
            need.add(("topic", res.names["topic"], "roles/pubsub.publisher", None))
        elif kind == "subscription":
            need.add(("subscription", res.names["subscription"], "roles/pubsub.subscriber", None))
        elif kind == "bucket":
            need |= {("bucket", res.names["bucket"], role, None) for role in BUCKET_OPS[g.verb]}
            if g.verb in SIGNING:
                account = plan.get(f"service:{service}").names["identity"]
                email = _email(plan, account, env_type)
                need.add(("service-account", f"projects/{PROJECT_OF[env_type]}/serviceAccounts/{email}",
                          "roles/iam.serviceAccountTokenCreator", None))
        else:
            raise AssertionError(f"unexpected grant {g}")
    signing_key = naming.make("gcp.secret", plan.app, plan.env.name, "service-auth")
    need.add(("secret", _secret(plan, env_type, signing_key), ACCESSOR, None))  # every service signs its calls
    if plan.language is Language.TYPESCRIPT:  # its runtime reads ENCORE_RUNTIME_CONFIG_PATH=gs://… itself
        store = naming.make("gcp.gcs", plan.app, plan.env.name, "runtime-config")
        need.add(("bucket", store, VIEWER,
                  f'resource.name == "projects/_/buckets/{store}/objects/{service}/runtime-config.pb"'))
    return need


def bindings_of(resources: list[dict[str, Any]], member: str) -> set[Binding]:
    got: set[Binding] = set()
    for r in resources:
        if r["type"] in IAM_TYPES and r["inputs"]["member"] == member:
            scope, key = IAM_TYPES[r["type"]]
            condition = (r["inputs"].get("condition") or {}).get("expression")
            got.add((scope, r["inputs"][key], r["inputs"]["role"], condition))
    return got


def check(plan: Plan, resources: list[dict[str, Any]], env_type: str) -> set[str]:
    """Asserts every service's bindings; returns every role granted to a service."""
    accounts = {r["inputs"]["accountId"]: r for r in of_type(resources, "gcp:serviceaccount/account:Account")}
    services = [r for r in plan.of_kind(Kind.SERVICE)]
    granted: set[str] = set()
    for svc in services:
        account_id = svc.names["identity"]
        assert account_id in accounts and accounts[account_id]["name"] == f"{svc.key}/account", svc.name
        member = f"serviceAccount:{_email(plan, account_id, env_type)}"
        want, got = expected(plan, svc.name, env_type), bindings_of(resources, member)
        assert got == want, svc.name
        granted |= {role for _, _, role, _ in got}
    sql_jobs = [a for a in accounts.values() if a["name"] == "sql-jobs/account"]
    assert len(accounts) == len(services) + len(sql_jobs)
    return granted


def check_sql_jobs(plan: Plan, resources: list[dict[str, Any]], env_type: str) -> None:
    """The SQL jobs' account reads the administrator's password and each database role's, nothing else."""
    databases = list(plan.of_kind(Kind.SQL))
    accounts = [a for a in of_type(resources, "gcp:serviceaccount/account:Account") if a["name"] == "sql-jobs/account"]
    if not databases:
        assert accounts == []
        return
    (account,) = accounts
    member = f"serviceAccount:{_email(plan, account['inputs']['accountId'], env_type)}"
    admin = naming.make("gcp.secret", plan.app, plan.env.name, "sql", "admin")
    want = {("secret", _secret(plan, env_type, s), ACCESSOR, None)
            for s in [admin, *(d.names["password_secret"] for d in databases)]}
    assert bindings_of(resources, member) == want
    for job in of_type(resources, "gcp:cloudrunv2/job:Job"):
        assert job["inputs"]["template"]["template"]["serviceAccount"] == member.removeprefix("serviceAccount:")


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_accounts_are_exact(name: str, env_type: str) -> None:
    plan, resources = fixture_plan(name, env_type), fixture_render(name, env_type).resources
    check(plan, resources, env_type)
    check_sql_jobs(plan, resources, env_type)


@pytest.mark.parametrize("language", ["typescript", "go"])
def test_synthetic_accounts_are_exact(language: str) -> None:
    plan, resources = synth_plan(10, "production", language), synth_render(10, "production", language).resources
    granted = check(plan, resources, "production")
    check_sql_jobs(plan, resources, "production")
    every = {ACCESSOR, "roles/pubsub.publisher", "roles/pubsub.subscriber", "roles/iam.serviceAccountTokenCreator"}
    every |= set().union(*BUCKET_OPS.values())
    assert granted == every, "the synthetic app should exercise every mapping"


def test_no_binding_is_made_for_anyone_else() -> None:
    """Every IAM member resource grants to a service, the SQL jobs, the Pub/Sub agent, or the two public cases."""
    plan = synth_plan(10, "production")
    resources = synth_render(10, "production").resources
    emails = {f"serviceAccount:{a['inputs']['accountId']}@acme-shop-prod.iam.gserviceaccount.com"
              for a in of_type(resources, "gcp:serviceaccount/account:Account")}
    agent = "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"
    others = {r["inputs"]["member"] for r in resources if r["type"] in IAM_TYPES} - emails - {agent}
    assert others <= {"allUsers", "group:cloud-storage-analytics@google.com"}
    assert not any(r["type"].startswith("gcp:projects/") for r in resources)
    assert plan.env.project == "acme-shop-prod"

"""Shared preview envs on AWS (issue 14): `pr-N` borrows aws-prod's servers and creates none of its own.

The zero-server-class assertion is made from `orchestrator graph` (the CLI, on a temporary stacks dir holding
aws-prod and a shared preview stack based on it) for every fixture app and for synthetic Go and TypeScript apps
with caches and buckets; the same graphs pass the preview baseline. Names carry the PR and fit AWS's limits for
the largest PR numbers, every grant stays within what the PR owns, and the runtime config points at the base's
endpoints with the PR's own databases, roles, prefixes and Redis database.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from awsgraph import (
    FIXTURE_NAMES,
    FIXTURES,
    REPO,
    STACKS,
    env,
    fixture_render,
    of_type,
    render,
    shared_env,
    shared_synth,
    synth_render,
)
from motoserver import Moto, server
from test_aws_sqldb import pg  # noqa: F401  (the real PostgreSQL fixture)

from bench import synth
from orchestrator import policy
from orchestrator.core import appmeta, naming
from orchestrator.core.errors import BadInput
from orchestrator.core.model import App, Kind
from orchestrator.core.plan import Plan, build
from orchestrator.engine import graph
from orchestrator.records import DeploymentRecord
from providers import sqladmin
from providers.aws import dataapi, mocks, prefix, sqldb
from providers.aws import policy as aws
from runtime_config.infra import Provisioned
from tests.providers.cloudgraph import synth_meta

ACCOUNT = mocks.ACCOUNT
PREFIX_TYPE = "pulumi-python:dynamic/orchestrator:BucketPrefix"

SERVER_CLASS = frozenset({
    "aws:rds/cluster:Cluster",
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:rds/instance:Instance",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/cluster:Cluster",
    "aws:elasticache/serverlessCache:ServerlessCache",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/eip:Eip",
})
"""Database servers and clusters, cache clusters, networks and NAT gateways: written out here, not imported, so
the assertion does not move with the code it checks."""

PR, SLOT = 7, 3
SHARED_STACK = f"""config:
  aws:region: eu-west-1
  orchestrator:cloud: aws
  orchestrator:envType: ephemeral
  orchestrator:base: aws-prod
  orchestrator:pr: {PR}
  orchestrator:previewSlot: {SLOT}
"""
ISOLATED_STACK = SHARED_STACK + "  orchestrator:previewStrategy: isolated\n"
SEPARATE_STACK = SHARED_STACK.replace(f"pr: {PR}", "pr: 9") + "  orchestrator:previewBuckets: separate\n"
SYNTH_APPS = ("go", "typescript")


# ---- the CLI on a temporary stacks dir ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """stacks/ with aws-prod and `pr-7` (shared, the default strategy) and `pr-8` (isolated); apps/ with synthetic
    Go and TypeScript apps (caches, public and private buckets, secrets, databases, topics)."""
    root = tmp_path_factory.mktemp("shared-preview")
    (root / "stacks").mkdir()
    shutil.copy(STACKS / "Pulumi.aws-prod.yaml", root / "stacks")
    (root / "stacks" / f"Pulumi.pr-{PR}.yaml").write_text(SHARED_STACK)
    (root / "stacks" / "Pulumi.pr-8.yaml").write_text(ISOLATED_STACK.replace(f"pr: {PR}", "pr: 8"))
    (root / "stacks" / "Pulumi.pr-9.yaml").write_text(SEPARATE_STACK)
    for language in SYNTH_APPS:
        synth.write(synth.synth_app(6, language=language), root / "apps" / language)
    return root


def cli(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_")}
    environ["PYTHONPATH"] = str(REPO)
    out = subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=workdir, env=environ, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out


def meta_of(workdir: Path, app: str) -> Path:
    return workdir / "apps" / app / "meta.pb" if app in SYNTH_APPS else FIXTURES / app / "meta.pb"


_GRAPHS: dict[tuple[str, str], list[dict[str, Any]]] = {}


def graph_of(workdir: Path, app: str, env_name: str = f"pr-{PR}") -> list[dict[str, Any]]:
    """`orchestrator graph --env ENV` for `app` (cached: each run renders the base and the preview under mocks)."""
    if (app, env_name) not in _GRAPHS:
        out = cli(workdir, "graph", "--env", env_name, "--meta", str(meta_of(workdir, app)))
        assert "base env aws-prod was never deployed" in out.stderr or env_name != f"pr-{PR}"
        _GRAPHS[app, env_name] = json.loads(out.stdout)
    return _GRAPHS[app, env_name]


APPS = (*FIXTURE_NAMES, *SYNTH_APPS)


@pytest.mark.parametrize("app", APPS)
def test_a_shared_preview_creates_no_server_class_resource(workdir: Path, app: str) -> None:
    resources = graph_of(workdir, app)
    found = sorted({r["type"] for r in resources} & SERVER_CLASS)
    assert found == [], f"{app}: a shared preview env creates {found}"
    assert all(r["options"]["protect"] is False for r in resources)
    (borrowed,) = of_type(resources, aws.BORROWED)
    assert borrowed["inputs"]["env"] == "aws-prod" and borrowed["inputs"]["keyPrefix"] == f"pr-{PR}/"


def test_the_assertion_would_catch_servers(workdir: Path) -> None:
    """The same app as an isolated preview (its own smallest servers) holds server-class resources: the list and the
    graph speak the same type tokens."""
    resources = graph_of(workdir, "go", "pr-8")
    assert {"aws:rds/cluster:Cluster", "aws:elasticache/replicationGroup:ReplicationGroup",
            "aws:ec2/vpc:Vpc"} <= {r["type"] for r in resources}
    assert not of_type(resources, aws.BORROWED)


@pytest.mark.parametrize("app", APPS)
def test_shared_preview_graphs_meet_the_preview_baseline(workdir: Path, app: str) -> None:
    found = policy.blocking(policy.evaluate(graph_of(workdir, app), "ephemeral", aws.RULES))
    assert found == [], "\n".join(map(str, found))


def test_the_policy_gate_refuses_a_server_in_a_shared_preview(workdir: Path) -> None:
    resources = graph_of(workdir, "go")
    cluster = dict(of_type(graph_of(workdir, "go", "pr-8"), "aws:rds/cluster:Cluster")[0])
    found = policy.blocking(policy.evaluate([*resources, cluster], "ephemeral", aws.RULES))
    assert [v.urn for v in found if v.rule == "PV-08"] == [cluster["urn"]]


def test_separate_buckets_are_the_prs_own_and_destroyable(workdir: Path) -> None:
    """`previewBuckets: separate`: buckets of the PR's own (named with pr-9, force-destroyable, no prefix resource,
    no grant on the base's buckets) while everything else is still borrowed and nothing is server-class."""
    resources = graph_of(workdir, "go", "pr-9")
    assert not {r["type"] for r in resources} & SERVER_CLASS
    assert of_type(resources, aws.BORROWED) and not of_type(resources, PREFIX_TYPE)
    buckets = of_type(resources, "aws:s3/bucketV2:BucketV2") or of_type(resources, "aws:s3/bucket:Bucket")
    assert buckets and all("pr-9" in b["inputs"]["bucket"] and b["inputs"]["forceDestroy"] is True for b in buckets)
    found = policy.blocking(policy.evaluate(resources, "ephemeral", aws.RULES))
    assert found == [], "\n".join(map(str, found))
    base = json.loads(cli(workdir, "runtime-config", "--env", "aws-prod", "--meta", str(meta_of(workdir, "go")),
                          "--offline", "--format", "infra-json").stdout)
    doc = json.loads(cli(workdir, "runtime-config", "--env", "pr-9", "--meta", str(meta_of(workdir, "go")),
                         "--offline", "--format", "infra-json").stdout)
    base_names = {b["name"] for s in base["object_storage"] for b in s["buckets"].values()}
    (storage,) = doc["object_storage"]
    assert storage["buckets"] and all("key_prefix" not in b and b["name"] not in base_names and "pr-9" in b["name"]
                                      for b in storage["buckets"].values())
    assert doc["sql_servers"][0]["host"] == base["sql_servers"][0]["host"]


def test_the_runtime_config_points_at_the_base_with_the_prs_own_names(workdir: Path) -> None:
    """runtime-config --offline: the base's cluster, Redis and buckets; the PR's databases, roles, prefix and Redis
    database (Go: runtimes/go/storage/cache/manager_internal.go reads `database`, never `key_prefix`)."""
    base = cli(workdir, "runtime-config", "--env", "aws-prod", "--meta", str(meta_of(workdir, "go")), "--offline",
               "--format", "infra-json")
    pr = cli(workdir, "runtime-config", "--env", f"pr-{PR}", "--meta", str(meta_of(workdir, "go")), "--offline",
             "--format", "infra-json")
    base_doc, doc = json.loads(base.stdout), json.loads(pr.stdout)
    assert [s["host"] for s in doc["sql_servers"]] == [s["host"] for s in base_doc["sql_servers"]]
    (server,) = doc["sql_servers"]
    assert server["databases"] and all(f"go_pr_{PR}_" in name and f"go_pr_{PR}_" in db["username"]
                                       for name, db in server["databases"].items())
    assert doc["redis"] and set(doc["redis"]) == set(base_doc["redis"])
    for name, cache in doc["redis"].items():
        assert cache["host"] == base_doc["redis"][name]["host"]
        assert cache["database_index"] == SLOT and base_doc["redis"][name]["database_index"] == 0
    (storage,) = doc["object_storage"]
    (base_storage,) = base_doc["object_storage"]
    for name, bucket in storage["buckets"].items():
        assert bucket["name"] == base_storage["buckets"][name]["name"] and bucket["key_prefix"] == f"pr-{PR}/"
        if "public_base_url" in base_storage["buckets"][name]:
            assert bucket["public_base_url"] == base_storage["buckets"][name]["public_base_url"] + f"/pr-{PR}"
    assert any("public_base_url" in b for b in storage["buckets"].values())
    assert doc["metadata"]["env_name"] == f"pr-{PR}"


def test_typescript_caches_share_the_base_database_under_the_prs_key_prefix() -> None:
    """runtimes/core/src/cache/client.rs prefixes every key with `key_prefix`."""
    plan, rendered = shared_synth(10, "typescript")
    record = Provisioned.model_validate(rendered.outputs["provisioned"])
    assert record.caches and all(c.database_index == 0 and (c.key_prefix or "").startswith(f"pr-{PR}/")
                                 for c in record.caches)
    base = synth_render(10, "production", "typescript").outputs["provisioned"]
    assert {c.host for c in record.caches} == {c["host"] for c in base["caches"]}
    assert plan.borrowed is not None


# ---- the base's shares ------------------------------------------------------------------------------------------


def test_the_base_shares_what_a_preview_borrows_and_no_secret_value() -> None:
    canary = "canary-password-do-not-leak-0123456789"
    base_plan, rendered = _base(10, "typescript", canary)
    shares = rendered.outputs["shares"]
    assert "shares" not in rendered.secret_outputs
    assert canary not in json.dumps(shares)
    assert set(shares) == {"cloud", "env", "region", "network", "sql", "caches", "buckets", "secrets"}
    assert shares["sql"]["dbClusterArn"].startswith("arn:aws:rds:eu-west-1:")
    assert shares["sql"]["masterUserSecretArn"].startswith("arn:aws:secretsmanager:")
    assert shares["sql"]["port"] == 5432 and shares["sql"]["engineVersion"]
    assert set(shares["network"]["securityGroupIds"]) == {"services", "sql", "cache"}
    assert len(shares["network"]["privateSubnetIds"]) == 2 and shares["network"]["vpcId"].startswith("vpc-")
    assert set(shares["caches"]) == {r.name for r in base_plan.of_kind(Kind.CACHE)}
    assert set(shares["buckets"]) == {r.name for r in base_plan.of_kind(Kind.BUCKET)}
    assert set(shares["secrets"]) == {r.name for r in base_plan.of_kind(Kind.SECRET)}
    assert all(set(c) == {"primaryEndpointAddress", "port", "authTokenSecretArn"} for c in shares["caches"].values())
    record = DeploymentRecord.new(base_plan, Provisioned.model_validate(rendered.outputs["provisioned"]),
                                  shares=shares, secret_values=[canary])
    assert record.shares == shares


def test_a_preview_lends_nothing() -> None:
    _, rendered = shared_synth(4)
    assert "shares" not in rendered.outputs


def _synth_app(services: int, language: str) -> App:
    return appmeta.load_bytes(synth_meta(services, language), where="synth", name="synth")


def _base(services: int, language: str, password: str) -> tuple[Plan, graph.Rendered]:
    plan = build(_synth_app(services, language), env("production"))
    return plan, render(plan, password=password)


# ---- names -------------------------------------------------------------------------------------------------------

LARGEST_PR = 999_999_999
"""`preview-env up --pr` takes up to nine digits (orchestrator/preview_env/verbs.py)."""


@pytest.mark.parametrize("language", SYNTH_APPS)
def test_names_carry_the_pr_and_fit_every_aws_limit(language: str) -> None:
    plan, rendered = shared_synth(10, language, pr=LARGEST_PR)
    slug = f"pr-{LARGEST_PR}"
    found = [v for v in policy.evaluate(rendered.resources, "ephemeral", aws.RULES) if v.rule == "PV-05"]
    assert found == [], "\n".join(map(str, found))
    named = [r for r in rendered.resources if r["type"] in aws.NAME_LIMITS]
    assert {r["type"] for r in named} >= {aws.SECRET, aws.IAM_ROLE, aws.SQS_QUEUE, aws.SNS_TOPIC}
    for r in named:
        key, limit = aws.NAME_LIMITS[r["type"]]
        assert slug in r["inputs"][key] and len(r["inputs"][key]) <= limit, r["inputs"][key]
    for db in of_type(rendered.resources, aws.SQL_DATABASE):
        for key in ("database", "role"):
            assert f"pr_{LARGEST_PR}" in db["inputs"][key] and naming.is_valid("postgres", db["inputs"][key])
    record = Provisioned.model_validate(rendered.outputs["provisioned"])
    assert record.caches and all((c.key_prefix or "").startswith(f"{slug}/") for c in record.caches)
    assert record.object_storage and all(b.key_prefix == f"{slug}/" for b in record.object_storage.buckets)
    assert plan.env.name == slug


@pytest.mark.parametrize("app", FIXTURE_NAMES)
def test_fixture_names_carry_the_pr_and_fit_for_the_largest_pr(app: str) -> None:
    shares = fixture_render(app, "production").outputs["shares"]
    plan = build(appmeta.load(FIXTURES / app / "meta.pb"), shared_env(LARGEST_PR), shares)
    resources = render(plan).resources
    found = [v for v in policy.evaluate(resources, "ephemeral", aws.RULES) if v.rule == "PV-05"]
    assert found == [], "\n".join(map(str, found))
    assert any(r["type"] in aws.NAME_LIMITS for r in resources)
    for db in of_type(resources, aws.SQL_DATABASE):
        assert all(f"pr_{LARGEST_PR}" in db["inputs"][k] and naming.is_valid("postgres", db["inputs"][k])
                   for k in ("database", "role"))


# ---- grants --------------------------------------------------------------------------------------------------------


def _policies(resources: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Service -> the statements of its role's policy."""
    return {r["name"].split(":", 1)[1].split("/", 1)[0]: json.loads(r["inputs"]["policy"])["Statement"]
            for r in of_type(resources, aws.IAM_ROLE_POLICY)}


def _resources(statements: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for s in statements:
        for arn in s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]:
            yield arn, s


@pytest.mark.parametrize("language", SYNTH_APPS)
def test_grants_name_only_what_the_pr_owns_and_reads(language: str) -> None:
    """Topics, queues and database passwords: the PR's own; buckets: the PR's prefix in the base's; secrets: the
    base's app secrets and cache AUTH tokens (read), never the cluster's master secret."""
    plan, rendered = shared_synth(10, language)
    assert plan.borrowed is not None
    lent = plan.borrowed
    readable = {s["arn"] for s in lent["secrets"].values()} | {c["authTokenSecretArn"] for c in lent["caches"].values()}
    buckets = {b["arn"] for b in lent["buckets"].values()}
    store = naming.make("aws.s3", "synth", f"pr-{PR}", "runtime-config")  # the PR's own (TypeScript's config)
    seen: set[str] = set()
    for service, statements in _policies(rendered.resources).items():
        for arn, s in _resources(statements):
            assert arn != lent["sql"]["masterUserSecretArn"] and arn != lent["sql"]["dbClusterArn"]
            if arn == "*":
                assert s["Condition"] == {"StringEquals": {"cloudwatch:namespace": f"Encore/synth/pr-{PR}"}}
            elif arn == f"arn:aws:s3:::{store}/runtime-config.pb":
                assert s["Action"] == ["s3:GetObject"] and language == "typescript"
            elif arn.startswith("arn:aws:s3:::"):
                bucket, _, key = arn.partition("/")
                assert bucket in buckets, (service, arn)
                if key:
                    assert key == f"pr-{PR}/*", (service, arn)
                else:
                    assert s["Condition"] == {"StringLike": {"s3:prefix": [f"pr-{PR}/*"]}}
                    assert s["Action"] == ["s3:ListBucket"]
                seen.add("bucket")
            elif arn in readable:
                assert s["Action"] == ["secretsmanager:GetSecretValue"]
                seen.add("borrowed-secret")
            else:
                assert f"-pr-{PR}-" in arn.rsplit(":", 1)[-1], (service, arn)
                seen.add(arn.split(":")[2])
    assert seen >= {"bucket", "borrowed-secret", "sns", "sqs", "secretsmanager"}


def test_a_service_gets_exactly_its_own_grants() -> None:
    """One service, resource by resource: what its declared grants bind to in the PR, plus its signing key."""
    plan, rendered = shared_synth(10, "typescript")
    assert plan.borrowed is not None
    service = "svc-1"
    expected: set[str] = set()
    for grant in plan.grants_for(service):
        res = plan.get(grant.resource)
        if res.kind is Kind.TOPIC:
            expected.add(f"arn:aws:sns:eu-west-1:{ACCOUNT}:{res.names['topic']}")
        elif res.kind is Kind.SUBSCRIPTION:
            expected.add(f"arn:aws:sqs:eu-west-1:{ACCOUNT}:{res.names['subscription']}")
        elif res.kind is Kind.BUCKET:
            arn = plan.borrowed["buckets"][res.name]["arn"]
            expected.add(f"{arn}/pr-{PR}/*")
            if grant.verb == "list-objects":
                expected.add(arn)
        elif res.kind is Kind.CACHE:
            expected.add(plan.borrowed["caches"][res.name]["authTokenSecretArn"])
        elif res.kind is Kind.SECRET:
            expected.add(plan.borrowed["secrets"][res.name]["arn"])
        elif res.kind is Kind.SQL:
            expected.add(_secret_arn(res.names["password_secret"]))
    expected.add(_secret_arn(naming.make("aws.secretsmanager", "synth", f"pr-{PR}", "service-auth")))
    store = naming.make("aws.s3", "synth", f"pr-{PR}", "runtime-config")
    expected.add(f"arn:aws:s3:::{store}/runtime-config.pb")
    found = {arn for arn, _ in _resources(_policies(rendered.resources)[service])} - {"*"}
    assert len(plan.grants_for(service)) >= 3
    assert found == expected


def _secret_arn(name: str) -> str:
    return mocks._secret("eu-west-1", {"name": name}, "")[0]


def test_the_cluster_master_secret_in_a_service_policy_is_refused() -> None:
    plan, rendered = shared_synth(10)
    assert plan.borrowed is not None
    policy_res = of_type(rendered.resources, aws.IAM_ROLE_POLICY)[0]
    doc = json.loads(policy_res["inputs"]["policy"])
    doc["Statement"].append({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                             "Resource": plan.borrowed["sql"]["masterUserSecretArn"]})
    policy_res["inputs"]["policy"] = json.dumps(doc)
    found = policy.blocking(policy.evaluate(rendered.resources, "ephemeral", aws.RULES))
    assert [v.rule for v in found] == ["R-IAM-02"]


# ---- secrets -------------------------------------------------------------------------------------------------------


def test_secrets_are_read_from_the_base_unless_the_pr_keeps_its_own() -> None:
    own = "SharedToken"
    plan, rendered = shared_synth(10, own=(own,))
    assert plan.borrowed is not None
    record = Provisioned.model_validate(rendered.outputs["provisioned"])
    sources = {s.encore_name: s.ref.source for s in record.secrets}
    assert own in sources and len(sources) > 1
    for name, source in sources.items():
        if name == own:
            assert source == _secret_arn(naming.make("aws.secretsmanager", "synth", f"pr-{PR}", "secret", own))
        else:
            assert source == plan.borrowed["secrets"][name]["arn"]
    made = [r["inputs"]["name"] for r in of_type(rendered.resources, aws.SECRET)]
    assert sum(f"-secret-{own}" in n for n in made) == 1
    assert not any("-secret-" in n and own not in n for n in made)


# ---- refusals ----------------------------------------------------------------------------------------------------


def test_a_base_without_a_cluster_is_refused_by_name() -> None:
    app = _synth_app(4, "go")
    plan = build(app, shared_env(), {"cloud": "aws", "env": "aws-prod", "region": "eu-west-1"})
    with pytest.raises(BadInput, match="base env aws-prod lends no SQL cluster"):
        render(plan)


def test_go_caches_need_the_prs_redis_database() -> None:
    app = _synth_app(10, "go")
    base = synth_render(10, "production", "go").outputs["shares"]
    env = shared_env().model_copy(update={"slot": None})
    with pytest.raises(BadInput, match="orchestrator:previewSlot"):
        render(build(app, env, base))


# ---- the PR's databases on the base's cluster --------------------------------------------------------------------

PROPS: dict[str, Any] = {
    "clusterArn": "arn:aws:rds:eu-west-1:123456789012:cluster:shop-aws-prod-sql",
    "adminSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-abc",
    "loginSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-pr-7-sql-orders-login",
    "region": "eu-west-1",
    "database": "shop_pr_7_orders",
    "role": "shop_pr_7_orders_user",
    "password": "pw-1",
    "migrations": [],
    "nonSequential": False,
    "owner": sqldb.owner_mark("shop", "pr-7"),
}


class MarkedServer:
    """A recording executor that answers the ownership-mark queries with `marks` (what is on the server)."""

    def __init__(self, marks: dict[str, str | None]) -> None:
        self.marks, self.queries = marks, []

    def __call__(self, **_kw: Any) -> MarkedServer:
        return self

    def query(self, sql: str, params: Sequence[Any] = (), *, database: str | None = None) -> list[tuple[Any, ...]]:
        self.queries.append(sql)
        if "pg_authid') FROM pg_roles" in sql:
            return [(self.marks["role"],)] if "role" in self.marks else []
        if "FROM pg_database d WHERE d.datname" in sql:
            return [(self.marks["database"],)] if "database" in self.marks else []
        if "session_user" in sql:
            return [(PROPS["role"], PROPS["role"], False)]
        if "rolsuper" in sql:
            return [(False,)]
        return []

    def transaction(self, statements: Sequence[tuple[str, Sequence[Any]]], *, database: str) -> None:
        self.queries += [s for s, _ in statements]


def test_a_prs_database_carries_its_mark(monkeypatch: pytest.MonkeyPatch) -> None:
    server = MarkedServer({})
    monkeypatch.setattr(dataapi, "RdsDataApiExecutor", server)
    sqldb.converge(PROPS)
    mark = sqladmin.quote_literal(PROPS["owner"])
    assert f'COMMENT ON DATABASE "shop_pr_7_orders" IS {mark}' in server.queries
    assert any(q.startswith("DO $orchestrator$ BEGIN CREATE ROLE") and mark in q for q in server.queries)


def test_a_database_another_env_owns_is_never_touched(monkeypatch: pytest.MonkeyPatch) -> None:
    server = MarkedServer({"database": sqldb.owner_mark("shop", "aws-prod")})
    monkeypatch.setattr(dataapi, "RdsDataApiExecutor", server)
    with pytest.raises(BadInput, match="database shop_pr_7_orders exists on the cluster and is not this env's"):
        sqldb.converge(PROPS)
    with pytest.raises(BadInput, match="not this env's"):
        sqldb.remove(PROPS)
    assert not any(q.startswith(("CREATE", "ALTER", "DROP", "GRANT", "REVOKE")) for q in server.queries)


def test_down_drops_the_prs_database_and_role_only(monkeypatch: pytest.MonkeyPatch) -> None:
    server = MarkedServer({"database": PROPS["owner"], "role": PROPS["owner"]})
    monkeypatch.setattr(dataapi, "RdsDataApiExecutor", server)
    sqldb._Provider().delete("id", dict(PROPS))
    assert [q for q in server.queries if q.startswith("DROP")] == [
        'DROP DATABASE IF EXISTS "shop_pr_7_orders" WITH (FORCE)', 'DROP ROLE IF EXISTS "shop_pr_7_orders_user"']
    unowned = MarkedServer({})
    monkeypatch.setattr(dataapi, "RdsDataApiExecutor", unowned)
    sqldb._Provider().delete("id", {k: v for k, v in PROPS.items() if k != "owner"})
    assert unowned.queries == []  # a database on the env's own cluster goes with the cluster


# ---- the PR's prefix in the base's buckets ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    yield from server(tmp_path_factory.mktemp("moto"))


@pytest.mark.local
def test_down_empties_the_prs_prefix_and_nothing_else(moto: Moto) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="shop-aws-prod-uploads")
    s3.put_bucket_versioning(Bucket="shop-aws-prod-uploads", VersioningConfiguration={"Status": "Enabled"})
    keys = ["pr-7/a.txt", "pr-7/dir/b.txt", "pr-70/c.txt", "pr-7.txt", "base.txt"]
    for key in [*keys, "pr-7/a.txt"]:  # a second version of pr-7/a.txt
        s3.put_object(Bucket="shop-aws-prod-uploads", Key=key, Body=b"x")
    s3.delete_object(Bucket="shop-aws-prod-uploads", Key="pr-7/dir/b.txt")  # a delete marker

    deleted = prefix.empty("shop-aws-prod-uploads", "pr-7/", region=None, client=s3)

    assert deleted == 4  # the two versions of a.txt, b.txt and its delete marker
    left = s3.list_object_versions(Bucket="shop-aws-prod-uploads")
    assert sorted(v["Key"] for v in left.get("Versions", [])) == ["base.txt", "pr-7.txt", "pr-70/c.txt"]
    assert left.get("DeleteMarkers", []) == []


@pytest.mark.parametrize("bad", ["", "/", "pr-7", "*", "pr-7/*", "../"])
def test_only_a_preview_envs_prefix_is_ever_emptied(bad: str) -> None:
    with pytest.raises(BadInput, match="not a preview env's key prefix"):
        prefix.empty("shop-aws-prod-uploads", bad, region=None, client=object())


def test_each_borrowed_bucket_has_its_prefix_resource() -> None:
    plan, rendered = shared_synth(10)
    assert plan.borrowed is not None
    found = {(r["inputs"]["bucket"], r["inputs"]["prefix"]) for r in of_type(rendered.resources, PREFIX_TYPE)}
    assert found == {(b["bucket"], f"pr-{PR}/") for b in plan.borrowed["buckets"].values()}


@pytest.mark.local
def test_a_prs_database_is_its_own_on_a_real_server(pg: Any, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """The base's database (made without a mark, as on the base's own cluster) and the PR's (marked) on one server:
    neither role reaches the other's database; `down` drops the PR's database and role, and refuses the base's."""
    from providers.local.sql import PgExecutor

    base = dict(PROPS, database="shop_aws_prod_orders", role="shop_aws_prod_orders_user", password="base-pw",
                loginSecretArn="base-login")
    base.pop("owner")
    passwords = {PROPS["loginSecretArn"]: (PROPS["role"], PROPS["password"], PROPS["database"]),
                 "base-login": (base["role"], base["password"], base["database"])}
    executors: list[PgExecutor] = []

    def executor(**kw: Any) -> PgExecutor:
        login = pg if kw["secret_arn"] == PROPS["adminSecretArn"] else replace(
            pg, user=passwords[kw["secret_arn"]][0], password=passwords[kw["secret_arn"]][1],
            database=passwords[kw["secret_arn"]][2])
        executors.append(PgExecutor(login))
        return executors[-1]

    monkeypatch.setattr(dataapi, "RdsDataApiExecutor", executor)
    try:
        sqldb.converge(base)
        sqldb.converge(PROPS)
        for (role, password, _), (_, _, other) in itertools.permutations(passwords.values()):
            with pytest.raises(psycopg.OperationalError, match="permission denied"):
                psycopg.connect(host=pg.host, port=pg.port, user=role, password=password, dbname=other)
        with pytest.raises(BadInput, match="not this env's"):
            sqldb.remove(dict(base, owner=PROPS["owner"]))
        sqldb._Provider().delete("id", dict(PROPS))
        admin = PgExecutor(pg)
        executors.append(admin)
        assert admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'shop_%%' ORDER BY 1") == [
            ("shop_aws_prod_orders",)]
        assert admin.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'shop_%%' ORDER BY 1") == [
            ("shop_aws_prod_orders_user",)]
    finally:
        for ex in executors:
            ex.close()

"""A shared preview env on GCP (issue 14): on its base env's Cloud SQL instance, Memorystore, network, buckets and
secrets, creating no server-class resource; what the base lends (`shares`); its names, grants and runtime config.

The zero-server-class assertion runs the real `orchestrator graph` on a stacks dir holding gcp-prod and a shared
preview stack `pr-7` whose base is gcp-prod (never deployed: the CLI borrows what the base's program shares under
mocks, pipeline.borrowed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from gcpgraph import FIXTURE_NAMES, FIXTURES, REPO, STACKS, render
from test_gcp_least_privilege import ACCESSOR, BUCKET_OPS, SIGNING, VIEWER, Binding, bindings_of

from bench.synth import synth_app
from orchestrator import policy, stacks
from orchestrator.core import appmeta, naming
from orchestrator.core.model import App, Kind, Language
from orchestrator.core.plan import Plan, build
from orchestrator.engine import graph
from orchestrator.engine.target import shares_from
from providers.gcp import policy as gcp
from runtime_config.schema import runtime_pb2

SERVER_CLASS = frozenset({
    "gcp:sql/databaseInstance:DatabaseInstance",
    "gcp:alloydb/cluster:Cluster",
    "gcp:alloydb/instance:Instance",
    "gcp:redis/instance:Instance",
    "gcp:redis/cluster:Cluster",
    "gcp:memorystore/instance:Instance",
    "gcp:compute/network:Network",
    "gcp:compute/subnetwork:Subnetwork",
    "gcp:compute/globalAddress:GlobalAddress",
    "gcp:compute/router:Router",
    "gcp:compute/routerNat:RouterNat",
    "gcp:servicenetworking/connection:Connection",
    "gcp:vpcaccess/connector:Connector",
})
"""Database servers, cache instances, networks and what makes a network reachable, written here independently of
providers/gcp/policy.py."""

BASE = "gcp-prod"
PR = 7
SLOT = 3
FIDELITY = ("fidelity/go-shop", "fidelity/ts-shop")
"""Beside the shared set: go-shop is the one fixture with caches, ts-shop has a public bucket."""
APPS = (*FIXTURE_NAMES, *FIDELITY)


def preview_stack(pr: int = PR, *, slot: int | None = SLOT, own: tuple[str, ...] = ()) -> str:
    lines = ["config:", "  gcp:project: acme-shop-prod", "  gcp:region: europe-west1", "  orchestrator:cloud: gcp",
             "  orchestrator:envType: ephemeral", f"  orchestrator:base: {BASE}", f"  orchestrator:pr: {pr}"]
    if slot is not None:
        lines.append(f"  orchestrator:previewSlot: {slot}")
    if own:
        lines.append(f"  orchestrator:previewOwnSecrets: [{', '.join(own)}]")
    return "\n".join(lines) + "\n"


def write_stacks(root: Path, previews: dict[str, str]) -> Path:
    folder = root / "stacks"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"Pulumi.{BASE}.yaml").write_text((STACKS / f"Pulumi.{BASE}.yaml").read_text())
    for name, text in previews.items():
        (folder / f"Pulumi.{name}.yaml").write_text(text)
    return folder


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gcp-shared")
    write_stacks(root, {f"pr-{PR}": preview_stack()})
    return root


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("ORCHESTRATOR_STATE_STORE", "ORCHESTRATOR_HOME")}
    return subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=cwd, capture_output=True, timeout=300,
                          env={**env, "PYTHONPATH": str(REPO)})


# ---- in-process renders (base under mocks -> its shares -> the preview) ---------------------------------------------


def _app(name: str) -> App:
    if name.startswith("synth-"):
        language = name.removeprefix("synth-")
        data = synth_app(6, language=language).SerializeToString()
        return appmeta.load_bytes(data, where="synth", name="synth")
    return appmeta.load(FIXTURES / name / "meta.pb")


@cache
def _base(name: str) -> graph.Rendered:
    return render(build(_app(name), stacks.load(STACKS, BASE)))


@cache
def _stacks_dir(key: str, text: str) -> Path:
    import tempfile

    return write_stacks(Path(tempfile.mkdtemp(prefix="gcp-shared-")), {key: text})


def shared_plan(name: str, pr: int = PR, *, slot: int | None = SLOT, own: tuple[str, ...] = ()) -> Plan:
    env_name = f"pr-{pr}"
    env = stacks.load(_stacks_dir(env_name, preview_stack(pr, slot=slot, own=own)), env_name)
    return build(_app(name), env, shares_from(_base(name).outputs))


@cache
def _shared(name: str, pr: int = PR, slot: int | None = SLOT, own: tuple[str, ...] = ()) -> graph.Rendered:
    return render(shared_plan(name, pr, slot=slot, own=own))


def lent(name: str) -> dict[str, Any]:
    return shares_from(_base(name).outputs)


# ---- zero server-class resources, from `orchestrator graph` ---------------------------------------------------------


@pytest.mark.parametrize("name", APPS)
def test_graph_of_a_shared_preview_holds_no_server_class_resource(project: Path, name: str) -> None:
    out = cli(project, "graph", "--env", f"pr-{PR}", "--meta", str(FIXTURES / name / "meta.pb"),
              "--output", f"{name.replace('/', '-')}.json")
    assert out.returncode == 0, out.stderr.decode()
    resources = json.loads((project / f"{name.replace('/', '-')}.json").read_text())
    made = sorted({r["type"] for r in resources} & SERVER_CLASS)
    assert made == [], f"pr-{PR} creates {made}"
    assert "base env gcp-prod was never deployed" in out.stderr.decode()
    servers_in_base = {r["type"] for r in _base(name).resources} & SERVER_CLASS
    app = _app(name)
    if app.databases or app.caches:  # the assertion above can fail: the same app makes them in its base
        assert servers_in_base, name
    (provider,) = [r for r in resources if r["type"] == "pulumi:providers:gcp"]
    labels = json.loads(provider["inputs"]["defaultLabels"])
    assert labels["env"] == f"pr-{PR}" and labels["pr"] == str(PR) and labels["borrows-from"] == BASE


def test_the_base_program_makes_the_server_class_resources_the_test_lists() -> None:
    types = {r["type"] for r in _base("fidelity/go-shop").resources}
    assert {"gcp:sql/databaseInstance:DatabaseInstance", "gcp:redis/instance:Instance", "gcp:compute/network:Network",
            "gcp:servicenetworking/connection:Connection"} <= types


def test_policy_lists_at_least_the_server_class_types() -> None:
    assert set(gcp.SERVER_CLASS) >= SERVER_CLASS


# ---- what the base lends ---------------------------------------------------------------------------------------------


CANARY = "canary-Lent7pW3xR9sT2vB"


def test_base_lends_its_servers_network_buckets_and_secrets_by_id() -> None:
    app = _app("fidelity/go-shop")
    rendered = graph.render_full(build(app, stacks.load(STACKS, BASE)), password=CANARY)
    shares = shares_from(rendered.outputs)
    assert "shares" not in rendered.secret_outputs and CANARY not in json.dumps(shares)
    assert shares["project"] == "acme-shop-prod" and shares["env"] == BASE
    assert shares["network"]["network"] == "projects/acme-shop-prod/global/networks/" + _named(
        rendered, "gcp:compute/network:Network")
    (instance,) = [r for r in rendered.resources if r["type"] == "gcp:sql/databaseInstance:DatabaseInstance"]
    sql = shares["sql"]
    assert sql["instance"] == instance["inputs"]["name"]
    assert sql["connection_name"] == f"acme-shop-prod:europe-west1:{instance['inputs']['name']}"
    assert sql["private_ip"] + ":5432" == rendered.outputs["provisioned"]["sql_servers"][0]["host"]
    admin_ids = {r["inputs"]["secretId"] for r in rendered.resources
                 if r["type"] == "gcp:secretmanager/secret:Secret" and r["name"] == "sql-server:default/admin"}
    assert sql["admin_secret"] in {f"projects/acme-shop-prod/secrets/{i}" for i in admin_ids}
    assert sql["job_account"].startswith(_named(rendered, "gcp:serviceaccount/account:Account", "sql-jobs/account"))
    assert set(shares["caches"]) == {c.name for c in app.caches}
    for cache_name, entry in shares["caches"].items():
        record = next(c for c in rendered.outputs["provisioned"]["caches"] if c["encore_name"] == cache_name)
        assert f"{entry['host']}:{entry['port']}" == record["host"]
        assert entry["auth_secret"] + "/versions/latest" == record["auth"]["source"]
    assert set(shares["buckets"]) == {b.name for b in app.buckets}
    assert set(shares["secrets"]) == {s.name for s in app.secrets}
    assert all(v.startswith("projects/acme-shop-prod/secrets/go-shop-gcp-prod-") for v in shares["secrets"].values())


def _named(rendered: graph.Rendered, typ: str, logical: str | None = None) -> str:
    (found,) = [r for r in rendered.resources if r["type"] == typ and (logical is None or r["name"] == logical)]
    return str(found["inputs"].get("name") or found["inputs"].get("accountId"))


def test_previews_lend_nothing() -> None:
    app = _app("ts-uptime")
    isolated = render(build(app, stacks.load(STACKS, "gcp-preview")))
    assert "shares" not in isolated.outputs
    assert "shares" not in _shared("ts-uptime").outputs


def test_separate_buckets_are_the_prs_own_and_destroyable() -> None:
    """`previewBuckets: separate`: buckets of the PR's own (named with pr-9, force-destroyable, no grant on the base's
    buckets) while SQL and the network are still the base's and nothing is server-class."""
    app = _app("synth-typescript")
    env = stacks.load(_stacks_dir("pr-9", preview_stack(9) + "  orchestrator:previewBuckets: separate\n"), "pr-9")
    resources = render(build(app, env, shares_from(_base("synth-typescript").outputs))).resources
    assert not {r["type"] for r in resources} & SERVER_CLASS
    assert policy.blocking(policy.evaluate(resources, "ephemeral", gcp.RULES)) == []
    own = [r for r in resources if r["type"] == "gcp:storage/bucket:Bucket" and "orchestrator:gcp:Bucket" in r["urn"]]
    assert len(own) == len(app.buckets) and all("pr-9" in r["inputs"]["name"] and r["inputs"]["forceDestroy"] is True
                                                for r in own)
    lent_names = {b["name"] for b in lent("synth-typescript")["buckets"].values()}
    members = [r for r in resources if r["type"] == "gcp:storage/bucketIAMMember:BucketIAMMember"]
    assert members and not {r["inputs"]["bucket"] for r in members} & lent_names
    assert any(r["type"] == "gcp:sql/database:Database" for r in resources)


# ---- baseline, names, grants -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*APPS, "synth-typescript", "synth-go"])
def test_shared_previews_meet_the_preview_baseline(name: str) -> None:
    resources = _shared(name).resources
    found = policy.blocking(policy.evaluate(resources, "ephemeral", gcp.RULES))
    assert found == [], [str(v) for v in found]
    assert not {r["type"] for r in resources} & SERVER_CLASS


BIG_PR = 2_147_483_647


@pytest.mark.parametrize("name", ["replicate-image-generator", "go-webhook-processor", "synth-go", "synth-typescript"])
def test_names_carry_the_pr_and_fit_gcp_limits_for_large_pr_numbers(name: str) -> None:
    rendered = _shared(name, BIG_PR)
    slug = f"pr-{BIG_PR}"
    limits = {**gcp.NAME_LIMITS, "gcp:sql/database:Database": ("name", 63)}
    checked = 0
    for r in rendered.resources:
        if r["type"] not in limits:
            continue
        key, limit = limits[r["type"]]
        value = str(r["inputs"][key])
        assert len(value) <= limit, (r["name"], value)
        shown = value if r["type"] != gcp.ACCOUNT else f"{value} {r['inputs']['description']}"
        token = slug.replace("-", "_") if r["type"] == "gcp:sql/database:Database" else slug
        assert token in shown, (r["name"], shown)
        checked += 1
    assert checked
    assert not policy.evaluate(rendered.resources, "ephemeral", [x for x in gcp.RULES if x.id == "PV-05"])
    provisioned = rendered.outputs["provisioned"]
    for db in provisioned.get("sql_databases", ()):
        for value in (db["cloud_name"], db["username"]):
            assert f"pr_{BIG_PR}" in value and len(value) <= 63
    for bucket in (provisioned.get("object_storage") or {}).get("buckets", ()):
        assert bucket["key_prefix"] == f"{slug}/"


IAM = {
    "gcp:secretmanager/secretIamMember:SecretIamMember": "secretId",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "bucket",
    "gcp:pubsub/topicIAMMember:TopicIAMMember": "topic",
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": "subscription",
    "gcp:serviceaccount/iAMMember:IAMMember": "serviceAccountId",
}


def _own_targets(resources: list[dict[str, Any]]) -> set[str]:
    """What the preview's program itself creates, by the ids and names an IAM member resource names it by."""
    out: set[str] = set()
    for r in resources:
        i = r["inputs"]
        if r["type"] == "gcp:secretmanager/secret:Secret":
            out.add(f"projects/acme-shop-prod/secrets/{i['secretId']}")
        elif r["type"] in ("gcp:pubsub/topic:Topic", "gcp:pubsub/subscription:Subscription",
                           "gcp:storage/bucket:Bucket"):
            out.add(i["name"])
        elif r["type"] == "gcp:serviceaccount/account:Account":
            out.add(f"projects/acme-shop-prod/serviceAccounts/{i['accountId']}@acme-shop-prod.iam.gserviceaccount.com")
    return out


@pytest.mark.parametrize("name", ["synth-typescript", "synth-go", "fidelity/go-shop", "ts-uptime"])
def test_grants_are_scoped_to_the_pr(name: str) -> None:
    plan = shared_plan(name)
    resources = _shared(name).resources
    shares = lent(name)
    own = _own_targets(resources)
    accounts = {r["name"].removesuffix("/account"): r["inputs"]["accountId"] for r in resources
                if r["type"] == "gcp:serviceaccount/account:Account"}
    readable = {shares["secrets"][g.resource.partition(":")[2]] for g in plan.grants if g.verb == "read"}
    readable |= {shares["caches"][g.resource.partition(":")[2]]["auth_secret"] for g in plan.grants if g.verb == "use"}
    never = {shares["sql"]["admin_secret"]} if shares.get("sql") else set()
    bindings = [r for r in resources if r["type"] in IAM]
    assert bindings
    for r in bindings:
        target = str(r["inputs"][IAM[r["type"]]])
        member = str(r["inputs"]["member"])
        assert target not in never, r["name"]
        if r["type"] == "gcp:storage/bucketIAMMember:BucketIAMMember" and target not in own:
            assert target in {b["name"] for b in shares["buckets"].values()}, r["name"]
            expression = r["inputs"]["condition"]["expression"]
            assert f'buckets/{target}/objects/pr-{PR}/")' in expression and f'startsWith("pr-{PR}/")' in expression
            continue
        if target in own:
            if shares.get("sql") and member == f"serviceAccount:{shares['sql']['job_account']}":
                assert r["name"].startswith("sql-jobs/access/sql:"), r["name"]  # its own roles' passwords only
            continue
        assert target in readable, (r["name"], target)
        service = r["name"].split("/", 1)[0].removeprefix("service:")
        assert member.startswith(f"serviceAccount:{accounts[f'service:{service}']}@"), r["name"]
    assert not [r for r in resources if r["type"] in gcp.PROJECT_IAM]


def _prefix_condition(bucket: str) -> str:
    """Objects under pr-7/ and listings asked for under it (docs/gcp.md, written here independently)."""
    return (f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/pr-{PR}/") || '
            f'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("pr-{PR}/")')


def expected_shared(plan: Plan, service: str, shares: dict[str, Any]) -> set[Binding]:
    """A shared preview's service: the least-privilege bindings of test_gcp_least_privilege, with what it borrows
    from the base in place of what a preview would own."""
    need: set[Binding] = set()
    own_secret = "projects/acme-shop-prod/secrets/{}".format
    for g in plan.grants_for(service):
        kind, _, name = g.resource.partition(":")
        res = plan.get(g.resource)
        if kind == "sql":
            need.add(("secret", own_secret(res.names["password_secret"]), ACCESSOR, None))
        elif kind == "cache":
            need.add(("secret", shares["caches"][name]["auth_secret"], ACCESSOR, None))
        elif kind == "secret":
            borrowed = name not in plan.env.own_secrets
            need.add(("secret", shares["secrets"][name] if borrowed else own_secret(res.names["secret"]), ACCESSOR,
                      None))
        elif kind == "topic":
            need.add(("topic", res.names["topic"], "roles/pubsub.publisher", None))
        elif kind == "subscription":
            need.add(("subscription", res.names["subscription"], "roles/pubsub.subscriber", None))
        elif kind == "bucket":
            bucket = shares["buckets"][name]["name"]
            need |= {("bucket", bucket, role, _prefix_condition(bucket)) for role in BUCKET_OPS[g.verb]}
            if g.verb in SIGNING:
                email = f"{plan.get(f'service:{service}').names['identity']}@acme-shop-prod.iam.gserviceaccount.com"
                need.add(("service-account", f"projects/acme-shop-prod/serviceAccounts/{email}",
                          "roles/iam.serviceAccountTokenCreator", None))
        elif kind != "service":
            raise AssertionError(f"unexpected grant {g}")
    need.add(("secret", own_secret(naming.make("gcp.secret", plan.app, plan.env.name, "service-auth")), ACCESSOR,
              None))
    if plan.language is Language.TYPESCRIPT:
        store = naming.make("gcp.gcs", plan.app, plan.env.name, "runtime-config")
        need.add(("bucket", store, VIEWER,
                  f'resource.name == "projects/_/buckets/{store}/objects/{service}/runtime-config.pb"'))
    return need


@pytest.mark.parametrize("language", ["typescript", "go"])
def test_shared_preview_accounts_are_exact(language: str) -> None:
    name = f"synth-{language}"
    plan, resources, shares = shared_plan(name), _shared(name).resources, lent(name)
    for svc in plan.of_kind(Kind.SERVICE):
        member = f"serviceAccount:{svc.names['identity']}@acme-shop-prod.iam.gserviceaccount.com"
        assert bindings_of(resources, member) == expected_shared(plan, svc.name, shares), svc.name
    jobs = f"serviceAccount:{shares['sql']['job_account']}"
    passwords = {("secret", f"projects/acme-shop-prod/secrets/{d.names['password_secret']}", ACCESSOR, None)
                 for d in plan.of_kind(Kind.SQL)}
    assert passwords and bindings_of(resources, jobs) == passwords  # the base's job account: the PR's roles only
    accounts = [r for r in resources if r["type"] == "gcp:serviceaccount/account:Account"]
    assert len(accounts) == len(list(plan.of_kind(Kind.SERVICE)))  # no sql-jobs account of its own


def test_own_secrets_are_the_previews() -> None:
    app = _app("synth-typescript")
    mine = sorted(s.name for s in app.secrets)[0]
    rendered = _shared("synth-typescript", own=(mine,))
    (record,) = [s for s in rendered.outputs["provisioned"]["secrets"] if s["encore_name"] == mine]
    assert record["ref"]["provider"].startswith(f"synth-pr-{PR}-secret-")
    others = [s for s in rendered.outputs["provisioned"]["secrets"] if s["encore_name"] != mine]
    assert others and all(s["ref"]["provider"].startswith("synth-gcp-prod-secret-") for s in others)


# ---- the SQL job on the base's instance ------------------------------------------------------------------------------


def test_sql_jobs_run_on_the_base_instance_and_network_as_its_sql_jobs_account() -> None:
    name = "go-webhook-processor"
    rendered = _shared(name)
    shares = lent(name)
    jobs = [r for r in rendered.resources if r["type"] == "gcp:cloudrunv2/job:Job"]
    assert len(jobs) == len(_app(name).databases)
    for job in jobs:
        template = job["inputs"]["template"]["template"]
        envs = {e["name"]: e for e in template["containers"][0]["envs"]}
        assert envs["PGHOST"]["value"] == shares["sql"]["private_ip"]
        assert envs["ADMIN_PASSWORD"]["valueSource"]["secretKeyRef"]["secret"] == shares["sql"]["admin_secret"]
        assert f"pr_{PR}_" in envs["DATABASE"]["value"] and f"pr_{PR}_" in envs["ROLE"]["value"]
        assert template["serviceAccount"] == shares["sql"]["job_account"]
        (interface,) = template["vpcAccess"]["networkInterfaces"]
        assert interface["network"] == shares["network"]["network"]
        assert interface["subnetwork"] == shares["network"]["subnetwork"]
        assert template["vpcAccess"]["egress"] == shares["network"]["egress"] == "PRIVATE_RANGES_ONLY"
        assert f"pr-{PR}" in job["inputs"]["name"]
    databases = [r for r in rendered.resources if r["type"] == "gcp:sql/database:Database"]
    assert {d["inputs"]["instance"] for d in databases} == {shares["sql"]["instance"]}
    assert len(databases) == len(jobs)
    assert not [r for r in rendered.resources if r["type"] == "gcp:sql/user:User"]


# ---- errors ----------------------------------------------------------------------------------------------------------


def test_a_go_cache_without_a_slot_is_refused(project: Path) -> None:
    write_stacks(project, {"pr-8": preview_stack(8, slot=None), "pr-9": preview_stack(9, slot=16)})
    meta = FIXTURES / "fidelity" / "go-shop" / "meta.pb"
    for env_name, says in (("pr-8", "previewSlot"), ("pr-9", "previewSlot 16")):
        out = cli(project, "graph", "--env", env_name, "--meta", str(meta), "--output", f"{env_name}.json")
        err = out.stderr.decode()
        assert out.returncode == 2, err
        assert says in err and "cache:" in err and "Traceback" not in err
        assert not (project / f"{env_name}.json").exists()


def test_a_bucket_the_base_does_not_lend_is_refused() -> None:
    from orchestrator.core.errors import BadInput

    plan = shared_plan("fidelity/ts-shop")
    borrowed = dict(plan.borrowed or {}, buckets={})
    with pytest.raises(BadInput, match=r"lends no bucket receipts"):
        graph.render_full(plan.model_copy(update={"borrowed": borrowed}))


# ---- runtime config --------------------------------------------------------------------------------------------------


def test_offline_go_config_points_at_the_base_with_the_prs_databases_and_redis_db(project: Path,
                                                                                  synth_app: Any) -> None:
    meta = synth_app(6, language="go")
    out = cli(project, "runtime-config", "--env", f"pr-{PR}", "--meta", str(meta), "--offline", "--format",
              "infra-json")
    assert out.returncode == 0, out.stderr.decode()
    doc = json.loads(out.stdout)
    base = _base("synth-go").outputs["provisioned"]
    shares = lent("synth-go")
    (server,) = doc["sql_servers"]
    assert server["host"] == base["sql_servers"][0]["host"] == f"{shares['sql']['private_ip']}:5432"
    assert server["databases"] and all(key.startswith(f"synth_pr_{PR}_") and db["username"].startswith(
        f"synth_pr_{PR}_") for key, db in server["databases"].items())
    for cache_name, redis in doc["redis"].items():
        base_cache = next(c for c in base["caches"] if c["encore_name"] == cache_name)
        assert redis["host"] == base_cache["host"] and redis["database_index"] == SLOT
    (storage,) = doc["object_storage"]
    base_buckets = {b["encore_name"]: b["cloud_name"] for b in base["object_storage"]["buckets"]}
    for encore_name, bucket in storage["buckets"].items():
        assert bucket["name"] == base_buckets[encore_name] and bucket["key_prefix"] == f"pr-{PR}/"


def test_offline_typescript_config_prefixes_keys_and_public_urls(project: Path, synth_app: Any) -> None:
    meta = synth_app(6, language="typescript")
    out = cli(project, "runtime-config", "--env", f"pr-{PR}", "--meta", str(meta), "--offline", "--format", "pb",
              "-o", "ts.pb")
    assert out.returncode == 0, out.stderr.decode()
    config = runtime_pb2.RuntimeConfig.FromString((project / "ts.pb").read_bytes())
    assert config.environment.env_name == f"pr-{PR}"
    resources = config.infra.resources
    base = _base("synth-typescript").outputs["provisioned"]
    assert resources.redis_clusters
    for cluster in resources.redis_clusters:
        (db,) = cluster.databases
        base_cache = next(c for c in base["caches"] if c["encore_name"] == db.encore_name)
        assert cluster.servers[0].host == base_cache["host"]
        assert db.database_idx == SLOT and db.key_prefix == f"pr-{PR}/{base_cache['key_prefix']}"
    (buckets,) = resources.bucket_clusters
    public = [b for b in buckets.buckets if b.public_base_url]
    assert public and len(public) < len(buckets.buckets)
    for b in buckets.buckets:
        assert b.key_prefix == f"pr-{PR}/" and b.cloud_name.startswith("synth-gcp-prod-")
    for b in public:
        assert b.public_base_url == f"https://storage.googleapis.com/{b.cloud_name}/pr-{PR}/"
    (sql,) = resources.sql_clusters
    assert sql.servers[0].host == base["sql_servers"][0]["host"]
    assert all(f"_pr_{PR}_" in d.cloud_name for d in sql.databases)


def test_kinds_covered() -> None:
    """The synthetic apps hold every kind the shared preview borrows for, so the tests above reach each branch."""
    app = _app("synth-typescript")
    assert app.databases and app.caches and app.buckets and app.secrets
    assert {Kind.SQL, Kind.CACHE, Kind.BUCKET, Kind.SECRET} <= {r.kind for r in shared_plan("synth-go").resources}

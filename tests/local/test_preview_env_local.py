"""Preview envs on the local target with real servers (issue 14): two shared PR envs on one base env.

Through the CLI (`orchestrator preview-env up|down`): a shared PR env starts no server, gets its own databases and
roles (each reachable only by its own role), its own topics and queues (messages never cross envs), a key prefix in
the base's bucket and a Redis database index with its own ACL user; its secrets fall back to the base's. `down`
removes only what carries the PR's mark, and the base's own runs never touch a PR's things.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import psycopg
import pytest

from providers.local import ownership, servers

if TYPE_CHECKING:
    from tests.local.conftest import Project, Result

pytestmark = pytest.mark.local

APP = "fidelity/go-shop"
BASE = "base"
SECRET = "StripeKey"
BUCKET = "invoices"
TOPIC = "stock-changed"


@dataclass
class World:
    project: Project
    meta: Path
    base_pids: set[int]
    """Every process under the project after the base's deploy: a shared PR env must add none."""

    def up(self, pr: int, *extra: str, expect: int | None = 0, env: dict[str, str] | None = None) -> Result:
        result = self.project.cli("preview-env", "up", "--pr", str(pr), "--base", BASE, "--meta", str(self.meta),
                                  "--app-root", str(self.meta.parent), "--yes", *extra, env=env)
        if expect is not None:
            assert result.code == expect, str(result)
        return result

    def down(self, pr: int, expect: int | None = 0) -> Result:
        result = self.project.cli("preview-env", "down", "--pr", str(pr), "--yes")
        if expect is not None:
            assert result.code == expect, str(result)
        return result

    def state(self, env: str) -> dict[str, Any]:
        return self.project.state_doc(env)

    def record(self, env: str) -> dict[str, Any]:
        return json.loads((self.project.state / "state" / "envs" / env / "record.json").read_text())

    def mark(self, env: str) -> str:
        owner = ownership.current(self.project.env_dir(env))
        assert owner is not None
        return owner.mark

    def pg_port(self) -> int:
        return self.state(BASE)["servers"]["postgres"]["port"]

    def emulator(self, service: str) -> Any:
        port = self.state(BASE)["servers"]["emulator"]["port"]
        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    def sql(self, env: str) -> tuple[str, str, str]:
        """(database, role, password) of the env's one database."""
        rec = next(r for k, r in self.state(env)["resources"].items() if k.startswith("sql:"))
        return rec["names"]["database"], rec["names"]["role"], rec["password"]

    def connect(self, as_env: str, to_env: str) -> psycopg.Connection:
        _, role, password = self.sql(as_env)
        database, _, _ = self.sql(to_env)
        return psycopg.connect(host="127.0.0.1", port=self.pg_port(), user=role, password=password, dbname=database,
                               connect_timeout=10, autocommit=True)

    def rows(self, env: str) -> int:
        """Rows in the env's table, counted as the env's own role."""
        with self.connect(env, env) as conn:
            return conn.execute("SELECT count(*) FROM payments_m1").fetchone()[0]  # type: ignore[index]

    def runtime_config(self, env: str) -> dict[str, Any]:
        """The infra config the Go runtime reads (runtime_config/write.py)."""
        paths = self.state(env)["outputs"]["paths"]
        return json.loads(Path(paths["infra_config"]).read_text())

    def queue_urls(self, env: str) -> dict[str, str]:
        return {k: r["url"] for k, r in self.state(env)["resources"].items() if k.startswith("subscription:")}

    def topic_arn(self, env: str, topic: str) -> str:
        return self.state(env)["resources"][f"topic:{topic}"]["arn"]

    def base_bucket(self) -> str:
        return self.state(BASE)["resources"][f"bucket:{BUCKET}"]["names"]["bucket"]

    def inventory(self) -> dict[str, set[str]]:
        """Databases, roles, topics, queues and object keys on the base's servers."""
        found = self.project.inventory(BASE)
        s3 = self.emulator("s3")
        found["objects"] = {o["Key"] for o in s3.list_objects_v2(Bucket=self.base_bucket()).get("Contents", [])}
        return found


@pytest.fixture(scope="module")
def world(project: Project) -> Iterator[World]:
    from tests.local.conftest import processes_under

    meta = project.app(APP, name="go-shop")
    project.stack(BASE, local={"redis": "server"})
    for name in ("StripeKey", "SlackWebhook"):
        project.set_secret(BASE, name, f"base-{name}")
    project.deploy(BASE, meta)
    world = World(project, meta, set(processes_under(project.root)))
    try:
        world.up(1)
        world.up(2)
        yield world
    finally:  # the base is destroyed by the project's cleanup only once no preview borrows it
        for pr in (1, 2, 3, 4, 9):
            if (project.state / "state" / "envs" / f"pr-{pr}" / "preview.json").exists():
                world.down(pr, expect=None)


def test_base_record_shares_endpoints_and_no_password(world: World) -> None:
    shares = world.record(BASE)["shares"]
    base_dir = world.project.env_dir(BASE).resolve()
    assert shares["state_dir"] == str(base_dir)
    assert shares["postgres"] == {"host": "127.0.0.1", "port": world.pg_port(), "embedded": True}
    assert shares["emulator"]["port"] == world.state(BASE)["servers"]["emulator"]["port"]
    assert shares["redis"]["port"] == world.state(BASE)["servers"]["redis"]["port"]
    assert shares["buckets"] == {BUCKET: world.base_bucket()}
    text = json.dumps(shares)
    secrets = [s[k] for s in world.state(BASE)["servers"].values() for k in ("password", "admin_password") if k in s]
    assert len(secrets) == 3 and not [value for value in secrets if value in text]


def test_shared_pr_envs_start_no_server(world: World) -> None:
    from tests.local.conftest import processes_under

    assert set(processes_under(world.project.root)) == world.base_pids
    for env in ("pr-1", "pr-2"):
        assert not any(world.project.servers_running(env).values())
        assert not any((world.project.env_dir(env) / s.name).exists() for s in servers.ALL)
        lent = world.project.servers_running(BASE)
        assert world.state(env)["servers"] == {name: {"port": world.state(BASE)["servers"][name]["port"],
                                                      "pid": lent[name][0]}
                                               for name in ("postgres", "emulator", "redis")}


def test_pr_databases_and_roles_carry_the_prs_mark(world: World) -> None:
    password = world.state(BASE)["servers"]["postgres"]["admin_password"]
    with psycopg.connect(host="127.0.0.1", port=world.pg_port(), user="orchestrator", password=password,
                         dbname="postgres") as conn:
        for env in ("pr-1", "pr-2"):
            database, role, _ = world.sql(env)
            assert conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                                (database,)).fetchone() == (world.mark(env),)
            assert conn.execute("SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s",
                                (role,)).fetchone() == (world.mark(env),)
        assert world.mark("pr-1") not in {world.mark(BASE), world.mark("pr-2")}


@pytest.mark.parametrize(("who", "where"), [("pr-1", BASE), ("pr-1", "pr-2"), ("pr-2", "pr-1"), (BASE, "pr-1"),
                                            (BASE, "pr-2"), ("pr-2", BASE)])
def test_a_role_reaches_only_its_own_database(world: World, who: str, where: str) -> None:
    with world.connect(who, who) as conn:
        conn.execute("INSERT INTO payments_m1 (note) VALUES (%s)", (f"by {who}",))
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        world.connect(who, where).close()


def test_messages_never_cross_envs(world: World) -> None:
    sns, sqs = world.emulator("sns"), world.emulator("sqs")
    for env in (BASE, "pr-1", "pr-2"):
        for url in world.queue_urls(env).values():
            sqs.purge_queue(QueueUrl=url)
    sns.publish(TopicArn=world.topic_arn("pr-1", TOPIC), Message="from pr-1", MessageGroupId="sku-1",
                MessageDeduplicationId="1")  # an ordered topic: FIFO
    got = {env: {key: _received(sqs, url) for key, url in world.queue_urls(env).items()}
           for env in (BASE, "pr-1", "pr-2")}
    assert any("from pr-1" in body for body in got["pr-1"][f"subscription:{TOPIC}/reprice"])
    assert not any(got[BASE].values()) and not any(got["pr-2"].values())
    tags = sns.list_tags_for_resource(ResourceArn=world.topic_arn("pr-1", TOPIC))["Tags"]
    assert {"Key": ownership.TAG_KEY, "Value": world.mark("pr-1")} in tags


def _received(sqs: Any, url: str) -> list[str]:
    out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    return [m["Body"] for m in out]


def test_bucket_is_a_prefix_in_the_base_bucket(world: World) -> None:
    s3 = world.emulator("s3")
    for env in ("pr-1", "pr-2"):
        buckets = world.state(env)["provisioned"]["object_storage"]["buckets"]
        assert buckets == [{"encore_name": BUCKET, "cloud_name": world.base_bucket(), "key_prefix": f"{env}/"}]
        # Where the Go runtime writes object `a` (runtimes/go/storage/objects/bucket.go toCloudObject).
        s3.put_object(Bucket=world.base_bucket(), Key=buckets[0]["key_prefix"] + "a", Body=env.encode())
    s3.put_object(Bucket=world.base_bucket(), Key="a", Body=b"base")
    listed = s3.list_objects_v2(Bucket=world.base_bucket(), Prefix="pr-1/")["Contents"]
    assert [o["Key"] for o in listed] == ["pr-1/a"]
    assert not [b for b in s3.list_buckets()["Buckets"] if "pr-1" in b["Name"] or "pr-2" in b["Name"]]


def test_separate_buckets_are_the_prs_own_on_the_base_emulator(world: World) -> None:
    """`--buckets separate`: a bucket of the PR's own (its mark, no key prefix) on the base's emulator, no new
    server; the mode stays until `down`, which removes that bucket with its objects and leaves the base's."""
    from tests.local.conftest import processes_under

    s3 = world.emulator("s3")
    before = {o["Key"] for o in s3.list_objects_v2(Bucket=world.base_bucket()).get("Contents", [])}
    result = world.up(4, "--buckets", "separate", "--json")
    assert json.loads(result.stdout)["buckets"] == "separate"
    (bucket,) = world.state("pr-4")["provisioned"]["object_storage"]["buckets"]
    own = bucket["cloud_name"]
    assert "key_prefix" not in bucket and own != world.base_bucket() and "pr-4" in own
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=own)["TagSet"]}
    assert tags[ownership.TAG_KEY] == world.mark("pr-4")
    assert set(processes_under(world.project.root)) == world.base_pids
    s3.put_object(Bucket=own, Key="a", Body=b"pr-4")
    refused = world.up(4, "--buckets", "prefix", expect=2)
    assert "--buckets" in refused.stderr and "separate" in refused.stderr
    world.up(4)  # the mode is kept without the flag: no change
    assert world.state("pr-4")["provisioned"]["object_storage"]["buckets"] == [bucket]
    world.down(4)
    assert own not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert {o["Key"] for o in s3.list_objects_v2(Bucket=world.base_bucket()).get("Contents", [])} == before


def test_redis_database_index_and_acl_user(world: World) -> None:
    import redis
    from redis.exceptions import NoPermissionError

    port = world.state(BASE)["servers"]["redis"]["port"]
    slots = {}
    for env in ("pr-1", "pr-2"):
        caches = {r["encore_name"]: r for r in world.state(env)["provisioned"]["caches"]}
        recs = {k.split(":", 1)[1]: r for k, r in world.state(env)["resources"].items() if k.startswith("cache:")}
        for name, entry in caches.items():
            assert entry["host"] == f"127.0.0.1:{port}" and "key_prefix" not in entry  # Go ignores it
            assert entry["auth_username"] == f"orchestrator-{env}-{name}"
            client = redis.Redis(host="127.0.0.1", port=port, username=entry["auth_username"],
                                 password=recs[name]["password"], db=entry["database_index"])
            client.set("k", env)
            with pytest.raises(NoPermissionError):
                client.config_get("dir")
            client.close()
            slots[env] = entry["database_index"]
    assert sorted(slots.values()) == [1, 2]


def test_verify_reads_the_pr_envs_config_as_the_runtime_would(world: World) -> None:
    result = world.project.verify("pr-1")
    assert "checks passed" in result.stderr, str(result)


def test_up_again_is_a_no_op(world: World) -> None:
    before = world.state("pr-1")
    result = world.up(1)
    assert "no changes" in result.stderr
    assert world.state("pr-1") == before


def test_secrets_fall_back_to_the_base_and_can_be_overridden(world: World) -> None:
    def secret_of(env: str) -> str:
        found = world.runtime_config(env)
        return json.dumps(found)

    assert "base-StripeKey" in secret_of("pr-1")
    listed = json.loads(world.project.cli("secret", "list", "--env", "pr-1", "--json").stdout)["secrets"]
    assert {r["name"]: (r["set"], "base env base" in r["where"]) for r in listed} == {
        SECRET: (True, True), "SlackWebhook": (True, True)}
    world.project.set_secret("pr-1", SECRET, "pr-1-only")
    world.up(1)
    assert "pr-1-only" in secret_of("pr-1") and "base-StripeKey" not in secret_of("pr-1")
    assert "base-StripeKey" in secret_of("pr-2")
    kept = world.up(2, "--own-secret", "SlackWebhook", expect=2)  # a secret the PR keeps itself must be set for it
    assert kept.one_line_error and "SlackWebhook" in kept.stderr and "--env pr-2" in kept.stderr, str(kept)
    assert "no changes" in world.up(2).stderr


def test_down_of_one_pr_leaves_the_other_and_the_base(world: World) -> None:
    s3 = world.emulator("s3")
    before = world.inventory()
    rows = {env: world.rows(env) for env in (BASE, "pr-2")}
    pr1 = world.project.recorded("pr-1")
    world.down(1)
    after = world.inventory()
    for category in ("databases", "roles", "topics", "queues"):
        assert before[category] - after[category] == pr1[category], category
        assert not pr1[category] & after[category]
    assert before["objects"] - after["objects"] == {"pr-1/a"}
    assert {"a", "pr-2/a"} <= after["objects"]
    assert {env: world.rows(env) for env in (BASE, "pr-2")} == rows
    assert not world.project.env_dir("pr-1").joinpath("state.json").exists()
    assert s3.head_bucket(Bucket=world.base_bucket())


def test_base_runs_never_touch_a_prs_things(world: World) -> None:
    before = world.inventory()
    world.project.set_secret(BASE, "SlackWebhook", "changed")  # the base's deploy runs (and sweeps)
    result = world.project.deploy(BASE, world.meta)
    assert "no changes" not in result.stderr
    assert world.inventory() == before


def test_down_after_a_killed_up_removes_what_it_left(world: World) -> None:
    import signal

    before = world.inventory()
    killed = world.up(3, expect=None, env={"ORCHESTRATOR_CRASH_AT": "done:topic:*"})
    assert killed.code == -signal.SIGKILL, str(killed)
    assert world.inventory() != before
    world.down(3)
    assert world.inventory() == before


def test_a_stopped_base_refuses_a_pr_run_and_stays_stopped(world: World) -> None:
    world.project.cli("stop", "--env", BASE)
    try:
        result = world.up(3, expect=2)
        assert result.one_line_error and f"orchestrator deploy --env {BASE}" in result.stderr, str(result)
        assert not any(world.project.servers_running(BASE).values())
    finally:
        world.project.deploy(BASE, world.meta)


def test_gc_with_a_fake_clock_removes_idle_prs(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator import pipeline
    from orchestrator.preview_env import verbs
    from orchestrator.ui import UI

    monkeypatch.delenv(pipeline.STORE_VAR, raising=False)
    ctx = pipeline.Context(stacks_dir=world.project.stacks, state_root=world.project.state, ui=UI(quiet=True))
    now = datetime.now(UTC)
    kept = verbs.gc(ctx, ttl="1h", open_prs=None, dry_run=False, yes=True, now=now)
    assert kept["removed"] == []
    pr2 = world.project.recorded("pr-2")
    result = verbs.gc(ctx, ttl="1h", open_prs=None, dry_run=False, yes=True, now=now + timedelta(hours=2))
    assert result["removed"] == ["pr-2"]
    left = world.project.inventory(BASE)
    assert not any(pr2[category] & left[category] for category in pr2)
    assert world.project.recorded(BASE)["databases"] <= left["databases"]


def test_isolated_strategy_runs_its_own_servers(world: World) -> None:
    world.up(9, "--strategy", "isolated")
    running = world.project.servers_running("pr-9")
    assert running["postgres"] and running["emulator"] and running["redis"]
    assert "base-StripeKey" in json.dumps(world.runtime_config("pr-9"))  # secrets fall back here too
    world.down(9)
    assert not any(world.project.servers_running("pr-9").values())


TS_BASE = "tsbase"
TS_PR = 5


def test_typescript_pr_public_bucket_url_and_redis_prefix(project: Project) -> None:
    """The Rust core reads the bucket's and the cache's `key_prefix`: a public object is served under the prefixed
    base URL, and the PR's Redis user reaches only keys under its prefix."""
    import urllib.request

    import redis
    from redis.exceptions import NoPermissionError

    from tests.local.conftest import processes_under

    def mutate(data: Any) -> None:
        data.cache_clusters.add(name="sessions", eviction_policy="allkeys-lru").keyspaces.add(service="orders")

    meta = project.app("fidelity/ts-shop", name="ts-shop", mutate=mutate)
    project.stack(TS_BASE, local={"redis": "server"}, secrets_for=meta)
    project.deploy(TS_BASE, meta)
    pids = set(processes_under(project.root))
    world = World(project, meta, pids)
    args = ("preview-env", "up", "--pr", str(TS_PR), "--base", TS_BASE, "--meta", str(meta), "--app-root",
            str(meta.parent), "--yes")
    try:
        result = project.cli(*args)
        assert result.code == 0, str(result)
        assert set(processes_under(project.root)) == pids
        env = f"pr-{TS_PR}"
        state = world.state(env)
        base = world.state(TS_BASE)
        bucket = base["resources"]["bucket:receipts"]["names"]["bucket"]
        emulator = f"http://127.0.0.1:{base['servers']['emulator']['port']}"
        entry = state["provisioned"]["object_storage"]["buckets"][0]
        assert entry == {"encore_name": "receipts", "cloud_name": bucket, "key_prefix": f"{env}/",
                         "public_base_url": f"{emulator}/{bucket}/{env}"}
        s3 = boto3.client("s3", endpoint_url=emulator, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
        s3.put_object(Bucket=bucket, Key=entry["key_prefix"] + "r.txt", Body=b"receipt")
        # The Rust core's public URL: the base URL, `/`, the object's name (runtimes/core/src/objects/mod.rs).
        with urllib.request.urlopen(entry["public_base_url"] + "/r.txt", timeout=10) as reply:
            assert reply.read() == b"receipt"

        cache = state["provisioned"]["caches"][0]
        rec = state["resources"]["cache:sessions"]
        assert cache["key_prefix"].startswith(f"{env}/") and cache["database_index"] == 1
        client = redis.Redis(host="127.0.0.1", port=base["servers"]["redis"]["port"],
                             username=cache["auth_username"], password=rec["password"], db=cache["database_index"])
        client.set(cache["key_prefix"] + "k", "v")
        for denied in (lambda: client.set("k", "v"), lambda: client.get("other"), client.flushdb):
            with pytest.raises(NoPermissionError):
                denied()
        client.close()

        assert project.cli("preview-env", "down", "--pr", str(TS_PR), "--yes").code == 0
        assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix=f"{env}/")
        admin = redis.Redis(host="127.0.0.1", port=base["servers"]["redis"]["port"], username="orchestrator",
                            password=base["servers"]["redis"]["admin_password"], db=cache["database_index"])
        assert cache["auth_username"] not in admin.acl_users()
        assert not list(admin.scan_iter(match=f"{env}/*"))
        admin.close()
    finally:
        project.cli("preview-env", "down", "--pr", str(TS_PR), "--yes")


def test_shared_pr_on_an_external_postgres_base(project: Project, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A base on `postgresAdminUrl`: the PR's database and role are made on that server with the PR's mark, no
    PostgreSQL is started, and `down` drops only them."""
    from standalone_postgres import standalone_postgres

    from providers.local.servers import postgres

    def sql_only(data: Any) -> None:
        del data.pubsub_topics[:]

    password = "external-admin-pw"
    meta = project.app("booking-system", name="booking-ext", mutate=sql_only)
    with standalone_postgres(tmp_path_factory.mktemp("external-pg"), password=password) as port:
        url = f"postgresql://{postgres.PG_ADMIN}@127.0.0.1:{port}/postgres"
        extra = {"PGPASSWORD": password}
        project.stack("ext", local={"postgresAdminUrl": url}, secrets_for=meta)
        assert (result := project.cli(*project.deploy_args("ext", meta), env=extra)).code == 0, str(result)
        world = World(project, meta, set())
        assert world.record("ext")["shares"]["postgres"] == {"host": "127.0.0.1", "port": port, "embedded": False}
        up = ("preview-env", "up", "--pr", "7", "--base", "ext", "--meta", str(meta), "--app-root", str(meta.parent),
              "--yes")
        try:
            assert (result := project.cli(*up, env=extra)).code == 0, str(result)
            assert not any(project.servers_running("pr-7").values())
            database, role, secret = world.sql("pr-7")
            base_db, _, _ = world.sql("ext")
            with psycopg.connect(host="127.0.0.1", port=port, user=postgres.PG_ADMIN, password=password,
                                 dbname="postgres") as conn:
                found = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                                     (database,)).fetchone()
                assert found == (world.mark("pr-7"),)
            with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
                psycopg.connect(host="127.0.0.1", port=port, user=role, password=secret, dbname=base_db,
                                connect_timeout=10).close()
            result = project.cli("preview-env", "down", "--pr", "7", "--yes", env=extra)
            assert result.code == 0, str(result)
            with psycopg.connect(host="127.0.0.1", port=port, user=postgres.PG_ADMIN, password=password,
                                 dbname="postgres") as conn:
                names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
            assert base_db in names and database not in names
        finally:
            project.cli("preview-env", "down", "--pr", "7", "--yes", env=extra)
            project.cli("destroy", "--env", "ext", "--yes", env=extra)

"""The emulator and Redis as a hostile machine sees them (issue 8, items 2, 7, 9, 10): who they run as, what they
inherit, what the app's password can do, what a stale pid or a foreign tag makes us touch, what a reset hides.

Real servers through the CLI; the app is polar-file-sharing without its databases (no PostgreSQL: faster) plus
topics and a cache, named with dashes (the app `polar-file-sharing`, envs like `own-tags`).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from orchestrator.core.errors import ExitCode
from providers.local import ownership
from providers.local.servers import process
from providers.local.servers import redis as redis_server
from tests.local.conftest import SECOND, add_topic

if TYPE_CHECKING:
    from tests.local.conftest import Project

pytestmark = pytest.mark.local
REDIS = {"redis": "server"}
CANARY = {"AWS_SECRET_ACCESS_KEY": "canary-aws-2f1c", "PULUMI_CONFIG_PASSPHRASE": "canary-pass-8e3b"}


def app(project: Project, variant: str, *, topics: bool = True, second_subscription: bool = False,
        bucket: bool = True, cache: bool = True) -> Path:
    def mutate(data: Any) -> None:
        del data.sql_databases[:]
        for svc in data.svcs:
            del svc.databases[:]
        if topics:
            add_topic(data, "orders", service="files", subscription="bill", exactly_once=True)
            add_topic(data, "events", service="auth", subscription="audit")
            if second_subscription:
                events = next(t for t in data.pubsub_topics if t.name == "events")
                sub = events.subscriptions.add(name="notify", service_name="payments", ack_deadline=30 * SECOND,
                                               message_retention=86400 * SECOND)
                sub.retry_policy.max_retries = 3
        if cache:
            data.cache_clusters.add(name="sessions", eviction_policy="allkeys-lru").keyspaces.add(service="auth")
        if not bucket:
            del data.buckets[:]
            for svc in data.svcs:
                del svc.buckets[:]

    return project.app("polar-file-sharing", name=f"{variant}/polar-file-sharing", mutate=mutate)


def uid_of(pid: int) -> int:
    return int(re.search(r"^Uid:\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE).group(1))  # type: ignore[union-attr]


def one(project: Project, env: str, server: str) -> int:
    pids = project.servers_running(env)[server]
    assert len(pids) == 1, (server, pids)
    return pids[0]


def clients(project: Project, env: str) -> tuple[Any, Any, Any]:
    import boto3

    port = project.state_doc(env)["servers"]["emulator"]["port"]
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    sns, sqs, s3 = (session.client(s, endpoint_url=f"http://127.0.0.1:{port}") for s in ("sns", "sqs", "s3"))
    return sns, sqs, s3


def mark_of(project: Project, env: str) -> str:
    owner = ownership.current(project.env_dir(env))
    assert owner is not None
    return owner.mark


def names(project: Project, env: str, key: str) -> dict[str, str]:
    return project.state_doc(env)["resources"][key]["names"]


def redis_client(project: Project, env: str, *, admin: bool = False) -> Any:
    import redis

    rec = project.state_doc(env)["servers"]["redis"]
    if admin:
        return redis.Redis(host="127.0.0.1", port=rec["port"], username=redis_server.ADMIN_USER,
                           password=rec["admin_password"])
    return redis.Redis(host="127.0.0.1", port=rec["port"], password=rec["password"])


# ---------------------------------------------------------------- who the servers run as, what they inherit


def test_emulator_and_redis_run_as_their_envs_own_users_with_a_minimal_environment(project: Project) -> None:
    meta = app(project, "users")
    first, second = project.stack("own-users-a", local=REDIS, secrets_for=meta), project.stack("own-users-b",
                                                                                             local=REDIS,
                                                                                             secrets_for=meta)
    for env in (first, second):
        result = project.cli(*project.deploy_args(env, meta), env=CANARY)
        assert result.code == 0, str(result)
    uids = {}
    for env in (first, second):
        for server in ("emulator", "redis"):
            pid = one(project, env, server)
            uids[env, server] = uid_of(pid)
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            assert b"canary-" not in environ, f"the {server} of {env} inherited the deployer's environment"
    if os.geteuid() == 0:
        assert 0 not in uids.values(), uids
        assert len(set(uids.values())) == 4, f"each env's emulator and redis have their own user: {uids}"
        assert pwd.getpwuid(uids[first, "emulator"]).pw_name.startswith("orch-emu-")
        assert pwd.getpwuid(uids[first, "redis"]).pw_name.startswith("orch-redis-")
    data = project.env_dir(first) / "redis" / "data"
    assert data.stat().st_uid == uids[first, "redis"] and stat.S_IMODE(data.stat().st_mode) == 0o700
    for directory in (project.env_dir(first) / "emulator", project.env_dir(first) / "redis"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert ownership.read_file_mark(directory) == mark_of(project, first)

    project.destroy(second)
    if os.geteuid() == 0:
        for server in ("emulator", "redis"):
            with pytest.raises(KeyError):
                pwd.getpwuid(uids[second, server])  # destroy removes the env's users...
            pwd.getpwuid(uids[first, server])  # ...and only its own


def test_the_apps_redis_password_cannot_reconfigure_and_the_admin_writes_only_as_redis(project: Project) -> None:
    """The reproduction: with the password from the runtime config, CONFIG SET dir + SAVE wrote a root-owned file
    anywhere. Now the app's user has no CONFIG/SAVE/DEBUG/MODULE, and even the admin writes as the env's Redis user
    (nowhere root alone may write) and has no DEBUG or MODULE."""
    from redis.exceptions import NoPermissionError, ResponseError

    meta = app(project, "redis-acl", topics=False, bucket=False)
    env = project.stack("own-redis", local=REDIS, secrets_for=meta)
    project.deploy(env, meta)
    app_client, admin = redis_client(project, env), redis_client(project, env, admin=True)
    guarded, open_dir = Path(tempfile.mkdtemp(prefix="orch-root-only-")), Path(tempfile.mkdtemp(prefix="orch-open-"))
    guarded.chmod(0o755)
    open_dir.chmod(0o1777)
    try:
        for command in (("CONFIG", "SET", "dir", str(guarded)), ("SAVE",), ("DEBUG", "SLEEP", "0"),
                        ("MODULE", "LIST")):
            with pytest.raises(NoPermissionError):
                app_client.execute_command(*command)
        for command in (("DEBUG", "SLEEP", "0"), ("MODULE", "LIST")):
            with pytest.raises(NoPermissionError):
                admin.execute_command(*command)
        app_client.set("still", "works")
        if os.geteuid() == 0:
            redis_uid = uid_of(one(project, env, "redis"))
            admin.config_set("dir", str(guarded))
            with pytest.raises(ResponseError):
                admin.save()
            assert list(guarded.iterdir()) == []
            with pytest.raises(ResponseError, match="Permission denied"):
                admin.config_set("dir", str(project.env_dir(env)))  # not even its own state directory
            admin.config_set("dir", str(open_dir))
            admin.config_set("dbfilename", "planted.rdb")
            admin.save()
            planted = open_dir / "planted.rdb"
            assert planted.stat().st_uid == redis_uid != 0
    finally:
        app_client.close()
        admin.close()
        project.destroy(env)
        shutil.rmtree(guarded)
        shutil.rmtree(open_dir)


def test_a_redis_binary_its_user_cannot_run_is_copied(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root runs Redis as another user")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    binary = private / "redis-server"
    shutil.copy2(redis_server.redis_binary(), binary)
    account = process.env_account(tmp_path, "redis")
    assert account is not None
    runnable = redis_server.runnable_binary(binary, account)
    try:
        assert runnable.is_relative_to(redis_server.BINARY_HOME)
        out = subprocess.run([str(runnable), "--version"], user=account.uid, capture_output=True, cwd="/")
        assert out.returncode == 0 and b"Redis server" in out.stdout
    finally:
        runnable.unlink()
        process.remove_system_user(account.name)


def test_redis_data_kept_where_earlier_versions_kept_it_is_moved_into_its_data_directory(tmp_path: Path) -> None:
    import redis

    directory = tmp_path / "redis"
    directory.mkdir(mode=0o700)
    (directory / "appendonly.aof").write_bytes(b"*3\r\n$3\r\nSET\r\n$4\r\nkept\r\n$3\r\nyes\r\n")
    port = process.free_port()
    proc = redis_server.start_redis(directory, port=port, password="pw", admin_password="adm",
                                    binary=redis_server.redis_binary(), owner=ownership.claim(tmp_path))
    try:
        redis_server.wait_redis(directory, proc, port, "pw")
        client = redis.Redis(host="127.0.0.1", port=port, password="pw")
        assert client.get("kept") == b"yes"
        client.close()
        assert (directory / "data" / "appendonly.aof").exists() and not (directory / "appendonly.aof").exists()
    finally:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------- stale pids


def test_stop_never_signals_another_envs_servers_named_by_a_stale_pid(project: Project) -> None:
    meta = app(project, "stale")
    victim, ours = project.stack("stale-victim", local=REDIS, secrets_for=meta), project.stack("stale-ours",
                                                                                                local=REDIS,
                                                                                                secrets_for=meta)
    project.deploy(victim, meta)
    project.deploy(ours, meta)
    theirs = {server: one(project, victim, server) for server in ("emulator", "redis")}
    files = {"emulator": project.env_dir(ours) / "emulator" / "emulator.pid",
             "redis": project.env_dir(ours) / "redis" / "redis.pid"}
    saved = {server: path.read_text() for server, path in files.items()}
    files["emulator"].write_text(f"{theirs['emulator']} {saved['emulator'].split()[1]}")
    files["redis"].write_text(f"{theirs['redis']}\n")
    try:
        result = project.cli("stop", "--env", ours)
        assert result.code == 0, str(result)
        for server, pid in theirs.items():
            assert Path(f"/proc/{pid}").exists(), f"stop on {ours} signalled {victim}'s {server}"
    finally:
        for server, path in files.items():
            path.write_text(saved[server])
    # A foreign mark in our own server's directory: refused, naming the owner, and left running.
    emulator_dir = project.env_dir(ours) / "emulator"
    ours_pid = one(project, ours, "emulator")
    mark = (emulator_dir / ownership.TAG_KEY).read_text()
    (emulator_dir / ownership.TAG_KEY).write_text(ownership.MARK_PREFIX + "0" * 32 + "\n")
    try:
        result = project.cli("stop", "--env", ours)
        assert result.code == ExitCode.NOT_OWNED and result.one_line_error, str(result)
        assert "0" * 32 in result.stderr and f"pid {ours_pid}" in result.stderr, str(result)
        assert Path(f"/proc/{ours_pid}").exists()
    finally:
        (emulator_dir / ownership.TAG_KEY).write_text(mark)
    assert project.cli("stop", "--env", ours).code == 0
    assert project.servers_running(ours) == {"postgres": [], "emulator": [], "redis": []}
    assert {server: one(project, victim, server) for server in theirs} == theirs
    project.destroy(ours)
    project.destroy(victim)


# ---------------------------------------------------------------- tags on topics, queues and buckets


def test_every_topic_queue_and_bucket_carries_our_mark_and_a_foreign_one_is_never_touched(project: Project) -> None:
    full, none = app(project, "tags"), app(project, "tags-none", topics=False, bucket=False)
    env = project.stack("own-tags", secrets_for=full)
    project.deploy(env, full)
    sns, sqs, s3 = clients(project, env)
    mark = mark_of(project, env)
    topics = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    queues = sqs.list_queues()["QueueUrls"]
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert len(topics) == 2 and len(queues) == 4 and len(buckets) == 1
    for arn in topics:
        assert {"Key": ownership.TAG_KEY, "Value": mark} in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
    for url in queues:
        assert sqs.list_queue_tags(QueueUrl=url)["Tags"][ownership.TAG_KEY] == mark
    assert s3.get_bucket_tagging(Bucket=buckets[0])["TagSet"] == [{"Key": ownership.TAG_KEY, "Value": mark}]

    foreign = ownership.MARK_PREFIX + "f" * 32
    topic = names(project, env, "topic:events")["topic"]
    topic_arn = next(a for a in topics if a.endswith(":" + topic))
    sns.tag_resource(ResourceArn=topic_arn, Tags=[{"Key": ownership.TAG_KEY, "Value": foreign}])
    result = project.deploy(env, none, "--allow-destroy", expect=None)
    assert result.code == ExitCode.NOT_OWNED and result.one_line_error, str(result)
    assert f"topic {topic}" in result.stderr and "f" * 32 in result.stderr, str(result)
    assert topic_arn in {t["TopicArn"] for t in sns.list_topics()["Topics"]}

    sns.untag_resource(ResourceArn=topic_arn, TagKeys=[ownership.TAG_KEY])
    result = project.deploy(env, full, expect=None)  # altering it is refused as well
    assert result.code == ExitCode.NOT_OWNED and f"topic {topic}" in result.stderr, str(result)
    assert "nothing this orchestrator marked" in result.stderr, str(result)
    sns.tag_resource(ResourceArn=topic_arn, Tags=[{"Key": ownership.TAG_KEY, "Value": mark}])

    bucket = buckets[0]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": ownership.TAG_KEY, "Value": foreign}]})
    s3.put_object(Bucket=bucket, Key="kept", Body=b"theirs")
    result = project.deploy(env, app(project, "tags-nobucket", bucket=False), "--allow-destroy", expect=None)
    assert result.code == ExitCode.NOT_OWNED and f"bucket {bucket}" in result.stderr, str(result)
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"theirs"
    project.destroy(env)


def test_leftovers_are_swept_by_tag_and_never_with_data_without_allow_destroy(project: Project) -> None:
    """Restore an older state.json after a deploy that added topics: what the newer deploy made is tagged ours but
    recorded nowhere. A queue holding messages is listed (exit 2) and kept until --allow-destroy; resources named
    like ours but untagged or tagged by another env are never swept."""
    before = app(project, "sweep-0", topics=False, cache=False)
    with_topics = app(project, "sweep-1", cache=False)
    after = app(project, "sweep-2", topics=False)
    env = project.stack("sweep-env", secrets_for=before)
    project.deploy(env, before)
    record = next(project.state.rglob(f"envs/{env}/record.json"))
    older = {path: path.read_bytes() for path in (project.env_dir(env) / "state.json", record)}
    project.deploy(env, with_topics)
    sns, sqs, s3 = clients(project, env)
    audit = names(project, env, "subscription:events/audit")["subscription"]
    prefix = audit.split("events")[0]
    lookalikes = {"untagged": sqs.create_queue(QueueName=prefix + "lookalike")["QueueUrl"],
                  "foreign": sqs.create_queue(QueueName=prefix + "theirs",
                                              tags={ownership.TAG_KEY: ownership.MARK_PREFIX + "e" * 32})["QueueUrl"]}
    s3.create_bucket(Bucket=prefix + "lookalike-bucket")
    left_bucket = prefix + "left-bucket"  # as a run whose record was lost would have left it: ours, with objects
    s3.create_bucket(Bucket=left_bucket)
    s3.put_bucket_tagging(Bucket=left_bucket, Tagging={"TagSet": [{"Key": ownership.TAG_KEY,
                                                                   "Value": mark_of(project, env)}]})
    s3.put_object(Bucket=left_bucket, Key="object", Body=b"data")
    topic_arn = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if ":" + prefix + "events" in t["TopicArn"])
    sns.publish(TopicArn=topic_arn, Message="keep me")
    for path, data in older.items():
        path.write_bytes(data)

    result = project.deploy(env, after, expect=None)
    assert result.code == ExitCode.BAD_INPUT and result.one_line_error, str(result)
    assert audit in result.stderr and "--allow-destroy" in result.stderr, str(result)
    assert audit in {u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]}
    sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName=audit)["QueueUrl"])
    result = project.deploy(env, after, expect=None)
    assert result.code == ExitCode.BAD_INPUT and left_bucket in result.stderr, str(result)  # the bucket's turn
    assert s3.get_object(Bucket=left_bucket, Key="object")["Body"].read() == b"data"

    project.deploy(env, after, "--allow-destroy")
    left = {u.rsplit("/", 1)[1] for u in sqs.list_queues().get("QueueUrls", [])}
    assert left == {prefix + "lookalike", prefix + "theirs"}, left
    assert sns.list_topics()["Topics"] == []
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert prefix + "lookalike-bucket" in buckets and left_bucket not in buckets
    for url in lookalikes.values():
        sqs.delete_queue(QueueUrl=url)
    project.destroy(env)


# ---------------------------------------------------------------- a reset emulator, a removed subscription


def test_a_reset_emulator_is_reported_and_everything_made_again(project: Project) -> None:
    meta = app(project, "reset", cache=False)
    env = project.stack("own-reset", secrets_for=meta)
    project.deploy(env, meta)
    port = project.state_doc(env)["servers"]["emulator"]["port"]
    request = urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as resp:  # what any local user can do: no authentication
        assert resp.status == 200
    assert project.inventory(env)["topics"] == set()

    preview = project.cli("preview", "--env", env, "--meta", str(meta))
    assert preview.code == 0, str(preview)
    shown = preview.stdout + preview.stderr
    assert "the emulator lost 2 topics, 4 queues, 1 bucket" in shown, str(preview)
    result = project.deploy(env, meta)
    assert "the emulator lost" in result.stdout + result.stderr and "no changes" not in result.stdout, str(result)
    inventory, recorded = project.inventory(env), project.recorded(env)
    for category in ("topics", "queues", "buckets"):
        assert inventory[category] == recorded[category], category
    again = project.deploy(env, meta)
    assert "no changes" in again.stdout + again.stderr, str(again)
    project.destroy(env)


def test_removing_one_subscription_of_a_topic_keeps_publishing_working(project: Project) -> None:
    two, one_left = app(project, "unsub-2", second_subscription=True, cache=False), app(project, "unsub-1",
                                                                                         cache=False)
    env = project.stack("own-unsub", secrets_for=two)
    project.deploy(env, two)
    notify = names(project, env, "subscription:events/notify")["subscription"]
    project.deploy(env, one_left, "--allow-destroy")
    sns, sqs, _ = clients(project, env)
    topic = names(project, env, "topic:events")["topic"]
    arn = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":" + topic))
    endpoints = [s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]]
    assert len(endpoints) == 1 and not endpoints[0].endswith(":" + notify), endpoints
    sns.publish(TopicArn=arn, Message=json.dumps({"still": "delivered"}))
    audit = sqs.get_queue_url(QueueName=names(project, env, "subscription:events/audit")["subscription"])["QueueUrl"]
    received = sqs.receive_message(QueueUrl=audit, WaitTimeSeconds=2).get("Messages", [])
    assert len(received) == 1 and "delivered" in received[0]["Body"]
    project.destroy(env)


# ---------------------------------------------------------------- takeover's building blocks


class _Emulator:
    """What pubsub/bucket.retag use of a Session: its boto3 clients."""

    def __init__(self, clients: tuple[Any, Any, Any]) -> None:
        self.clients: dict[str, Any] = dict(zip(("sns", "sqs", "s3"), clients, strict=True))

    def aws(self, service: str) -> Any:
        return self.clients[service]


def test_retag_and_remark_move_everything_of_one_owner_and_nothing_else(project: Project) -> None:
    from providers.local import bucket, pubsub, servers

    meta = app(project, "retag")
    env = project.stack("own-retag", local=REDIS, secrets_for=meta)
    project.deploy(env, meta)
    sns, sqs, s3 = emulated = clients(project, env)
    s3.create_bucket(Bucket="someone-elses")
    base = project.env_dir(env)
    previous = ownership.current(base)
    assert previous is not None
    moved = ownership.Owner("ab" * 16, base)
    session: Any = _Emulator(emulated)
    retagged = pubsub.retag(session, previous, moved) + bucket.retag(session, previous, moved)
    remarked = servers.remark(base, previous, moved)
    try:
        assert len(retagged) == 2 + 4 + 1, retagged
        assert remarked == ["emulator", "redis"]
        for arn in (t["TopicArn"] for t in sns.list_topics()["Topics"]):
            tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
            assert {"Key": ownership.TAG_KEY, "Value": moved.mark} in tags
        for url in sqs.list_queues()["QueueUrls"]:
            assert sqs.list_queue_tags(QueueUrl=url)["Tags"][ownership.TAG_KEY] == moved.mark
        with pytest.raises(Exception, match="NoSuchTagSet"):
            s3.get_bucket_tagging(Bucket="someone-elses")
        assert ownership.read_file_mark(base / "redis") == moved.mark
        result = project.cli("stop", "--env", env)  # now another owner's servers: refused
        assert result.code == ExitCode.NOT_OWNED, str(result)
    finally:
        back = pubsub.retag(session, moved, previous) + bucket.retag(session, moved, previous)
        servers.remark(base, moved, previous)
    assert len(back) == 7
    again = project.deploy(env, meta)
    assert "no changes" in again.stdout + again.stderr, str(again)
    project.destroy(env)


def test_a_moved_state_dir_hands_its_emulator_and_redis_over_through_takeover(project: Project) -> None:
    """`takeover` after a move: the servers the directory ran at its old place are stopped (as root: the users
    named after that place deleted), their directories re-marked; the next deploy restarts them as this place's,
    keeps the cache's data and makes the emulator's resources again, saying so."""
    meta = app(project, "handover")
    env = project.stack("own-handover", local=REDIS, secrets_for=meta)
    home = project.root / "handover-before"
    at = {"ORCHESTRATOR_HOME": str(home)}
    project._expect(project.cli(*project.deploy_args(env, meta), env=at), 0)
    base = home / "local" / env
    redis_rec = json.loads((base / "state.json").read_text())["servers"]["redis"]
    import redis

    redis.Redis(host="127.0.0.1", port=redis_rec["port"], password=redis_rec["password"]).set("kept", "yes")
    old_pids = {name: int((base / name / f"{name}.pid").read_text().split()[0]) for name in ("emulator", "redis")}
    old_users = {role: process.account_name(base, role) for role in ("emu", "redis")}

    moved = project.root / "handover-after"
    shutil.move(str(home), str(moved))
    after = {"ORCHESTRATOR_HOME": str(moved)}
    refused = project.cli(*project.deploy_args(env, meta), env=after)
    assert refused.code == ExitCode.NOT_OWNED, str(refused)
    took = project._expect(project.cli("takeover", "--env", env, "--yes", env=after), 0)
    assert "stopped emulator, redis" in took.stderr + took.stdout, str(took)
    for pid in old_pids.values():
        assert not process.pid_alive(pid, ""), pid
    new_base = moved / "local" / env
    owner = ownership.current(new_base)
    assert owner is not None
    assert ownership.read_file_mark(new_base / "emulator") == owner.mark
    assert ownership.read_file_mark(new_base / "redis") == owner.mark
    if os.geteuid() == 0:
        for user in old_users.values():
            with pytest.raises(KeyError):
                pwd.getpwnam(user)

    again = project._expect(project.cli(*project.deploy_args(env, meta), env=after), 0)
    assert "a server stopped or restarted" in again.stdout + again.stderr, str(again)
    rec = json.loads((new_base / "state.json").read_text())["servers"]["redis"]
    assert redis.Redis(host="127.0.0.1", port=rec["port"], password=rec["password"]).get("kept") == b"yes"
    project._expect(project.cli("verify", "--env", env, env=after), 0)
    project._expect(project.cli("destroy", "--env", env, "--yes", env=after), 0)

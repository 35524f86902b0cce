"""Real-server suites for the local target: a throwaway project per module, the CLI as a subprocess.

A `Project` is a temporary directory holding `stacks/Pulumi.<env>.yaml`, the apps (binary
metadata plus generated migration files at the paths the metadata names) and the state
directory (ORCHESTRATOR_HOME). Its finalizer destroys every env it created and then kills any
process still running from its directory, so no test leaves a server behind.

Tests reach everything through the `project` fixture (`fixture_app`, from tests/conftest.py,
runs a test once per shared fixture app).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "apps"
CLI_TIMEOUT = 240.0
NOISY_ENV = re.compile(r"^(ORCHESTRATOR_|ENCORE_|AWS_|PULUMI_)")
CATEGORIES = ("databases", "roles", "topics", "queues", "buckets")
NAME_CATEGORY = {"database": "databases", "role": "roles", "topic": "topics", "subscription": "queues",
                 "dead_letter": "queues", "bucket": "buckets"}
SECOND = 1_000_000_000

# The synthetic "kitchen" app: polar-file-sharing (TypeScript: 3 databases, a bucket, a secret)
# plus what no fixture has: an exactly-once (FIFO) topic, an ordinary topic and a cache.
KITCHEN_FIFO = "orders"
KITCHEN_TOPIC = "events"
KITCHEN_CACHE = "sessions"


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        head = f"$ orchestrator {' '.join(self.args)}\n-> exit {self.code}"
        return f"{head}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"

    @property
    def one_line_error(self) -> bool:
        """One `error:` line, last; what the deploy showed before it (the diff, progress) may precede it."""
        lines = self.stderr.splitlines()
        errors = [line for line in lines if line.startswith("error: ")]
        return len(errors) == 1 and lines[-1] == errors[0] and "Traceback" not in self.stderr


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / "state"
        self.stacks = root / "stacks"
        self.apps = root / "apps"
        self.stacks.mkdir(parents=True, exist_ok=True)
        self.apps.mkdir(parents=True, exist_ok=True)
        self.envs: set[str] = set()

    # ---- inputs

    def stack(self, env: str, *, local: dict[str, Any] | None = None, secrets_for: Path | None = None) -> str:
        """Write stacks/Pulumi.<env>.yaml (a local development env); `secrets_for` (a metadata path) adds a
        secrets file with a value for every secret that app declares."""
        config: dict[str, Any] = {"orchestrator:cloud": "local", "orchestrator:envType": "development"}
        settings = dict(local or {})
        if secrets_for is not None:
            settings["secretsFile"] = str(self.secrets_file(env, secrets_for))
        if settings:
            config["orchestrator:local"] = settings
        (self.stacks / f"Pulumi.{env}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=True))
        self.envs.add(env)
        return env

    def secrets_file(self, env: str, meta: Path) -> Path:
        from orchestrator.core import appmeta

        path = self.root / f"secrets-{env}.env"
        path.write_text("".join(f"{s.name}=value-of-{s.name}\n" for s in appmeta.load(meta).secrets))
        return path

    def app(self, fixture: str, *, name: str | None = None, mutate: Callable[[Any], None] | None = None) -> Path:
        """A copy of a fixture app (binary metadata, optionally changed by `mutate`) with generated migration
        files, in apps/<name> (default: the fixture's name). The folder's own name is the app's name, so
        variants of one app go in `<variant>/<fixture>`."""
        from orchestrator.core.schema import meta_pb2

        data = meta_pb2.Data.FromString((FIXTURES / fixture / "meta.pb").read_bytes())
        if mutate is not None:
            mutate(data)
        root = self.apps / (name or fixture)
        root.mkdir(parents=True, exist_ok=True)
        (root / "meta.pb").write_bytes(data.SerializeToString())
        write_migrations(root, data)
        return root / "meta.pb"

    def kitchen_app(self, variant: str, *, topics: bool = True, cache: bool = True, files_db: bool = True,
                    bucket: bool = True) -> Path:
        """The kitchen app, or a part of it (for deploys that add and remove resources)."""

        def mutate(data: Any) -> None:
            if topics:
                add_topic(data, KITCHEN_FIFO, service="files", subscription="bill", exactly_once=True)
                add_topic(data, KITCHEN_TOPIC, service="auth", subscription="audit")
            if cache:
                data.cache_clusters.add(name=KITCHEN_CACHE, eviction_policy="allkeys-lru").keyspaces.add(service="auth")
            if not files_db:
                keep = [db for db in data.sql_databases if db.name != "files"]
                del data.sql_databases[:]
                data.sql_databases.extend(keep)
                for svc in data.svcs:
                    names = [d for d in svc.databases if d != "files"]
                    del svc.databases[:]
                    svc.databases.extend(names)
            if not bucket:
                del data.buckets[:]
                for svc in data.svcs:
                    del svc.buckets[:]

        return self.app("polar-file-sharing", name=f"{variant}/polar-file-sharing", mutate=mutate)

    # ---- the CLI

    def environ(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not NOISY_ENV.match(k)}
        env.update(PYTHONPATH=str(REPO), ORCHESTRATOR_HOME=str(self.state), NO_COLOR="1", CI="1")
        env.update(extra or {})
        return env

    @staticmethod
    def argv(*args: str) -> list[str]:
        return [sys.executable, "-m", "orchestrator.cli", *args]

    def cli(self, *args: str, env: dict[str, str] | None = None, input: str | None = None,
            timeout: float = CLI_TIMEOUT) -> Result:
        proc = subprocess.run(self.argv(*args), cwd=self.root, env=self.environ(env), input=input, text=True,
                              capture_output=True, timeout=timeout)
        return Result(args, proc.returncode, proc.stdout, proc.stderr)

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(self.argv(*args), cwd=self.root, env=self.environ(env), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)

    @staticmethod
    def deploy_args(env: str, meta: Path, *extra: str) -> tuple[str, ...]:
        return ("deploy", "--env", env, "--meta", str(meta), "--app-root", str(meta.parent), "--yes", *extra)

    def deploy(self, env: str, meta: Path, *extra: str, expect: int | None = 0, **kw: Any) -> Result:
        return self._expect(self.cli(*self.deploy_args(env, meta, *extra), **kw), expect)

    def verify(self, env: str, *, expect: int | None = 0) -> Result:
        return self._expect(self.cli("verify", "--env", env), expect)

    def destroy(self, env: str, *, expect: int | None = 0) -> Result:
        return self._expect(self.cli("destroy", "--env", env, "--yes"), expect)

    @staticmethod
    def _expect(result: Result, code: int | None) -> Result:
        if code is not None:
            assert result.code == code, str(result)
        return result

    def env_vars(self, env: str) -> dict[str, str]:
        result = self._expect(self.cli("env-vars", "--env", env, "--format", "json"), 0)
        return json.loads(result.stdout)

    def set_secret(self, env: str, name: str, value: str, meta: Path | None = None) -> None:
        extra = ["--meta", str(meta)] if meta else []
        self._expect(self.cli("secret", "set", "--env", env, name, *extra, input=value), 0)

    # ---- inspection

    def env_dir(self, env: str) -> Path:
        return self.state / "local" / env

    def state_doc(self, env: str) -> dict[str, Any]:
        return json.loads((self.env_dir(env) / "state.json").read_text())

    def processes(self, env: str) -> list[int]:
        return processes_under(self.env_dir(env))

    def servers_running(self, env: str) -> dict[str, list[int]]:
        """Pids of the env's server main processes by kind: postgres (postmaster), emulator, redis."""
        found: dict[str, list[int]] = {"postgres": [], "emulator": [], "redis": []}
        for pid in self.processes(env):
            with contextlib.suppress(OSError):
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if cmd[0].endswith(b"postgres") and b"-D" in cmd:
                    found["postgres"].append(pid)
                elif any(b"moto.server" in part for part in cmd):
                    found["emulator"].append(pid)
                elif cmd[0].split(b" ")[0].endswith(b"redis-server"):
                    found["redis"].append(pid)
        return found

    def postmaster_uids(self, env: str) -> list[int]:
        uids = []
        for pid in self.servers_running(env)["postgres"]:
            status = Path(f"/proc/{pid}/status").read_text()
            uids.append(int(re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE).group(1)))  # type: ignore[union-attr]
        return uids

    def recorded(self, env: str) -> dict[str, set[str]]:
        """The physical names the state records, in the categories of `inventory`."""
        out: dict[str, set[str]] = {k: set() for k in CATEGORIES}
        for key, rec in self.state_doc(env)["resources"].items():
            if key.split(":", 1)[0] in ("sql", "topic", "subscription", "bucket"):
                for role, name in rec.get("names", {}).items():
                    if role in NAME_CATEGORY:
                        out[NAME_CATEGORY[role]].add(name)
        return out

    def inventory(self, env: str) -> dict[str, set[str]]:
        """What exists on the env's servers: databases, login roles, topics, queues, buckets."""
        import boto3
        import psycopg

        servers = self.state_doc(env)["servers"]
        out: dict[str, set[str]] = {k: set() for k in CATEGORIES}
        pg = servers.get("postgres")
        if pg and pg.get("port"):
            with psycopg.connect(host="127.0.0.1", port=pg["port"], user="orchestrator", password=pg["admin_password"],
                                 dbname="postgres", connect_timeout=10) as conn:
                out["databases"] = {r[0] for r in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')")}
                out["roles"] = {r[0] for r in conn.execute(
                    "SELECT rolname FROM pg_roles WHERE NOT rolsuper AND rolname !~ '^pg_'")}
        emulator = servers.get("emulator")
        if emulator and emulator.get("port"):
            session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
            sns, sqs, s3 = (session.client(s, endpoint_url=f"http://127.0.0.1:{emulator['port']}")
                            for s in ("sns", "sqs", "s3"))
            out["topics"] = {t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics().get("Topics", [])}
            out["queues"] = {u.rsplit("/", 1)[1] for u in sqs.list_queues().get("QueueUrls", [])}
            out["buckets"] = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        return out

    # ---- cleanup

    def cleanup(self) -> None:
        for env in sorted(self.envs):
            with contextlib.suppress(Exception):
                self.cli("destroy", "--env", env, "--yes", timeout=120)
        kill_processes_under(self.root)


def add_topic(data: Any, name: str, *, service: str, subscription: str, exactly_once: bool = False) -> None:
    """A topic published and consumed by `service`, with one subscription (on metadata protobuf `data`)."""
    from orchestrator.core.schema import meta_pb2

    topic = data.pubsub_topics.add(name=name)
    topic.publishers.add(service_name=service)
    if exactly_once:
        topic.delivery_guarantee = meta_pb2.PubSubTopic.EXACTLY_ONCE
    sub = topic.subscriptions.add(name=subscription, service_name=service, ack_deadline=30 * SECOND,
                                  message_retention=7 * 86400 * SECOND)
    sub.retry_policy.min_backoff = SECOND
    sub.retry_policy.max_backoff = 60 * SECOND
    sub.retry_policy.max_retries = 5


def write_migrations(root: Path, data: Any) -> None:
    """Small valid `.up.sql` files at `<migration_rel_path>/<filename>` for every migration of `data`."""
    for db in data.sql_databases:
        if not db.migration_rel_path:
            continue
        for mig in db.migrations:
            path = root / db.migration_rel_path / mig.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            table = re.sub(r"[^a-z0-9_]", "_", f"{db.name}_m{mig.number}".lower())
            path.write_text(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, note text NOT NULL DEFAULT '');\n")


def processes_under(root: Path) -> list[int]:
    """Pids of live processes whose command line names `root` (as a whole path: `/x/env` is not `/x/env-2`) or
    whose working directory is inside it."""
    marker = str(root).encode()
    names_root = re.compile(re.escape(marker) + rb"(?![A-Za-z0-9._-])")
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                continue
            cwd = os.readlink(proc / "cwd").encode()
            if names_root.search((proc / "cmdline").read_bytes()) or cwd == marker or cwd.startswith(marker + b"/"):
                found.append(int(proc.name))
        except (OSError, IndexError):
            continue
    return found


def kill_processes_under(root: Path) -> None:
    for pid in processes_under(root):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while processes_under(root) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    proj = Project(tmp_path_factory.mktemp("proj"))
    try:
        yield proj
    finally:
        proj.cleanup()

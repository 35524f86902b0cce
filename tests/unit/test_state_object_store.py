"""Object-store state stores against real emulator servers: S3 (moto's server) and Azure Blob (Azurite, from npm).

Round trip, conditional writes, two concurrent writers in separate processes and stale locks, on both. GCS has
no emulator here that enforces generation preconditions (PyPI's gcp-storage-emulator returns no generation at all;
fake-gcs-server is a Go binary), so `gs://` is tested in test_state_gcs.py against a double of the SDK's bucket.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import rc_fixtures as fx

from orchestrator.core.errors import ExitCode, Locked
from orchestrator.records import DeploymentRecord
from orchestrator.state import open_store
from orchestrator.state.lock import Holder
from orchestrator.state.object_store import Conflict, ObjectStore

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / ".tools" / "node_modules" / ".bin"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
pytestmark = pytest.mark.local


def _motoserver() -> Any:
    spec = importlib.util.spec_from_file_location("motoserver", REPO / "tests" / "providers" / "aws" / "motoserver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["motoserver"] = module
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def s3_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    servers = _motoserver().server(tmp_path_factory.mktemp("moto"))
    moto = next(servers)
    moto.client("s3").create_bucket(Bucket="state")
    yield {"AWS_ENDPOINT_URL_S3": moto.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    next(servers, None)


@pytest.fixture(scope="module")
def azure_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    port = _free_port()
    location = str(tmp_path_factory.mktemp("azurite"))
    proc = subprocess.Popen([str(TOOLS / "azurite-blob"), "--blobHost", "127.0.0.1", "--blobPort", str(port),
                             "--location", location, "--silent", "--skipApiVersionCheck"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(f"http://127.0.0.1:{port}/devstoreaccount1?comp=list", proc, "azurite")
        conn = (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
                f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;")
        from azure.storage.blob import BlobServiceClient

        BlobServiceClient.from_connection_string(conn).create_container("state")
        yield {"AZURE_STORAGE_CONNECTION_STRING": conn}
    finally:
        _stop(proc)


@pytest.fixture
def env_vars(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    found: dict[str, str] = request.getfixturevalue(request.param)
    for key, value in found.items():
        monkeypatch.setenv(key, value)
    return found


URLS = {"s3_env": "s3://state", "azure_env": "azblob://state"}
ENFORCING = list(URLS)


def store_for(fixture: str, prefix: str) -> ObjectStore:
    store = open_store(f"{URLS[fixture]}/{prefix}", Path("/nonexistent"))
    assert isinstance(store, ObjectStore)
    return store


def record(env: str = "dev", at: datetime = T0, seed: int = 0) -> DeploymentRecord:
    plan = fx.shop_plan("local")
    base = DeploymentRecord.new(plan, fx.provisioned(plan))
    return base.model_copy(update={"env": env, "deployed_at": at + timedelta(seconds=seed)})


@pytest.mark.parametrize("env_vars", list(URLS), indirect=True)
def test_round_trip_history_forget_and_envs(env_vars: dict[str, str], request: pytest.FixtureRequest) -> None:
    fixture = request.node.callspec.params["env_vars"]
    store = store_for(fixture, f"rt-{os.getpid()}")
    assert store.read("dev") is None and store.history("dev") == [] and store.envs() == []
    first, second = record(), record(seed=60)
    store.write(first)
    store.write(second)
    store.write(record("prod"))
    assert store.read("dev") == second
    assert store.history("dev") == [second, first]
    assert store.envs() == ["dev", "prod"]
    store.forget("dev")
    assert store.read("dev") is None and store.envs() == ["prod"]
    assert store.history("dev") == [second, first]
    keys = store.blobs.keys("envs/dev/")
    assert sum(k.endswith(".forgotten.json") for k in keys) == 1
    other = store_for(fixture, f"other-{os.getpid()}")
    assert other.envs() == []  # the prefix separates stores in one bucket


@pytest.mark.parametrize("env_vars", ENFORCING, indirect=True)
def test_every_write_is_conditional(env_vars: dict[str, str], request: pytest.FixtureRequest) -> None:
    blobs = store_for(request.node.callspec.params["env_vars"], f"cond-{os.getpid()}").blobs
    v1 = blobs.create("k", b"1")
    with pytest.raises(Conflict):
        blobs.create("k", b"2")
    v2 = blobs.replace("k", b"3", v1)
    with pytest.raises(Conflict):
        blobs.replace("k", b"4", v1)
    with pytest.raises(Conflict):
        blobs.delete("k", v1)
    assert blobs.get("k") == (b"3", v2)
    blobs.delete("k", v2)
    assert blobs.get("k") is None


WRITER = """
import sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from orchestrator.core.errors import Locked
from orchestrator.records import DeploymentRecord
from orchestrator.state import open_store
store = open_store(sys.argv[1], Path("/nonexistent"))
base = DeploymentRecord.model_validate_json(Path(sys.argv[6]).read_text())
locked = sys.argv[3] == "locked"
go = Path(sys.argv[4])
while not go.exists():
    time.sleep(0.005)
for i in range(int(sys.argv[2])):
    rec = base.model_copy(update={"deployed_by": f"writer-{sys.argv[5]}-{i}",
                                  "deployed_at": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=i)})
    try:
        if locked:
            with store.lock("dev", "deploy", timeout=60):
                store.write(rec)
        else:
            store.write(rec)
        print("ok", rec.deployed_by, flush=True)
    except Locked as exc:
        print("refused", exc, flush=True)
"""


def _writers(url: str, env: dict[str, str], mode: str, n: int, tmp_path: Path) -> list[str]:
    go = tmp_path / f"go-{mode}"
    base = tmp_path / "record.json"
    base.write_text(record().to_json())
    full = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, str(n), mode, str(go), str(w), str(base)],
                              env=full,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(2)]
    time.sleep(2)  # both imported and waiting
    go.touch()
    lines = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        lines += out.splitlines()
    return lines


@pytest.mark.parametrize("env_vars", ENFORCING, indirect=True)
def test_two_concurrent_writers_never_lose_an_update(env_vars: dict[str, str], request: pytest.FixtureRequest,
                                                      tmp_path: Path) -> None:
    """Without the lock: each write either lands (in the history, and the current record is the last to land) or
    is refused with Locked; with the lock, both writers' every write lands."""
    fixture = request.node.callspec.params["env_vars"]
    prefix = f"race-{os.getpid()}"
    url = f"{URLS[fixture]}/{prefix}"
    lines = _writers(url, env_vars, "unlocked", 15, tmp_path)
    landed = [line.split()[1] for line in lines if line.startswith("ok ")]
    assert len(landed) + sum(line.startswith("refused ") for line in lines) == 30
    store = store_for(fixture, prefix)
    history = store.history("dev")
    assert sorted(r.deployed_by for r in history) == sorted(landed)
    current = store.read("dev")
    assert current is not None and current.deployed_by in landed

    prefix = f"locked-{os.getpid()}"
    lines = _writers(f"{URLS[fixture]}/{prefix}", env_vars, "locked", 8, tmp_path)
    assert sum(line.startswith("ok ") for line in lines) == 16, lines
    assert len(store_for(fixture, prefix).history("dev")) == 16


@pytest.mark.parametrize("env_vars", ENFORCING, indirect=True)
def test_a_stale_lock_is_reported_with_holder_and_age_and_force_unlock_removes_it(
        env_vars: dict[str, str], request: pytest.FixtureRequest) -> None:
    store = store_for(request.node.callspec.params["env_vars"], f"stale-{os.getpid()}")
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1, minutes=5)).isoformat(timespec="seconds")
    elsewhere = Holder(pid=4242, host="ci-runner-7", user="ci", time=an_hour_ago, command="deploy")
    store.blobs.create("envs/dev/lock", elsewhere.to_json().encode())
    with pytest.raises(Locked) as err, store.lock("dev", "deploy"):
        pass
    message = str(err.value)
    assert err.value.exit_code == ExitCode.LOCKED
    assert "pid 4242 on ci-runner-7" in message and "user ci" in message and "for 1h05m" in message
    assert "--force-unlock" in message
    with store.lock("dev", "deploy", force_unlock=True) as lease:
        assert lease.stale == elsewhere
        held = store.blobs.get("envs/dev/lock")
        assert held is not None and Holder.parse(held[0].decode()) == lease.holder
    assert store.blobs.get("envs/dev/lock") is None  # released


@pytest.mark.parametrize("env_vars", ENFORCING, indirect=True)
def test_a_lock_left_by_a_dead_process_on_this_host_is_taken_over(env_vars: dict[str, str],
                                                                   request: pytest.FixtureRequest) -> None:
    store = store_for(request.node.callspec.params["env_vars"], f"dead-{os.getpid()}")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = Holder.current("deploy")
    gone = Holder(pid=int(dead.stdout), host=gone.host, user=gone.user, time=gone.time, command="deploy")
    store.blobs.create("envs/dev/lock", gone.to_json().encode())
    with store.lock("dev", "deploy") as lease:
        assert lease.stale == gone
    live = Holder.current("deploy")  # this very process: alive, never broken, not even with --force-unlock
    store.blobs.create("envs/dev/lock", live.to_json().encode())
    with pytest.raises(Locked, match="still running on this host"), store.lock("dev", "deploy", force_unlock=True):
        pass




@pytest.mark.parametrize("env_vars", ["s3_env"], indirect=True)
def test_through_the_cli_a_stale_lock_is_exit_3_and_force_unlock_takes_it_over(
        env_vars: dict[str, str], tmp_path: Path) -> None:
    url = f"s3://state/cli-{os.getpid()}"
    store = open_store(url, tmp_path)
    assert isinstance(store, ObjectStore)
    since = (datetime.now(UTC) - timedelta(minutes=7)).isoformat(timespec="seconds")
    store.blobs.create("envs/local/lock", Holder(pid=99, host="ci-runner-2", user="ci", time=since,
                                                 command="deploy").to_json().encode())
    env = {**os.environ, **env_vars, "ORCHESTRATOR_STATE_STORE": url, "PYTHONPATH": str(REPO)}
    base = [sys.executable, "-m", "orchestrator", "--stacks", str(REPO / "stacks"), "--state-dir", str(tmp_path)]
    held = subprocess.run([*base, "stop", "--env", "local"], env=env, capture_output=True, text=True, timeout=120)
    assert held.returncode == 3, held.stderr
    assert held.stderr.count("\n") == 1 and held.stderr.startswith("error: ")
    assert "pid 99 on ci-runner-2 (user ci, command 'deploy') for 7m" in held.stderr and "--force-unlock" in held.stderr
    taken = subprocess.run([*base, "destroy", "--env", "local", "--yes", "--force-unlock"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert taken.returncode == 0, taken.stderr
    assert "taking over the lock of a run that is gone (pid 99 on ci-runner-2" in taken.stderr
    assert store.blobs.get("envs/local/lock") is None


@pytest.mark.parametrize("env_vars", list(URLS), indirect=True)
def test_preview_env_descriptors_round_trip_and_stay_beside_records(env_vars: dict[str, str],
                                                                    request: pytest.FixtureRequest) -> None:
    from orchestrator.preview_record import PreviewEnv

    store = store_for(request.node.callspec.params["env_vars"], f"pv-{os.getpid()}")
    assert store.previews() == [] and store.read_preview("pr-2") is None
    made = [PreviewEnv.new(pr=n, base="staging", cloud="aws", strategy="shared", slot=n, stack="config: {}\n")
            for n in (12, 2)]
    for preview in made:
        store.write_preview(preview)
    store.write(record("pr-2"))
    assert [p.pr for p in store.previews()] == [2, 12]
    assert store.read_preview("pr-12") == made[0]
    updated = made[0].model_copy(update={"slot": 5})
    store.write_preview(updated)
    assert store.read_preview("pr-12") == updated
    assert store.envs() == ["pr-2"], "a descriptor is not a record"
    store.forget_preview("pr-2")
    store.forget_preview("pr-2")
    assert [p.pr for p in store.previews()] == [12] and store.read("pr-2") is not None

"""`gs://` against a double of google-cloud-storage's Client/Bucket/Blob that enforces generation preconditions and
raises the SDK's own exceptions (google.api_core.exceptions). No emulator on PyPI or npm enforces them: PyPI's
gcp-storage-emulator returns no generation, and fake-gcs-server is a Go binary."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import rc_fixtures as fx
from google.api_core import exceptions

from orchestrator.core.errors import Locked
from orchestrator.records import DeploymentRecord
from orchestrator.state import open_store
from orchestrator.state.lock import Holder
from orchestrator.state.object_store import Conflict, ObjectStore

_generations = itertools.count(1_700_000_000_000_000)


class FakeBlob:
    def __init__(self, bucket: FakeBucket, name: str, generation: int | None = None) -> None:
        self.bucket, self.name, self.generation = bucket, name, generation

    def upload_from_string(self, data: bytes, *, if_generation_match: int) -> None:
        self.bucket.check(self.name, if_generation_match)
        self.generation = next(_generations)
        self.bucket.objects[self.name] = (data, self.generation)

    def download_as_bytes(self, *, if_generation_match: int) -> bytes:
        self.bucket.check(self.name, if_generation_match)
        return self.bucket.objects[self.name][0]


class FakeBucket:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, int]] = {}

    def check(self, name: str, generation: int) -> None:
        """GCS: generation 0 means "does not exist"; any other must be the live generation."""
        live = self.objects.get(name, (b"", 0))[1]
        if live != generation:
            raise exceptions.PreconditionFailed(f"412 {name}")

    def get_blob(self, name: str) -> FakeBlob | None:
        found = self.objects.get(name)
        return None if found is None else FakeBlob(self, name, found[1])

    def blob(self, name: str) -> FakeBlob:
        return FakeBlob(self, name)

    def delete_blob(self, name: str, *, if_generation_match: int) -> None:
        if name not in self.objects:
            raise exceptions.NotFound(f"404 {name}")
        self.check(name, if_generation_match)
        del self.objects[name]


class FakeClient:
    buckets: dict[str, FakeBucket] = {}

    def bucket(self, name: str) -> FakeBucket:
        return self.buckets.setdefault(name, FakeBucket())

    def list_blobs(self, bucket: FakeBucket, *, prefix: str) -> list[FakeBlob]:
        return [FakeBlob(bucket, n, g) for n, (_, g) in sorted(bucket.objects.items()) if n.startswith(prefix)]


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> ObjectStore:
    from google.cloud import storage

    FakeClient.buckets = {}
    monkeypatch.setattr(storage, "Client", FakeClient)
    found = open_store("gs://state/team/orchestrator", Path("/nonexistent"))
    assert isinstance(found, ObjectStore)
    return found


def record(seed: int = 0) -> DeploymentRecord:
    plan = fx.shop_plan("local")
    base = DeploymentRecord.new(plan, fx.provisioned(plan))
    at = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(seconds=seed)
    return base.model_copy(update={"env": "dev", "deployed_at": at})


def test_round_trip_under_the_prefix(store: ObjectStore) -> None:
    first, second = record(), record(60)
    store.write(first)
    store.write(second)
    assert store.read("dev") == second and store.history("dev") == [second, first] and store.envs() == ["dev"]
    assert all(name.startswith("team/orchestrator/envs/dev/") for name in FakeClient.buckets["state"].objects)
    store.forget("dev")
    assert store.read("dev") is None and store.history("dev") == [second, first]


def test_conditional_writes_and_a_refused_record_write_takes_back_its_history_entry(store: ObjectStore) -> None:
    blobs = store.blobs
    v1 = blobs.create("k", b"1")
    with pytest.raises(Conflict):
        blobs.create("k", b"2")
    v2 = blobs.replace("k", b"3", v1)
    with pytest.raises(Conflict):
        blobs.delete("k", v1)
    assert blobs.get("k") == (b"3", v2)

    store.write(record())
    stale_version = blobs.get("envs/dev/record.json")
    assert stale_version is not None
    store.write(record(60))  # another run, meanwhile
    real_get = blobs.get
    blobs.get = lambda key: stale_version if key == "envs/dev/record.json" else real_get(key)  # type: ignore[method-assign]
    with pytest.raises(Locked, match="at the same time"):
        store.write(record(120))
    blobs.get = real_get  # type: ignore[method-assign]
    assert store.history("dev") == [record(60), record()]


def test_a_stale_lock_names_its_holder_and_force_unlock_removes_it(store: ObjectStore) -> None:
    old = (datetime.now(UTC) - timedelta(minutes=42)).isoformat(timespec="seconds")
    other = Holder(pid=7, host="runner-3", user="ci", time=old, command="deploy")
    store.blobs.create("envs/dev/lock", other.to_json().encode())
    refused = pytest.raises(Locked, match=r"pid 7 on runner-3 \(user ci, command 'deploy'\) for 42m")
    with refused, store.lock("dev", "deploy"):
        pass
    with store.lock("dev", "deploy", force_unlock=True) as lease:
        assert lease.stale == other
    assert store.blobs.get("envs/dev/lock") is None


def test_the_sdk_missing_is_exit_6(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from orchestrator.core.errors import MissingTool

    real = builtins.__import__

    def no_gcs(name: str, *args: Any, **kw: Any) -> Any:
        if name.startswith("google.cloud"):
            raise ImportError(name)
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_gcs)
    with pytest.raises(MissingTool, match=r"encore-orchestrator\[gcs\]"):
        open_store("gs://state", Path("/nonexistent"))

"""The file state store: layout, history order, forget, atomic writes, no secret in any file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import rc_fixtures as fx

from orchestrator.core.errors import BadInput
from orchestrator.records import DeploymentRecord
from orchestrator.state import open_store
from orchestrator.state.file_store import FileStore

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def record(env: str = "dev", at: datetime = T0, **changes: object) -> DeploymentRecord:
    plan = fx.shop_plan("local")
    base = DeploymentRecord.new(plan, fx.provisioned(plan))
    return base.model_copy(update={"env": env, "deployed_at": at, **changes})


def test_default_and_file_urls(tmp_path: Path) -> None:
    store = open_store(None, tmp_path)
    assert isinstance(store, FileStore) and store.root == tmp_path / "state"
    store = open_store(f"file://{tmp_path}/elsewhere", tmp_path)
    assert isinstance(store, FileStore) and store.root == tmp_path / "elsewhere"


@pytest.mark.parametrize("url", ["s3://", "s3://B/state", "gs://bucket/../x", "azblob://c/a//b", "s3://x"])
def test_object_store_urls_without_a_usable_bucket_or_prefix_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(BadInput) as err:
        open_store(url, tmp_path)
    assert url in str(err.value)


@pytest.mark.parametrize("url", ["file://", "https://x", "ftp://x"])
def test_bad_urls_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        open_store(url, tmp_path)


def test_write_read_and_layout(tmp_path: Path) -> None:
    store = open_store(None, tmp_path)
    assert store.read("dev") is None and store.history("dev") == [] and store.envs() == []
    rec = record()
    store.write(rec)
    assert store.read("dev") == rec
    env_dir = tmp_path / "state" / "envs" / "dev"
    assert sorted(p.name for p in (env_dir / "history").iterdir()) == ["20250301T120000Z-1.json"]
    assert (env_dir / "record.json").stat().st_mode & 0o777 == 0o600
    for d in (tmp_path / "state", tmp_path / "state" / "envs", env_dir, env_dir / "history"):
        assert d.stat().st_mode & 0o777 == 0o700, d
    assert store.envs() == ["dev"]


def test_history_is_newest_first_even_when_the_clock_goes_back(tmp_path: Path) -> None:
    store = open_store(None, tmp_path)
    written = [record(at=T0), record(at=T0 + timedelta(hours=1)), record(at=T0 - timedelta(days=1)),
               record(at=T0 - timedelta(days=1))]
    for rec in written:
        store.write(rec)
    assert store.history("dev") == written[::-1]
    assert store.read("dev") == written[-1]
    assert store.history("prod") == []


def test_forget_keeps_history_and_leaves_a_tombstone(tmp_path: Path) -> None:
    store = open_store(None, tmp_path)
    store.write(record("dev"))
    store.write(record("prod"))
    store.forget("dev")
    assert store.read("dev") is None
    assert store.envs() == ["prod"]
    assert len(store.history("dev")) == 1
    tombstones = list((tmp_path / "state" / "envs" / "dev" / "history").glob("*-2.forgotten.json"))
    assert len(tombstones) == 1 and '"last_deployed_at": "2025-03-01T12:00:00+00:00"' in tombstones[0].read_text()
    store.forget("dev")
    store.write(record("dev", at=T0 + timedelta(days=1)))
    assert [r.deployed_at for r in store.history("dev")] == [T0 + timedelta(days=1), T0]


@pytest.mark.parametrize("env", ["../escape", "Dev", "", "a/b"])
def test_env_names_cannot_escape_the_store(env: str, tmp_path: Path) -> None:
    store = open_store(None, tmp_path)
    with pytest.raises(BadInput, match="environment name"):
        store.read(env)
    with pytest.raises(BadInput, match="environment name"):
        store.write(record().model_copy(update={"env": env}))


def test_unreadable_and_newer_records_are_bad_input(tmp_path: Path) -> None:
    store = open_store(None, tmp_path)
    store.write(record())
    path = tmp_path / "state" / "envs" / "dev" / "record.json"
    path.write_text("{not json")
    with pytest.raises(BadInput, match="unreadable") as err:
        store.read("dev")
    assert str(path) in str(err.value)
    path.write_text('{"format": 99}')
    with pytest.raises(BadInput, match="format 99 is newer"):
        store.read("dev")
    path.write_text('{"format": 1, "app": "x"}')
    with pytest.raises(BadInput, match="invalid deployment record"):
        store.read("dev")


def test_a_failed_write_leaves_the_previous_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(None, tmp_path)
    first = record()
    store.write(first)

    def crash(*_: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.write(record(at=T0 + timedelta(hours=1)))
    monkeypatch.undo()
    assert store.read("dev") == first
    assert not [p for p in (tmp_path / "state").rglob("*.tmp")]


# Writes records with a large graph forever; argv: store root.
WRITER = """
import sys
from datetime import timedelta
sys.path.insert(0, "tests/unit")
import rc_fixtures as fx
from pathlib import Path
from orchestrator.records import DeploymentRecord
from orchestrator.state.file_store import FileStore
plan = fx.shop_plan("local")
base = DeploymentRecord.new(plan, fx.provisioned(plan), graph=[{"n": i, "pad": "x" * 200} for i in range(5000)])
store = FileStore(Path(sys.argv[1]))
store.write(base)
print("ready", flush=True)
i = 0
while True:
    i += 1
    store.write(base.model_copy(update={"deployed_at": base.deployed_at + timedelta(seconds=i)}))
"""


def test_a_writer_killed_mid_write_never_leaves_a_partial_record(tmp_path: Path) -> None:
    root = tmp_path / "state"
    store = FileStore(root)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for delay in (0.05, 0.13, 0.29):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(root)], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        current = store.read("dev")
        assert current is not None and current.graph is not None and len(current.graph) == 5000
        assert all(len(r.graph or []) == 5000 for r in store.history("dev")[:3])


def test_no_written_file_holds_a_secret_value(tmp_path: Path) -> None:
    store = open_store(None, tmp_path)
    plan = fx.shop_plan("local")
    prov = fx.provisioned(plan)
    assert any(fx.CANARY in (ref.value or "") for _, ref in prov.secret_refs())
    with store.lock("dev", "deploy"):
        store.write(DeploymentRecord.new(plan, prov, secret_env={"SECRET_STRIPE_KEY": "arn:x"}))
        store.forget("dev")
        store.write(DeploymentRecord.new(plan, prov))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 5
    for path in files:
        assert fx.CANARY not in path.read_text(), path


def test_store_lock_is_per_env(tmp_path: Path) -> None:
    store = open_store(None, tmp_path)
    with store.lock("dev", "deploy") as lease, store.lock("prod", "deploy"):
        assert lease.holder.command == "deploy"
        assert (tmp_path / "state" / "envs" / "dev" / "lock").exists()


def test_preview_env_descriptors_in_the_file_store(tmp_path: Path) -> None:
    from orchestrator.preview_record import PreviewEnv

    store = FileStore(tmp_path / "state")
    assert store.previews() == [] and store.read_preview("pr-1") is None
    preview = PreviewEnv.new(pr=1, base="staging", cloud="local", strategy="isolated", slot=None, stack="config: {}\n")
    store.write_preview(preview)
    path = tmp_path / "state" / "envs" / "pr-1" / "preview.json"
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert store.read_preview("pr-1") == preview and store.previews() == [preview] and store.envs() == []
    store.forget_preview("pr-1")
    store.forget_preview("pr-1")
    assert store.previews() == []


@pytest.mark.parametrize("body, message", [
    (b"{", "unreadable"),
    (b'{"format": 99}', "newer than this orchestrator reads"),
    (b'{"pr": 1, "env": "pr-2", "base": "s", "cloud": "local", "strategy": "shared", "stack": "", '
     b'"created_at": "2026-01-01T00:00:00Z", "created_by": "a@b"}', "is not pr-1"),
    (b'{"pr": 1, "env": "pr-1", "base": "s", "cloud": "local", "strategy": "both", "stack": "", '
     b'"created_at": "2026-01-01T00:00:00Z", "created_by": "a@b"}', "strategy"),
])
def test_a_bad_descriptor_is_bad_input_naming_the_file(tmp_path: Path, body: bytes, message: str) -> None:
    path = tmp_path / "state" / "envs" / "pr-1" / "preview.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(body)
    with pytest.raises(BadInput, match=message) as caught:
        FileStore(tmp_path / "state").previews()
    assert caught.value.where == str(path)

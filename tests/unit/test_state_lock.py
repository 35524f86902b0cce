"""The env lock across real processes: one winner, Locked naming the holder, waiting, SIGKILL, refusals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator.core.errors import BadInput, ExitCode, Locked
from orchestrator.state.lock import FileLock, Holder

REPO = Path(__file__).resolve().parents[2]
# argv: lock path, go-file (start when it exists), hold seconds.
# Prints "ready" once imported, then "got <pid>" or "locked <message>".
CHILD = """
import os, sys, time
from pathlib import Path
from orchestrator.core.errors import Locked
from orchestrator.state.lock import FileLock
print("ready", flush=True)
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
try:
    with FileLock(Path(sys.argv[1])).hold("deploy"):
        print("got", os.getpid(), flush=True)
        time.sleep(float(sys.argv[3]))
except Locked as exc:
    print("locked", exc, flush=True)
"""


def child(lock: Path, go: Path, hold: float) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(lock), str(go), str(hold)],
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    return proc


def started(lock: Path, tmp_path: Path, hold: float) -> subprocess.Popen[str]:
    """A child holding the lock (it has printed `got`)."""
    go = tmp_path / "go-now"
    go.touch()
    proc = child(lock, go, hold)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("got")
    return proc


def test_two_processes_contend_exactly_one_wins(tmp_path: Path) -> None:
    lock, go = tmp_path / "env" / "lock", tmp_path / "go"
    procs = [child(lock, go, 1.5), child(lock, go, 1.5)]
    go.touch()
    out = [p.communicate(timeout=30)[0].strip() for p in procs]
    winners = [line for line in out if line.startswith("got")]
    losers = [line for line in out if line.startswith("locked")]
    assert len(winners) == 1 and len(losers) == 1, out
    winner_pid = winners[0].split()[1]
    assert f"pid {winner_pid} on " in losers[0]
    assert "command 'deploy'" in losers[0]
    assert "--lock-timeout" in losers[0] and "--force-unlock" in losers[0]


def test_locked_is_exit_3_and_one_line(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    proc = started(lock, tmp_path, 30)
    try:
        with pytest.raises(Locked) as err, FileLock(lock).hold("destroy"):
            pass
        assert err.value.exit_code == ExitCode.LOCKED
        assert "\n" not in str(err.value)
        assert f"pid {proc.pid} on " in str(err.value) and str(lock) in str(err.value)
        assert " for " in str(err.value)
    finally:
        proc.kill()
        proc.wait()


def test_timeout_waits_for_the_holder(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    proc = started(lock, tmp_path, 1.0)
    began = time.monotonic()
    with FileLock(lock).hold("deploy", timeout=30) as lease:
        assert time.monotonic() - began > 0.3
        assert lease.holder.pid == os.getpid()
        assert lease.stale is None
    proc.wait(timeout=30)


def test_timeout_runs_out_and_says_it_waited(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    proc = started(lock, tmp_path, 30)
    try:
        with pytest.raises(Locked, match=r"waited 0\.3s"), FileLock(lock).hold("deploy", timeout=0.3):
            pass
    finally:
        proc.kill()
        proc.wait()


def test_sigkilled_holder_releases_and_its_record_is_reported_stale(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    proc = started(lock, tmp_path, 60)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with FileLock(lock).hold("deploy") as lease:
        assert lease.stale is not None and lease.stale.pid == proc.pid
        assert Holder.parse(lock.read_text()) == lease.holder
    assert lock.read_text() == ""


def test_force_unlock_never_breaks_a_live_holder(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    proc = started(lock, tmp_path, 30)
    try:
        with pytest.raises(Locked, match="still running on this host") as err, \
                FileLock(lock).hold("deploy", force_unlock=True):
            pass
        assert f"pid {proc.pid}" in str(err.value)
    finally:
        proc.kill()
        proc.wait()


def test_force_unlock_explains_an_flock_cannot_be_broken_when_the_named_holder_is_gone(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    proc = started(lock, tmp_path, 30)
    try:
        dead = Holder(pid=proc.pid, host="another-host", user="x", time="2020-01-01T00:00:00+00:00", command="up")
        fd = os.open(lock, os.O_WRONLY)
        os.pwrite(fd, dead.to_json().encode(), 0)
        os.close(fd)
        with pytest.raises(Locked, match="cannot break it") as err, FileLock(lock).hold("deploy", force_unlock=True):
            pass
        assert "another-host" in str(err.value)
    finally:
        proc.kill()
        proc.wait()


def test_symlinked_lock_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("")
    lock = tmp_path / "lock"
    lock.symlink_to(target)
    with pytest.raises(BadInput, match="symbolic link") as err, FileLock(lock).hold("deploy"):
        pass
    assert str(lock) in str(err.value)


def test_lock_file_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = tmp_path / "lock"
    lock.write_text("")
    other = os.geteuid() + 1
    monkeypatch.setattr(os, "geteuid", lambda: other)
    with pytest.raises(BadInput, match="owned by uid") as err, FileLock(lock).hold("deploy"):
        pass
    assert str(lock) in str(err.value)


def test_lock_file_is_private(tmp_path: Path) -> None:
    lock = tmp_path / "new" / "lock"
    with FileLock(lock).hold("deploy"):
        assert lock.stat().st_mode & 0o777 == 0o600
        assert lock.parent.stat().st_mode & 0o777 == 0o700


def test_holder_parse_tolerates_junk() -> None:
    assert Holder.parse("") is None
    assert Holder.parse('{"pid": 1') is None
    assert Holder.parse('["a"]') is None
    h = Holder.current("deploy")
    assert Holder.parse(h.to_json()) == h
    assert h.alive_here()
    assert h.describe().startswith(f"pid {os.getpid()} on ")

"""providers/local/servers/: real PostgreSQL, moto and redis-server processes started in temporary directories."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from orchestrator.core.errors import BadInput, MissingTool
from providers.local import ownership, servers
from providers.local.servers import emulator, postgres, process
from providers.local.servers import redis as redis_server

pytestmark = pytest.mark.local


@pytest.fixture
def base(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    servers.stop_all(tmp_path, keep_data=False)
    postgres.remove_pg_data(tmp_path)


@pytest.fixture
def occupied() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket() as sock:
        sock.bind((servers.LOOPBACK, 0))
        sock.listen()
        yield sock.getsockname()[1]


def uid_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise LookupError(pid)


def test_choose_port(occupied: int) -> None:
    with pytest.raises(BadInput, match=f"port {occupied} .* in use") as info:
        process.choose_port(occupied, None, setting="postgresPort")
    assert "orchestrator:local.postgresPort" in str(info.value)
    assert process.choose_port(None, occupied, setting="x") != occupied
    free = process.free_port()
    assert process.choose_port(None, free, setting="x") == free


def start_pg(base: Path, bindir: Path | None = None, port: int | None = None) -> tuple[Path, int]:
    account = postgres.pg_account()
    datadir = postgres.pg_datadir(base, account)
    picked = bindir or postgres.pick_pg_bindir(datadir, None)
    runnable = postgres.runnable_bindir(picked, account)
    log = base / "postgres.log"
    if not (datadir / "PG_VERSION").exists():
        postgres.init_postgres(datadir, runnable, password="admin", account=account, log=log)
    port = port or process.free_port()
    proc = postgres.start_postgres(datadir, runnable, port=port, account=account, log=log, label=str(base))
    postgres.wait_postgres(datadir, proc, port, log)
    return datadir, port


def admin(port: int) -> psycopg.Connection:
    return psycopg.connect(
        host=servers.LOOPBACK, port=port, user=postgres.PG_ADMIN, password="admin", dbname="postgres", autocommit=True
    )


@pytest.mark.parametrize("bindir", postgres.pg_bindir_candidates(), ids=lambda p: p.parent.name)
def test_postgres_lifecycle_and_data_survive_restart(base: Path, bindir: Path) -> None:
    datadir, port = start_pg(base, bindir)
    running = postgres.pg_running(datadir)
    assert running is not None and running[1] == port
    assert servers.running(base)["postgres"] == running
    with admin(port) as conn:
        conn.execute("CREATE TABLE kept (v text)")
        conn.execute("INSERT INTO kept VALUES ('survives')")
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
    if os.geteuid() == 0:
        assert uid_of(running[0]) == postgres.pg_account().uid  # type: ignore[union-attr]
        assert (base / servers.POSTGRES.name).is_symlink() and datadir.is_relative_to(postgres.PG_HOME)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host=servers.LOOPBACK, port=port, user=postgres.PG_ADMIN, password="wrong", dbname="postgres")
    assert servers.stop_all(base) == ["postgres"]
    assert postgres.pg_running(datadir) is None
    assert servers.stop_all(base) == []  # idempotent
    _, port2 = start_pg(base, bindir, port)
    with admin(port2) as conn:
        assert conn.execute("SELECT v FROM kept").fetchall() == [("survives",)]


def test_postgres_port_in_use_is_bad_input(base: Path, occupied: int) -> None:
    with pytest.raises(BadInput, match=f"port {occupied}"):
        start_pg(base, port=occupied)


def test_half_made_cluster_is_redone(base: Path) -> None:
    account = postgres.pg_account()
    datadir = postgres.pg_datadir(base, account)
    leftover = datadir.with_name(datadir.name + ".init")
    leftover.mkdir(parents=True)
    (leftover / "junk").write_text("from a killed initdb")
    _, port = start_pg(base)
    assert not leftover.exists()
    with admin(port) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_killed_runs_initdb_still_writing_does_not_stop_the_next_init(base: Path) -> None:
    """The soak found it: a deploy SIGKILLed during initdb leaves initdb running (an orphan) in its staging
    directory; the next run's cleanup raced it (FileExistsError, exit 1). Each run now stages in its own."""
    import threading

    account = postgres.pg_account()
    datadir = postgres.pg_datadir(base, account)
    orphan = datadir.with_name(f"{datadir.name}.init")  # where a killed run staged (and still writes)
    orphan.mkdir(parents=True)
    stop = threading.Event()

    def keep_writing() -> None:  # what the orphaned initdb does meanwhile
        i = 0
        while not stop.is_set():
            with contextlib.suppress(OSError):
                orphan.mkdir(exist_ok=True)
                (orphan / f"f{i}").write_text("x")
            i += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        _, port = start_pg(base)
    finally:
        stop.set()
        writer.join()
    with admin(port) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_pick_bindir_matches_the_cluster_version(tmp_path: Path) -> None:
    candidates = postgres.pg_bindir_candidates()
    majors = {postgres.pg_major(b): b for b in candidates}
    for major, bindir in majors.items():
        (tmp_path / "PG_VERSION").write_text(major + "\n")
        assert postgres.pg_major(postgres.pick_pg_bindir(tmp_path, None)) == major
        assert postgres.pick_pg_bindir(tmp_path, str(bindir)) == bindir
    (tmp_path / "PG_VERSION").write_text("9\n")
    with pytest.raises(MissingTool, match="needs PostgreSQL 9"):
        postgres.pick_pg_bindir(tmp_path, None)


@pytest.mark.skipif(os.geteuid() != 0, reason="the unprivileged PostgreSQL user exists only when running as root")
def test_private_binaries_are_copied_for_the_unprivileged_user(tmp_path: Path) -> None:
    source = next(iter(postgres.pgserver_bindirs()), None)
    if source is None or not source.exists():
        pytest.skip("pgserver is not installed")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    shutil.copytree(source.parent, private / "pginstall", symlinks=True)
    os.chmod(private, 0o700)
    account = postgres.pg_account()
    assert account is not None
    runnable = postgres.runnable_bindir(private / "pginstall" / "bin", account)
    try:
        assert runnable.is_relative_to(postgres.PG_HOME)
        assert postgres.runnable_bindir(private / "pginstall" / "bin", account) == runnable  # reused
        out = subprocess.run([str(runnable / "postgres"), "--version"], user=account.uid, capture_output=True)
        assert out.returncode == 0
    finally:
        shutil.rmtree(runnable.parent, ignore_errors=True)


def test_emulator_lifecycle(base: Path) -> None:
    directory = base / servers.EMULATOR.name
    port = process.free_port()
    proc = emulator.start_emulator(directory, port=port, owner=ownership.claim(base))
    emulator.wait_emulator(directory, proc, port)
    running = emulator.emulator_running(directory)
    assert running is not None and running[1] == port
    assert emulator.emulator_answers(port)
    assert servers.stop_all(base) == ["emulator"]
    assert emulator.emulator_running(directory) is None
    assert not emulator.emulator_answers(port)


def test_stale_pid_files_are_not_running(base: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (base / servers.EMULATOR.name).mkdir()
    (base / servers.EMULATOR.name / "emulator.pid").write_text(f"{dead.pid} 1234")
    assert emulator.emulator_running(base / servers.EMULATOR.name) is None
    (base / servers.EMULATOR.name / "emulator.pid").write_text(f"{os.getpid()} 1234")  # alive, but not an emulator
    assert emulator.emulator_running(base / servers.EMULATOR.name) is None


def test_emulator_port_in_use(base: Path, occupied: int) -> None:
    directory = base / servers.EMULATOR.name
    proc = emulator.start_emulator(directory, port=occupied, owner=ownership.claim(base))
    with pytest.raises(BadInput, match=f"port {occupied}"):
        emulator.wait_emulator(directory, proc, occupied)


def test_redis_lifecycle_keeps_data(base: Path) -> None:
    import redis

    directory = base / servers.REDIS.name
    port = process.free_port()
    binary = redis_server.redis_binary()
    proc = redis_server.start_redis(directory, port=port, password="s3cret", admin_password="adm1n", binary=binary,
                                    owner=ownership.claim(base))
    redis_server.wait_redis(directory, proc, port, "s3cret")
    assert stat.S_IMODE((directory / "redis.conf").stat().st_mode) == 0o600
    assert b"s3cret" not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    client = redis.Redis(host=servers.LOOPBACK, port=port, password="s3cret", db=3)
    client.set("k", "v")
    client.close()
    assert not redis_server.redis_answers(port, "wrong")
    assert servers.stop_all(base) == ["redis"]
    proc = redis_server.start_redis(directory, port=port, password="s3cret", admin_password="adm1n", binary=binary,
                                    owner=ownership.claim(base))
    redis_server.wait_redis(directory, proc, port, "s3cret")
    client = redis.Redis(host=servers.LOOPBACK, port=port, password="s3cret", db=3)
    assert client.get("k") == b"v"
    client.close()
    servers.stop_all(base)


@pytest.mark.parametrize("command", [("CONFIG", "SET", "dir", "/"), ("SAVE",), ("DEBUG", "SLEEP", "0"),
                                     ("MODULE", "LIST"), ("ACL", "LIST"), ("SHUTDOWN",)])
def test_the_apps_redis_password_cannot_administer_the_server(base: Path, command: tuple[str, ...]) -> None:
    """The reproduction: with the password from the runtime config, CONFIG SET dir + SAVE wrote a file anywhere."""
    import redis
    from redis.exceptions import NoPermissionError

    directory = base / servers.REDIS.name
    port = process.free_port()
    proc = redis_server.start_redis(directory, port=port, password="s3cret", admin_password="adm1n",
                                    binary=redis_server.redis_binary(), owner=ownership.claim(base))
    redis_server.wait_redis(directory, proc, port, "s3cret")
    app = redis.Redis(host=servers.LOOPBACK, port=port, password="s3cret")
    try:
        with pytest.raises(NoPermissionError):
            app.execute_command(*command)
        app.set("still", "works")
        assert app.get("still") == b"works"
    finally:
        app.close()
        servers.stop_all(base)


def test_terminate_kills_what_ignores_sigterm(tmp_path: Path) -> None:
    script = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, "marker-xyz"], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"up\n"
    started = time.monotonic()
    process.terminate([(proc.pid, "marker-xyz", redis_server.REDIS_STOP)], timeout=0.5)
    assert proc.poll() is not None and time.monotonic() - started < 5

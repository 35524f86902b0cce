"""The user's own machine as hostile input: copied state, planted links, another user's files, escaping paths.

Each test is a reproduction from the trust review, on real servers; each fails without its fix.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

from orchestrator.core.errors import ExitCode

if TYPE_CHECKING:
    from tests.local.conftest import Project

pytestmark = pytest.mark.local
BAD_INPUT = ExitCode.BAD_INPUT


def count_rows(project: Project, env: str, state_root: Path | None = None) -> int:
    root = state_root or project.state
    state = json.loads((root / "local" / env / "state.json").read_text())
    pg = state["servers"]["postgres"]
    database = state["resources"]["sql:booking"]["names"]["database"]
    with psycopg.connect(host="127.0.0.1", port=pg["port"], user="orchestrator", password=pg["admin_password"],
                         dbname=database, connect_timeout=10) as conn:
        return conn.execute("SELECT count(*) FROM kept").fetchone()[0]  # type: ignore[index]


def add_rows(project: Project, env: str, n: int) -> None:
    state = project.state_doc(env)
    pg = state["servers"]["postgres"]
    database = state["resources"]["sql:booking"]["names"]["database"]
    with psycopg.connect(host="127.0.0.1", port=pg["port"], user="orchestrator", password=pg["admin_password"],
                         dbname=database, connect_timeout=10, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kept (id int)")
        conn.execute("INSERT INTO kept SELECT generate_series(1, %s)", (n,))


def test_destroying_a_copied_state_dir_leaves_the_original_whole(project: Project) -> None:
    meta = project.app("booking-system", name="copied/booking-system")
    env = project.stack("copied", secrets_for=meta)
    project.deploy(env, meta)
    add_rows(project, env, 3000)
    before = project.servers_running(env)

    copy = project.root / "copy-of-state"
    shutil.copytree(project.state, copy, symlinks=True)
    result = project.cli("destroy", "--env", env, "--yes", env={"ORCHESTRATOR_HOME": str(copy)})
    assert result.code == ExitCode.NOT_OWNED, str(result)
    assert result.one_line_error and "copied or moved" in result.stderr, str(result)

    assert project.servers_running(env) == before
    assert count_rows(project, env) == 3000
    project.deploy(env, meta)
    assert count_rows(project, env) == 3000


def test_a_planted_postgres_link_is_never_followed(project: Project) -> None:
    env = project.stack("planted")
    victim = project.root / "victim"
    victim.mkdir()
    (victim / "precious").write_text("keep me")
    directory = project.env_dir(env)
    directory.mkdir(parents=True)
    (directory / "postgres").symlink_to(victim, target_is_directory=True)

    result = project.cli("destroy", "--env", env, "--yes")
    assert result.code == BAD_INPUT and result.one_line_error, str(result)
    assert (victim / "precious").read_text() == "keep me"


@pytest.mark.parametrize("planted", ["state.json", "the state directory"])
def test_a_symlink_in_the_state_is_refused(project: Project, planted: str) -> None:
    env = project.stack(f"link{len(planted)}")
    target = project.root / f"target-{len(planted)}"
    target.mkdir()
    (target / "state.json").write_text('{"format": 1, "servers": {}, "resources": {}}')
    directory = project.env_dir(env)
    if planted == "state.json":
        directory.mkdir(parents=True)
        (directory / "state.json").symlink_to(target / "state.json")
    else:
        directory.parent.mkdir(parents=True, exist_ok=True)
        directory.symlink_to(target, target_is_directory=True)
    result = project.cli("status", "--env", env)
    assert result.code == BAD_INPUT and result.one_line_error and "symbolic link" in result.stderr, str(result)


def test_state_another_user_owns_is_refused(project: Project) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to make a file another user owns")  # CI and this machine run as root
    env = project.stack("foreign")
    directory = project.env_dir(env)
    directory.mkdir(parents=True)
    (directory / "state.json").write_text('{"format": 1, "servers": {}, "resources": {}}')
    os.chown(directory / "state.json", 65534, 65534)
    result = project.cli("status", "--env", env)
    assert result.code == BAD_INPUT and "owned by uid 65534" in result.stderr, str(result)


def test_a_symlinked_lock_is_refused_and_its_target_untouched(project: Project) -> None:
    meta = project.app("replicate-image-generator", name="lock/replicate-image-generator")
    env = project.stack("linklock", secrets_for=meta)
    target = project.root / "lock-target"
    target.write_text("do not truncate")
    lock = project.state / "state" / "envs" / env / "lock"
    lock.parent.mkdir(parents=True)
    lock.symlink_to(target)
    result = project.deploy(env, meta, expect=BAD_INPUT)
    assert result.one_line_error, str(result)
    assert target.read_text() == "do not truncate"


def test_a_wrongly_shaped_state_file_is_bad_input_naming_it(project: Project) -> None:
    env = project.stack("shape")
    directory = project.env_dir(env)
    directory.mkdir(parents=True)
    (directory / "state.json").write_text('{"format": 1, "servers": [], "resources": "x"}')
    result = project.cli("status", "--env", env)
    assert result.code == BAD_INPUT and result.one_line_error and "state.json" in result.stderr, str(result)


def test_a_migration_linked_outside_the_app_is_refused(project: Project) -> None:
    meta = project.app("booking-system", name="escape-link/booking-system")
    first = meta.parent / "booking" / "db" / "migrations" / "1_create_tables.up.sql"
    first.unlink()
    first.symlink_to("/proc/self/environ")
    env = project.stack("migrationlink", secrets_for=meta)
    result = project.cli(*project.deploy_args(env, meta), env={"ORCHESTRATOR_CANARY": "canary-d41d8cd9"})
    assert result.code == BAD_INPUT, str(result)
    assert result.one_line_error and "outside the app's source tree" in result.stderr, str(result)
    assert "canary-d41d8cd9" not in result.stderr + result.stdout
    assert not (project.state / "state" / "envs" / env / "record.json").exists()


def test_a_deploy_refused_for_a_missing_secret_writes_nothing(project: Project) -> None:
    meta = project.app("replicate-image-generator", name="nosecret/replicate-image-generator")
    env = project.stack("nosecret")
    project.deploy(env, meta, expect=BAD_INPUT)
    assert not project.env_dir(env).exists()
    assert not (project.state / "state" / "envs" / env).exists()


def _assert_destroyed(project: Project, env: str) -> None:
    assert project.servers_running(env) == {"postgres": [], "emulator": [], "redis": []}
    assert not (project.env_dir(env) / "state.json").exists()


@pytest.mark.parametrize("point", ["destroying", "removing-file:emulator", "removing-file:state.json"])
def test_a_destroy_killed_at_a_named_point_converges(project: Project, point: str) -> None:
    meta = project.app("booking-system", name=f"kd-{point.replace(':', '-')}/booking-system")
    env = project.stack(f"kd{len(point)}", secrets_for=meta)
    project.deploy(env, meta)
    crashed = project.cli("destroy", "--env", env, "--yes", env={"ORCHESTRATOR_CRASH_AT": point})
    assert crashed.code == -9, f"step {point!r} was not reached:\n{crashed}"
    project.deploy(env, meta)  # finishes the destroy, then makes everything again
    project.verify(env)
    add_rows(project, env, 10)
    project.deploy(env, meta)
    assert count_rows(project, env) == 10
    project.destroy(env)
    _assert_destroyed(project, env)


def test_destroys_killed_at_random_times_converge(project: Project) -> None:
    import random
    import signal
    import time

    meta = project.app("booking-system", name="kd-random/booking-system")
    env = project.stack("kdrandom", secrets_for=meta)
    rng = random.Random(7)
    for _ in range(4):
        project.deploy(env, meta)
        add_rows(project, env, 5)
        before = count_rows(project, env)
        proc = project.popen("destroy", "--env", env, "--yes")
        time.sleep(rng.uniform(0.05, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        after = project.deploy(env, meta)
        assert "Traceback" not in after.stderr
        project.verify(env)
        rows = count_rows_or_none(project, env)
        assert rows in (before, None), rows  # whole (killed before it removed anything), or made again empty
    project.destroy(env)
    _assert_destroyed(project, env)


def count_rows_or_none(project: Project, env: str) -> int | None:
    try:
        return count_rows(project, env)
    except psycopg.errors.UndefinedTable:
        return None


def test_servers_get_a_minimal_environment(project: Project) -> None:
    meta = project.app("replicate-image-generator", name="minenv/replicate-image-generator")
    env = project.stack("minenv", secrets_for=meta)
    canary = {"AWS_SECRET_ACCESS_KEY": "canary-aws-2f1c", "PULUMI_CONFIG_PASSPHRASE": "canary-pass-8e3b"}
    project.cli(*project.deploy_args(env, meta), env=canary)
    for pids in project.servers_running(env).values():
        for pid in pids:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            assert b"canary-" not in environ, f"pid {pid} inherited the deployer's environment"

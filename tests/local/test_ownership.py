"""Ownership on real servers (issue #8, items 1-3, 6): only what a state directory's owner id marked is changed.

The tests share one project and run in file order (one env is deployed once and reused: deploys are the slow
part). Names have dashes on purpose: the app is `polar-file-sharing` and the envs are `own-a`, `own-b`, ...
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql as pgsql
from standalone_postgres import standalone_postgres

from orchestrator.core.errors import ExitCode, NotOwned
from providers.local import ownership
from providers.local.servers import postgres

if TYPE_CHECKING:
    from tests.local.conftest import Project

pytestmark = pytest.mark.local
NOT_OWNED = ExitCode.NOT_OWNED
BAD_INPUT = ExitCode.BAD_INPUT
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="one system user per cluster is made only as root")
EXTERNAL_PASSWORD = "shared-admin-pw"


# ---------------------------------------------------------------- helpers


def small_app(project: Project, variant: str, *, drop: tuple[str, ...] = ()) -> Path:
    """polar-file-sharing with only its databases (no bucket: PostgreSQL is the only server), minus `drop`."""

    def mutate(data: Any) -> None:
        del data.buckets[:]
        keep = [db for db in data.sql_databases if db.name not in drop]
        del data.sql_databases[:]
        data.sql_databases.extend(keep)
        for svc in data.svcs:
            del svc.buckets[:]
            names = [d for d in svc.databases if d not in drop]
            del svc.databases[:]
            svc.databases.extend(names)

    return project.app("polar-file-sharing", name=f"{variant}/polar-file-sharing", mutate=mutate)


def deploy_with(environ: dict[str, str], project: Project, env: str, meta: Path, *extra: str,
                expect: int = 0) -> Any:
    """`project.deploy` with extra environment variables (another state home, PGPASSWORD)."""
    return project._expect(project.cli(*project.deploy_args(env, meta, *extra), env=environ), expect)


def state_of(root: Path, env: str) -> dict[str, Any]:
    return json.loads((root / "local" / env / "state.json").read_text())


def connect(port: int, password: str, dbname: str = "postgres", user: str = postgres.PG_ADMIN) -> psycopg.Connection:
    return psycopg.connect(host="127.0.0.1", port=port, user=user, password=password, dbname=dbname,
                           autocommit=True, connect_timeout=10)


def embedded(root: Path, env: str) -> tuple[int, str]:
    pg = state_of(root, env)["servers"]["postgres"]
    return pg["port"], pg["admin_password"]


def database(root: Path, env: str, name: str) -> str:
    return state_of(root, env)["resources"][f"sql:{name}"]["names"]["database"]


def put_rows(port: int, password: str, dbname: str, n: int) -> None:
    with connect(port, password, dbname) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kept (id int)")
        conn.execute("INSERT INTO kept SELECT generate_series(1, %s)", (n,))


def count_rows(port: int, password: str, dbname: str) -> int:
    with connect(port, password, dbname) as conn:
        return conn.execute("SELECT count(*) FROM kept").fetchone()[0]  # type: ignore[index]


def comments(port: int, password: str) -> dict[str, str | None]:
    """Every non-maintenance database's and login role's comment, by `database X` / `role Y`."""
    with connect(port, password) as conn:
        dbs = conn.execute("SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
                           "WHERE datname NOT IN ('postgres', 'template0', 'template1')").fetchall()
        roles = conn.execute("SELECT rolname, shobj_description(oid, 'pg_authid') FROM pg_roles "
                             "WHERE NOT rolsuper AND rolname !~ '^pg_'").fetchall()
    return {**{f"database {n}": c for n, c in dbs}, **{f"role {n}": c for n, c in roles}}


def mark_of(root: Path, env: str) -> str:
    owner = ownership.current(root / "local" / env)
    assert owner is not None
    return owner.mark


# ---------------------------------------------------------------- one env, its marks and its system user


@pytest.fixture(scope="module")
def env_a(project: Project) -> tuple[str, Path]:
    meta = small_app(project, "a")
    env = project.stack("own-a", secrets_for=meta)
    project.deploy(env, meta)
    return env, meta


def test_every_database_role_and_the_cluster_carry_the_mark(project: Project, env_a: tuple[str, Path]) -> None:
    env, _ = env_a
    port, password = embedded(project.state, env)
    mark = mark_of(project.state, env)
    found = comments(port, password)
    assert len(found) == 6 and set(found.values()) == {mark}, found
    assert ownership.read_file_mark(postgres.datadir_of(project.env_dir(env))) == mark


@ROOT_ONLY
def test_each_cluster_runs_as_its_own_user_that_cannot_read_another(project: Project,
                                                                    env_a: tuple[str, Path]) -> None:
    env_b = project.stack("own-b", secrets_for=env_a[1])
    project.deploy(env_b, env_a[1])
    users = {}
    for env in (env_a[0], env_b):
        entry = pwd.getpwnam(postgres.cluster_user(project.env_dir(env)))
        assert project.postmaster_uids(env) == [entry.pw_uid]
        assert entry.pw_gecos == f"{ownership.TAG_KEY} {ownership.current(project.env_dir(env)).id}"  # type: ignore[union-attr]
        datadir = postgres.datadir_of(project.env_dir(env))
        st = datadir.stat()
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (entry.pw_uid, 0o700)
        users[env] = entry
    a_files = postgres.datadir_of(project.env_dir(env_a[0]))
    as_b = subprocess.run(["cat", str(a_files / "PG_VERSION")], capture_output=True, text=True, cwd="/",
                          user=users[env_b].pw_uid, group=users[env_b].pw_gid, extra_groups=[])
    assert as_b.returncode != 0 and "Permission denied" in as_b.stderr, as_b
    as_a = subprocess.run(["cat", str(a_files / "PG_VERSION")], capture_output=True, text=True, cwd="/",
                          user=users[env_a[0]].pw_uid, group=users[env_a[0]].pw_gid, extra_groups=[])
    assert as_a.returncode == 0, as_a

    project.destroy(env_b)
    with pytest.raises(KeyError):
        pwd.getpwnam(users[env_b].pw_name)
    assert pwd.getpwnam(users[env_a[0]].pw_name).pw_uid == users[env_a[0]].pw_uid


# ---------------------------------------------------------------- a database gone from the server


def test_a_database_missing_from_the_server_is_said_loudly(project: Project, env_a: tuple[str, Path]) -> None:
    env, meta = env_a
    port, password = embedded(project.state, env)
    auth = database(project.state, env, "auth")
    with connect(port, password) as conn:
        conn.execute(pgsql.SQL("DROP DATABASE {} WITH (FORCE)").format(pgsql.Identifier(auth)))
    shown = project.cli("preview", "--env", env, "--meta", str(meta))
    assert shown.code == 0 and f"database {auth} is missing from the server: it will be recreated EMPTY" in (
        shown.stdout + shown.stderr), str(shown)
    asked = project.cli(*project.deploy_args(env, meta)[:-1])  # no --yes, no terminal: refused, nothing done
    assert asked.code == BAD_INPUT, str(asked)
    done = project.deploy(env, meta)
    out = done.stdout + done.stderr
    assert "no changes" not in out and "recreated EMPTY" in out and "1 database(s) recreated empty" in out, out
    assert f"database {auth}" in comments(port, password)


# ---------------------------------------------------------------- leftovers: found by mark, kept when holding data


def test_leftovers_are_found_by_mark_and_kept_while_they_hold_data(project: Project,
                                                                   env_a: tuple[str, Path]) -> None:
    """Restoring an older state (one that never held `files` and `payments`), then deploying: the databases it
    does not know are ours by their mark; `files` holds rows, so nothing is dropped without --allow-destroy."""
    env, _ = env_a
    port, password = embedded(project.state, env)
    files, payments = database(project.state, env, "files"), database(project.state, env, "payments")
    put_rows(port, password, files, 500)
    state_file = project.env_dir(env) / "state.json"
    doc = json.loads(state_file.read_text())
    for key in ("sql:files", "sql:payments"):
        del doc["resources"][key]
    doc["plan"]["resources"] = [r for r in doc["plan"]["resources"]
                                if f"{r['kind']}:{r['name']}" not in ("sql:files", "sql:payments")]
    state_file.write_text(json.dumps(doc))
    (project.state / "state" / "envs" / env / "record.json").unlink()
    older = small_app(project, "older", drop=("files", "payments"))

    refused = project.deploy(env, older, expect=BAD_INPUT)
    assert refused.one_line_error and files in refused.stderr and "--allow-destroy" in refused.stderr, str(refused)
    assert payments not in refused.stderr  # empty: it would go, but nothing is changed before the refusal
    assert count_rows(port, password, files) == 500
    assert {f"database {files}", f"database {payments}"} <= set(comments(port, password))

    project.deploy(env, older, "--allow-destroy")
    left = comments(port, password)
    assert f"database {files}" not in left and f"database {payments}" not in left, left
    assert f"database {database(project.state, env, 'auth')}" in left


# ---------------------------------------------------------------- a copy owns nothing


def test_a_copied_state_dir_owns_nothing(project: Project, env_a: tuple[str, Path]) -> None:
    env_name = env_a[0]
    port, password = embedded(project.state, env_name)
    auth = database(project.state, env_name, "auth")
    put_rows(port, password, auth, 3000)
    running = project.servers_running(env_name)
    copy = project.root / "copy-home"
    subprocess.run(["cp", "-a", str(project.state), str(copy)], check=True)
    at_copy = {"ORCHESTRATOR_HOME": str(copy)}

    older = small_app(project, "older", drop=("files", "payments"))
    for args in (project.deploy_args(env_name, older), ("stop", "--env", env_name),
                 ("destroy", "--env", env_name, "--yes"), ("takeover", "--env", env_name, "--yes")):
        result = project.cli(*args, env=at_copy)
        assert result.code == NOT_OWNED and result.one_line_error, str(result)
    assert "still exists" in result.stderr, str(result)
    assert project.servers_running(env_name) == running
    assert count_rows(port, password, auth) == 3000


# ---------------------------------------------------------------- two state dirs, one external server


@pytest.fixture(scope="module")
def external(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with standalone_postgres(tmp_path_factory.mktemp("shared-pg"), password=EXTERNAL_PASSWORD) as port:
        yield port


def test_two_state_dirs_on_one_external_server_cannot_reach_each_other(project: Project, external: int) -> None:
    """Same app, same env name, same database names: B is refused (NotOwned), A keeps its passwords and rows."""
    meta = small_app(project, "shared")
    url = f"postgresql://{postgres.PG_ADMIN}@127.0.0.1:{external}/postgres"
    env = project.stack("shared-env", local={"postgresAdminUrl": url}, secrets_for=meta)
    home_b = project.root / "home-b"
    a, b = {"PGPASSWORD": EXTERNAL_PASSWORD}, {"PGPASSWORD": EXTERNAL_PASSWORD, "ORCHESTRATOR_HOME": str(home_b)}
    deploy_with(a, project, env, meta)
    auth = database(project.state, env, "auth")
    role = state_of(project.state, env)["resources"]["sql:auth"]["names"]["role"]
    password_a = state_of(project.state, env)["resources"]["sql:auth"]["password"]
    put_rows(external, EXTERNAL_PASSWORD, auth, 700)
    before = comments(external, EXTERNAL_PASSWORD)

    taken = deploy_with(b, project, env, meta, expect=NOT_OWNED)
    assert taken.one_line_error and "another state directory" in taken.stderr, str(taken)
    with connect(external, password_a, auth, user=role) as conn:  # A's password still opens A's database
        assert conn.execute("SELECT current_user").fetchone() == (role,)

    project._expect(project.cli("destroy", "--env", env, "--yes", env=b), 0)
    assert count_rows(external, EXTERNAL_PASSWORD, auth) == 700
    assert comments(external, EXTERNAL_PASSWORD) == before

    project._expect(project.cli("destroy", "--env", env, "--yes", env=a), 0)
    assert not comments(external, EXTERNAL_PASSWORD)


# ---------------------------------------------------------------- a moved state dir, taken over


def test_a_moved_state_dir_is_taken_over_and_nothing_else_is_touched(project: Project) -> None:
    meta = small_app(project, "moved")
    env = project.stack("own-moved", secrets_for=meta)
    home = project.root / "home-before"
    at = {"ORCHESTRATOR_HOME": str(home)}
    deploy_with(at, project, env, meta)
    port, password = embedded(home, env)
    auth = database(home, env, "auth")
    put_rows(port, password, auth, 250)
    old_mark = mark_of(home, env)
    foreign = ownership.MARK_PREFIX + "f" * 32
    with connect(port, password) as conn:
        conn.execute("CREATE DATABASE theirs")
        conn.execute(pgsql.SQL("COMMENT ON DATABASE theirs IS {}").format(pgsql.Literal(foreign)))
    old_user = postgres.cluster_user(home / "local" / env)

    moved = project.root / "home-after"
    shutil.move(str(home), str(moved))
    at = {"ORCHESTRATOR_HOME": str(moved)}
    refused = deploy_with(at, project, env, meta, expect=NOT_OWNED)
    assert "takeover" in refused.stderr, str(refused)

    unasked = project.cli("takeover", "--env", env, env=at)  # no terminal to ask on, no --yes: nothing done
    assert unasked.code == BAD_INPUT and "--yes" in unasked.stderr, str(unasked)
    assert "PostgreSQL cluster" in unasked.stderr and "every database and role" in unasked.stderr, str(unasked)
    with pytest.raises(NotOwned):
        ownership.current(moved / "local" / env)
    if os.geteuid() == 0:  # as root the cluster directory is renamed and relinked: killed there, a rerun finishes
        killed = project.cli("takeover", "--env", env, "--yes", env={**at, "ORCHESTRATOR_CRASH_AT": "takeover:*"})
        assert killed.code == -signal.SIGKILL, str(killed)
    took = project._expect(project.cli("takeover", "--env", env, "--yes", env=at), 0)
    assert "took over 3 database(s) and 3 role(s)" in took.stderr + took.stdout, str(took)
    new_mark = mark_of(moved, env)
    assert new_mark != old_mark
    port, password = embedded(moved, env)
    found = comments(port, password)
    assert found.pop("database theirs") == foreign
    assert set(found.values()) == {new_mark}, found
    assert count_rows(port, password, auth) == 250
    if os.geteuid() == 0:
        with pytest.raises(KeyError):
            pwd.getpwnam(old_user)

    deploy_with(at, project, env, meta)
    assert count_rows(port, password, auth) == 250

    # A new env at the old path is a stranger: its own cluster, and its destroy leaves the moved one whole.
    fresh = {"ORCHESTRATOR_HOME": str(home)}
    deploy_with(fresh, project, env, meta)
    assert embedded(home, env)[0] != port and mark_of(home, env) not in (old_mark, new_mark)
    project._expect(project.cli("destroy", "--env", env, "--yes", env=fresh), 0)
    assert count_rows(port, password, auth) == 250

    project._expect(project.cli("destroy", "--env", env, "--yes", env=at), 0)
    assert not (moved / "local" / env / "postgres").exists()

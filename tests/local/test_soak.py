"""Data-safety soak: kill -9 the orchestrator at random times, converge, and count every row and every server.

One env of a three-database app (polar-file-sharing: `auth`, `files`, `payments`, a bucket, plus a topic
with a subscription) goes round a cycle of commands: deploy, redeploy without the `files` database
(`--allow-destroy`), deploy it back, remove it again, destroy. Each command is first run once whole
to time it; after that, every command of the cycle is SIGKILLed after a delay drawn from a seeded RNG
over its last whole run's duration (the timing run, or a later run that finished before its kill), then
run again without a kill (the converging run), which must succeed. After each run, every database's rows
are counted as the app's own role (credentials from the state) and more are inserted: a database the
cycle did not remove holds exactly the rows written to it, and one made again after a removal or a
destroy holds none. The servers are found on this machine by what names this env (the command line or
working directory holding the project or a data directory the env used) and queried directly: what runs
and what they hold is exactly what the state records, and after a destroy nothing at all is left.

The seed is printed (`-s`) and named in every failure; SOAK_SEED=<n> replays its delays. Named fault points
(ORCHESTRATOR_CRASH_AT, tests/local/test_crash_safety.py) complement this; they are not used here.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql

from providers.local.ownership import OWNER_FILE
from providers.local.secret import SECRETS_FILE
from tests.local.conftest import add_topic

if TYPE_CHECKING:
    from tests.local.conftest import Project

pytestmark = [pytest.mark.local, pytest.mark.slow]

ENV = "soak-env"
KILLS = 30
DATABASES = ("auth", "files", "payments")
REMOVED = "files"
CYCLE = (("deploy", "full"), ("removal", "minus"), ("deploy", "full"), ("removal", "minus"), ("destroy", None))
"""(what the command is, the app form it deploys); `deploy` of the full form after a removal adds `files` back."""
LEFT_AFTER_DESTROY = {"lock", SECRETS_FILE, OWNER_FILE}
"""What `destroy` keeps: secret values set by hand and the ownership secret (a later deploy proves the same owner)."""
SERVER_KINDS = ("postgres", "emulator", "redis")


def _without_files(data: Any) -> None:
    keep = [db for db in data.sql_databases if db.name != REMOVED]
    del data.sql_databases[:]
    data.sql_databases.extend(keep)
    for svc in data.svcs:
        names = [d for d in svc.databases if d != REMOVED]
        del svc.databases[:]
        svc.databases.extend(names)


def _with_topic(data: Any) -> None:
    add_topic(data, "events", service="auth", subscription="audit")


def _forms(project: Project) -> dict[str, Path]:
    def minus(data: Any) -> None:
        _with_topic(data)
        _without_files(data)

    return {
        "full": project.app("polar-file-sharing", name="soak-full/polar-file-sharing", mutate=_with_topic),
        "minus": project.app("polar-file-sharing", name="soak-minus/polar-file-sharing", mutate=minus),
    }


# ---------------------------------------------------------------- the machine, looked at directly


def _listening_ports(pid: int) -> set[int]:
    """TCP ports `pid` listens on (its socket inodes matched against /proc/net/tcp{,6})."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A: LISTEN
                ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    argv: tuple[str, ...]

    @property
    def kind(self) -> str | None:
        """The server this is the main process of (a postmaster, the emulator, redis-server), else None."""
        if self.argv and self.argv[0].endswith("postgres") and "-D" in self.argv:
            return "postgres"
        if any("moto.server" in part for part in self.argv):
            return "emulator"
        if self.argv and self.argv[0].split(" ")[0].endswith("redis-server"):
            return "redis"
        return None


@dataclass
class Machine:
    """What on this machine belongs to the soak's env, whatever its state says."""

    project: Project
    datadirs: set[str] = field(default_factory=set)
    """Every PostgreSQL data directory the env's `postgres` link pointed at during the soak."""

    def remember_datadir(self) -> None:
        link = self.project.env_dir(ENV) / "postgres"
        if link.is_symlink():
            self.datadirs.add(os.readlink(link))
        elif link.is_dir():
            self.datadirs.add(str(link.resolve()))

    def markers(self) -> list[bytes]:
        return [str(self.project.root).encode(), *(d.encode() for d in self.datadirs)]

    def processes(self) -> list[Proc]:
        markers = self.markers()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if stat[0] in ("Z", "X"):
                    continue
                cmdline = (entry / "cmdline").read_bytes()
                cwd = os.readlink(entry / "cwd").encode()
            except (OSError, IndexError):
                continue
            if any(m in cmdline or cwd == m or cwd.startswith(m + b"/") for m in markers):
                argv = tuple(part.decode(errors="replace") for part in cmdline.split(b"\0") if part)
                found.append(Proc(int(entry.name), int(stat[1]), argv))
        return found

    def servers(self) -> dict[tuple[str, int], int]:
        """(kind, port) -> pid of every server main process of the env; stray processes (neither a server nor
        a server's child: a killed run's initdb, a second orchestrator) fail the soak here."""
        procs = self.processes()
        mains = {p.pid: p for p in procs if p.kind}
        strays = [p for p in procs if not p.kind and p.ppid not in mains]
        assert not strays, f"processes left behind: {[(p.pid, ' '.join(p.argv)[:160]) for p in strays]}"
        out = {}
        for p in mains.values():
            ports = _listening_ports(p.pid)
            assert len(ports) == 1, f"{p.kind} pid {p.pid} listens on {ports}"
            out[(p.kind or "", ports.pop())] = p.pid
        return out


# ---------------------------------------------------------------- rows, as the app's own roles


def _connect_as_app(project: Project, db: str) -> psycopg.Connection:
    state = project.state_doc(ENV)
    rec = state["resources"][f"sql:{db}"]
    return psycopg.connect(host="127.0.0.1", port=state["servers"]["postgres"]["port"], user=rec["names"]["role"],
                           password=rec["password"], dbname=rec["names"]["database"], autocommit=True,
                           connect_timeout=10)


def _count(project: Project, db: str) -> int:
    with _connect_as_app(project, db) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(f"{db}_m1"))).fetchone()
        assert row is not None
        return row[0]


def _insert(project: Project, db: str, n: int) -> None:
    with _connect_as_app(project, db) as conn:
        conn.execute(sql.SQL("INSERT INTO {} (note) SELECT 'soak-' || g FROM generate_series(1, %s) g").format(
            sql.Identifier(f"{db}_m1")), (n,))


# ---------------------------------------------------------------- one command, perhaps killed


@dataclass(frozen=True)
class Run:
    code: int
    seconds: float
    stderr: str
    killed: bool


def _run(project: Project, args: tuple[str, ...], kill_after: float | None) -> Run:
    start = time.monotonic()
    proc = project.popen(*args)
    sent = False
    try:
        proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        sent = True
    _, stderr = proc.communicate(timeout=240)
    # A run that ended with exit 0 between the timeout and the signal was not killed: it finished first (and is
    # checked as such); any other exit after the signal is a killed run, which must show SIGKILL.
    killed = sent and proc.returncode != 0
    return Run(proc.returncode, time.monotonic() - start, stderr, killed)


def _args(project: Project, forms: dict[str, Path], what: str, form: str | None) -> tuple[str, ...]:
    if what == "destroy":
        return ("destroy", "--env", ENV, "--yes")
    assert form is not None
    extra = ("--allow-destroy",) if what == "removal" else ()
    return project.deploy_args(ENV, forms[form], *extra)


# ---------------------------------------------------------------- the soak


@dataclass
class Soak:
    project: Project
    machine: Machine
    seed: int
    rng: random.Random
    written: dict[str, int] = field(default_factory=dict)
    """Rows that must be in each database that exists now."""
    rows_checked: int = 0

    def fail(self, step: str) -> str:
        return f"seed {self.seed}, {step}"

    def check_deployed(self, form: str, step: str) -> None:
        """After a converging deploy: servers and what they hold are what the state records, rows are whole."""
        self.machine.remember_datadir()
        state = self.project.state_doc(ENV)
        present = set(DATABASES) - ({REMOVED} if form == "minus" else set())
        for db in set(self.written) - present:
            del self.written[db]  # deliberately removed: its rows go with it
        for db in present:
            self.written.setdefault(db, 0)  # (made again) empty

        statuses = {key: rec.get("status") for key, rec in state["resources"].items()}
        assert set(statuses.values()) == {"ready"}, self.fail(f"{step}: {statuses}")
        running = self.machine.servers()
        recorded = {(name, state["servers"][name]["port"]) for name in ("postgres", "emulator")}
        assert set(running) == recorded, self.fail(f"{step}: servers running {running}, recorded {recorded}")
        assert self.project.inventory(ENV) == self.project.recorded(ENV), self.fail(f"{step}: inventory")
        assert {k.split(":", 1)[1] for k in state["resources"] if k.startswith("sql:")} == present, self.fail(step)

        counted = {db: _count(self.project, db) for db in sorted(present)}
        assert counted == self.written, self.fail(f"{step}: rows counted {counted} != rows written {self.written}")
        self.rows_checked += sum(counted.values())
        for db in sorted(present):
            n = self.rng.randint(1, 50)
            _insert(self.project, db, n)
            self.written[db] += n

    def check_destroyed(self, step: str) -> None:
        self.written.clear()
        running = self.machine.servers()
        assert not running, self.fail(f"{step}: servers still running {running}")
        left = {p.name for p in self.project.env_dir(ENV).iterdir()} if self.project.env_dir(ENV).exists() else set()
        assert left <= LEFT_AFTER_DESTROY, self.fail(f"{step}: left in the state directory: {left}")
        remaining = [d for d in self.machine.datadirs if Path(d).exists()]
        assert not remaining, self.fail(f"{step}: data directories left: {remaining}")

    def check(self, what: str, form: str | None, step: str) -> None:
        if what == "destroy":
            self.check_destroyed(step)
        else:
            assert form is not None
            self.check_deployed(form, step)


def test_random_kills_lose_no_row_and_leave_nothing_unowned(project: Project) -> None:
    seed = int(os.environ.get("SOAK_SEED") or random.SystemRandom().randrange(2**32))
    print(f"\nsoak seed: {seed} (replay with SOAK_SEED={seed})")
    clock = time.monotonic()
    forms = _forms(project)
    project.stack(ENV, secrets_for=forms["full"])
    soak = Soak(project, Machine(project), seed, random.Random(seed))

    durations = []
    for what, form in CYCLE:
        whole = _run(project, _args(project, forms, what, form), kill_after=None)
        assert whole.code == 0, soak.fail(f"the timing {what} ({form}): exit {whole.code}\n{whole.stderr}")
        durations.append(whole.seconds)
        soak.check(what, form, f"the timing {what} ({form})")

    kills: Counter[str] = Counter()
    spent: dict[str, float] = defaultdict(float)
    finished_first = 0
    step = 0
    while sum(kills.values()) < KILLS:
        at = step % len(CYCLE)
        what, form = CYCLE[at]
        delay = soak.rng.uniform(0.0, durations[at])
        step += 1
        args = _args(project, forms, what, form)
        label = f"step {step}: {what} ({form}) killed after {delay:.2f} s"
        run = _run(project, args, kill_after=delay)
        spent["killed runs"] += run.seconds
        if run.killed:
            kills[what] += 1
            assert run.code == -signal.SIGKILL, soak.fail(f"{label}: exit {run.code}\n{run.stderr}")
            converged = _run(project, args, kill_after=None)
            spent["converging runs"] += converged.seconds
            last = (run.stderr.strip().splitlines() or ["(nothing printed)"])[-1]
            print(f"{label} (its last line: {last[:100]}); converged in {converged.seconds:.2f} s")
            assert converged.code == 0, soak.fail(f"{label}; the converging run: exit {converged.code}\n"
                                                  f"{converged.stderr}")
            assert "Traceback" not in converged.stderr, soak.fail(label)
        else:
            finished_first += 1
            assert run.code == 0, soak.fail(f"{label} (finished first): exit {run.code}\n{run.stderr}")
            durations[at] = run.seconds  # a whole run again: the machine's load changed
        checked = time.monotonic()
        soak.check(what, form, label)
        spent["checks"] += time.monotonic() - checked
        assert step < 3 * KILLS, soak.fail(f"only {dict(kills)} kills in {step} steps")

    if soak.written:
        project.destroy(ENV)
        soak.check_destroyed("the final destroy")
    elapsed = time.monotonic() - clock
    print(f"soak: {dict(kills)} kills in {step} steps ({finished_first} finished before their kill), "
          f"{soak.rows_checked} rows counted, last timed durations {[round(d, 2) for d in durations]}, {elapsed:.1f} s "
          f"({', '.join(f'{k} {v:.1f} s' for k, v in spent.items())})")
    assert set(kills) == {"deploy", "removal", "destroy"}, soak.fail(f"kills {dict(kills)}")

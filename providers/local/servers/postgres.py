"""The local target's PostgreSQL: binaries (system or the pgserver wheel's), the cluster, the postmaster.

As root, each env's cluster runs as its own unprivileged system user (`orch-pg-<hash of the state
directory>`, its comment field holding the env's owner id), its data directory (mode 0700) under PG_HOME
and linked from the env's state directory: one env's server can neither read another's files nor signal
it. The data directory carries the env's ownership mark (providers/local/ownership.py); the postmaster's
`postmaster.pid` tells any later run that it serves the cluster.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
from pathlib import Path
from typing import Any

from orchestrator.core.errors import BadInput, MissingTool
from orchestrator.core.faults import crashpoint
from orchestrator.core.model import Kind
from providers.local import ownership
from providers.local.ownership import Owner
from providers.local.servers.process import (
    Account,
    Launch,
    Running,
    ServerFailed,
    Started,
    choose_port,
    create_system_user,
    new_password,
    pid_alive,
    run_as,
    spawn,
    terminate,
    wait_until,
)

NAME = "postgres"
PG_SYSTEM_USER = "orchestrator-pg"
PG_ADMIN = "orchestrator"
PG_MARKER = "postgres"
PG_FAST_SHUTDOWN = signal.SIGINT
"""Checkpoint and exit, cutting clients: data kept."""
PG_IMMEDIATE_SHUTDOWN = signal.SIGQUIT
"""Exit at once (crash recovery on the next start): for data about to be deleted."""
PG_HOME = Path("/var/lib/orchestrator-pg")
"""As root, clusters live here (each linked from its state directory) so that the unprivileged user
reaches them whatever the permissions of the state directory's parents."""


def pg_account(base: Path | None = None, owner: Owner | None = None) -> Account | None:
    """When running as root: the system user PostgreSQL runs as, created if missing; None otherwise.

    With `base` (an env's state directory) and its `owner`, the env's own user `orch-pg-<hash>`, whose comment
    field holds the owner id (one with another id is NotOwned); without, the shared `orchestrator-pg` (servers
    the tests start outside any env)."""
    if os.geteuid() != 0:
        return None
    name = PG_SYSTEM_USER if base is None or owner is None else cluster_user(base)
    comment = "orchestrator PostgreSQL" if owner is None or name == PG_SYSTEM_USER else _comment(owner)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        entry = create_system_user(name, comment)
    if owner is not None and name != PG_SYSTEM_USER and entry.pw_gecos != comment:
        ownership.check(_mark_of(entry.pw_gecos), owner, f"system user {name}")
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def cluster_user(base: Path) -> str:
    return f"orch-pg-{hashlib.sha256(str(base.resolve()).encode()).hexdigest()[:12]}"


def _comment(owner: Owner) -> str:
    """The passwd comment field naming the owner (it cannot hold the mark's `:`)."""
    return f"{ownership.TAG_KEY} {owner.id}"


def _mark_of(comment: str) -> str | None:
    head, _, owner_id = comment.partition(" ")
    return ownership.MARK_PREFIX + owner_id if head == ownership.TAG_KEY and owner_id else None


def remove_account(base: Path, owner: Owner) -> bool:
    """Delete the env's system user (and its group) when it carries this owner's id; True when deleted."""
    if os.geteuid() != 0:
        return False
    name = cluster_user(base)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return False
    if entry.pw_gecos != _comment(owner):
        return False
    for cmd in (["userdel", name], ["deluser", name]):
        if shutil.which(cmd[0]) is not None:
            subprocess.run(cmd, capture_output=True, text=True)
            break
    return True


def pg_datadir(base: Path, account: Account | None) -> Path:
    """The cluster directory of the environment at `base`: `<base>/postgres`, which as root is a link to a
    directory under PG_HOME named after the state directory's real path."""
    link = base / NAME
    if account is None or (link.exists() and not link.is_symlink()):
        return link
    if link.is_symlink():
        return _linked_datadir(base)
    PG_HOME.mkdir(mode=0o711, parents=True, exist_ok=True)
    real = owned_datadir(base)
    link.symlink_to(real, target_is_directory=True)
    return real


def owned_datadir(base: Path) -> Path:
    """The one data directory the state directory at `base` may own: a copy of the state directory (another
    real path) owns another one, so it can never reach the original's cluster."""
    return PG_HOME / f"{base.name}-{hashlib.sha256(str(base.resolve()).encode()).hexdigest()[:16]}"


def _linked_datadir(base: Path) -> Path:
    """Where `<base>/postgres` points, refused unless it is this state directory's own data directory."""
    link = base / NAME
    target, owned = Path(os.readlink(link)), owned_datadir(base)
    if target != owned:
        raise BadInput(
            f"the link points at {target}, not at this state directory's own data directory {owned}: it was copied "
            "from another environment or planted; nothing was touched",
            where=str(link),
        )
    return target


def datadir_of(base: Path) -> Path:
    """The env's cluster directory as it is now (no link made, no user created)."""
    link = base / NAME
    return _linked_datadir(base) if link.is_symlink() else link


def check_datadir(base: Path, owner: Owner | None) -> None:
    """NotOwned unless the env's cluster (when there is one) carries `owner`'s mark. A cluster without any mark
    (made before clusters were marked) is this state directory's by its path, and gets the mark."""
    datadir = datadir_of(base)
    if not (datadir / "PG_VERSION").exists():
        return
    found = ownership.read_file_mark(datadir)
    if found is None:
        if owner is not None:
            ownership.write_file_mark(datadir, owner)
        return
    if owner is None:
        raise BadInput("this PostgreSQL cluster is marked but the state directory has no ownership file; restore it",
                       where=str(datadir))
    ownership.check(found, owner, f"PostgreSQL cluster {datadir}")


def take_over_cluster(base: Path, old: Owner, new: Owner) -> Path | None:
    """For `takeover`: the cluster of a state directory moved from `old.directory` becomes this one's (its
    server stopped, as root its directory renamed to the one `base` owns and relinked), marked `new`. Only a
    cluster carrying `old`'s (or, rerun, `new`'s) mark; returns its directory, None when there is none."""
    link = base / NAME
    dest = owned_datadir(base) if link.is_symlink() else link
    source = Path(os.readlink(link)) if link.is_symlink() else link
    if link.is_symlink() and source not in (owned_datadir(old.directory), dest):  # dest: a takeover run again
        raise BadInput(f"the link points at {source}, not at the cluster of {old.directory}; nothing was touched",
                       where=str(link))
    if not (source / "PG_VERSION").exists() and (dest / "PG_VERSION").exists():
        source = dest  # a takeover killed after the rename
    if not (source / "PG_VERSION").exists():
        return None
    found = ownership.read_file_mark(source)
    if found != new.mark:
        ownership.check(found, old, f"PostgreSQL cluster {source}")
    stop_postgres(source)
    if source != dest:
        os.rename(source, dest)
        staging = base / f".{NAME}.link"
        staging.unlink(missing_ok=True)
        staging.symlink_to(dest, target_is_directory=True)
        os.replace(staging, link)
    crashpoint("takeover:relinked")
    ownership.write_file_mark(dest, new)
    remove_account(old.directory, old)
    return dest


def remove_pg_data(base: Path) -> None:
    link = base / NAME
    if link.is_symlink():
        real = _linked_datadir(base)
        for path in (real, *_stagings(real)):
            shutil.rmtree(path, ignore_errors=True)
        link.unlink()
    else:
        shutil.rmtree(link, ignore_errors=True)


def pg_bindir_candidates() -> list[Path]:
    """System PostgreSQL first (pg_config, then /usr/lib/postgresql/*/bin newest first), then pgserver's."""
    found: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10).stdout.strip()
            if out:
                found.append(Path(out))
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version_key(Path(p).parent.name), reverse=True
    )
    found += [Path(p) for p in versions]
    found += pgserver_bindirs()
    unique: list[Path] = []
    for path in found:
        if (path / "postgres").is_file() and (path / "initdb").is_file() and path not in unique:
            unique.append(path)
    return unique


def pgserver_bindirs() -> list[Path]:
    spec = importlib.util.find_spec("pgserver")
    if not spec or not spec.submodule_search_locations:
        return []
    return [Path(loc) / "pginstall" / "bin" for loc in spec.submodule_search_locations]


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)) or (0,)


def pg_major(bindir: Path) -> str:
    out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=10).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if not match:
        raise MissingTool(f"cannot tell the version of {bindir / 'postgres'}", where="local postgres")
    return match.group(1)


def pick_pg_bindir(datadir: Path, remembered: str | None) -> Path:
    """The remembered binaries when still there, else the first candidate able to run `datadir`."""
    wanted = (datadir / "PG_VERSION").read_text().strip() if (datadir / "PG_VERSION").exists() else None
    candidates = pg_bindir_candidates()
    if remembered and Path(remembered) in candidates:
        candidates.insert(0, candidates.pop(candidates.index(Path(remembered))))
    for bindir in candidates:
        if wanted is None or pg_major(bindir) == wanted:
            return bindir
    if wanted:
        raise MissingTool(
            f"the data in {datadir} needs PostgreSQL {wanted}, which is not installed", where="local postgres"
        )
    raise MissingTool(
        "no PostgreSQL binaries: install the local extra (pip install 'encore-orchestrator[local]', which brings "
        "pgserver) or a system PostgreSQL",
        where="local postgres",
    )


def runnable_bindir(bindir: Path, account: Account | None) -> Path:
    """`bindir`, or when `account` cannot run it (binaries inside a private directory, e.g. a venv under
    /root), a copy of its installation under PG_HOME."""
    if account is None or _runs_as(bindir, account):
        return bindir
    install = bindir.parent
    copy = PG_HOME / f"pginstall-{hashlib.sha256(str(install).encode()).hexdigest()[:12]}"
    if not _runs_as(copy / "bin", account):
        shutil.rmtree(copy, ignore_errors=True)
        PG_HOME.mkdir(mode=0o711, parents=True, exist_ok=True)
        staging = copy.with_name(copy.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(install, staging, symlinks=True)
        for root, dirs, files in os.walk(staging):
            for name in [root, *(os.path.join(root, d) for d in dirs)]:
                os.chmod(name, 0o755)
            for name in files:
                path = os.path.join(root, name)
                if not os.path.islink(path):
                    os.chmod(path, os.stat(path).st_mode | stat.S_IRGRP | stat.S_IROTH)
        os.replace(staging, copy)
    return copy / "bin"


def _runs_as(bindir: Path, account: Account) -> bool:
    try:
        result = subprocess.run(
            [str(bindir / "postgres"), "--version"],
            capture_output=True,
            timeout=10,
            user=account.uid,
            group=account.gid,
            extra_groups=[],
            cwd="/",
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def pg_running(datadir: Path) -> Running | None:
    """(pid, port) of the postmaster serving `datadir`, from its postmaster.pid."""
    try:
        lines = (datadir / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    return Running(pid, port) if pid_alive(pid, PG_MARKER, home=datadir) else None


def _pg_ready(datadir: Path) -> bool:
    try:
        lines = (datadir / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready"


def init_postgres(datadir: Path, bindir: Path, *, password: str, account: Account | None, log: Path,
                  owner: Owner | None = None) -> None:
    """initdb into `<datadir>.init-<pid>`, then rename: a run killed half-way leaves no half-made cluster. Its own
    staging directory per run: the initdb of a killed run may still be writing into its own."""
    for stale in _stagings(datadir):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = datadir.with_name(f"{datadir.name}.init-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(mode=0o700)
    tmp.with_name(datadir.name + ".pw").unlink(missing_ok=True)  # where older versions kept it during initdb
    if account:
        os.chown(tmp, account.uid, account.gid)
    password_pipe = _password_pipe(password, account)
    try:
        result = subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(tmp),
                "-U",
                PG_ADMIN,
                "--auth=scram-sha-256",
                "--pwfile=/dev/stdin",  # the password never touches the disk, even when initdb is killed
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            stdin=password_pipe,
            capture_output=True,
            text=True,
            timeout=120,
            env=_pg_env(),
            cwd="/",
            **run_as(account),
        )
    finally:
        os.close(password_pipe)
    if result.returncode != 0:
        with open(log, "a") as fh:
            fh.write(result.stdout + result.stderr)
        last = (result.stderr.strip() or result.stdout.strip() or f"exit {result.returncode}").splitlines()[-1]
        raise ServerFailed(f"initdb failed: {last}", where=str(log))
    with open(tmp / "postgresql.auto.conf", "a") as fh:
        fh.write(
            "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\npassword_encryption = 'scram-sha-256'\n"
        )
    if owner is not None:
        ownership.write_file_mark(tmp, owner)  # before the rename: a cluster never exists without its mark
    os.replace(tmp, datadir)


def _stagings(datadir: Path) -> list[Path]:
    """initdb staging directories of `datadir` (`.init` from earlier versions, `.init-<pid>`)."""
    return [p for p in datadir.parent.glob(f"{glob.escape(datadir.name)}.init*")
            if p.name == f"{datadir.name}.init" or p.name.removeprefix(f"{datadir.name}.init-").isdigit()]


def _password_pipe(password: str, account: Account | None) -> int:
    """A pipe holding `password` for initdb's --pwfile=/dev/stdin, readable by the account that runs initdb (it
    reopens /dev/stdin, which checks the pipe's owner)."""
    read, write = os.pipe()
    if account:
        os.fchown(read, account.uid, account.gid)
    os.write(write, (password + "\n").encode())
    os.close(write)
    return read


def _pg_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}


def start_postgres(
    datadir: Path, bindir: Path, *, port: int, account: Account | None, log: Path, label: str
) -> subprocess.Popen[bytes]:
    """Start the postmaster; `label` (the state directory) goes into its command line to tell whose it is."""
    if account and datadir.stat().st_uid != account.uid:
        for root, dirs, files in os.walk(datadir):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.lchown(name, account.uid, account.gid)
    (datadir / "postmaster.pid").unlink(missing_ok=True)  # stale: pg_running said no server has it
    argv = [str(bindir / "postgres"), "-D", str(datadir), "-p", str(port), "-c", f"orchestrator.state={label}"]
    return spawn(argv, log=log, env=_pg_env(), account=account, cwd=datadir)


def wait_postgres(datadir: Path, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    wait_until(lambda: _pg_ready(datadir), what="PostgreSQL", log=log, proc=proc, port=port)


def stop_postgres(datadir: Path) -> None:
    running = pg_running(datadir)
    if running:
        terminate([(running.pid, PG_MARKER, PG_FAST_SHUTDOWN)])


class PostgresServer:
    name = NAME
    kinds = frozenset({Kind.SQL_SERVER, Kind.SQL})
    marker = PG_MARKER

    def pid_file(self, base: Path) -> Path:
        return base / NAME / "postmaster.pid"

    def running(self, base: Path) -> Running | None:
        link = base / NAME
        return pg_running(_linked_datadir(base) if link.is_symlink() else link)

    def stop_signal(self, *, keep_data: bool) -> signal.Signals:
        return PG_FAST_SHUTDOWN if keep_data else PG_IMMEDIATE_SHUTDOWN

    def start(self, launch: Launch) -> Started:
        """Run the env's cluster (made first when missing) on the configured, else the remembered, else a free port."""
        owner = launch.owner or ownership.current(launch.base)
        check_datadir(launch.base, owner)
        account = pg_account(launch.base, owner)
        datadir = pg_datadir(launch.base, account)
        check_datadir(launch.base, owner)  # a cluster another env left where this one links to is not adopted
        rec = launch.record
        configured = launch.settings.postgres_port
        running = pg_running(datadir)
        if running and configured is not None and running.port != configured:
            stop_postgres(datadir)
            running = None
        if running:
            _check_admin_password(rec, datadir)
            return Started(running.port, ready=None)
        picked = pick_pg_bindir(datadir, rec.get("bindir"))
        bindir = runnable_bindir(picked, account)
        log = launch.base / "postgres.log"
        if not (datadir / "PG_VERSION").exists():
            rec["admin_password"] = new_password()
            rec["bindir"] = str(picked)
            launch.save()
            crashpoint("initdb")
            init_postgres(datadir, bindir, password=rec["admin_password"], account=account, log=log, owner=owner)
        _check_admin_password(rec, datadir)
        port = choose_port(configured, rec.get("port"), setting="postgresPort")
        rec.update(port=port, bindir=str(picked))
        launch.save()
        label = str(launch.base.resolve())
        proc = start_postgres(datadir, bindir, port=port, account=account, log=log, label=label)
        return Started(port, ready=lambda: wait_postgres(datadir, proc, port, log))


def _check_admin_password(rec: dict[str, Any], datadir: Path) -> None:
    if not rec.get("admin_password"):
        raise BadInput(
            "PostgreSQL data exists but the state has no admin password for it (was state.json "
            "removed?); run `orchestrator destroy` for this env, or restore the state file",
            where=str(datadir),
        )

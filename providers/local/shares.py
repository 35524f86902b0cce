"""Shared preview envs on the local target: what a base env lends (`shares`) and how a PR env borrows it.

A base env's deploy records `shares` (orchestrator/records.py, `DeploymentRecord.shares`): its state directory's
real path, its PostgreSQL endpoint (embedded cluster or the `postgresAdminUrl` server), the emulator's and the
redis-server's ports and its buckets by Encore name. Never a password: a shared PR env (`Env.shares_base`) reads the
base's PostgreSQL admin password from the base's state file, after the same trust checks the target makes on its own
(ours, no symbolic link), and starts no server: every server it needs must already run for the base.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.core.envs import Env
from orchestrator.core.errors import BadInput
from orchestrator.core.model import Kind
from providers.local import servers
from providers.local.settings import Settings, settings_of
from providers.local.state import State, refuse_foreign

LENDER = "lender"
"""The key of a shared PR env's state that holds the base's state directory (where its servers run)."""


def lent(env: Env, state: State) -> dict[str, Any]:
    """What a (non-preview) env lends its shared preview envs: endpoints and names, never a secret."""
    return {} if env.is_preview else lent_by(settings_of(env), state)


def lent_by(settings: Settings, state: State) -> dict[str, Any]:
    """What the env whose state is `state` and whose `orchestrator:local` block is `settings` lends."""
    out: dict[str, Any] = {"state_dir": str(state.dir.resolve())}
    kinds = {rec.get("kind") for rec in state.resources.values()}
    external = settings.postgres_admin_url
    if Kind.SQL_SERVER.value in kinds or Kind.SQL.value in kinds:
        if external:
            from providers.local.session import external_postgres

            ep = external_postgres(external)
            out["postgres"] = {"host": ep.host, "port": ep.port, "embedded": False}
        elif port := state.servers.get(servers.POSTGRES.name, {}).get("port"):
            out["postgres"] = {"host": servers.LOOPBACK, "port": port, "embedded": True}
    for server in (servers.EMULATOR, servers.REDIS):
        port = state.servers.get(server.name, {}).get("port")
        if port and server.name in servers.needed_by_records(state.resources.values(), settings):
            out[server.name] = {"host": servers.LOOPBACK, "port": port}
    buckets = {key.split(":", 1)[1]: rec["names"]["bucket"] for key, rec in state.resources.items()
               if key.startswith(f"{Kind.BUCKET.value}:") and rec.get("names", {}).get("bucket")}
    if buckets:
        out["buckets"] = dict(sorted(buckets.items()))
    return out


@dataclass(frozen=True)
class Lender:
    """The base env a shared PR env borrows from: its name, its state (trusted) and what its record shares."""

    env: str
    state: State
    shares: dict[str, Any]

    @property
    def dir(self) -> Path:
        return self.state.dir

    def bucket(self, encore_name: str) -> str | None:
        """The base's physical bucket for `encore_name`, None when the base has no such bucket."""
        return (self.shares.get("buckets") or {}).get(encore_name)


def of_plan(env: Env, borrowed: dict[str, Any] | None) -> Lender | None:
    """The lender of a shared PR env (None for any other env), from its plan's `borrowed`."""
    if not env.shares_base:
        return None
    assert env.base is not None
    where = f"env {env.name} (what base env {env.base} shares)"
    found = (borrowed or {}).get("state_dir")
    if not isinstance(found, str) or not Path(found).is_absolute():
        raise BadInput(f"base env {env.base}'s record shares no state directory: redeploy {env.base}", where=where)
    return load(env, Path(found), borrowed or {})


def of_state(env: Env, state: State, base_dir: Path) -> Lender | None:
    """For `destroy`, which has no plan: the lender a shared PR env's state recorded at its last deploy, else (a
    first deploy killed before it saved its state) the base env's state directory `base_dir`, when it has one."""
    found = state.data.get(LENDER)
    if not env.shares_base:
        return None
    if isinstance(found, dict) and isinstance(found.get("state_dir"), str):
        return load(env, Path(found["state_dir"]), found)
    if not (base_dir / "state.json").exists():
        return None
    base = load(env, base_dir, {})
    return Lender(base.env, base.state, lent_by(settings_of(env), base.state))


def servers_lent(lender: Lender) -> frozenset[str]:
    """The servers the lender runs for its previews (its embedded PostgreSQL, emulator, redis-server)."""
    pg = lender.shares.get(servers.POSTGRES.name) or {}
    return frozenset(name for name in (servers.EMULATOR.name, servers.REDIS.name) if name in lender.shares) | (
        {servers.POSTGRES.name} if pg.get("embedded") else set())


def load(env: Env, directory: Path, lent: dict[str, Any]) -> Lender:
    """The base's state at `directory`, which must be its real path (no symbolic link on the way), ours."""
    assert env.base is not None
    if directory.resolve() != directory:
        raise BadInput(f"base env {env.base}'s state directory {directory} is not a real path (a symbolic link on "
                       "the way); refusing to read it", where=f"env {env.name}")
    refuse_foreign(directory)
    if not (directory / "state.json").exists():
        raise BadInput(f"base env {env.base} has no local state at {directory} (destroyed, or deployed on another "
                       "machine)", where=f"env {env.name}")
    return Lender(env.base, State.load(directory), dict(lent))


def running(lender: Lender, needs: frozenset[str], command: str) -> dict[str, servers.Running]:
    """(pid, port) of each server in `needs` that runs for the base env; a one-line BadInput naming the command that
    starts them when any does not (a PR run never starts its base's servers)."""
    live = servers.running(lender.dir)
    stopped = sorted(name for name in needs if live.get(name) is None)
    if stopped:
        raise BadInput(f"base env {lender.env}'s {', '.join(stopped)} {'is' if len(stopped) == 1 else 'are'} not "
                       f"running: `{command}` starts them", where=f"env {lender.env}")
    return {name: found for name in needs if (found := live[name]) is not None}


def record(lender: Lender) -> dict[str, Any]:
    """What a shared PR env's state keeps of its lender (no secret)."""
    return {**lender.shares, "state_dir": str(lender.dir), "env": lender.env}

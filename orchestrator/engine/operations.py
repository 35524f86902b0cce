"""Running one engine operation: progress from engine events, lock contention (wait, force-unlock, exit 3),
failures as one line, and pending operations left by interrupted runs (exit 5 with the recovery command)."""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from orchestrator.core.envs import Env
from orchestrator.core.errors import (
    Locked,
    OrchestratorError,
    PendingOperations,
)
from orchestrator.engine.workspace import command_failure, error_line, workspace_dir
from providers.base import Options

if TYPE_CHECKING:
    from pulumi.automation import Stack

    from orchestrator.engine.events import Progress
    from orchestrator.ui import UI


LOCK_POLL_SECONDS = 5.0


_LOCK_HOLDER = re.compile(
    r"(?P<url>\S+): created by (?P<user>[^@\s]+)@(?P<host>\S+) \(pid (?P<pid>\d+)\) at (?P<at>\S+)"
)


T = TypeVar("T")


TITLES = {"preview": "Previewing", "up": "Deploying", "destroy": "Destroying", "refresh": "Refreshing"}


def run(stack: Stack, env: Env, opts: Options, ui: UI, verb: str, action: Callable[[Progress], T]) -> T:
    """Run one engine operation with progress; lock contention waits `lock_timeout`, then maybe force-unlocks."""
    from pulumi.automation.errors import CommandError, ConcurrentUpdateError

    from orchestrator.engine.events import Progress

    deadline = time.monotonic() + opts.lock_timeout
    unlocked = False
    while True:
        with Progress(ui, f"{TITLES[verb]} {env.name}", preview=verb == "preview") as progress:
            try:
                return action(progress)
            except ConcurrentUpdateError as exc:
                holder = lock_holder(str(exc))
            except CommandError as exc:
                raise command_failure(env, verb, exc, progress.errors) from None
            except KeyboardInterrupt:
                ui.warn(f"interrupted: resources being changed may be left as pending operations; the next run "
                        f"of {env.name} says how to recover")
                raise
        remaining = deadline - time.monotonic()
        if remaining > 0:
            ui.info(f"{env.name} is locked{_holder_text(holder)}; waiting up to {remaining:.0f}s more")
            time.sleep(min(LOCK_POLL_SECONDS, remaining))
            continue
        if opts.force_unlock and not unlocked:
            force_unlock(stack, env, holder, ui)
            unlocked = True
            continue
        raise locked_error(env, holder)


@dataclass(frozen=True)
class Holder:
    user: str
    host: str
    pid: int
    since: str
    lock: str


def lock_holder(text: str) -> Holder | None:
    """Who holds a file/cloud-storage backend lock, parsed from the CLI's message (None for Pulumi Cloud)."""
    m = _LOCK_HOLDER.search(text)
    if m is None:
        return None
    return Holder(user=m["user"], host=m["host"], pid=int(m["pid"]), since=m["at"], lock=m["url"])


def _holder_text(holder: Holder | None) -> str:
    return f" by {holder.user}@{holder.host} (pid {holder.pid}) since {holder.since}" if holder else ""


def locked_error(env: Env, holder: Holder | None) -> Locked:
    if holder is None:
        return Locked("another update of this stack is in progress; wait for it, or rerun with --force-unlock if it "
                      "was killed", where=f"env {env.name}")
    return Locked(f"locked{_holder_text(holder)}; wait for that run, or rerun with --force-unlock if it is dead "
                  f"(lock file {holder.lock})", where=f"env {env.name}")


def force_unlock(stack: Stack, env: Env, holder: Holder | None, ui: UI) -> None:
    """Break the lock with `pulumi cancel`, unless its holder is a live process on this host."""
    if holder is not None and holder.host == socket.gethostname() and _pid_alive(holder.pid):
        raise Locked(f"locked{_holder_text(holder)}, and that process is still running here; not breaking its lock",
                     where=f"env {env.name}")
    ui.warn(f"breaking the lock of {env.name}{_holder_text(holder)}")
    from pulumi.automation.errors import CommandError

    try:
        stack.cancel()
    except CommandError as exc:
        where = holder.lock if holder else f"env {env.name}"
        raise Locked(f"could not break the lock ({error_line(exc)}); delete the lock file by hand",
                     where=where) from None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pending_operations(stack: Stack, env: Env) -> list[dict[str, Any]]:
    """The checkpoint's pending operations via `pulumi stack export` (no --show-secrets: nothing is decrypted)."""
    from pulumi.automation.errors import CommandError

    ws = stack.workspace
    try:
        result = ws.pulumi_command.run(["stack", "export", "--stack", stack.name], ws.work_dir, dict(ws.env_vars))
        deployment = json.loads(result.stdout).get("deployment") or {}
    except CommandError as exc:
        raise command_failure(env, "stack export", exc, []) from None
    except ValueError as exc:
        raise OrchestratorError(f"`pulumi stack export` printed no JSON ({exc})", where=f"env {env.name}") from None
    return [op for op in deployment.get("pending_operations") or [] if isinstance(op, dict)]


def check_pending(stack: Stack, env: Env, opts: Options) -> None:
    ops = pending_operations(stack, env)
    if ops:
        raise PendingOperations(pending_message(env.name, ops, workspace_dir(env, opts)), where=f"env {env.name}")


def pending_message(env: str, ops: Sequence[Mapping[str, Any]], work_dir: Path) -> str:
    """What an interrupted run left behind and, per kind of operation, the command that repairs it."""
    listed = []
    for op in ops:
        res = op.get("resource") or {}
        listed.append(f"{op.get('type', '?')} {res.get('type', '?')} {str(res.get('urn', '?')).rsplit('::', 1)[-1]}")
    creates = [str((op.get("resource") or {}).get("urn", "?")) for op in ops if op.get("type") == "creating"]
    pulumi = f"pulumi -C {work_dir} refresh --stack {env} --yes"
    parts = [f"{len(ops)} operation(s) were interrupted and their outcome is unknown: {', '.join(listed)}"]
    if creates:
        parts.append(
            f"check in the cloud whether each create happened ({', '.join(creates)}); for one that exists run "
            f"`{pulumi} --import-pending-creates <urn> <cloud id>`, when none do run `{pulumi} --clear-pending-creates`"
        )
    if len(creates) < len(ops):
        parts.append("interrupted updates and deletes are cleared by reading them back: "
                     f"`orchestrator refresh --env {env}`")
    return "; ".join(parts)

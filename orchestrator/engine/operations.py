"""The cloud target: the Pulumi Automation API running orchestrator/program.py, one stack per env.

Each env gets a private workspace `<state>/pulumi/workspaces/<env>/` whose generated Pulumi.yaml
names the project, the backend and `stackConfigDir` pointing at the user's stacks directory, so
Pulumi reads (and, for a new stack, writes its encryption salt into) `stacks/Pulumi.<env>.yaml`
exactly as `pulumi preview -s <env>` in the repository does. Nothing is copied into stack config.

Backend: the stack file's `orchestrator:backend`, else PULUMI_BACKEND_URL, else a file backend
under `<state>/pulumi`. Secrets provider: the stack file's, else passphrase, which needs
PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE in the environment (never invented).

The Pulumi CLI must be 3.200 or newer (the SDK floor in pyproject.toml), so interrupted runs
are always repaired with `pulumi refresh --import-pending-creates/--clear-pending-creates`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from orchestrator.core.envs import Env, EnvType
from orchestrator.core.errors import (
    BadInput,
    Locked,
    MissingTool,
    OrchestratorError,
    PendingOperations,
    PolicyViolation,
)
from orchestrator.core.files import write_atomic
from providers.base import Applied, Options

if TYPE_CHECKING:
    from pulumi.automation import Stack

    from orchestrator.core.plan import Plan
    from orchestrator.engine.events import Progress
    from orchestrator.records import DeploymentRecord
    from orchestrator.ui import UI
    from runtime_config.infra import Provisioned

PROJECT = "encore-orchestrator"
MIN_CLI_VERSION = "3.200.0"
INSTALL_HINT = "install it with `curl -fsSL https://get.pulumi.com | sh` and make sure `pulumi` is on PATH"
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
KEY_PROVIDERS = ("awskms", "gcpkms", "azurekeyvault", "hashivault")
SECRETS_VAR = "ORCHESTRATOR_INJECT_SECRETS"
LOCK_POLL_SECONDS = 5.0
_LOCK_HOLDER = re.compile(
    r"(?P<url>\S+): created by (?P<user>[^@\s]+)@(?P<host>\S+) \(pid (?P<pid>\d+)\) at (?P<at>\S+)"
)
T = TypeVar("T")


# ---------------------------------------------------------------------------- target functions


def check(plan: Plan, opts: Options, ui: UI) -> list[dict[str, Any]]:
    """Before the question: the CLI, the secrets provider and the security baseline. Returns the graph rendered
    for the policy gate, which the deployment record keeps."""
    workspace_options(plan.env, opts)
    return check_policy(plan, opts, ui)


def drift(plan: Plan, opts: Options, ui: UI, checked: Any = None) -> list[str]:
    """What the engine would change: `pulumi preview`'s summary, skipped with --yes outside production."""
    if opts.yes and plan.env.env_type is not EnvType.PRODUCTION:
        return [f"{plan.env.name}: the engine's own preview is skipped with --yes"]
    return _engine_preview(plan, opts, ui)


def _engine_preview(plan: Plan, opts: Options, ui: UI) -> list[str]:
    from orchestrator.engine.events import changes_text, has_changes

    env = plan.env
    stack = open_stack(env, opts, inline_program(plan, opts.app_root))
    ops = pending_operations(stack, env)
    if ops:
        ui.warn(pending_message(env.name, ops, workspace_dir(env, opts)))
    changes = _run(stack, env, opts, ui, "preview", lambda p: stack.preview(on_event=p, color="never").change_summary)
    return [f"pulumi preview: {changes_text(changes, planned=True)}"] if has_changes(changes) else []


def preview(plan: Plan, opts: Options, ui: UI) -> list[str]:
    check_policy(plan, opts, ui)
    return _engine_preview(plan, opts, ui) or [f"pulumi preview: no resource of {plan.env.name} would change"]


def apply(plan: Plan, opts: Options, ui: UI, checked: Any = None) -> Applied:
    env = plan.env
    graph = checked if checked is not None else check_policy(plan, opts, ui)
    stack = open_stack(env, opts, inline_program(plan, opts.app_root))
    check_pending(stack, env, opts)
    result = _run(stack, env, opts, ui, "up", lambda p: stack.up(on_event=p, color="never", show_secrets=False))
    applied = finish_deploy(plan, result.outputs, opts, ui, graph)
    url = applied.env_vars.get("ENCORE_RUNTIME_CONFIG_PATH")
    ui.success(f"deployed {plan.app} to {env.name}" + (f"; runtime config at {url}" if url else ""))
    return applied


def confirm_destroy(env: Env, opts: Options, ui: UI) -> bool:
    require_yes(env, opts, "destroy")
    if opts.interactive and not _confirm_destroy(env, opts, ui):
        ui.warn(f"destroy cancelled; nothing in {env.name} changed")
        return False
    return True


def destroy(env: Env, opts: Options, ui: UI) -> bool:
    stack = find_stack(env, opts)
    if stack is None:
        ui.info(f"{env.name} has no stack; nothing to destroy")
        return False
    check_pending(stack, env, opts)
    _run(stack, env, opts, ui, "destroy", lambda p: stack.destroy(on_event=p, color="never", show_secrets=False))
    shutil.rmtree(record_dir(env, opts), ignore_errors=True)
    ui.success(f"destroyed every resource of {env.name} (the stack and its history are kept)")
    return True


def refresh(env: Env, opts: Options, ui: UI) -> int:
    stack = find_stack(env, opts)
    if stack is None:
        ui.info(f"{env.name} has no stack; nothing to refresh")
        return 0
    _run(stack, env, opts, ui, "refresh", lambda p: stack.refresh(on_event=p, color="never", show_secrets=False))
    check_pending(stack, env, opts)
    ui.success(f"refreshed {env.name}")
    return 0


def status(env: Env, opts: Options, ui: UI) -> int:
    stack = find_stack(env, opts)
    if stack is None:
        ui.info(f"{env.name} ({env.cloud}) is not deployed")
        return 0
    from pulumi.automation.errors import CommandError

    try:
        last = stack.info(show_secrets=False)
    except CommandError as exc:
        raise command_failure(env, "stack history", exc, []) from None
    ops = pending_operations(stack, env)
    rows: list[list[str]] = [["stack", env.name], ["backend", backend_url(env, opts)]]
    if last is not None:
        from orchestrator.engine.events import changes_text

        when = last.end_time or last.start_time
        rows.append(["last run", f"{last.kind} {last.result} at {when:%Y-%m-%d %H:%M:%S}"])
        rows.append(["changes", changes_text(last.resource_changes, planned=False)])
    rows.append(["pending operations", str(len(ops))])
    ui.table(f"{env.name} ({env.cloud}, {env.env_type.value})", ["", ""], rows)
    if ops:
        ui.warn(pending_message(env.name, ops, workspace_dir(env, opts)))
    return 0


def env_vars(env: Env, opts: Options, record: DeploymentRecord | None) -> dict[str, str]:
    """What the platform sets for an app process of `env`: config location, region, secret sources (no values)."""
    if record is None:
        raise BadInput(f"no deployment recorded; run `orchestrator deploy --env {env.name}` first",
                       where=f"env {env.name}")
    values = dict(record.env_vars)
    if record.secret_env:
        values[SECRETS_VAR] = json.dumps(dict(record.secret_env), sort_keys=True, separators=(",", ":"))
    return values


def set_secret(env: Env, name: str, physical: str | None, value: str, opts: Options, ui: UI) -> int:
    from providers import registry


    target = registry.get(env.cloud)
    try:
        delivery = target.part("delivery")
    except ModuleNotFoundError:
        raise BadInput(f"`secret set` is not implemented for {env.cloud}", where=f"env {env.name}") from None
    if physical is None:
        raise BadInput("the secret's cloud name comes from the app: pass --meta, or deploy first",
                       where=f"env {env.name}")
    delivery.set_secret(env, physical, value)
    ui.success(f"set secret {name} in {env.name} ({physical}); running services see it after a restart")
    return 0


# ---------------------------------------------------------------------------- guards


def require_yes(env: Env, opts: Options, verb: str) -> None:
    if not opts.yes and not opts.interactive:
        raise BadInput(f"`{verb}` changes cloud resources and needs --yes when not run interactively; nothing was "
                       "changed", where=f"env {env.name}")


def _confirm_destroy(env: Env, opts: Options, ui: UI) -> bool:
    if env.env_type is EnvType.PRODUCTION:
        if not opts.yes:
            raise BadInput("destroying a production environment needs --yes and typing its name; nothing was changed",
                           where=f"env {env.name}")
        import click

        typed = click.prompt(f"Type the environment name ({env.name}) to destroy it and its data", default="",
                             show_default=False, err=True)
        return typed.strip() == env.name
    return opts.yes or ui.confirm(f"Destroy every resource of {env.name}, data included?")


def require_cli() -> str:
    path = shutil.which("pulumi")
    if path is None:
        raise MissingTool(f"the Pulumi CLI is not installed; {INSTALL_HINT}", where="pulumi")
    return path


# ---------------------------------------------------------------------------- workspace and stack


def backend_url(env: Env, opts: Options) -> str:
    url = env.backend or os.environ.get("PULUMI_BACKEND_URL") or f"file://{(opts.state_root / 'pulumi').absolute()}"
    if url.startswith("file://"):
        path = url[len("file://"):]
        if not path.startswith(("/", "~")):
            url = f"file://{Path(path).absolute()}"
    return url


def secrets_provider(env: Env) -> str:
    provider = env.secrets_provider or "passphrase"
    if provider == "passphrase":
        if not any(var in os.environ for var in PASSPHRASE_VARS):
            raise BadInput("the passphrase secrets provider needs PULUMI_CONFIG_PASSPHRASE or "
                           "PULUMI_CONFIG_PASSPHRASE_FILE in the environment (or set orchestrator:secretsProvider to "
                           "a KMS key)", where=env.path or f"env {env.name}")
    elif provider in KEY_PROVIDERS:
        raise BadInput(f"secretsProvider {provider!r} needs the key, e.g. {provider}://...", where=env.path or env.name)
    return provider


def workspace_dir(env: Env, opts: Options) -> Path:
    return (opts.state_root / "pulumi" / "workspaces" / env.name).absolute()


def write_project(env: Env, opts: Options, backend: str) -> Path:
    """The env's workspace directory with its Pulumi.yaml (rewritten only when it changes)."""
    work = workspace_dir(env, opts)
    stacks = (Path(env.path).parent if env.path else opts.stacks_dir).absolute()
    runtime: dict[str, Any] = {"name": "python"}
    if sys.prefix != sys.base_prefix:
        runtime["options"] = {"toolchain": "pip", "virtualenv": sys.prefix}
    doc = {"name": PROJECT, "runtime": runtime, "description": "generated by orchestrator; edits are overwritten",
           "stackConfigDir": os.path.relpath(stacks, work), "backend": {"url": backend}}
    data = yaml.safe_dump(doc, sort_keys=False).encode()
    path = work / "Pulumi.yaml"
    try:
        work.mkdir(parents=True, exist_ok=True, mode=0o700)
        if backend.startswith("file://") and not backend.startswith("file://~"):
            Path(backend[len("file://"):]).mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists() or path.read_bytes() != data:
            write_atomic(path, data, mode=0o600)
    except OSError as exc:
        raise BadInput(f"cannot write the Pulumi workspace: {exc.strerror or exc}", where=str(work)) from None
    return work


def check_policy(plan: Plan, opts: Options, ui: UI) -> list[dict[str, Any]]:
    """Render the program under mocks and refuse blocking security-baseline violations (exit 4); return the graph.

    The render runs in a fresh child process so Pulumi's mock runtime never shares one with the
    Automation API's real one.
    """
    import multiprocessing

    from orchestrator import policy
    from providers import registry

    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_render_graph, args=(plan, opts.app_root, send), daemon=True)
    child.start()
    send.close()
    try:
        rendered: list[dict[str, Any]] | OrchestratorError | str = receive.recv()
    except EOFError:
        rendered = "the renderer exited before reporting"
    child.join()
    if isinstance(rendered, OrchestratorError):
        raise rendered
    if isinstance(rendered, str):
        raise PolicyViolation(f"cannot check the security baseline: {rendered}", where=f"env {plan.env.name}")
    violations = policy.evaluate(rendered, plan.env.env_type, registry.get(plan.env.cloud).part("policy").RULES)
    notes = _finding_counts(v for v in violations if not v.blocking)
    if notes:
        ui.warn(f"policy: not blocking (advisory here, or a documented exception): {notes}")
    blocked = policy.blocking(violations)
    if blocked:
        raise PolicyViolation(
            f"{len(blocked)} security-baseline violation(s): " + "; ".join(map(str, blocked)),
            where=f"env {plan.env.name}",
        )
    return rendered


def _finding_counts(violations: Iterable[Any]) -> str:
    counts: dict[str, int] = {}
    for v in violations:
        label = f"{v.rule} ({'excepted' if v.exception else 'advisory'})"
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{label} x{n}" for label, n in sorted(counts.items()))


def _render_graph(plan: Plan, root: Path | None, send: Any) -> None:
    try:
        from orchestrator.engine import graph

        send.send(graph.render(plan, app_root=root))
    except OrchestratorError as exc:
        send.send(exc)
    except BaseException as exc:
        send.send(f"{type(exc).__name__}: {exc}")
    finally:
        send.close()
        os._exit(0)  # skip teardown: Pulumi's mock runtime leaves an event loop that complains when collected


def inline_program(plan: Plan, root: Path | None) -> Callable[[], None]:
    def program() -> None:
        from orchestrator.engine import program as the_program

        the_program.run(plan, app_root=root)

    return program


def open_stack(env: Env, opts: Options, program: Callable[[], None]) -> Stack:
    """The env's stack with the inline program, created on first use."""
    from pulumi import automation as auto

    ws = workspace_options(env, opts)
    try:
        return auto.create_or_select_stack(env.name, project_name=PROJECT, program=program, opts=ws)
    except auto.CommandError as exc:
        raise command_failure(env, "stack select", exc, []) from None


def find_stack(env: Env, opts: Options) -> Stack | None:
    """The env's existing stack (no program: destroy and refresh do not run it), or None."""
    from pulumi import automation as auto

    ws = workspace_options(env, opts)
    try:
        return auto.select_stack(env.name, work_dir=ws.work_dir, opts=ws)
    except auto.StackNotFoundError:
        return None
    except auto.CommandError as exc:
        raise command_failure(env, "stack select", exc, []) from None


def workspace_options(env: Env, opts: Options) -> Any:
    """Everything that can fail before Pulumi touches anything: CLI, secrets provider, workspace files."""
    require_cli()
    provider = secrets_provider(env)
    from pulumi import automation as auto
    from semver import VersionInfo

    try:
        command = auto.PulumiCommand(version=VersionInfo.parse(MIN_CLI_VERSION))
    except FileNotFoundError:
        raise MissingTool(f"the Pulumi CLI is not installed; {INSTALL_HINT}", where="pulumi") from None
    except auto.InvalidVersionError as exc:
        raise MissingTool(f"the Pulumi CLI is too old ({exc}); {MIN_CLI_VERSION} or newer is needed: "
                          f"{INSTALL_HINT}", where="pulumi") from None
    backend = backend_url(env, opts)
    work = write_project(env, opts, backend)
    return auto.LocalWorkspaceOptions(
        work_dir=str(work), secrets_provider=provider, pulumi_command=command,
        env_vars={"PULUMI_BACKEND_URL": backend, "PULUMI_SKIP_UPDATE_CHECK": "true"},
    )


# ---------------------------------------------------------------------------- running operations


TITLES = {"preview": "Previewing", "up": "Deploying", "destroy": "Destroying", "refresh": "Refreshing"}


def _run(stack: Stack, env: Env, opts: Options, ui: UI, verb: str, action: Callable[[Progress], T]) -> T:
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
        raise Locked(f"could not break the lock ({_error_line(exc)}); delete the lock file by hand",
                     where=where) from None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def command_failure(env: Env, verb: str, exc: Exception, errors: Sequence[str]) -> OrchestratorError:
    text = str(exc)
    if "incorrect passphrase" in text:
        return BadInput("PULUMI_CONFIG_PASSPHRASE does not decrypt this stack's secrets", where=f"env {env.name}")
    detail = "; ".join(errors[:3]) if errors else _error_line(exc)
    return OrchestratorError(f"pulumi {verb} failed: {detail}", where=f"env {env.name}")


def _error_line(exc: Exception) -> str:
    stderr = getattr(getattr(exc, "command_result", None), "stderr", None) or str(exc)
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("error:").strip() for line in lines if line.startswith("error:")]
    return (errors or lines or ["no message"])[0]


# ---------------------------------------------------------------------------- pending operations


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


# ---------------------------------------------------------------------------- after a deploy


def provisioned_from(outputs: Mapping[str, Any], env: Env) -> Provisioned:
    from pydantic import ValidationError

    from runtime_config.infra import Provisioned

    entry = outputs.get("provisioned")
    value = getattr(entry, "value", entry)
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise OrchestratorError("the stack has no 'provisioned' output (orchestrator/program.py exports it)",
                                where=f"env {env.name}")
    try:
        return Provisioned.model_validate(value)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise OrchestratorError(f"the 'provisioned' output is invalid: {loc}: {err['msg']}",
                                where=f"env {env.name}") from None


def finish_deploy(plan: Plan, outputs: Mapping[str, Any], opts: Options, ui: UI,
                  graph: list[dict[str, Any]] | None) -> Applied:
    """Provisioned -> the cloud's delivery (runtime config files, where the process reads them) -> what the record
    keeps."""
    from providers import registry

    env = plan.env
    out_dir = record_dir(env, opts)
    delivered = registry.get(env.cloud).part("delivery").deliver(plan, provisioned_from(outputs, env), outputs, out_dir)
    for note in delivered.notes:
        ui.info(note)
    return Applied(provisioned=delivered.provisioned, env_vars=delivered.env_vars, secret_env=delivered.secret_env,
                   files={role: str(path) for role, path in delivered.files.items()}, graph=graph)


def record_dir(env: Env, opts: Options) -> Path:
    return (opts.state_root / env.cloud / env.name).absolute()

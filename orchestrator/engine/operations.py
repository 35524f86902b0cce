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
from datetime import UTC, datetime
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

if TYPE_CHECKING:
    from pulumi.automation import Stack

    from orchestrator.core.model import App
    from orchestrator.core.plan import Plan
    from orchestrator.engine.events import Progress
    from orchestrator.targets import Options
    from orchestrator.ui import UI
    from runtime_config.infra import Provisioned

PROJECT = "encore-orchestrator"
MIN_CLI_VERSION = "3.200.0"
INSTALL_HINT = "install it with `curl -fsSL https://get.pulumi.com | sh` and make sure `pulumi` is on PATH"
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
KEY_PROVIDERS = ("awskms", "gcpkms", "azurekeyvault", "hashivault")
RECORD_FILE = "deployment.json"
SECRETS_VAR = "ORCHESTRATOR_INJECT_SECRETS"
LOCK_POLL_SECONDS = 5.0
_LOCK_HOLDER = re.compile(
    r"(?P<url>\S+): created by (?P<user>[^@\s]+)@(?P<host>\S+) \(pid (?P<pid>\d+)\) at (?P<at>\S+)"
)
T = TypeVar("T")


# ---------------------------------------------------------------------------- target functions


def deploy(plan: Plan, app: App, opts: Options, ui: UI) -> int:
    env = plan.env
    require_yes(env, opts, "deploy")
    check_policy(plan, opts, ui)
    stack = open_stack(env, opts, inline_program(plan, app_root(opts)))
    check_pending(stack, env, opts)
    if env.env_type is EnvType.PRODUCTION or not opts.yes:
        changes = _run(stack, env, opts, ui, "preview",
                       lambda p: stack.preview(on_event=p, color="never").change_summary)
        from orchestrator.engine.events import has_changes

        if has_changes(changes) and not opts.yes and not ui.confirm(f"Apply these changes to {env.name}?"):
            ui.warn(f"deploy cancelled; nothing in {env.name} changed")
            return 1
    result = _run(stack, env, opts, ui, "up", lambda p: stack.up(on_event=p, color="never", show_secrets=False))
    record = finish_deploy(plan, result.outputs, opts, ui)
    url = record["env_vars"].get("ENCORE_RUNTIME_CONFIG_PATH")
    ui.success(f"deployed {plan.app} to {env.name}" + (f"; runtime config at {url}" if url else ""))
    return 0


def preview(plan: Plan, app: App, opts: Options, ui: UI) -> int:
    env = plan.env
    check_policy(plan, opts, ui)
    stack = open_stack(env, opts, inline_program(plan, app_root(opts)))
    ops = pending_operations(stack, env)
    if ops:
        ui.warn(pending_message(env.name, ops, workspace_dir(env, opts)))
    _run(stack, env, opts, ui, "preview", lambda p: stack.preview(on_event=p, color="never"))
    return 0


def destroy(env: Env, opts: Options, ui: UI) -> int:
    require_yes(env, opts, "destroy")
    if opts.interactive and not confirm_destroy(env, opts, ui):
        ui.warn(f"destroy cancelled; nothing in {env.name} changed")
        return 1
    stack = find_stack(env, opts)
    if stack is None:
        ui.info(f"{env.name} has no stack; nothing to destroy")
        return 0
    check_pending(stack, env, opts)
    _run(stack, env, opts, ui, "destroy", lambda p: stack.destroy(on_event=p, color="never", show_secrets=False))
    shutil.rmtree(record_dir(env, opts), ignore_errors=True)
    ui.success(f"destroyed every resource of {env.name} (the stack and its history are kept)")
    return 0


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
    record = read_record(env, opts)
    rows: list[list[str]] = [["stack", env.name], ["backend", backend_url(env, opts)]]
    if last is not None:
        from orchestrator.engine.events import changes_text

        when = last.end_time or last.start_time
        rows.append(["last run", f"{last.kind} {last.result} at {when:%Y-%m-%d %H:%M:%S}"])
        rows.append(["changes", changes_text(last.resource_changes, planned=False)])
    if record is not None:
        rows += [["deployed", record.get("deployed_at", "?")]]
        rows += [[name, value] for name, value in sorted(record.get("env_vars", {}).items())]
    rows.append(["pending operations", str(len(ops))])
    ui.table(f"{env.name} ({env.cloud}, {env.env_type.value})", ["", ""], rows)
    if ops:
        ui.warn(pending_message(env.name, ops, workspace_dir(env, opts)))
    return 0


def env_vars(env: Env, opts: Options) -> dict[str, str]:
    """What the platform sets for an app process of `env`: config location, region, secret sources (no values)."""
    record = read_record(env, opts)
    if record is None:
        raise BadInput(f"no deployment recorded here; run `orchestrator deploy --env {env.name}` first",
                       where=str(record_dir(env, opts) / RECORD_FILE))
    values = dict(record.get("env_vars", {}))
    if record.get("secret_env"):
        values[SECRETS_VAR] = json.dumps(record["secret_env"], sort_keys=True, separators=(",", ":"))
    return values


def set_secret(env: Env, name: str, value: str, opts: Options, ui: UI) -> int:
    from providers import registry

    target = registry.get(env.cloud)
    try:
        delivery = target.part("delivery")
    except ModuleNotFoundError:
        raise BadInput(f"`secret set` is not implemented for {env.cloud}", where=f"env {env.name}") from None
    secret_id = secret_name(env, name, opts)
    delivery.set_secret(env, secret_id, value)
    ui.success(f"set secret {name} in {env.name} ({secret_id}); running services see it after a restart")
    return 0


# ---------------------------------------------------------------------------- guards


def require_yes(env: Env, opts: Options, verb: str) -> None:
    if not opts.yes and not opts.interactive:
        raise BadInput(f"`{verb}` changes cloud resources and needs --yes when not run interactively; nothing was "
                       "changed", where=f"env {env.name}")


def confirm_destroy(env: Env, opts: Options, ui: UI) -> bool:
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


def check_policy(plan: Plan, opts: Options, ui: UI) -> None:
    """Render the program under mocks and refuse blocking security-baseline violations (exit 4).

    The render runs in a fresh child process so Pulumi's mock runtime never shares one with the
    Automation API's real one.
    """
    import multiprocessing

    from orchestrator import policy
    from providers import registry

    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_render_graph, args=(plan, app_root(opts), send), daemon=True)
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


def app_root(opts: Options) -> Path | None:
    """The app's source tree (migration files): --app-root, else the metadata's directory."""
    return opts.app_root or (opts.meta_path.parent if opts.meta_path else None)


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


def finish_deploy(plan: Plan, outputs: Mapping[str, Any], opts: Options, ui: UI) -> dict[str, Any]:
    """Provisioned -> the cloud's delivery (runtime config files, where the process reads them) -> the local record."""
    from providers import registry

    env = plan.env
    out_dir = record_dir(env, opts)
    delivered = registry.get(env.cloud).part("delivery").deliver(plan, provisioned_from(outputs, env), outputs, out_dir)
    for note in delivered.notes:
        ui.info(note)
    record = {
        "format": 1, "app": plan.app, "env": env.name, "cloud": env.cloud, "language": plan.language.value,
        "deployed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {role: str(path) for role, path in delivered.files.items()},
        "env_vars": delivered.env_vars, "secret_env": delivered.secret_env,
        "provisioned": delivered.provisioned.redacted(),
    }
    write_atomic(out_dir / RECORD_FILE, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode(), mode=0o600)
    return record


def record_dir(env: Env, opts: Options) -> Path:
    return (opts.state_root / env.cloud / env.name).absolute()


def read_record(env: Env, opts: Options) -> dict[str, Any] | None:
    path = record_dir(env, opts) / RECORD_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise BadInput(f"unreadable deployment record: {exc}", where=str(path)) from None


def secret_name(env: Env, name: str, opts: Options) -> str:
    """The Secrets Manager name the plan gives app secret `name` (needs the app name)."""
    from orchestrator.core.plan import build

    if opts.meta_path is not None:
        from orchestrator.core import appmeta

        plan = build(appmeta.load(opts.meta_path), env)
        try:
            return plan.get(f"secret:{name}").names["secret"]
        except KeyError:
            raise BadInput(f"the app declares no secret {name!r}", where=str(opts.meta_path)) from None
    if env.app is None:
        raise BadInput("the secret's name includes the app name: set orchestrator:app in the stack file or pass --meta",
                       where=env.path or f"env {env.name}")
    from orchestrator.core import naming

    return naming.make("aws.secretsmanager", env.app, env.name, "secret", name)


def verify(env: Env, opts: Options, ui: UI) -> int:
    """Prove the env works from inside its network: reads the config the process environment points at."""
    from orchestrator.verify import run

    return run(env, opts, ui)

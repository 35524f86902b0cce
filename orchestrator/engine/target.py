"""A Pulumi cloud as a target of orchestrator/pipeline.py: check, drift, preview, apply, destroy, refresh, status,
env-vars and secret setting for any cloud in the registry, one stack per env (the program is engine/program.py).

After `pulumi up` the cloud's `delivery` part writes and delivers the runtime config; what it returns becomes the
deployment record (written by the pipeline).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.core.envs import Env, EnvType
from orchestrator.core.errors import (
    BadInput,
    OrchestratorError,
    Unsupported,
)
from orchestrator.engine.operations import check_pending, pending_message, pending_operations, run
from orchestrator.engine.policy_gate import check_policy
from orchestrator.engine.workspace import (
    backend_url,
    command_failure,
    find_stack,
    inline_program,
    open_stack,
    workspace_dir,
    workspace_options,
)
from providers.base import Applied, Options

if TYPE_CHECKING:

    from orchestrator.core.plan import Plan
    from orchestrator.records import DeploymentRecord
    from orchestrator.ui import UI
    from runtime_config.infra import Provisioned


SECRETS_VAR = "ORCHESTRATOR_INJECT_SECRETS"


def check(plan: Plan, opts: Options, ui: UI) -> list[dict[str, Any]]:
    """Before the question: the CLI, the secrets provider and the security baseline. Returns the graph rendered
    for the policy gate, which the deployment record keeps."""
    from providers import registry

    check_deploy = getattr(registry.get(plan.env.cloud).part("settings"), "check_deploy", None)
    if check_deploy is not None:
        check_deploy(plan)
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
    changes = run(stack, env, opts, ui, "preview", lambda p: stack.preview(on_event=p, color="never").change_summary)
    return [f"pulumi preview: {changes_text(changes, planned=True)}"] if has_changes(changes) else []


def preview(plan: Plan, opts: Options, ui: UI) -> list[str]:
    check_policy(plan, opts, ui)
    return _engine_preview(plan, opts, ui) or [f"pulumi preview: no resource of {plan.env.name} would change"]


def apply(plan: Plan, opts: Options, ui: UI, checked: Any = None) -> Applied:
    env = plan.env
    graph = checked if checked is not None else check_policy(plan, opts, ui)
    stack = open_stack(env, opts, inline_program(plan, opts.app_root))
    check_pending(stack, env, opts)
    result = run(stack, env, opts, ui, "up", lambda p: stack.up(on_event=p, color="never", show_secrets=False))
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
    run(stack, env, opts, ui, "destroy", lambda p: stack.destroy(on_event=p, color="never", show_secrets=False))
    shutil.rmtree(record_dir(env, opts), ignore_errors=True)
    ui.success(f"destroyed every resource of {env.name} (the stack and its history are kept)")
    return True


def refresh(env: Env, opts: Options, ui: UI) -> int:
    stack = find_stack(env, opts)
    if stack is None:
        ui.info(f"{env.name} has no stack; nothing to refresh")
        return 0
    run(stack, env, opts, ui, "refresh", lambda p: stack.refresh(on_event=p, color="never", show_secrets=False))
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
        raise BadInput(f"no deployment recorded; run `{opts.command('deploy', '--env', env.name)}` first",
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
    delivery.set_secret(env, physical, value, deployed=opts.deployed)
    ui.success(f"set secret {name} in {env.name} ({physical}); running services see it after a restart")
    return 0


def secret_status(env: Env, declared: dict[str, str], opts: Options) -> list[dict[str, Any]]:
    """Where each declared secret lives in the cloud; whether it holds a value is not asked (`set`: null)."""
    return [{"name": name, "where": f"{env.cloud} secret {declared[name]}", "set": None} for name in sorted(declared)]


def remove_secret(env: Env, name: str, opts: Options, ui: UI) -> int:
    raise Unsupported(f"`secret rm` is not supported for {env.cloud} yet: the secret is a resource of the env's "
                      "program; remove it from the app and deploy, or delete its value with the cloud's own tools",
                      where=f"env {env.name}")


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
    provisioned = provisioned_from(outputs, env).model_copy(update={"deploy_id": opts.deploy_id or None})
    delivered = registry.get(env.cloud).part("delivery").deliver(plan, provisioned, outputs, out_dir)
    for note in delivered.notes:
        ui.info(note)
    return Applied(provisioned=delivered.provisioned, env_vars=delivered.env_vars, secret_env=delivered.secret_env,
                   files={role: str(path) for role, path in delivered.files.items()}, graph=graph,
                   shares=shares_from(outputs))


SHARES_OUTPUT = "shares"


def shares_from(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The `shares` stack output (what the env lends its shared preview envs), {} when the session exports none."""
    entry = outputs.get(SHARES_OUTPUT)
    value = getattr(entry, "value", entry)
    if isinstance(value, str):
        value = json.loads(value)
    return dict(value) if isinstance(value, dict) else {}


def record_dir(env: Env, opts: Options) -> Path:
    return (opts.state_root / env.cloud / env.name).absolute()

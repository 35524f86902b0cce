"""Every verb as one path: source -> plan -> check -> target -> record -> runtime config -> delivery.

The CLI parses flags and calls one function here; targets provision and return what they built;
only this module writes deployment records. A target is `providers.<cloud>.target` for a direct
target (local) or the Pulumi engine (`orchestrator.engine.target`) for a Pulumi cloud.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from orchestrator import stacks, support
from orchestrator.core import plan as planning
from orchestrator.core.errors import BadInput, MissingTool
from orchestrator.core.faults import crashpoint
from orchestrator.core.model import Kind
from providers import registry
from providers.base import Options

if TYPE_CHECKING:
    from orchestrator.core.envs import Env
    from orchestrator.core.plan import Plan
    from orchestrator.diff import AppDiff
    from orchestrator.records import DeploymentRecord
    from orchestrator.report.preview import Preview
    from orchestrator.resource_diff import ResourceDiff
    from orchestrator.source import Source
    from orchestrator.state import Store
    from orchestrator.ui import UI
    from runtime_config.infra import Provisioned

STORE_VAR = "ORCHESTRATOR_STATE_STORE"


@dataclass(frozen=True)
class Context:
    """What every command shares: where stacks and state live, and the terminal."""

    stacks_dir: Path
    state_root: Path
    ui: UI
    debug: bool = False
    hint_flags: tuple[str, ...] = ()
    """The global flags the user gave, repeated in the commands a message suggests."""

    def env(self, name: str) -> Env:
        """The env's stack file, else (a preview env made by `preview-env up`) the stack its descriptor keeps."""
        from orchestrator.core import envs
        from orchestrator.preview_record import pr_of

        if pr_of(name) is not None and not envs.stack_path(self.stacks_dir, name).exists():
            preview = self.store().read_preview(name)
            if preview is not None:
                return stacks.parse(preview.stack, name=name, where=f"preview env {name} (its descriptor)")
        return stacks.load(self.stacks_dir, name)

    def plan_for(self, source: Source, env: Env, *, offline: bool = False) -> Plan:
        """`make_plan` with what a shared preview env borrows from its base (`borrowed`)."""
        return make_plan(source, env, borrowed(self, env, source, offline=offline))

    def store(self) -> Store:
        from orchestrator.state import open_store

        return open_store(os.environ.get(STORE_VAR), self.state_root)

    def options(self, **kw: Any) -> Options:
        return Options(state_root=self.state_root, stacks_dir=self.stacks_dir, debug=self.debug,
                       interactive=self.ui.interactive, hint_flags=self.hint_flags, **kw)


# ---------------------------------------------------------------------------- the steps


def make_plan(source: Source, env: Env, borrowed: dict[str, Any] | None = None) -> Plan:
    """Plan, then refuse (exit 7) what the env's target or the app's runtime cannot do."""
    the_plan = planning.build(source.app, env, borrowed)
    support.check(the_plan)
    return the_plan


def borrowed(ctx: Context, env: Env, source: Source, *, offline: bool = False) -> dict[str, Any] | None:
    """What a shared preview env borrows: its base's last deployment record's `shares`. `offline` (the graph,
    previews under mocks): the base's program rendered under mocks when the base was never deployed."""
    if not env.shares_base:
        return None
    assert env.base is not None
    base_env = ctx.env(env.base)
    if base_env.cloud != env.cloud:
        raise BadInput(f"env {env.name} runs on {env.cloud} and its base {base_env.name} on {base_env.cloud}; a "
                       "shared preview env borrows its base's servers, on the same cloud", where=env.path)
    last = ctx.store().read(base_env.name)
    if last is None:
        if offline and registry.get(env.cloud).engine == "pulumi":
            from orchestrator.engine import graph
            from orchestrator.engine.target import shares_from

            ctx.ui.warn(f"base env {base_env.name} was never deployed: {env.name} borrows what its program shares "
                        "under mocks (placeholder ids)")
            return shares_from(graph.render_full(make_plan(source, base_env)).outputs)
        raise BadInput(f"base env {base_env.name} was never deployed; {env.name} borrows its servers (deploy "
                       f"{base_env.name} first, or use --strategy isolated)", where=f"env {env.name}")
    if last.app != (env.app or source.app.name):
        raise BadInput(f"base env {base_env.name} holds app {last.app!r}, not {env.app or source.app.name!r}",
                       where=f"env {env.name}")
    if not last.shares:
        raise BadInput(f"base env {base_env.name}'s last deployment shares nothing (it predates preview envs, or "
                       f"its target lends nothing): redeploy {base_env.name}", where=f"env {env.name}")
    return dict(last.shares)


def operations(env: Env) -> ModuleType:
    """The functions that serve `env`'s target; exit 6 with the install command when its SDK is missing."""
    target = registry.get(env.cloud)
    missing = [m for m in target.sdk if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingTool(f"the {target.name} target needs {', '.join(missing)}: {target.install_hint}",
                          where=f"env {env.name}")
    if target.engine == "direct":
        return target.part("target")
    from orchestrator.engine import target as engine

    return engine


def plan_document(the_plan: Plan) -> dict[str, Any]:
    return json.loads(the_plan.to_json())


def app_diff(last: DeploymentRecord | None, the_plan: Plan) -> AppDiff:
    from orchestrator import diff

    return diff.diff(last.plan if last else None, plan_document(the_plan))


def check_same_app(last: DeploymentRecord | None, the_plan: Plan) -> None:
    if last is not None and last.app != the_plan.app:
        raise BadInput(
            f"env {the_plan.env.name} holds app {last.app!r}, not {the_plan.app!r}; an env holds one app: make an "
            f"env for this one (orchestrator env init NEW-ENV --cloud {the_plan.env.cloud} --app {the_plan.app}) "
            f"or, if it is the same app under a new name, set orchestrator:app: {last.app} in the stack file",
            where=the_plan.env.path or f"env {the_plan.env.name}",
        )


def diff_document(changes: AppDiff) -> dict[str, Any]:
    return json.loads(changes.to_json())


@contextmanager
def locked(ctx: Context, store: Store, env: Env, command: str, timeout: float,
           force_unlock: bool = False) -> Iterator[None]:
    """The env's lock in the state store; a lock left by a dead run is taken over, and said so."""
    with store.lock(env.name, command, timeout=timeout, force_unlock=force_unlock) as lease:
        if lease.stale is not None:
            ctx.ui.warn(f"env {env.name}: taking over the lock of a run that is gone ({lease.stale.describe()})")
        crashpoint("lock")
        yield


def refuse_data_loss(changes: AppDiff, env: Env, allow_destroy: bool) -> None:
    lost = [item.key for item in changes.destructive]
    if lost and not allow_destroy:
        raise BadInput(
            f"{len(lost)} resource(s) would be removed with their data: {', '.join(sorted(lost))}; nothing was "
            "changed; rerun with --allow-destroy to remove them",
            where=f"env {env.name}",
        )


# ---------------------------------------------------------------------------- verbs


def read_source(meta: Path | str, app_root: Path | None = None) -> Source:
    from orchestrator import source

    return source.read(meta, app_root=app_root)


def warn_metadata(ctx: Context, source: Source) -> None:
    for warning in source.app.warnings:
        ctx.ui.warn(f"{source.where}: {warning}")


def plan(ctx: Context, env_name: str, meta: Path, *, offline: bool = False) -> Plan:
    env = ctx.env(env_name)
    source = read_source(meta)
    warn_metadata(ctx, source)
    return ctx.plan_for(source, env, offline=offline)


def runtime_config(ctx: Context, env_name: str, meta: Path, provisioned: Path | None, offline: bool, fmt: str,
                   hosted: Sequence[str] | None) -> bytes:
    """ENV's runtime config in `fmt`, from a Provisioned file, else (`offline`) the program under mocks, else the
    env's last deployment record."""
    from orchestrator import runtime_config_cli

    the_plan = plan(ctx, env_name, meta, offline=offline)
    env = the_plan.env
    if provisioned is not None:
        if offline:
            raise BadInput("--offline renders without a Provisioned record; drop one of them", where="--offline")
        found, where = runtime_config_cli.load_provisioned(provisioned), str(provisioned)
    elif offline:
        found, where = offline_provisioned(ctx, the_plan), f"env {env.name} under mocks"
    else:
        found, where = recorded_provisioned(ctx, the_plan), f"the last deployment of {env.name}"
    return runtime_config_cli.render(the_plan, found, fmt, hosted_services=hosted, where=where)


def offline_provisioned(ctx: Context, the_plan: Plan) -> Provisioned:
    """The `provisioned` stack output of the env's program under the cloud's mocks: ids, hosts, ARNs and URLs are
    the mocks' placeholders."""
    from orchestrator.engine import graph
    from runtime_config.infra import Provisioned

    env = the_plan.env
    if registry.get(env.cloud).engine != "pulumi":
        raise BadInput(f"--offline renders a Pulumi program and the {env.cloud} target has none; deploy first or "
                       "pass --provisioned FILE", where=f"env {env.name}")
    rendered = graph.render_full(the_plan)
    for warning in rendered.warnings:
        ctx.ui.warn(warning)
    ctx.ui.warn(f"env {env.name} rendered offline: every id, host, ARN and URL is a placeholder from the mocks "
                "(account 123456789012 on AWS), not a deployment's")
    return Provisioned.model_validate(rendered.outputs["provisioned"])


def recorded_provisioned(ctx: Context, the_plan: Plan) -> Provisioned:
    from runtime_config.infra import REDACTED, Provisioned

    env = the_plan.env
    last = ctx.store().read(env.name)
    if last is None:
        raise BadInput(f"{env.name} has no deployment record; deploy it, or pass --provisioned FILE or --offline",
                       where=f"env {env.name}")
    check_same_app(last, the_plan)
    found = Provisioned.model_validate(last.provisioned)
    if any(ref.value == REDACTED for _, ref in found.secret_refs()):
        written = ", ".join(last.files.values()) or "the target's state directory"
        ctx.ui.warn(f"secret values show as {REDACTED} (records keep none); the config {env.name}'s processes read "
                    f"is {written}")
    return found


def preview(ctx: Context, env_name: str, meta: Path, base_meta: Path | None = None, *,
            pulumi: bool = False, app_root: Path | None = None) -> Preview:
    """What a deploy of `meta` would change in ENV, offline: against the env's last record, or (`base_meta`) against
    the base metadata rendered the same way, needing no state and no credentials. `pulumi` adds the engine's own
    `pulumi preview` (needs its CLI and the cloud's credentials)."""
    from orchestrator import diff
    from orchestrator.report.preview import Preview

    env = ctx.env(env_name)
    target = registry.get(env.cloud)
    if pulumi:
        if target.engine != "pulumi":
            raise BadInput(f"--pulumi runs `pulumi preview`, and the {env.cloud} target has no Pulumi program",
                           where="--pulumi")
        from orchestrator.engine.workspace import require_cli

        require_cli()
    source = read_source(meta, app_root)
    warn_metadata(ctx, source)
    the_plan = ctx.plan_for(source, env, offline=True)
    last: DeploymentRecord | None = None
    base_plan: Plan | None = None
    if base_meta is not None:
        base_plan = make_plan(read_source(base_meta), env, the_plan.borrowed)
        base_doc: dict[str, Any] | None = plan_document(base_plan)
        base_label = f"the base metadata {base_meta.name}"
    else:
        last = ctx.store().read(env.name)
        check_same_app(last, the_plan)
        base_doc = last.plan if last else None
        base_label = f"the last deployment of {env.name}" if last else "nothing (first deploy: everything is new)"
    changes = diff.diff(base_doc, plan_document(the_plan))
    if target.engine == "pulumi":
        resources = _graph_diff(ctx, the_plan, source, last, base_plan)
        note = None
    else:
        resources = _ledger_diff(the_plan, last, base_plan)
        note = f"the {env.cloud} target's ledger: each resource's physical names and state"
    lines: list[str] = []
    if pulumi or (target.engine == "direct" and base_meta is None):
        lines = list(operations(env).preview(the_plan, ctx.options(meta=source.meta, app_root=source.app_root),
                                             ctx.ui))
    return Preview(
        app=the_plan.app, env=env.name, cloud=env.cloud, base=base_label, changes=changes, resources=resources,
        new_plan=plan_document(the_plan), base_plan=base_doc, target=tuple(lines), resource_note=note,
    )


def _graph_diff(ctx: Context, the_plan: Plan, source: Source, last: DeploymentRecord | None,
                base_plan: Plan | None) -> ResourceDiff:
    """The new plan's graph under mocks against the base's: the base metadata's rendered the same way (neither
    reading migration SQL: the app-level diff names migrations), else the last record's graph (rendered by the
    policy gate at deploy, with the app root's migrations, as here), else its plan rendered now; nothing on a first
    deploy. Renders run at once, each in its own process; the new graph must pass the security baseline (exit 4)."""
    from orchestrator.core.plan import Plan as PlanModel
    from orchestrator.engine.policy_gate import enforce, render_isolated
    from orchestrator.resource_diff import diff_graphs

    plans, roots = [the_plan], [source.app_root]
    base_graph: list[dict[str, Any]] = []
    if base_plan is not None:
        plans.append(base_plan)
        roots = [None, None]  # two metadata files, no sources: migration SQL is left out on both sides
    elif last is not None and last.graph is not None:
        base_graph = last.graph
    elif last is not None:
        plans.append(PlanModel.model_validate(last.plan))
        roots.append(None)
    graphs = render_isolated(plans, roots)
    enforce(the_plan, graphs[0], ctx.ui)
    if len(graphs) > 1:
        base_graph = graphs[1]
    return diff_graphs(base_graph, graphs[0], _replaces(the_plan.env.cloud))


def _ledger_diff(the_plan: Plan, last: DeploymentRecord | None, base_plan: Plan | None) -> ResourceDiff:
    """A direct target's resources: its ledger as the last record keeps it (or the base plan's, as it would be),
    against what the new plan makes."""
    from orchestrator.resource_diff import diff_graphs, ledger_nodes

    def planned(p: Plan) -> list[dict[str, Any]]:
        return [{"key": r.key, "kind": r.kind.value, "names": r.names, "status": "ready"} for r in p.resources]

    cloud = the_plan.env.cloud
    recorded = (last.graph or []) if last is not None else []
    base = planned(base_plan) if base_plan is not None else recorded
    return diff_graphs(ledger_nodes(cloud, base), ledger_nodes(cloud, planned(the_plan)), _replaces(cloud))


def _replaces(cloud: str) -> Mapping[str, Any]:
    """The cloud's replacement table (its `replace` part), or none when it has no such part yet."""
    try:
        part = registry.get(cloud).part("replace")
    except ModuleNotFoundError as exc:
        if exc.name != f"providers.{cloud}.replace":
            raise
        return {}
    return part.REPLACES


def deploy(ctx: Context, env_name: str, meta: Path, app_root: Path | None, *, yes: bool, allow_destroy: bool,
           lock_timeout: float = 0.0, force_unlock: bool = False) -> dict[str, Any]:
    """Show the diff and ask (or --yes), apply, write the record. Returns the result summary."""
    from orchestrator import records
    from orchestrator.report import diff_text

    env = ctx.env(env_name)
    source = read_source(meta, app_root)
    warn_metadata(ctx, source)
    the_plan = ctx.plan_for(source, env)
    if not yes and not ctx.ui.interactive:
        raise BadInput("deploy changes resources and needs --yes when not run interactively; nothing was "
                       "changed", where=f"env {env.name}")
    ops = operations(env)
    opts = ctx.options(meta=source.meta, app_root=source.app_root, yes=yes, allow_destroy=allow_destroy,
                       lock_timeout=lock_timeout, force_unlock=force_unlock, deploy_id=new_deploy_id())
    checked = ops.check(the_plan, opts, ctx.ui)
    store = ctx.store()
    with locked(ctx, store, env, "deploy", lock_timeout, force_unlock):
        last = store.read(env.name)
        check_same_app(last, the_plan)
        changes = app_diff(last, the_plan)
        refuse_data_loss(changes, env, allow_destroy)
        drift = ops.drift(the_plan, opts, ctx.ui, checked)
        if changes.empty and not drift:
            ctx.ui.success(f"env {env.name}: no changes")
            return {"env": env.name, "app": the_plan.app, "changed": False, "app_diff": diff_document(changes)}
        if not changes.empty:
            ctx.ui.text(diff_text.render(changes, env=env.name))
        for line in drift:
            ctx.ui.info(f"~ {line}")
        if not yes and not ctx.ui.confirm(f"Apply these changes to {env.name}?"):
            ctx.ui.warn(f"deploy cancelled; nothing in {env.name} changed")
            raise Cancelled()
        applied = ops.apply(the_plan, replace(opts, yes=True), ctx.ui, checked)
        record = records.DeploymentRecord.new(
            the_plan, applied.provisioned, env_vars=applied.env_vars, secret_env=applied.secret_env,
            files=applied.files, graph=applied.graph, shares=applied.shares, source_dir=source.app_root,
            secret_values=applied.secret_values,
        )
        store.write(record)
    return {"env": env.name, "app": the_plan.app, "changed": True, "app_diff": diff_document(changes),
            "env_vars": dict(record.env_vars), "files": dict(record.files),
            "deployed_at": record.deployed_at.isoformat()}


def new_deploy_id() -> str:
    """Unique per run; not part of the plan, which stays the same for the same metadata and stack."""
    import uuid

    return f"deploy_{uuid.uuid4().hex}"


class Cancelled(Exception):
    """The user said no; nothing changed (exit 1)."""


def destroy(ctx: Context, env_name: str, *, yes: bool, lock_timeout: float = 0.0,
            force_unlock: bool = False) -> dict[str, Any]:
    env = ctx.env(env_name)
    opts = ctx.options(yes=yes, lock_timeout=lock_timeout, force_unlock=force_unlock)
    ops = operations(env)
    store = ctx.store()
    refuse_borrowed(store, env)
    if not ops.confirm_destroy(env, opts, ctx.ui):
        raise Cancelled()
    with locked(ctx, store, env, "destroy", lock_timeout, force_unlock):
        refuse_borrowed(store, env)  # again under the lock: `preview-env up` takes it to add a borrower
        destroyed = ops.destroy(env, opts, ctx.ui)
        store.forget(env.name)
    return {"env": env.name, "destroyed": destroyed}


def refuse_borrowed(store: Store, env: Env) -> None:
    from orchestrator.preview_record import dependants

    borrowers = dependants(store.previews(), env.name)
    if borrowers:
        raise BadInput(f"preview env(s) {', '.join(borrowers)} run on {env.name}'s servers; take them down first "
                       "(orchestrator preview-env down --pr N); nothing was changed", where=f"env {env.name}")


def refresh(ctx: Context, env_name: str, *, lock_timeout: float = 0.0, force_unlock: bool = False) -> int:
    env = ctx.env(env_name)
    ops = operations(env)
    if not hasattr(ops, "refresh"):
        raise BadInput(f"`refresh` is not available for the {env.cloud} target", where=f"env {env.name}")
    with locked(ctx, ctx.store(), env, "refresh", lock_timeout, force_unlock):
        return ops.refresh(env, ctx.options(lock_timeout=lock_timeout, force_unlock=force_unlock), ctx.ui)


def status(ctx: Context, env_name: str) -> dict[str, Any]:
    """The last record (never a secret value) and, for people, the target's own view."""
    env = ctx.env(env_name)
    last = ctx.store().read(env.name)
    operations(env).status(env, ctx.options(), ctx.ui)
    return {"env": env.name, "cloud": env.cloud, "deployed": last is not None,
            "record": json.loads(last.to_json()) if last else None}


def stop(ctx: Context, env_name: str, *, lock_timeout: float = 0.0) -> int:
    env = ctx.env(env_name)
    ops = operations(env)
    if not hasattr(ops, "stop"):
        raise BadInput(f"`stop` is not available for the {env.cloud} target", where=f"env {env.name}")
    with locked(ctx, ctx.store(), env, "stop", lock_timeout):
        return ops.stop(env, ctx.options(lock_timeout=lock_timeout), ctx.ui)


def takeover(ctx: Context, env_name: str, *, yes: bool, lock_timeout: float = 0.0) -> int:
    """A moved or restored local state directory takes over the servers it made where it was (ownership ids)."""
    env = ctx.env(env_name)
    ops = operations(env)
    if not hasattr(ops, "takeover"):
        raise BadInput(f"`takeover` is not available for the {env.cloud} target", where=f"env {env.name}")
    with locked(ctx, ctx.store(), env, "takeover", lock_timeout):
        return ops.takeover(env, ctx.options(yes=yes, lock_timeout=lock_timeout), ctx.ui)


def env_vars(ctx: Context, env_name: str) -> dict[str, str]:
    env = ctx.env(env_name)
    last = ctx.store().read(env.name)
    return operations(env).env_vars(env, ctx.options(), last)


def verify(ctx: Context, env_name: str) -> dict[str, Any]:
    """Every check's row and a summary (docs/json-output.md); the table goes to people."""
    from orchestrator import verify as verifying

    env = ctx.env(env_name)
    overlay: Mapping[str, str] = env_vars(ctx, env_name) if registry.get(env.cloud).engine == "direct" else {}
    return verifying.report(env, overlay, ctx.ui)


def list_envs(ctx: Context) -> list[dict[str, Any]]:
    """Every stack file, then every preview env of the state store that has none (`preview-env up`); a stack file
    that does not load is listed with its error instead of stopping the list."""
    from orchestrator.core import envs
    from orchestrator.core.errors import OrchestratorError

    def row(name: str) -> dict[str, Any]:
        try:
            e = ctx.env(name)
        except OrchestratorError as exc:
            return {"name": name, "cloud": None, "type": None, "region": None, "base": None, "app": None,
                    "error": str(exc)}
        return {"name": e.name, "cloud": e.cloud, "type": e.env_type.value, "region": e.region, "base": e.base,
                "app": e.app, "error": None}

    rows = [row(name) for name in envs.list_envs(ctx.stacks_dir)]
    listed = {r["name"] for r in rows}
    try:
        previews = [p.env for p in ctx.store().previews() if p.env not in listed]
    except OrchestratorError as exc:
        ctx.ui.warn(f"preview envs not listed: {exc}")
        previews = []
    rows += [row(name) for name in previews]
    return rows


def clouds() -> tuple[str, ...]:
    """The targets an env can name (`env init --cloud`)."""
    return registry.names()


def init_env(ctx: Context, name: str, cloud: str, env_type: str, app: str | None) -> Path:
    """Write stacks/Pulumi.NAME.yaml from the template; refuses to overwrite; it must load like any stack file."""
    from orchestrator import envinit
    from orchestrator.core import envs
    from orchestrator.core.envs import EnvType

    path = envs.stack_path(ctx.stacks_dir, name)
    envs.check_name(name, str(path))
    if cloud not in registry.names():
        raise BadInput(f"unknown cloud {cloud!r} (known: {', '.join(registry.names())})", where="--cloud")
    if app is not None:
        from orchestrator.core import appmeta

        if appmeta.shape_app_name(app) != app:
            raise BadInput(f"app name {app!r} must be lowercase letters, digits and '-', starting with a letter",
                           where="--app")
    text = envinit.render(name, cloud, EnvType(env_type), app)
    stacks.parse(text, name=name, where=str(path))
    try:
        ctx.stacks_dir.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:
        raise BadInput("already exists; not overwritten (edit it, or pick another name)", where=str(path)) from None
    except OSError as exc:
        raise BadInput(f"cannot write: {exc.strerror or exc}", where=str(path)) from None
    return path


def list_secrets(ctx: Context, env_name: str, meta: Path | None) -> dict[str, Any]:
    """The app's declared secrets for ENV: where each is stored and whether it is set; never a value."""
    env = ctx.env(env_name)
    source = read_source(meta) if meta is not None else None
    known = declared_secrets(ctx, env, source)
    if known is None:
        raise BadInput(f"{env.name} was never deployed: pass --meta to say which secrets the app declares",
                       where=f"env {env.name}")
    declared, where = known
    rows = operations(env).secret_status(env, declared, ctx.options())
    return {"env": env.name, "declared_in": where, "secrets": rows}


def remove_secret(ctx: Context, env_name: str, name: str, *, lock_timeout: float = 0.0) -> int:
    env = ctx.env(env_name)
    ops = operations(env)
    with locked(ctx, ctx.store(), env, "secret rm", lock_timeout):
        return ops.remove_secret(env, name, ctx.options(), ctx.ui)


def declared_secrets(ctx: Context, env: Env, source: Source | None) -> tuple[dict[str, str], str] | None:
    """Secret name -> its physical name and where that was read: --meta when given, else the env's last
    record; None when neither exists (an env never deployed, without --meta)."""
    if source is not None:
        found = make_plan(source, env, {})
        return {r.name: r.names.get("secret", r.name) for r in found.of_kind(Kind.SECRET)}, source.where
    last = ctx.store().read(env.name)
    if last is None:
        return None
    names = {r["name"]: r["names"].get("secret", r["name"]) for r in last.plan["resources"]
             if r["kind"] == Kind.SECRET.value}
    return names, f"the last deployment of {env.name}"


def set_secret(ctx: Context, env_name: str, name: str, value: str, meta: Path | None, *,
               lock_timeout: float = 0.0) -> int:
    env = ctx.env(env_name)
    source = read_source(meta) if meta is not None else None
    known = declared_secrets(ctx, env, source)
    physical: str | None = None
    if known is None:
        ctx.ui.warn(f"{env.name} was never deployed and no --meta was given: {name!r} is not checked against "
                    "the app's declared secrets")
    else:
        declared, where = known
        if name not in declared:
            raise BadInput(f"secret {name!r} is not declared by the app (declared: "
                           f"{', '.join(sorted(declared)) or 'none'})", where=where)
        physical = declared[name]
    ops = operations(env)
    last = ctx.store().read(env.name)
    deployed = last.model_dump(mode="json") if last is not None else None
    with locked(ctx, ctx.store(), env, "secret set", lock_timeout):
        return ops.set_secret(env, name, physical, value, ctx.options(deployed=deployed), ctx.ui)

"""The local target: provision every resource of a plan on this machine (a direct target of orchestrator.pipeline).

The pipeline holds the env's lock and asks before `apply`. `check` refuses unapproved removals,
missing secrets and missing migration files before anything is touched; `drift` says why an
unchanged plan still needs a run (servers stopped, migrations or secret values changed);
`apply` starts the servers, removes, then creates or updates each resource (its intent saved
before, its result after, so a killed run converges on the next), drops leftovers carrying
our mark, writes the runtime config and the metadata, and saves. An apply whose inputs and servers
are unchanged does nothing.

Ownership (providers/local/ownership.py): a state directory that was copied or moved owns nothing (NotOwned,
exit 10) until `takeover`; the first deploy claims an owner id, and every cluster, database and role made
carries its mark. Leftovers are found by that mark, never by name.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.core.envs import Env
from orchestrator.core.errors import BadInput
from orchestrator.core.model import Kind
from orchestrator.core.plan import Plan, PlannedResource
from orchestrator.ui import UI
from providers import sqladmin
from providers.base import Applied, Options
from providers.local import REMOVERS, TABLE, ownership, secret, servers, shares, sql
from providers.local.ownership import Owner
from providers.local.servers import postgres
from providers.local.session import APP_LISTEN, EMULATOR_KEY, REGION, Session, crashpoint
from providers.local.settings import settings_of
from providers.local.shares import Lender
from providers.local.state import State, ensure_dir, refuse_foreign, state_dir

if TYPE_CHECKING:
    from providers.base import Deployed

DEPLOY_FORMAT = "1"
"""Part of the no-op digest: bump when a change here alters what a deploy produces."""
META_FILE = "meta.pb"
EMULATED = (Kind.TOPIC, Kind.SUBSCRIPTION, Kind.BUCKET)


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    """In the state but not in the plan, or planned under other physical names (replaced)."""


def fingerprint(res: PlannedResource) -> str:
    return hashlib.sha256(res.model_dump_json().encode()).hexdigest()[:16]


def diff(plan: Plan, state: State) -> Changes:
    """The shared app-level diff between the plan this ledger last applied and `plan`, completed by what only the
    ledger knows: resources an interrupted run left half-made or behind."""
    from orchestrator.diff import diff as plan_diff

    changes = plan_diff(state.data.get("plan"), json.loads(plan.to_json()))
    out = Changes(
        added=[r.key for r in (*changes.added, *changes.replaced)],
        changed=[r.key for r in changes.changed],
        removed=[r.key for r in (*changes.removed, *changes.replaced)],
    )
    planned = {r.key: r for r in plan.resources}
    for key, rec in state.resources.items():
        res = planned.get(key)
        if (res is None or rec.get("names", res.names) != res.names) and key not in out.removed:
            out.removed.append(key)
            if res is not None and key not in out.added:
                out.added.append(key)
    for key, res in planned.items():
        rec = state.resources.get(key)
        if rec is None:
            if key not in out.added:
                out.added.append(key)
        elif (rec.get("status") != "ready" or rec.get("fingerprint") != fingerprint(res)) and key not in (
            *out.added, *out.changed):
            out.changed.append(key)
    out.removed = [key for key in out.removed if key in state.resources]
    return out


def _kind(key: str) -> Kind:
    return Kind(key.split(":", 1)[0])


# ---------------------------------------------------------------- deploy


@dataclass
class _Inputs:
    """What one local deploy reads besides the plan, checked before anything is touched."""

    state: State
    changes: Changes
    secrets: dict[str, str]
    migrations: dict[str, Any]
    meta: bytes
    needs: frozenset[str]
    """The servers this plan needs (servers.needed)."""
    digest: str
    deploy_id: str
    owner: Owner | None
    """None before the first deploy claims one."""
    probe: Callable[[], list[str]]
    """emulator_lost for this state, asked only when needed (a few requests to the emulator)."""
    lender: Lender | None = None
    """A shared preview env's base env, whose servers it uses."""

    @cached_property
    def lost(self) -> list[str]:
        return self.probe()

    def up_to_date(self, plan: Plan) -> bool:
        return (self.state.data.get("digest") == self.digest and not self.changes.removed
                and _converged(plan, self.state, self.needs) and not self.lost)


def _inputs(plan: Plan, opts: Options, ui: UI) -> _Inputs:
    env = plan.env
    directory = state_dir(opts.state_root, env.name)
    state = State.load(directory)
    owner = ownership.current(directory)
    if state.data.get("destroying"):
        state = State(directory, {"format": state.data.get("format", 1), "servers": {}, "resources": {},
                                  "destroying": True})
    changes = diff(plan, state)
    blocked = [k for k in changes.removed if _kind(k) in REMOVERS and state.resources[k].get("status") != "removing"]
    if blocked and not opts.allow_destroy:
        raise BadInput(
            f"{len(blocked)} resource(s) would be removed with their data: {', '.join(sorted(blocked))}; "
            "nothing was changed; rerun with --allow-destroy to remove them",
            where=f"env {env.name}",
        )
    lent = shares.of_plan(env, plan.borrowed)
    values = secret.resolve(env, directory, base_dir=_base_dir(env, opts, lent), stacks_dir=opts.stacks_dir)
    secret.check(plan, values)
    migrations = sql.read_migrations(plan, opts.app_root or Path.cwd())
    if opts.meta is None:
        raise BadInput("the local target needs the app metadata to hand to the runtime", where="deploy")
    needs = _servers_needed(plan, ui)
    if lent is not None:
        shares.running(lent, needs, _base_deploy(opts, lent))
    digest = _digest(plan, opts.meta, values, migrations)
    return _Inputs(state, changes, values, migrations, opts.meta, needs, digest, opts.deploy_id, owner,
                   lambda: emulator_lost(state), lent)


def _base_deploy(opts: Options, lent: Lender) -> str:
    return opts.command("deploy", "--env", lent.env, "--meta", "...")


def _base_dir(env: Env, opts: Options, lent: Lender | None) -> Path | None:
    """Where a preview env's base keeps its secrets (both strategies)."""
    if lent is not None:
        return lent.dir
    return state_dir(opts.state_root, env.base) if env.is_preview and env.base else None


def check(plan: Plan, opts: Options, ui: UI) -> _Inputs:
    return _inputs(plan, opts, ui)


def drift(plan: Plan, opts: Options, ui: UI, checked: _Inputs | None = None) -> list[str]:
    """Why the env needs `apply` beyond the plan's own changes (empty when nothing would change). Read under the
    lock, so `checked` (read before it, perhaps before waiting for another run) is not trusted here."""
    inputs = _inputs(plan, opts, ui)
    missing = _missing(plan, ui, inputs)
    if inputs.up_to_date(plan):
        return missing
    if inputs.state.data.get("destroying"):
        return ["a destroy was interrupted: it is finished first, then every resource is made again (empty)"]
    if "digest" not in inputs.state.data:
        return [f"env {plan.env.name}: nothing is deployed here yet"]
    reasons = list(missing)
    if inputs.lost:
        reasons.append(lost_text(inputs.lost))
    if inputs.state.data.get("digest") != inputs.digest:
        reasons.append("the app's metadata, migrations or secret values changed since the last deploy")
    if not _converged(plan, inputs.state, inputs.needs):
        reasons.append("servers or resources differ from the last deploy (a server stopped or restarted, or a run "
                       "was interrupted)")
    return reasons or ["resources left behind by an interrupted run are removed"]


def preview(plan: Plan, opts: Options, ui: UI) -> list[str]:
    return drift(plan, opts, ui) or [f"env {plan.env.name}: the local servers and resources match"]


def apply(plan: Plan, opts: Options, ui: UI, checked: _Inputs | None = None) -> Applied:
    """Under the env's lock: the inputs are read again, as another run may have changed them meanwhile."""
    directory = ensure_dir(state_dir(opts.state_root, plan.env.name))
    owner = ownership.current(directory)
    if State.load(directory).data.get("destroying"):
        ui.step(f"env {plan.env.name}: finishing a destroy that was interrupted")
        _remove_everything(directory, owner)
    inputs = _inputs(plan, opts, ui)
    if inputs.up_to_date(plan) and not _missing(plan, ui, inputs):
        ui.success(f"env {plan.env.name}: no changes")
    else:
        _deploy(plan, opts, ui, replace(inputs, owner=ownership.claim(directory)))
    return _applied(plan.env, State.load(directory), inputs.secrets)


def _missing(plan: Plan, ui: UI, inputs: _Inputs) -> list[str]:
    """The databases the state records that the server (when it runs) lacks, each said loudly."""
    state = inputs.state
    external = settings_of(plan.env).postgres_admin_url
    port = None if external else _running(state)[servers.POSTGRES.name]
    recorded = any(_kind(key) is Kind.SQL for key in state.resources)
    if inputs.owner is None or not recorded or (not external and port is None):
        return []
    session = Session(plan.env, state, ui, owner=inputs.owner,
                      lender=inputs.lender.state if inputs.lender is not None else None)
    if port is not None:
        session.ports[servers.POSTGRES.name] = port
    try:
        return sql.missing(session)
    finally:
        session.close()


def _applied(env: Env, state: State, secrets: dict[str, str]) -> Applied:
    """What the record keeps: no secret value (the inline runtime config stays in its 0600 file); what the env lends
    its shared preview envs (providers/local/shares.py)."""
    from runtime_config.infra import Provisioned

    paths = state.data["outputs"]["paths"]
    env_vars = {k: v for k, v in state.data["outputs"]["env"].items() if k != "ENCORE_RUNTIME_CONFIG"}
    if "runtime_config" in paths:
        env_vars.setdefault("ENCORE_RUNTIME_CONFIG_PATH", paths["runtime_config"])
    env_vars["ENCORE_APP_META_PATH"] = str((state.dir / META_FILE).absolute())
    created = [
        {"key": key, "kind": rec.get("kind"), "names": rec.get("names", {}), "status": rec.get("status")}
        for key, rec in sorted(state.resources.items())
    ]
    generated = [state.data.get("service_auth_key", "")] + [
        rec.get("password", "") for rec in state.resources.values()
    ]
    return Applied(
        provisioned=Provisioned.model_validate(state.data["provisioned"]),
        env_vars=env_vars,
        files=dict(paths),
        graph=created,
        secret_values=tuple(v for v in [*secrets.values(), *generated] if v),
        shares=shares.lent(env, state),
    )


def _deploy(plan: Plan, opts: Options, ui: UI, inputs: _Inputs) -> None:
    env = plan.env
    state, changes, values, migrations = inputs.state, inputs.changes, inputs.secrets, inputs.migrations
    meta, needs, digest = inputs.meta, inputs.needs, inputs.digest

    lent = inputs.lender
    session = Session(env, state, ui, secrets=values, migrations=migrations, owner=inputs.owner,
                      lender=lent.state if lent is not None else None)
    recreated: list[str] = []
    try:
        removing = [state.resources[k] for k in changes.removed]
        if lent is not None:
            state.data[shares.LENDER] = shares.record(lent)
            session.borrow(shares.running(lent, needs | servers.needed_by_records(removing, settings_of(env)),
                                          _base_deploy(opts, lent)))
        else:
            start_clock = time.perf_counter()
            started = session.start(needs | servers.needed_by_records(removing, settings_of(env)))
            if started:
                ui.step(f"started {', '.join(started)} in {time.perf_counter() - start_clock:.2f} s")
        if session.pg is not None:
            sql.refuse_data_loss(session, _planned_names(plan), opts.allow_destroy)
            recreated = sql.missing(session)
            for line in recreated:
                ui.warn(line)
        session.warm_up()  # after psycopg's import: boto3's runs while PostgreSQL makes the databases
        for key in changes.removed:
            _remove(session, key)
        fragments = _apply(plan, session, changes)
        leftovers = _sweep(plan, session, opts.allow_destroy)
        if leftovers:
            ui.step(f"removed leftovers of an interrupted run: {', '.join(leftovers)}")
        _write(plan, state, fragments, meta, digest, inputs.deploy_id)
    finally:
        session.close()

    ui.success(
        f"env {env.name} deployed: {len(plan.resources)} resources ({len(changes.added)} added, "
        f"{len(changes.changed)} updated, {len(changes.removed)} removed"
        + (f", {len(recreated)} database(s) recreated empty or marked again)" if recreated else ")")
    )
    for path in state.data["outputs"]["paths"].values():
        ui.info(f"runtime config: {path}")
    if any(plan.of_kind(Kind.CRON)):
        ui.info("cron jobs are recorded but not scheduled locally (see `orchestrator status`)")
    ui.info(f"run the app with: {opts.command('run', '--env', env.name)} -- <command>")


def _has(plan: Plan, kind: Kind) -> bool:
    return any(plan.of_kind(kind))


def _servers_needed(plan: Plan, ui: UI) -> frozenset[str]:
    needs = servers.needed(plan, redis_installed=servers.REDIS.installed())
    if needs != servers.needed(plan, redis_installed=True):
        ui.warn("no redis-server is installed: caches use the runtime's in-memory Redis")
    return needs


def _digest(plan: Plan, meta: bytes, values: dict[str, str], migrations: dict[str, Any]) -> str:
    h = hashlib.sha256()
    for part in (
        DEPLOY_FORMAT,
        plan.to_json(),
        hashlib.sha256(meta).hexdigest(),
        json.dumps({r.name: values.get(r.name) for r in plan.of_kind(Kind.SECRET)}, sort_keys=True),
        json.dumps(
            {db: [[m.number, m.filename, m.sql] for m in files] for db, files in migrations.items()}, sort_keys=True
        ),
    ):
        h.update(hashlib.sha256(part.encode()).digest())
    return h.hexdigest()


def _converged(plan: Plan, state: State, needs: frozenset[str]) -> bool:
    """Whether every resource is recorded ready and every server it needs runs on its recorded port."""
    for res in plan.resources:
        rec = state.resources.get(res.key)
        if not rec or rec.get("status") != "ready" or rec.get("fingerprint") != fingerprint(res):
            return False
    running = _running(state)
    for name in needs:
        if running[name] is None or running[name] != state.servers.get(name, {}).get("port"):
            return False
    if shares.LENDER in state.data:
        live = servers.running(_home(state))
        if any((found := live[name]) is None or found.pid != state.servers[name].get("pid") for name in needs):
            return False  # a restarted Redis has lost the env's ACL users
    if servers.EMULATOR.name in needs and _emulator_pid(state) != state.data.get("emulator_pid"):
        return False  # a restarted emulator has lost every topic, queue and bucket
    return (
        all(Path(p).exists() for p in state.data.get("outputs", {}).get("paths", {}).values())
        and "outputs" in state.data
    )


def emulator_lost(state: State) -> list[str]:
    """What the state records on the running emulator that it no longer holds: it has no authentication, so anyone
    on this machine can reset it (a stopped or restarted emulator is found by _converged)."""
    running = servers.EMULATOR.running(_home(state))
    if running is None or running.pid != state.data.get("emulator_pid"):
        return []
    from providers.local import bucket, pubsub

    return pubsub.missing(running.port, state.resources) + bucket.missing(running.port, state.resources)


def lost_text(lost: list[str]) -> str:
    kinds = [item.split(" ", 1)[0] for item in lost]
    counts = {kind: kinds.count(kind) for kind in ("topic", "queue", "bucket") if kind in kinds}
    what = ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in counts.items())
    return (f"the emulator lost {what} (it was reset: anyone on this machine can): they will be recreated, "
            f"their messages and objects are gone")


def _home(state: State) -> Path:
    """Where the env's servers run: its own state directory, or a shared preview env's base's (its lender)."""
    lent = state.data.get(shares.LENDER)
    return Path(lent["state_dir"]) if isinstance(lent, dict) and isinstance(lent.get("state_dir"), str) else state.dir


def _emulator_pid(state: State) -> int | None:
    live = servers.EMULATOR.running(_home(state))
    return live[0] if live else None


def _running(state: State) -> dict[str, int | None]:
    """Each server's port when it runs, else None."""
    return {name: (pid_port[1] if pid_port else None) for name, pid_port in servers.running(_home(state)).items()}


def _remove(session: Session, key: str) -> None:
    rec = session.state.resources[key]
    rec["status"] = "removing"
    session.save()
    crashpoint(f"removing:{key}")
    remover = REMOVERS.get(_kind(key))
    if remover:
        module, _, func = remover.partition(":")
        import importlib

        getattr(importlib.import_module(module), func)(session, key, rec)
    del session.state.resources[key]
    session.save()
    session.ui.step(f"removed {key}")
    crashpoint(f"removed:{key}")


def _apply(plan: Plan, session: Session, changes: Changes) -> list[dict[str, Any]]:
    from providers.base import Context

    ctx = Context(plan=plan, target=session)
    fragments = []
    touched = set(changes.added) | set(changes.changed)
    ahead = [res for res in plan.resources if res.kind is Kind.SQL and res.key in touched]
    for res in plan.resources:
        if len(ahead) > 1 and res.key == ahead[0].key:  # several databases to make: side by side, intents first
            for each in ahead:
                _intend(session, each)
            sql.make_all(session, ahead)
        rec = session.record(res.key)
        # Only kinds that leave something on a server need their intent on disk before it is made.
        durable = res.key in touched and res.kind in REMOVERS
        if res.key not in session.made:
            _intend(session, res, touched=res.key in touched, save=durable)
        deployed: Deployed = TABLE.handler(res.kind)(ctx, res)
        ctx.deployed[res.key] = deployed
        fragments.append(dict(deployed.provisioned))
        if res.key in touched:
            rec["status"] = "ready"
            if res.key in changes.added and res.kind is not Kind.SERVICE:
                session.ui.step(f"created {res.key}")
        if durable:
            session.save()
            crashpoint(f"done:{res.key}")
    return fragments


def _intend(session: Session, res: PlannedResource, *, touched: bool = True, save: bool = True) -> None:
    """A resource a killed run left `pending` is resumed (`Session.resumed`: it may be half made); one this run
    makes or changes is `pending` from here on, on disk when `save`."""
    rec = session.record(res.key)
    if rec.get("status") == "pending":
        session.resumed.add(res.key)
    if touched:
        rec.update(kind=res.kind.value, names=res.names, fingerprint=fingerprint(res), status="pending")
    if save:
        session.save()
        crashpoint(f"intent:{res.key}")


def _planned_names(plan: Plan) -> set[str]:
    return {name for res in plan.resources for name in res.names.values()}


def _sweep(plan: Plan, session: Session, allow_destroy: bool) -> list[str]:
    keep = _planned_names(plan)
    dropped: list[str] = []
    if session.pg is not None:
        dropped += sql.sweep(session, keep)
    if session.emulator_port is not None:
        from providers.local import bucket, pubsub

        dropped += pubsub.sweep(session, keep, allow_destroy=allow_destroy)
        dropped += bucket.sweep(session, keep, allow_destroy=allow_destroy)
    return dropped


def _write(plan: Plan, state: State, fragments: list[dict[str, Any]], meta: bytes, digest: str,
           deploy_id: str) -> None:
    from orchestrator.core.files import write_atomic
    from runtime_config.infra import Provisioned, merge
    from runtime_config.write import write_outputs

    key = state.data.setdefault("service_auth_key", servers.new_password())
    signing = {"service_auth_keys": [{"id": 1, "key": {"value": key}}]}  # encore_auth, as Encore's local runs use
    provisioned = Provisioned.model_validate(
        {"cloud": "local", "env": plan.env.name, "region": REGION, "deploy_id": deploy_id or None,
         **merge([*fragments, signing])}
    )
    written = write_outputs(plan, provisioned, state.dir)
    write_atomic(state.dir / META_FILE, meta, mode=0o644)
    crashpoint("outputs")
    state.data.update(
        app=plan.app,
        language=plan.language.value,
        digest=digest,
        deployed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        outputs={"paths": {k: str(p) for k, p in written.paths.items()}, "env": written.env},
        provisioned=provisioned.redacted(),
        plan=json.loads(plan.to_json()),
        uses_emulator=any(_has(plan, k) for k in EMULATED),
        emulator_pid=_emulator_pid(state),
    )
    state.save()
    crashpoint("saved")


# ---------------------------------------------------------------- the other commands


def _existing(env: Env, opts: Options) -> State | None:
    directory = state_dir(opts.state_root, env.name)
    state = State.load(directory) if (directory / "state.json").exists() else None
    return state


def status(env: Env, opts: Options, ui: UI) -> int:
    state = _existing(env, opts)
    if state is None:
        ui.info(f"env {env.name}: not deployed")
        return 0
    running = _running(state)
    rows = []
    for name, rec in sorted(state.servers.items()):
        port = running.get(name)
        rows.append((name, "running" if port else "stopped", port or rec.get("port", "")))
    admin_url = settings_of(env).postgres_admin_url
    if admin_url:
        rows.append(("postgres", "external", admin_url.rsplit("@", 1)[-1]))
    ui.table(f"env {env.name}: servers", ("server", "state", "port"), rows)
    resources = [
        (key, rec.get("status", "?"), ", ".join(f"{k}={v}" for k, v in sorted(rec.get("names", {}).items())))
        for key, rec in sorted(state.resources.items())
        if _kind(key) not in (Kind.SERVICE,)
    ]
    ui.table(
        f"env {env.name}: resources of app {state.data.get('app', '?')}", ("resource", "state", "names"), resources
    )
    crons = [
        (key.split(":", 1)[1], rec.get("schedule", ""), rec.get("path", ""))
        for key, rec in sorted(state.resources.items())
        if _kind(key) is Kind.CRON
    ]
    if crons:
        ui.table(
            "cron jobs (not scheduled by the local target: call the endpoints yourself)",
            ("job", "schedule", "path"),
            crons,
        )
    if any(port is None for name, port in running.items() if name in state.servers):
        ui.info(f"stopped servers start again with `{opts.command('deploy', '--env', env.name, '--meta', '...')}`")
    if "deployed_at" in state.data:
        ui.info(f"last deploy: {state.data['deployed_at']}")
    return 0


def stop(env: Env, opts: Options, ui: UI) -> int:
    directory = state_dir(opts.state_root, env.name)
    if not directory.exists():
        ui.info(f"env {env.name}: nothing to stop")
        return 0
    refuse_foreign(directory)
    postgres.check_datadir(directory, ownership.current(directory))
    stopped = servers.stop_all(directory)
    ui.success(
        f"env {env.name}: " + (f"stopped {', '.join(stopped)} (data kept)" if stopped else "no server was running")
    )
    if "emulator" in stopped:
        ui.info(
            "the AWS-API emulator keeps no data: topics, queues and buckets are made again on the next deploy, "
            "their messages and objects are gone"
        )
    return 0


KEPT_ON_DESTROY = (secret.SECRETS_FILE, ownership.OWNER_FILE)
"""The owner file stays: a redeploy here keeps the id, so what a killed destroy left still carries our mark."""


def _deployed_here(directory: Path) -> bool:
    return (directory / "state.json").exists() or any((directory / server.name).exists() for server in servers.ALL)


def confirm_destroy(env: Env, opts: Options, ui: UI) -> bool:
    if opts.yes or not _deployed_here(state_dir(opts.state_root, env.name)):
        return True
    if not opts.interactive:
        raise BadInput(
            "destroy removes every resource and its data; pass --yes (no terminal to ask on)",
            where=f"env {env.name}",
        )
    if ui.confirm(f"Remove every resource of env {env.name} and its data?"):
        return True
    ui.info("nothing was changed")
    return False


def destroy(env: Env, opts: Options, ui: UI) -> bool:
    """Stop the env's servers first (found by their directories, whatever the state says), record the intent, then
    remove; a run killed at any point is finished by the next destroy or deploy."""
    directory = state_dir(opts.state_root, env.name)
    # A shared preview env's first deploy killed before it saved its state may have left marked things on its base.
    lent_before = env.shares_base and (directory / ownership.OWNER_FILE).exists()
    if not _deployed_here(directory) and not lent_before:
        ui.info(f"env {env.name}: nothing to destroy")
        return False
    refuse_foreign(directory)
    owner = ownership.current(directory)
    state = State.load(directory)
    lent = shares.of_state(env, state, state_dir(opts.state_root, env.base)) if env.base else None
    found: dict[str, servers.Running] = {}
    if lent is not None:
        needs = (servers.needed_by_records(state.resources.values(), settings_of(env)) if state.exists
                 else shares.servers_lent(lent))
        found = shares.running(lent, needs, _base_deploy(opts, lent))
    postgres.check_datadir(directory, owner)
    servers.stop_all(directory)
    state.data["destroying"] = True
    state.save()
    crashpoint("destroying")
    if lent is not None:
        _drop_borrowed(env, state, ui, owner, lent, found)
    elif settings_of(env).postgres_admin_url:
        _drop_external(env, state, ui, owner)
    _remove_everything(directory, owner)
    kept = (
        " (secret values kept; remove secrets.json to forget them)"
        if (directory / secret.SECRETS_FILE).exists()
        else ""
    )
    ui.success(f"env {env.name} destroyed{kept}")
    return True


def _remove_everything(directory: Path, owner: Owner | None) -> None:
    """Servers, data and outputs of the env; the state file goes last, so an interrupted run still says `destroying`."""
    postgres.check_datadir(directory, owner)
    servers.stop_all(directory, keep_data=False)
    servers.remove_pg_data(directory)
    if owner is not None:
        postgres.remove_account(directory, owner)
    servers.remove_accounts(directory)
    for path in sorted(directory.iterdir(), key=lambda p: p.name == "state.json"):
        if path.name in KEPT_ON_DESTROY:
            continue
        crashpoint(f"removing-file:{path.name}")
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _drop_external(env: Env, state: State, ui: UI, owner: Owner | None) -> None:
    """Our databases and roles on the external server: those the state records and any other carrying our mark;
    what another state directory marked is left alone."""
    if owner is None:
        ui.warn("this state directory has no ownership file: nothing on the external PostgreSQL server is dropped")
        return
    session = Session(env, state, ui, owner=owner)
    try:
        for key, rec in list(state.resources.items()):
            if _kind(key) is Kind.SQL and rec.get("names"):
                sql.remove(session, key, rec)
        sql.sweep(session, set())
    finally:
        session.close()


def _drop_borrowed(env: Env, state: State, ui: UI, owner: Owner | None, lent: Lender,
                   found: dict[str, servers.Running]) -> None:
    """A shared preview env's things on its base's servers: each recorded resource, then whatever else carries its
    mark (left by an interrupted run); objects only under its prefix, and no server is stopped."""
    if owner is None:
        ui.warn("this state directory has no ownership file: nothing on the base env's servers is removed")
        return
    session = Session(env, state, ui, owner=owner, lender=lent.state)
    session.borrow(found)
    from concurrent.futures import ThreadPoolExecutor

    from providers.local import bucket, pubsub

    databases = {k: rec for k, rec in state.resources.items() if _kind(k) is Kind.SQL}
    if databases and session.pg is not None:
        import psycopg  # noqa: F401  (first: the sweep's boto3 import then runs while the databases drop)
    # Topics and queues go by one sweep (by mark: what is recorded and what a killed run left), on the emulator
    # while PostgreSQL drops the databases; the state changes only here, after both.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sweep")
    try:
        swept = (pool.submit(pubsub.sweep, session, set(), allow_destroy=True)
                 if session.emulator_port is not None else None)
        if databases and session.pg is not None:
            for rec in databases.values():
                rec["status"] = "removing"
            session.save()
            crashpoint("removing:sql")
            sql.remove_all(session, databases)
            for key in databases:
                del state.resources[key]
                ui.step(f"removed {key}")
            session.save()
        for key in [k for k in state.resources if _kind(k) in (Kind.BUCKET, Kind.CACHE)]:
            _remove(session, key)
        if session.pg is not None:
            sql.sweep(session, set())
        if swept is not None:
            for line in swept.result():
                ui.step(f"removed {line}")
            bucket.sweep(session, set(), allow_destroy=True)
        for key in [k for k in state.resources if _kind(k) in (Kind.TOPIC, Kind.SUBSCRIPTION)]:
            del state.resources[key]
        session.save()
    finally:
        pool.shutdown(wait=True)
        session.close()


def takeover(env: Env, opts: Options, ui: UI) -> int:
    """Bind the servers of a moved or restored state directory to it: its PostgreSQL cluster, databases and roles
    carrying the owner id it had where it was made get this directory's (refused while that directory exists)."""
    directory = state_dir(opts.state_root, env.name)
    refuse_foreign(directory)
    old, new = ownership.previous(directory)
    state = State.load(directory)
    external = settings_of(env).postgres_admin_url
    link = directory / postgres.NAME
    cluster = link.is_symlink() or link.exists()
    recorded = sorted(f"{what} {name}" for key, rec in state.resources.items() if _kind(key) is Kind.SQL
                      for what, name in sorted(rec.get("names", {}).items()))
    ui.info(f"env {env.name}: this state directory was made at {old.directory}; taking over (owner id {old.id} "
            f"becomes {new.id}):")
    if cluster:
        ui.info(f"  PostgreSQL cluster {link} (its server is stopped and started again)")
    for server in (servers.EMULATOR, servers.REDIS):
        if (directory / server.name).exists():
            ui.info(f"  the {server.name}'s directory (a running {server.name} is stopped; the next deploy starts it)")
    where = "the external server" if external else "the cluster"
    ui.info(f"  every database and role on {where} marked with owner id {old.id}"
            + (f" ({', '.join(recorded)} in the state)" if recorded else ""))
    if not opts.yes:
        if not opts.interactive:
            raise BadInput("takeover re-marks servers and databases; pass --yes (no terminal to ask on)",
                           where=f"env {env.name}")
        if not ui.confirm(f"Take over these for env {env.name}?"):
            ui.info("nothing was changed")
            return 1
    if cluster:
        postgres.take_over_cluster(directory, old, new)
    restarted = servers.hand_over(directory, old, new)
    remarked: dict[str, list[str]] = {"databases": [], "roles": []}
    if cluster or external:
        session = Session(env, state, ui, owner=new)
        try:
            if not external:
                session.start({servers.POSTGRES.name})
            ex = session.executor()
            remarked = sqladmin.marked(ex, old.mark)
            sqladmin.remark(ex, databases=remarked["databases"], roles=remarked["roles"], mark=new.mark)
        finally:
            session.close()
    ownership.adopt(directory)
    ui.success(f"env {env.name}: took over {len(remarked['databases'])} database(s) and {len(remarked['roles'])} "
               f"role(s){' and the PostgreSQL cluster' if cluster else ''}; owner id {new.id}")
    if restarted:
        ui.info(f"stopped {', '.join(restarted)}: the next deploy starts {'them' if len(restarted) > 1 else 'it'} "
                "again (the emulator's topics, queues and buckets are made again, without their messages and objects)")
    return 0


def env_vars(env: Env, opts: Options, record: Any = None) -> dict[str, str]:
    state = _existing(env, opts)
    if state is None or "outputs" not in state.data:
        raise BadInput(
            f"not deployed: run `{opts.command('deploy', '--env', env.name, '--meta', '...')}` first",
            where=f"env {env.name}",
        )
    stopped = _stopped_servers(env, state)
    if stopped:
        raise BadInput(
            f"{', '.join(stopped)} stopped: `{opts.command('deploy', '--env', env.name, '--meta', '...')}` starts them "
            "again",
            where=f"env {env.name}",
        )
    values = dict(state.data["outputs"]["env"])
    values["ENCORE_APP_META_PATH"] = str((state.dir / META_FILE).absolute())
    values["ENCORE_LISTEN_ADDR"] = APP_LISTEN
    port = state.servers.get("emulator", {}).get("port")
    if state.data.get("uses_emulator") and port:
        emulator = f"http://{servers.LOOPBACK}:{port}"
        # Per service, so the app's own AWS calls elsewhere reach AWS: honoured by the Rust core's aws-config
        # 1.5.13 (runtimes/Cargo.lock) and the Go runtime's aws-sdk-go-v2 config v1.26.6 (runtimes/go/go.mod).
        values.update(
            AWS_ENDPOINT_URL_SNS=emulator,
            AWS_ENDPOINT_URL_SQS=emulator,
            AWS_ENDPOINT_URL_S3=emulator,
            AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
            AWS_ACCESS_KEY_ID=EMULATOR_KEY,
            AWS_SECRET_ACCESS_KEY=EMULATOR_KEY,
        )
    return values


def _stopped_servers(env: Env, state: State) -> list[str]:
    """The servers the last deploy relied on that are not running now."""
    needs = servers.needed_by_records(state.resources.values(), settings_of(env))
    running = _running(state)
    return [name for name, port in running.items() if name in needs and port is None]


def set_secret(env: Env, name: str, physical: str | None, value: str, opts: Options, ui: UI) -> int:
    secret.store(ensure_dir(state_dir(opts.state_root, env.name)), name, value)
    ui.success(f"secret {name} set for env {env.name} (applied on the next deploy)")
    return 0


def secret_status(env: Env, declared: dict[str, str], opts: Options) -> list[dict[str, Any]]:
    """Where each declared secret's value lives on this machine and whether it is set (never the value)."""
    directory = state_dir(opts.state_root, env.name)
    saved = secret.stored(directory)
    env_file = secret.env_file_path(env, opts.stacks_dir)
    from_file = secret.parse_env_file(env_file) if env_file is not None and env_file.exists() else {}
    base_dir = _base_dir(env, opts, None)
    lent = {k: v for k, v in secret.stored(base_dir).items() if k not in env.own_secrets} if base_dir else {}
    rows = []
    for name in sorted(declared):
        if name in saved:
            where = str(directory / secret.SECRETS_FILE)
        elif base_dir is not None and name in lent:
            where = f"{base_dir / secret.SECRETS_FILE} (base env {env.base})"
        elif name in from_file:
            where = str(env_file)
        else:
            where = str(directory / secret.SECRETS_FILE)
        rows.append({"name": name, "where": where, "set": name in saved or name in lent or name in from_file})
    return rows


def remove_secret(env: Env, name: str, opts: Options, ui: UI) -> int:
    directory = state_dir(opts.state_root, env.name)
    if not secret.remove(directory, name):
        env_file = secret.env_file_path(env)
        if env_file is not None and env_file.exists() and name in secret.parse_env_file(env_file):
            raise BadInput(f"secret {name} is set in the env's secrets file, not by `secret set`; edit that file",
                           where=str(env_file))
        raise BadInput(f"secret {name} is not set for env {env.name}", where=str(directory / secret.SECRETS_FILE))
    ui.success(f"secret {name} removed from env {env.name} (the next deploy needs it set again)")
    return 0

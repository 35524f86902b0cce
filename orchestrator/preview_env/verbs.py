"""`orchestrator preview-env up|down|list|gc`: env `pr-N` per pull request, on its base env's servers or its own.

`up` checks everything (the PR number, the base and its last deployment, the template, the metadata and the
plan) before it writes the env's descriptor, then deploys `pr-N` like any env (the diff, the question or `--yes`,
the lock). `down` destroys it through the env's target, which removes only what carries the env's ownership
mark, then forgets the descriptor. `gc` runs `down` for every preview env idle longer than the TTL (since its last
deploy) or whose PR is closed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator import pipeline, stacks
from orchestrator.core import envs
from orchestrator.core.envs import BucketMode, Strategy
from orchestrator.core.errors import (
    BadInput,
    Locked,
    MissingTool,
    OrchestratorError,
    PolicyViolation,
    SecretsUnset,
    Unsupported,
)
from orchestrator.core.model import Kind
from orchestrator.preview_env import derive
from orchestrator.preview_record import PreviewEnv, env_name

if TYPE_CHECKING:
    from orchestrator.pipeline import Context
    from orchestrator.state import Store

REFUSALS = (BadInput, Unsupported, PolicyViolation, MissingTool, Locked)
"""What a deploy raises before it changes anything (exit 2, 7, 4, 6, 3)."""
MAX_SLOT = 15
"""Redis has databases 0..15 by default (ElastiCache and Memorystore included); 0 is the base's."""
_PR = re.compile(r"^[1-9][0-9]{0,8}$")
_DURATION = re.compile(r"^([1-9][0-9]{0,6})([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_pr(text: str, where: str = "--pr") -> int:
    if not _PR.match(text.strip()):
        raise BadInput(f"the PR number must be a positive integer, not {text!r}", where=where)
    return int(text)


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `72h`, `7d`."""
    m = _DURATION.match(text.strip())
    if not m:
        raise BadInput(f"{text!r} is not a duration like 90s, 30m, 72h or 7d", where="--ttl")
    return timedelta(seconds=int(m[1]) * _UNIT[m[2]])


def parse_prs(text: str) -> set[int]:
    """`1,2,3` (spaces allowed; empty: no PR is open)."""
    return {parse_pr(part, "--open-prs") for part in text.replace(" ", "").split(",") if part}


# ---------------------------------------------------------------------------- up


def up(ctx: Context, *, pr: str, base: str, meta: Path, app_root: Path | None, strategy: Strategy | None,
       template: str | None, own_secrets: Sequence[str], yes: bool, allow_destroy: bool,
       lock_timeout: float, buckets: BucketMode | None = None) -> dict[str, Any]:
    started = time.monotonic()
    number = parse_pr(pr)
    name = env_name(number)
    stack_file = envs.stack_path(ctx.stacks_dir, name)
    if stack_file.exists():
        raise BadInput(f"{name} has a stack file of its own; preview envs are derived from their base by "
                       "`preview-env up` (rename that stack)", where=str(stack_file))
    base_env = ctx.env(base)
    template_env = ctx.env(template) if template is not None else None
    store = ctx.store()
    existing = store.read_preview(name)
    if existing is not None and existing.base != base_env.name:
        raise BadInput(f"{name} was made from base {existing.base}; `orchestrator preview-env down --pr {number}` "
                       "first to move it", where="--base")
    if existing is not None and strategy is not None and existing.strategy != strategy:
        raise BadInput(f"{name} runs {existing.strategy}; `orchestrator preview-env down --pr {number}` first to "
                       f"make it {strategy}", where="--strategy")
    kept_buckets = _bucket_mode(existing) if existing is not None else None
    if kept_buckets is not None and buckets is not None and kept_buckets != buckets:
        raise BadInput(f"{name} keeps its objects in {kept_buckets} buckets; `orchestrator preview-env down --pr "
                       f"{number}` first to make them {buckets}", where="--buckets")
    if not yes and not ctx.ui.interactive:
        raise BadInput("preview-env up changes resources and needs --yes when not run interactively; nothing was "
                       "changed", where=f"env {name}")
    base_record = store.read(base_env.name)
    if base_record is None:
        raise BadInput(f"base env {base_env.name} was never deployed (deploy it first: orchestrator deploy --env "
                       f"{base_env.name})", where="--base")

    source = pipeline.read_source(meta, app_root)
    slot = existing.slot if existing is not None else None
    chosen = strategy or (existing.strategy if existing is not None else None)

    def derived(slot: int | None) -> tuple[str, envs.Env]:
        text = derive.stack_text(base_env, pr=number, strategy=chosen, slot=slot, template=template_env,
                                 own_secrets=own_secrets, buckets=buckets or kept_buckets)
        return text, stacks.parse(text, name=name, where=f"preview env {name} (derived from {base_env.name})")

    text, env = derived(slot)
    the_plan = ctx.plan_for(source, env)
    needs_slot = env.shares_base and any(True for _ in the_plan.of_kind(Kind.CACHE))
    with pipeline.locked(ctx, store, base_env, "preview-env up", lock_timeout):
        if needs_slot and slot is None:
            slot = _free_slot(store, base_env.name, name)
        if slot != env.slot:
            text, env = derived(slot)
        if existing is None:
            descriptor = PreviewEnv.new(pr=number, base=base_env.name, cloud=env.cloud, strategy=env.strategy,
                                        slot=slot, stack=text)
        else:
            descriptor = existing.model_copy(update={"stack": text, "slot": slot})
        store.write_preview(descriptor)
    try:
        result = pipeline.deploy(ctx, name, meta, app_root, yes=yes, allow_destroy=allow_destroy,
                                 lock_timeout=lock_timeout)
    except SecretsUnset:
        raise  # pr-N stays known (its descriptor), so that `orchestrator secret set --env pr-N` can give the values
    except (pipeline.Cancelled, *REFUSALS):
        if existing is None and store.read(name) is None:  # refused before anything was made: leave no trace
            store.forget_preview(name)
        raise
    seconds = round(time.monotonic() - started, 2)
    created = [f"{item['kind']}:{item['name']}" for item in result["app_diff"].get("added", [])]
    if result["changed"]:
        what = ", ".join(created) if created else "nothing new (updated in place)"
        ctx.ui.success(f"{name} is up in {seconds:.1f} s ({env.strategy} on {base_env.name}): created {what}")
    else:
        ctx.ui.success(f"{name} is up in {seconds:.1f} s ({env.strategy} on {base_env.name}): no changes")
    return {"pr": number, "env": name, "base": base_env.name, "strategy": env.strategy, "buckets": env.buckets,
            "slot": slot,
            "created": created, "seconds": seconds, **{k: v for k, v in result.items() if k not in ("env",)}}


def _bucket_mode(preview: PreviewEnv) -> BucketMode:
    return stacks.parse(preview.stack, name=preview.env, where=f"preview env {preview.env} (its descriptor)").buckets


def _free_slot(store: Store, base: str, env: str) -> int:
    taken = {p.slot for p in store.previews() if p.base == base and p.env != env and p.slot is not None}
    for slot in range(1, MAX_SLOT + 1):
        if slot not in taken:
            return slot
    raise BadInput(f"base env {base} already lends its Redis databases 1..{MAX_SLOT} to {len(taken)} preview envs "
                   "(`orchestrator preview-env gc`, or --strategy isolated)", where="--base")


# ---------------------------------------------------------------------------- down, list, gc


def down(ctx: Context, *, pr: str, yes: bool, lock_timeout: float = 0.0) -> dict[str, Any]:
    started = time.monotonic()
    name = env_name(parse_pr(pr))
    store = ctx.store()
    if store.read_preview(name) is None:
        raise BadInput(f"{name} is not a preview env (the state store has no descriptor for it)", where="--pr")
    result = pipeline.destroy(ctx, name, yes=yes, lock_timeout=lock_timeout)
    store.forget_preview(name)
    seconds = round(time.monotonic() - started, 2)
    ctx.ui.success(f"{name} is down in {seconds:.1f} s")
    return {**result, "seconds": seconds}


def rows(ctx: Context, now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per preview env: `pr`, `env`, `base`, `strategy`, `last_deploy`, and what it holds."""
    now = now or datetime.now(UTC)
    store = ctx.store()
    out = []
    for preview in store.previews():
        last = store.read(preview.env)
        holds: dict[str, int] = {}
        for res in (last.plan.get("resources", []) if last is not None else []):
            holds[res["kind"]] = holds.get(res["kind"], 0) + 1
        out.append({
            "pr": preview.pr, "env": preview.env, "base": preview.base, "strategy": preview.strategy,
            "cloud": preview.cloud,
            "last_deploy": last.deployed_at.isoformat() if last is not None else None,
            "created_at": preview.created_at.isoformat(),
            "age_seconds": int((now - preview.created_at).total_seconds()),
            "holds": dict(sorted(holds.items())),
        })
    return out


def gc(ctx: Context, *, ttl: str, open_prs: str | None, dry_run: bool, yes: bool, lock_timeout: float = 0.0,
       now: datetime | None = None, chosen_env: Callable[[str], None] = lambda env: None) -> dict[str, Any]:
    """Every preview env idle longer than `ttl` since its last deploy (its creation, never deployed) or whose PR is
    not in `open_prs`; removed with `down` unless `dry_run`. Failures do not stop the others; the first is raised
    after all were tried."""
    limit = parse_duration(ttl)
    still_open = parse_prs(open_prs) if open_prs is not None else None
    now = now or datetime.now(UTC)
    store = ctx.store()
    chosen: list[tuple[PreviewEnv, str]] = []
    for preview in store.previews():
        last = store.read(preview.env)
        since = last.deployed_at if last is not None else preview.created_at
        if still_open is not None and preview.pr not in still_open:
            chosen.append((preview, f"PR {preview.pr} is closed"))
        elif now - since > limit:
            chosen.append((preview, f"idle {_age(now - since)} (TTL {ttl})"))
    if chosen and not dry_run and not yes:
        if not ctx.ui.interactive:
            raise BadInput("gc removes preview envs and needs --yes when not run interactively (or --dry-run); "
                           "nothing was removed", where="--yes")
        names = ", ".join(p.env for p, _ in chosen)
        if not ctx.ui.confirm(f"Remove {names} and their data?"):
            raise pipeline.Cancelled()
    removed: list[str] = []
    failed: list[tuple[str, OrchestratorError]] = []
    for preview, why in chosen:
        ctx.ui.info(f"{preview.env}: {why}" + (" (dry run: kept)" if dry_run else ""))
        chosen_env(preview.env)
        if dry_run:
            continue
        try:
            down(ctx, pr=str(preview.pr), yes=True, lock_timeout=lock_timeout)
            removed.append(preview.env)
        except OrchestratorError as exc:
            ctx.ui.error(f"{preview.env}: {exc}")
            failed.append((preview.env, exc))
    result = {"dry_run": dry_run, "ttl": ttl, "envs": [p.env for p, _ in chosen], "removed": removed,
              "failed": [env for env, _ in failed]}
    if failed:
        raise failed[0][1]
    return result


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"

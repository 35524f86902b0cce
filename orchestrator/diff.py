"""What a deploy would change: two Plan JSON dicts -> AppDiff, in the app's vocabulary. Pure: no I/O.

Inputs are `Plan.model_dump(mode="json")` or a DeploymentRecord's `plan`; `old` None is a
first deploy. A resource whose physical names changed is *replaced* (removed and created
again); roles that name an environment variable (`env`, `*_env`) are not physical. Env fields
are compared too, except those whose effect already shows elsewhere (`sizing`, `overrides` ->
each resource's `settings`; `env.app` -> the plan's `app`) or that do not affect what is
deployed (`path`, `name`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from orchestrator.core.model import Kind

DATA_KINDS = frozenset({Kind.SQL_SERVER, Kind.SQL, Kind.BUCKET, Kind.CACHE, Kind.TOPIC, Kind.SUBSCRIPTION, Kind.SECRET})
"""Kinds whose removal loses data: rows, objects, cached keys, undelivered messages, secret values set by hand."""
COMPARED_FIELDS = ("spec", "settings", "names")
IGNORED_ENV_FIELDS = frozenset({"path", "name", "sizing", "overrides", "app", "blocks"})
"""`blocks` is the stack file as written; its validated form is `settings`, which is compared."""
LIST_ITEM_IDS = ("name", "filename", "id", "bucket")
"""A list whose items all carry one of these keys, uniquely, is compared item by item (`spec.endpoints[ping].path`)."""
_KIND_ORDER = {kind.value: i for i, kind in enumerate(Kind)}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class FieldChange(_Frozen):
    path: str
    """Dotted, e.g. `spec.ack_deadline`, `settings.sql_max_capacity`, `names.bucket`, `env.region`."""
    old: Any = None
    """None also when the field did not exist."""
    new: Any = None


class ResourceChange(_Frozen):
    kind: str
    name: str
    key: str
    changes: tuple[FieldChange, ...] = ()
    """Field by field; empty for added and removed resources."""
    data_loss: bool = False
    """Removed or replaced, and of a kind that holds data."""


class GrantRef(_Frozen):
    verb: str
    resource: str


class ServiceGrants(_Frozen):
    service: str
    added: tuple[GrantRef, ...] = ()
    removed: tuple[GrantRef, ...] = ()


class AppDiff(_Frozen):
    added: tuple[ResourceChange, ...] = ()
    changed: tuple[ResourceChange, ...] = ()
    replaced: tuple[ResourceChange, ...] = ()
    removed: tuple[ResourceChange, ...] = ()
    grants: tuple[ServiceGrants, ...] = ()
    app_changes: tuple[FieldChange, ...] = ()
    """Changes to `app`, `language` and the env's settings (`env.region`, `env.settings.vpc_id`, ...)."""

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.replaced or self.removed or self.grants or self.app_changes)

    @property
    def destructive(self) -> tuple[ResourceChange, ...]:
        """Replaced and removed resources that lose data, replaced first."""
        return tuple(r for r in (*self.replaced, *self.removed) if r.data_loss)

    @property
    def counts(self) -> dict[str, int]:
        return {"add": len(self.added), "change": len(self.changed), "replace": len(self.replaced),
                "remove": len(self.removed)}

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> AppDiff:
    before = _resources(old or {})
    after = _resources(new)
    added, changed, replaced, removed = [], [], [], []
    for key in _ordered(before.keys() | after.keys()):
        if key not in before:
            added.append(_change(after[key]))
        elif key not in after:
            removed.append(_change(before[key], data_loss=_holds_data(before[key])))
        else:
            changes = tuple(c for f in COMPARED_FIELDS for c in _compare(before[key].get(f), after[key].get(f), f))
            if _physically_renamed(before[key].get("names") or {}, after[key].get("names") or {}):
                replaced.append(_change(after[key], changes, data_loss=_holds_data(before[key])))
            elif changes:
                changed.append(_change(after[key], changes))
    return AppDiff(
        added=tuple(added), changed=tuple(changed), replaced=tuple(replaced), removed=tuple(removed),
        grants=_grant_changes(_grants(old or {}), _grants(new)),
        app_changes=tuple(_app_changes(old, new)),
    )


def _resources(plan: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {f"{r['kind']}:{r['name']}": r for r in plan.get("resources", ())}


def _ordered(keys: set[str]) -> list[str]:
    def order(key: str) -> tuple[int, str]:
        kind, _, name = key.partition(":")
        return _KIND_ORDER.get(kind, len(_KIND_ORDER)), name

    return sorted(keys, key=order)


def _change(
    resource: Mapping[str, Any], changes: tuple[FieldChange, ...] = (), *, data_loss: bool = False
) -> ResourceChange:
    kind, name = resource["kind"], resource["name"]
    return ResourceChange(kind=kind, name=name, key=f"{kind}:{name}", changes=changes, data_loss=data_loss)


def _holds_data(resource: Mapping[str, Any]) -> bool:
    return resource["kind"] in DATA_KINDS


def _physically_renamed(old: Mapping[str, str], new: Mapping[str, str]) -> bool:
    """A physical name the resource had is now different or gone (a role only added creates something new)."""
    return any(new.get(role) != name for role, name in old.items() if not _names_env_var(role))


def _names_env_var(role: str) -> bool:
    return role == "env" or role.endswith("_env")


def _compare(old: Any, new: Any, path: str) -> Iterator[FieldChange]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(old.keys() | new.keys()):
            yield from _compare(old.get(key), new.get(key), f"{path}.{key}")
        return
    if isinstance(old, list) and isinstance(new, list):
        field = _item_id(old, new)
        if field is not None:
            before = {item[field]: item for item in old}
            after = {item[field]: item for item in new}
            for item_id in sorted(before.keys() | after.keys(), key=str):
                yield from _compare(before.get(item_id), after.get(item_id), f"{path}[{item_id}]")
            return
    if old != new:
        yield FieldChange(path=path, old=old, new=new)


def _item_id(old: Sequence[Any], new: Sequence[Any]) -> str | None:
    """The key that identifies every item of both lists (unique within each), if there is one."""
    if not (old or new) or not all(isinstance(i, Mapping) for i in (*old, *new)):
        return None
    for field in LIST_ITEM_IDS:
        if all(_unique_ids(items, field) for items in (old, new)):
            return field
    return None


def _unique_ids(items: Sequence[Mapping[str, Any]], field: str) -> bool:
    ids = [i.get(field) for i in items]
    return all(isinstance(i, str | int) for i in ids) and len(set(ids)) == len(ids)


def _grants(plan: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    out = set()
    for g in plan.get("grants", ()):
        service, verb, resource = (g["service"], g["verb"], g["resource"]) if isinstance(g, Mapping) else g
        out.add((service, verb, resource))
    return out


def _grant_changes(old: set[tuple[str, str, str]], new: set[tuple[str, str, str]]) -> tuple[ServiceGrants, ...]:
    gained, lost = new - old, old - new
    out = []
    for service in sorted({g[0] for g in gained | lost}):
        out.append(ServiceGrants(
            service=service,
            added=tuple(GrantRef(verb=v, resource=r) for s, v, r in sorted(gained) if s == service),
            removed=tuple(GrantRef(verb=v, resource=r) for s, v, r in sorted(lost) if s == service),
        ))
    return tuple(out)


def _app_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> Iterator[FieldChange]:
    if old is None:
        return
    for field in ("app", "language"):
        yield from _compare(old.get(field), new.get(field), field)
    old_env, new_env = old.get("env") or {}, new.get("env") or {}
    for field in sorted((old_env.keys() | new_env.keys()) - IGNORED_ENV_FIELDS):
        yield from _compare(old_env.get(field), new_env.get(field), f"env.{field}")

"""What a deploy would change resource by resource, offline: two rendered graphs -> ResourceDiff. Pure: no I/O.

A graph is `orchestrator.engine.graph`'s (the program under mocks: urn, type, name, inputs, options) or, for a
direct target, its ledger as nodes (`ledger_nodes`). Nodes are matched by urn; a matched node whose inputs
differ is updated, or replaced when a changed input is one its type cannot change in place (the cloud's
`replace` part: type -> inputs, plus the node's own `replaceOnChanges`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PropertyChange(_Frozen):
    path: str
    """Dotted input path, e.g. `visibilityTimeoutSeconds`, `tags.Name`."""
    old: Any = None
    new: Any = None


class NodeChange(_Frozen):
    urn: str
    type: str
    name: str
    changes: tuple[PropertyChange, ...] = ()
    forced_by: tuple[str, ...] = ()
    """For a replacement: the changed inputs that force it."""


class ResourceDiff(_Frozen):
    creates: tuple[NodeChange, ...] = ()
    updates: tuple[NodeChange, ...] = ()
    replaces: tuple[NodeChange, ...] = ()
    deletes: tuple[NodeChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.creates or self.updates or self.replaces or self.deletes)

    @property
    def destructive(self) -> bool:
        return bool(self.replaces or self.deletes)

    @property
    def counts(self) -> dict[str, int]:
        return {"create": len(self.creates), "update": len(self.updates), "replace": len(self.replaces),
                "delete": len(self.deletes)}


def diff_graphs(
    old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]], replaces: Mapping[str, Iterable[str]]
) -> ResourceDiff:
    before = {n["urn"]: n for n in old}
    after = {n["urn"]: n for n in new}
    creates, updates, replaced, deletes = [], [], [], []
    for urn in sorted(before.keys() | after.keys()):
        if urn not in before:
            creates.append(_node(after[urn]))
        elif urn not in after:
            deletes.append(_node(before[urn]))
        else:
            changes = tuple(_compare(before[urn].get("inputs"), after[urn].get("inputs"), ""))
            if not changes:
                continue
            forcing = {*replaces.get(after[urn]["type"], ()), *(after[urn].get("options") or {}).get(
                "replaceOnChanges", ())}
            forced = tuple(sorted({c.path.split(".", 1)[0] for c in changes} & forcing))
            (replaced if forced else updates).append(_node(after[urn], changes, forced))
    return ResourceDiff(creates=tuple(creates), updates=tuple(updates), replaces=tuple(replaced),
                        deletes=tuple(deletes))


def ledger_nodes(cloud: str, entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A direct target's ledger (`{"key", "kind", "names", "status"}` per resource, as its records keep it) as graph
    nodes of type `<cloud>:<kind>` whose inputs are the physical names and the status."""
    return [
        {"urn": e["key"], "type": f"{cloud}:{e['kind']}", "name": str(e["key"]).partition(":")[2],
         "inputs": {"names": dict(e.get("names") or {}), "status": e.get("status") or "ready"}}
        for e in entries
    ]


def _node(node: Mapping[str, Any], changes: tuple[PropertyChange, ...] = (),
          forced: tuple[str, ...] = ()) -> NodeChange:
    return NodeChange(urn=node["urn"], type=node["type"], name=node.get("name") or node["urn"], changes=changes,
                      forced_by=forced)


def _compare(old: Any, new: Any, path: str) -> Iterator[PropertyChange]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(old.keys() | new.keys()):
            yield from _compare(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
        return
    if old != new:
        yield PropertyChange(path=path or "(inputs)", old=old, new=new)

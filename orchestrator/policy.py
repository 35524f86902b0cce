"""The rule engine behind the security baseline (docs/security-baseline.md): predicates over the resource graph.

A cloud's rules live in its `policy` part (`providers/<cloud>/policy.py`, `RULES`). Each rule names
the type tokens it applies to and checks one resource's inputs, looking at the rest of the graph
where a property lives on another resource. Scope: B = every env type, P = production (advisory
elsewhere), PV = ephemeral (preview) envs only. A rule we knowingly do not meet carries its written
exception (docs/security-exceptions.md); its violations never block.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from orchestrator.core.envs import EnvType

Resource = dict[str, Any]
Scope = Literal["B", "P", "PV"]
Check = Callable[[Resource, "Graph"], list[str]]


@dataclass(frozen=True)
class Rule:
    id: str
    scope: Scope
    title: str
    types: frozenset[str]
    check: Check
    advisory: bool = False
    exception: str | None = None
    """Why we do not meet this rule, when we knowingly do not."""

    def applies(self, res: Resource) -> bool:
        return "*" in self.types or res["type"] in self.types


@dataclass(frozen=True)
class Violation:
    rule: str
    urn: str
    message: str
    advisory: bool = False
    exception: str | None = None

    @property
    def blocking(self) -> bool:
        return not self.advisory and self.exception is None

    def __str__(self) -> str:
        tag = " (excepted)" if self.exception else " (advisory)" if self.advisory else ""
        return f"{self.rule}{tag}: {self.urn.rsplit('::', 1)[-1]}: {self.message}"


class Graph:
    """The resources with indexes by URN, type and parent, and the env type being checked."""

    def __init__(self, resources: Iterable[Resource], env_type: EnvType | str) -> None:
        self.resources = list(resources)
        self.env_type = EnvType(env_type)
        self.by_urn = {r["urn"]: r for r in self.resources}
        self._types: dict[str, list[Resource]] = defaultdict(list)
        self._children: dict[str, list[Resource]] = defaultdict(list)
        for r in self.resources:
            self._types[r["type"]].append(r)
            if r.get("parent"):
                self._children[r["parent"]].append(r)

    def of_type(self, *types: str) -> list[Resource]:
        return [r for t in types for r in self._types.get(t, ())]

    def children(self, res: Resource) -> list[Resource]:
        return self._children.get(res["urn"], [])

    def parent(self, res: Resource) -> Resource | None:
        return self.by_urn.get(res.get("parent") or "")

    def provider(self, res: Resource) -> Resource | None:
        """The explicit provider resource `res` was created with, if it is in the graph."""
        return self.by_urn.get((res.get("options") or {}).get("provider") or "")

    def where(self, types: Iterable[str], key: str, value: Any) -> list[Resource]:
        return [r for r in self.of_type(*types) if r["inputs"].get(key) == value]

    def depends_on(self, res: Resource, *types: str) -> list[Resource]:
        found = (self.by_urn.get(u) for u in res.get("dependencies", ()))
        return [r for r in found if r is not None and (not types or r["type"] in types)]


def registrar(rules: list[Rule], exceptions: Mapping[str, str]) -> Callable[..., Callable[[Check], Check]]:
    """The `@rule(id, scope, types, title, advisory=False)` decorator of one cloud: appends to `rules`,
    attaching the written exception `exceptions[id]` if there is one."""

    def rule(rule_id: str, scope: Scope, types: Iterable[str], title: str, *, advisory: bool = False):
        def register(check: Check) -> Check:
            rules.append(Rule(rule_id, scope, title, frozenset(types), check, advisory, exceptions.get(rule_id)))
            return check

        return register

    return rule


def rules_for(rules: Iterable[Rule], env_type: EnvType | str) -> list[tuple[Rule, bool]]:
    """(rule, advisory) for an env type: P rules are advisory outside production, PV rules only for previews."""
    et = EnvType(env_type)
    out = []
    for r in rules:
        if r.scope == "PV" and et is not EnvType.EPHEMERAL:
            continue
        out.append((r, r.advisory or (r.scope == "P" and et is not EnvType.PRODUCTION)))
    return out


def evaluate(resources: Iterable[Resource], env_type: EnvType | str, rules: Iterable[Rule]) -> list[Violation]:
    """Every violation of `rules` (a cloud's `RULES`) in the graph, checked as `env_type`."""
    graph = Graph(resources, env_type)
    found = []
    for r, advisory in rules_for(rules, graph.env_type):
        for res in graph.resources:
            if r.applies(res):
                found.extend(Violation(r.id, res["urn"], msg, advisory, r.exception) for msg in r.check(res, graph))
    return found


def blocking(violations: Iterable[Violation]) -> list[Violation]:
    return [v for v in violations if v.blocking]


# ---- helpers for rules -----------------------------------------------------------------------------------------------


def as_json(value: Any) -> Any:
    """A JSON string's value (None if it does not parse); anything else as it is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def is_true(value: Any) -> bool:
    return value is True or value == "true"


def is_false(value: Any) -> bool:
    return value is False or value == "false"


def statements(doc: Any) -> list[dict[str, Any]]:
    """The statements of a policy document (a dict or its JSON)."""
    doc = as_json(doc)
    if not isinstance(doc, dict):
        return []
    return [s for s in as_list(doc.get("Statement")) if isinstance(s, dict)]


def condition_keys(statement: dict[str, Any]) -> set[str]:
    return {k.lower() for cond in (statement.get("Condition") or {}).values() if isinstance(cond, dict) for k in cond}


def need(ok: bool, message: str) -> list[str]:
    return [] if ok else [message]


def short_name(res: Resource) -> str:
    return res["urn"].rsplit("::", 1)[-1]

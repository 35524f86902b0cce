"""An AppDiff as plain text for people: data loss first, then +, ~, -/+, -, grants, env settings, a summary.

No colour codes; control characters in names are escaped, so the text is safe to print anywhere.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.diff import AppDiff, FieldChange, ResourceChange

DATA_LOSS = "! removes data:"


def render(diff: AppDiff, *, env: str) -> str:
    if diff.empty:
        return f"env {_plain(env)}: no changes\n"
    lines: list[str] = []
    for verb, resources in (("replace", diff.replaced), ("remove", diff.removed)):
        for r in resources:
            if r.data_loss:
                lines += [f"{DATA_LOSS} {verb} {_plain(r.key)}", *_fields(r)]
    lines += [f"+ {_plain(r.key)}" for r in diff.added]
    for r in diff.changed:
        lines += [f"~ {_plain(r.key)}", *_fields(r)]
    for r in diff.replaced:
        if not r.data_loss:
            lines += [f"-/+ {_plain(r.key)} (replaced)", *_fields(r)]
    lines += [f"- {_plain(r.key)}" for r in diff.removed if not r.data_loss]
    if diff.grants:
        lines.append("grants:")
        for g in diff.grants:
            lines.append(f"  {_plain(g.service)}")
            lines += [f"    + {_plain(ref.verb)} {_plain(ref.resource)}" for ref in g.added]
            lines += [f"    - {_plain(ref.verb)} {_plain(ref.resource)}" for ref in g.removed]
    if diff.app_changes:
        lines.append("app and env settings:")
        lines += [f"  ~ {_field(c)}" for c in diff.app_changes]
    lines.append(f"env {_plain(env)}: {_summary(diff)}")
    return "\n".join(lines) + "\n"


def _summary(diff: AppDiff) -> str:
    n = diff.counts
    parts = [f"{n['add']} to add", f"{n['change']} to change", f"{n['replace']} to replace", f"{n['remove']} to remove"]
    grant_changes = sum(len(g.added) + len(g.removed) for g in diff.grants)
    if grant_changes:
        parts.append(f"{grant_changes} grant change{'s' if grant_changes != 1 else ''}")
    if diff.app_changes:
        parts.append(f"{len(diff.app_changes)} setting change{'s' if len(diff.app_changes) != 1 else ''}")
    return ", ".join(parts)


def _fields(r: ResourceChange) -> list[str]:
    return [f"    {_field(c)}" for c in r.changes]


def _field(c: FieldChange) -> str:
    return f"{_plain(c.path)}: {_value(c.old)} -> {_value(c.new)}"


def _value(v: Any) -> str:
    """JSON, so strings are quoted and control characters escaped; absent or null is `(none)`."""
    return "(none)" if v is None else json.dumps(v, sort_keys=True, ensure_ascii=False)


def _plain(text: str) -> str:
    return "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in text)

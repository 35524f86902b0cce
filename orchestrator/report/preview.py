"""`orchestrator preview`'s result and its text and JSON forms (the markdown comment is `report/markdown.py`).

Pure: a Preview holds the app-level diff, the resource-level diff and where the base came from; the renderers
never read a file or a clock, so the same inputs give the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from orchestrator.diff import AppDiff
from orchestrator.report import diff_text
from orchestrator.resource_diff import NodeChange, ResourceDiff

VALUE_CHARS = 120
"""A property value longer than this is cut in the text and markdown forms (with how many characters were cut)."""


@dataclass(frozen=True)
class Preview:
    app: str
    env: str
    cloud: str
    base: str
    """Where the base came from, for people: the env's last deployment, the base metadata, or nothing."""
    changes: AppDiff
    resources: ResourceDiff
    new_plan: dict[str, Any]
    base_plan: dict[str, Any] | None
    target: tuple[str, ...] = ()
    """The target's own lines: `pulumi preview`'s summary with --pulumi, the local target's drift."""
    resource_note: str | None = None
    """Why the resource-level diff is what it is, when that needs saying (e.g. the local ledger)."""

    @property
    def has_changes(self) -> bool:
        return not (self.changes.empty and self.resources.empty)

    @property
    def destroys(self) -> bool:
        """Anything removed or replaced, at the app level or resource by resource."""
        return bool(self.changes.removed or self.changes.replaced or self.resources.destructive)


def to_document(p: Preview) -> dict[str, Any]:
    return {
        "env": p.env,
        "app": p.app,
        "cloud": p.cloud,
        "base": p.base,
        "app_diff": json.loads(p.changes.to_json()),
        "resources": json.loads(p.resources.model_dump_json()),
        "summary": {"app": p.changes.counts, "resources": p.resources.counts, "changes": p.has_changes,
                    "destroys": p.destroys},
        "target": list(p.target),
    }


def to_json(p: Preview) -> str:
    return json.dumps(to_document(p), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_text(p: Preview) -> str:
    lines = [f"preview of app {plain(p.app)} in env {plain(p.env)} ({plain(p.cloud)}) against {plain(p.base)}", ""]
    lines += diff_text.render(p.changes, env=p.env).rstrip("\n").splitlines()
    lines += ["", f"resources: {resource_summary(p.resources)}"]
    if p.resource_note:
        lines.append(f"  ({plain(p.resource_note)})")
    for sign, nodes in SECTIONS:
        for node in getattr(p.resources, nodes):
            lines.append(f"{sign} {plain(node.type)} {plain(node.name)}{forced(node)}")
            lines += [f"    {change}" for change in property_lines(node)]
    lines += [plain(line) for line in p.target]
    return "\n".join(lines) + "\n"


SECTIONS = (("-/+", "replaces"), ("-", "deletes"), ("+", "creates"), ("~", "updates"))
"""Resource-level sections (sign, ResourceDiff field): destructive first."""


def resource_summary(d: ResourceDiff) -> str:
    n = d.counts
    return f"{n['create']} to create, {n['update']} to update, {n['replace']} to replace, {n['delete']} to delete"


def forced(node: NodeChange) -> str:
    if not node.forced_by:
        return ""
    return f" (replaced: {', '.join(plain(f) for f in node.forced_by)} cannot change in place)"


def property_lines(node: NodeChange) -> list[str]:
    return [f"{plain(c.path)}: {value(c.old)} -> {value(c.new)}" for c in node.changes]


def value(v: Any) -> str:
    """JSON (strings quoted, control characters escaped), cut to VALUE_CHARS; absent is `(none)`."""
    if v is None:
        return "(none)"
    text = json.dumps(v, sort_keys=True, ensure_ascii=False)
    if len(text) > VALUE_CHARS:
        return f"{text[:VALUE_CHARS]}... ({len(text) - VALUE_CHARS} more chars)"
    return text


def plain(text: str) -> str:
    return "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in text)

"""A Preview as the pull-request comment CI keeps up to date (`preview --format markdown`).

Layout: a hidden marker (`<!-- orchestrator-preview:<app>:<env> -->`, how CI finds its earlier comment), a title,
a one-line summary with counts, every destructive change (each removed or replaced resource by name; resource
deletions and replacements grouped by type), then collapsible sections (added, changed, replaced, removed,
grants, settings, resources, a mermaid diagram of services and the resources they use).

Under LIMIT characters by construction: the marker, title, summary and destructive lines always go in; the
sections share what is left, line by line in order, and a section that runs out says how many lines it left
out. No ANSI codes, no clock, no path: the same Preview gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.diff import FieldChange, ResourceChange
from orchestrator.report.preview import Preview, forced, property_lines, resource_summary, value

LIMIT = 60_000
"""GitHub refuses comments over 65,536 characters; this leaves room for the marker and what CI adds."""
SECTION_RESERVE = 300
"""Kept back per section for its title, closing tags and the `N more not shown` line."""
KIND_WORDS = {"sql": "database", "sql-server": "database server", "cron": "cron job"}
DATA_LOSS = {
    "sql": "its data is lost", "sql-server": "every database on it is lost", "bucket": "its objects are lost",
    "cache": "its cached keys are lost", "topic": "undelivered messages are lost",
    "subscription": "undelivered messages are lost", "secret": "its value (set by hand) is lost",
}
STATUS_SIGN = {"added": "+", "changed": "~", "replaced": "-/+", "removed": "-", "unchanged": ""}


def marker(app: str, env: str) -> str:
    return f"<!-- orchestrator-preview:{_marker_part(app)}:{_marker_part(env)} -->"


def render(p: Preview) -> str:
    sections = _sections(p)
    head = _head(p, destructive_lines(p))
    if _size(head) > LIMIT - SECTION_RESERVE * (len(sections) + 1):
        head = _head(p, destructive_lines(p, compact=True))
    budget = LIMIT - _size(head) - SECTION_RESERVE * (len(sections) + 1)
    body: list[str] = []
    for section in sections:
        lines, budget = section.fit(budget)
        body += lines
    diagram = _diagram(p, budget)
    return "\n".join([*head, *body, *diagram]).rstrip("\n") + "\n"


def _head(p: Preview, destructive: list[str]) -> list[str]:
    title = f"### Infrastructure preview: `{_code(p.app)}` in `{_code(p.env)}` ({_esc(p.cloud)})"
    return [marker(p.app, p.env), title, "", summary_line(p), "", *destructive, ""]


def summary_line(p: Preview) -> str:
    n = p.changes.counts
    grants = sum(len(g.added) + len(g.removed) for g in p.changes.grants)
    app = (f"{n['add']} to add, {n['change']} to change, {n['replace']} to replace, {n['remove']} to remove"
           + (f", {grants} grant change{'s' if grants != 1 else ''}" if grants else ""))
    if not p.has_changes:
        return f"**No changes** against {_esc(p.base)}."
    return f"**App:** {app} · **Resources:** {resource_summary(p.resources)} · against {_esc(p.base)}"


def destructive_lines(p: Preview, *, compact: bool = False) -> list[str]:
    """Every removed or replaced resource by name, never cut; resource deletions and replacements grouped by type.
    `compact` (when one line each would not fit): one line per verb and kind, the names comma-separated."""
    if compact:
        app_lines = _compact("replace", p.changes.replaced) + _compact("remove", p.changes.removed)
    else:
        app_lines = [_destroy_line("replace", r) for r in p.changes.replaced]
        app_lines += [_destroy_line("remove", r) for r in p.changes.removed]
    grouped = []
    for verb, nodes in (("replace", p.resources.replaces), ("delete", p.resources.deletes)):
        counts: dict[str, int] = {}
        for node in nodes:
            counts[node.type] = counts.get(node.type, 0) + 1
        grouped += [f"{verb} {n} x `{_code(t)}`" for t, n in sorted(counts.items())]
    if not (app_lines or grouped):
        return ["Nothing is removed or replaced."]
    out = ["#### :warning: Destructive changes", "", *app_lines]
    if grouped:
        out.append(f"- resources: {'; '.join(grouped)}")
    return out


def _compact(verb: str, resources: Iterable[ResourceChange]) -> list[str]:
    by_kind: dict[str, list[str]] = {}
    for r in resources:
        by_kind.setdefault(r.kind, []).append(f"`{_code(r.name)}`")
    return [f"- **{verb} {len(names)} x {_kind(kind)}**" + (f" ({DATA_LOSS[kind]})" if kind in DATA_LOSS else "")
            + f": {', '.join(names)}" for kind, names in by_kind.items()]


def _destroy_line(verb: str, r: ResourceChange) -> str:
    loss = f": **{DATA_LOSS[r.kind]}**" if r.data_loss and r.kind in DATA_LOSS else ""
    why = ""
    if verb == "replace":
        renamed = [c.path for c in r.changes if c.path.startswith("names.")]
        why = f" ({', '.join(f'`{_code(path)}`' for path in renamed)} changed)" if renamed else ""
    return f"- **{verb} {_kind(r.kind)} `{_code(r.name)}`**{why}{loss}"


@dataclass
class _Section:
    title: str
    lines: list[str]

    def fit(self, budget: int) -> tuple[list[str], int]:
        """The section's lines that fit in `budget`, then how many did not; returns them and the budget left."""
        if not self.lines:
            return [], budget
        out = [f"<details><summary>{self.title}</summary>", ""]
        budget += SECTION_RESERVE  # this section's own reserve is now spent on it
        used = _size(out) + _size(["", "</details>", ""])
        kept = 0
        for line in self.lines:
            if used + len(line) + 1 > budget - 200:
                break
            out.append(line)
            used += len(line) + 1
            kept += 1
        left = len(self.lines) - kept
        if left:
            more = f"- ... and {left} more line{'s' if left != 1 else ''} not shown (the comment is kept under " \
                   f"{LIMIT:,} characters; run `orchestrator preview --format text` for everything)"
            out.append(more)
            used += len(more) + 1
        out += ["", "</details>", ""]
        return out, budget - used


def _sections(p: Preview) -> list[_Section]:
    d = p.changes
    sections = [
        _Section(f"Added ({len(d.added)})", [f"- {_kind(r.kind)} `{_code(r.name)}`" for r in d.added]),
        _Section(f"Changed ({len(d.changed)})", _with_fields(d.changed)),
        _Section(f"Replaced ({len(d.replaced)})", _with_fields(d.replaced)),
        _Section(f"Removed ({len(d.removed)})", [f"- {_kind(r.kind)} `{_code(r.name)}`" for r in d.removed]),
        _Section(f"Grants ({len(d.grants)} service{'s' if len(d.grants) != 1 else ''})", _grant_lines(p)),
        _Section(f"App and env settings ({len(d.app_changes)})", [f"- {_field(c)}" for c in d.app_changes]),
    ]
    resource_lines = [f"_{_esc(p.resource_note)}_", ""] if p.resource_note else []
    for attr, verb in (("replaces", "replace"), ("deletes", "delete"), ("creates", "create"), ("updates", "update")):
        for node in getattr(p.resources, attr):
            resource_lines.append(f"- {verb} `{_code(node.type)}` `{_code(node.name)}`{_esc(forced(node))}")
            resource_lines += [f"  - `{_code(line)}`" for line in property_lines(node)]
    if not p.resources.empty:
        sections.append(_Section(f"Resources: {resource_summary(p.resources)}", resource_lines))
    if p.target:
        sections.append(_Section("Target", [f"- {_esc(line)}" for line in p.target]))
    return sections


def _with_fields(resources: Iterable[ResourceChange]) -> list[str]:
    out = []
    for r in resources:
        out.append(f"- {_kind(r.kind)} `{_code(r.name)}`")
        out += [f"  - {_field(c)}" for c in r.changes]
    return out


def _field(c: FieldChange) -> str:
    return f"`{_code(c.path)}`: `{_code(value(c.old))}` → `{_code(value(c.new))}`"


def _grant_lines(p: Preview) -> list[str]:
    out = []
    for g in p.changes.grants:
        out.append(f"- service `{_code(g.service)}`")
        out += [f"  - may now {_esc(ref.verb)} `{_code(ref.resource)}`" for ref in g.added]
        out += [f"  - may no longer {_esc(ref.verb)} `{_code(ref.resource)}`" for ref in g.removed]
    return out


# ---- the diagram ------------------------------------------------------------------------------------------------


def _diagram(p: Preview, budget: int) -> list[str]:
    """Every service and the resources it uses if that fits, else only what changed, else a line saying so."""
    budget += SECTION_RESERVE
    status = _statuses(p)
    edges = _edges(p)
    changed_only = {k for k, s in status.items() if s != "unchanged"}
    for keep in (None, changed_only):
        lines = _mermaid(status, edges, keep)
        if lines is None:
            return []
        title = "Diagram: services and the resources they use" + (" (what changed)" if keep is not None else "")
        block = [f"<details><summary>{title}</summary>", "", "```mermaid", *lines, "```", "", "</details>", ""]
        if _size(block) <= budget:
            return block
    return ["_The diagram is left out: it does not fit in the comment._", ""]


def _statuses(p: Preview) -> dict[str, str]:
    status: dict[str, str] = {}
    for plan in (p.base_plan, p.new_plan):
        for r in (plan or {}).get("resources", ()):
            status[f"{r['kind']}:{r['name']}"] = "unchanged"
    for word, group in (("added", p.changes.added), ("changed", p.changes.changed),
                        ("replaced", p.changes.replaced), ("removed", p.changes.removed)):
        for r in group:
            status[r.key] = word
    for g in p.changes.grants:
        key = f"service:{g.service}"
        if status.get(key) == "unchanged":
            status[key] = "changed"
    return status


def _edges(p: Preview) -> dict[tuple[str, str], str]:
    """(service key, resource key) -> added / removed / unchanged."""

    def grants(plan: Mapping[str, Any] | None) -> set[tuple[str, str]]:
        out = set()
        for g in (plan or {}).get("grants", ()):
            service, _, resource = (g["service"], g["verb"], g["resource"]) if isinstance(g, Mapping) else g
            out.add((f"service:{service}", resource))
        return out

    old, new = grants(p.base_plan), grants(p.new_plan)
    return {e: ("added" if e not in old else "removed" if e not in new else "unchanged") for e in sorted(old | new)}


def _mermaid(status: Mapping[str, str], edges: Mapping[tuple[str, str], str],
             keep: set[str] | None) -> list[str] | None:
    shown = [e for e in edges if keep is None or e[0] in keep or e[1] in keep or edges[e] != "unchanged"]
    services = sorted({s for s, _ in shown} | {k for k in status if k.startswith("service:") and
                                                 (keep is None or k in keep)})
    resources = sorted({r for _, r in shown})
    if not services:
        return None
    ids = {key: f"s{i}" for i, key in enumerate(services)} | {key: f"r{i}" for i, key in enumerate(resources)}
    lines = ["flowchart LR",
             "  classDef added fill:#dafbe1,stroke:#1a7f37",
             "  classDef changed fill:#fff8c5,stroke:#9a6700",
             "  classDef replaced fill:#ffebe9,stroke:#cf222e",
             "  classDef removed fill:#ffebe9,stroke:#cf222e,stroke-dasharray:4 4"]
    for key in [*services, *resources]:
        kind, _, name = key.partition(":")
        s = status.get(key, "unchanged")
        label = f"{STATUS_SIGN[s]} {_kind(kind)} {name}".strip()
        lines.append(f'  {ids[key]}["{_mermaid_text(label)}"]' + (f":::{s}" if s != "unchanged" else ""))
    for service, resource in shown:
        arrow = {"added": '-- "+" -->', "removed": '-. "-" .->', "unchanged": "-->"}[edges[(service, resource)]]
        lines.append(f"  {ids[service]} {arrow} {ids[resource]}")
    return lines


# ---- escaping -----------------------------------------------------------------------------------------------------


def _kind(kind: str) -> str:
    return KIND_WORDS.get(kind, kind)


def _code(text: str) -> str:
    """Text for inside single backticks: no backtick, no line break, no control character."""
    return "".join("'" if c == "`" else c if c.isprintable() else "?" for c in text)


def _esc(text: str) -> str:
    """Text outside code: HTML and markdown specials made literal, control characters dropped."""
    out = []
    for c in text:
        if not c.isprintable():
            continue
        out.append({"<": "&lt;", ">": "&gt;", "&": "&amp;", "*": "\\*", "_": "\\_", "`": "'", "[": "\\[",
                    "]": "\\]", "|": "\\|"}.get(c, c))
    return "".join(out)


def _mermaid_text(text: str) -> str:
    return "".join("#quot;" if c == '"' else c for c in text if c.isprintable() and c not in "<>&`")


def _marker_part(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)

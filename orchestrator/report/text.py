"""Renderings for people: plan text, the support matrix as markdown, env-var formats."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence

from orchestrator.core.plan import Plan, summary
from orchestrator.ui import UI


def plan_text(plan: Plan, ui: UI) -> None:
    info = summary(plan)
    counts = ", ".join(f"{n} {kind}" for kind, n in info["resources"].items())
    ui.info(
        f"Plan for app {plan.app!r} in env {plan.env.name!r} ({plan.env.cloud}, {plan.env.env_type.value}): {counts}"
    )
    rows = [[r.key, ", ".join(f"{role}={name}" for role, name in r.names.items()) or "-"] for r in plan.resources]
    ui.table("Resources", ["resource", "physical names"], rows)
    ui.table("Grants", ["service", "verb", "resource"], [list(g) for g in plan.grants])


def matrix_markdown(rows: Sequence[Mapping[str, str]]) -> str:
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(r[c] for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def format_env_vars(values: Mapping[str, str], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(dict(sorted(values.items())), indent=2) + "\n"
    if fmt == "dotenv":
        return "".join(f"{k}={json.dumps(v)}\n" for k, v in sorted(values.items()))
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in sorted(values.items()))

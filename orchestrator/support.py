"""What each cloud x kind x app language can do.

Derived from the providers' handler tables (a handler or a reason per kind) and from
what the runtime-config format the app's language reads can express; never kept by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.core.errors import Unsupported
from orchestrator.core.model import Kind, Language, Topic
from providers import registry

if TYPE_CHECKING:
    from orchestrator.core.plan import Plan, PlannedResource

GO_FIFO_REASON = "Go apps read only the JSON infra config, which cannot express exactly-once or ordered topics"


def kind_support(cloud: str, kind: Kind) -> str | None:
    """None when `cloud` provides `kind`, else the reason it cannot."""
    tbl = registry.get(cloud).table
    if kind in tbl.handlers:
        return None
    return tbl.unsupported.get(kind, f"no {cloud} handler for {kind.value}")


def resource_support(cloud: str, language: Language, res: PlannedResource) -> str | None:
    reason = kind_support(cloud, res.kind)
    if reason:
        return reason
    if language is Language.GO and res.kind is Kind.TOPIC and isinstance(res.spec, Topic) and res.spec.fifo:
        return GO_FIFO_REASON
    return None


def check(plan: Plan) -> None:
    problems = [
        f"{res.key}: {reason}"
        for res in plan.resources
        if (reason := resource_support(plan.env.cloud, plan.language, res))
    ]
    if problems:
        raise Unsupported(
            f"{len(problems)} resource(s) cannot be deployed to {plan.env.cloud}: " + "; ".join(problems),
            where=f"env {plan.env.name}",
        )


def matrix() -> list[dict[str, str]]:
    """One row per kind x language, one column per target: 'yes' or the reason."""
    rows = []
    for kind in Kind:
        for language in Language:
            row = {"kind": kind.value, "language": language.value}
            for cloud in registry.names():
                reason = kind_support(cloud, kind)
                row[cloud] = reason or "yes"
            if kind is Kind.TOPIC and language is Language.GO:
                row = {
                    k: (v + " (not exactly-once/ordered: " + GO_FIFO_REASON + ")" if v == "yes" else v)
                    for k, v in row.items()
                }
            rows.append(row)
    return rows

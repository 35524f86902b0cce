"""What each cloud x kind x app language can do.

Derived from the providers' handler tables (a handler or a reason per kind); never kept by hand.
A table may refuse a kind for one app language only (`ProviderTable.unsupported_for`: Azure Service Bus
exists only in the Go runtime). Go apps read exactly-once and ordering from their own code
(runtimes/go/pubsub/internal/aws/topic.go), so the JSON infra config needs only the FIFO names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.core.errors import Unsupported
from orchestrator.core.model import Kind, Language
from providers import registry

if TYPE_CHECKING:
    from orchestrator.core.plan import Plan


def kind_support(cloud: str, kind: Kind, language: Language | None = None) -> str | None:
    """None when `cloud` provides `kind` (to apps in `language`, when given), else the reason it cannot."""
    tbl = registry.get(cloud).table
    if kind in tbl.handlers:
        return tbl.unsupported_for.get(kind, {}).get(language) if language is not None else None
    return tbl.unsupported.get(kind, f"no {cloud} handler for {kind.value}")


def check(plan: Plan) -> None:
    problems = [
        f"{res.key}: {reason}"
        for res in plan.resources
        if (reason := kind_support(plan.env.cloud, res.kind, plan.language))
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
                row[cloud] = kind_support(cloud, kind, language) or "yes"
            rows.append(row)
    return rows

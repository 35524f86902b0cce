"""The policy gate: the program rendered under mocks in a fresh process and checked against the env's cloud's
security-baseline rules (exit 4); it returns the graph it rendered, which the deployment record keeps."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.core.errors import (
    OrchestratorError,
    PolicyViolation,
)
from providers.base import Options

if TYPE_CHECKING:

    from orchestrator.core.plan import Plan
    from orchestrator.ui import UI


def check_policy(plan: Plan, opts: Options, ui: UI) -> list[dict[str, Any]]:
    """Render the program under mocks and refuse blocking security-baseline violations (exit 4); return the graph.

    The render runs in a fresh child process so Pulumi's mock runtime never shares one with the
    Automation API's real one.
    """
    rendered = render_isolated([plan], [opts.app_root])[0]
    enforce(plan, rendered, ui)
    return rendered


def render_isolated(plans: Sequence[Plan], roots: Sequence[Path | None]) -> list[list[dict[str, Any]]]:
    """Each plan's graph (with migrations from its app root), every one rendered at the same time in its own fresh
    child process."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    children = []
    for plan, root in zip(plans, roots, strict=True):
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_render_graph, args=(plan, root, send), daemon=True)
        child.start()
        send.close()
        children.append((plan, child, receive))
    out = []
    for plan, child, receive in children:
        try:
            rendered: list[dict[str, Any]] | OrchestratorError | str = receive.recv()
        except EOFError:
            rendered = "the renderer exited before reporting"
        child.join()
        if isinstance(rendered, OrchestratorError):
            raise rendered
        if isinstance(rendered, str):
            raise PolicyViolation(f"cannot render the program: {rendered}", where=f"env {plan.env.name}")
        out.append(rendered)
    return out


def enforce(plan: Plan, rendered: list[dict[str, Any]], ui: UI) -> None:
    """Refuse a graph that breaks a blocking security-baseline rule of the env's cloud (exit 4)."""
    from orchestrator import policy
    from providers import registry

    violations = policy.evaluate(rendered, plan.env.env_type, registry.get(plan.env.cloud).part("policy").RULES)
    notes = _finding_counts(v for v in violations if not v.blocking)
    if notes:
        ui.warn(f"policy: not blocking (advisory here, or a documented exception): {notes}")
    blocked = policy.blocking(violations)
    if blocked:
        raise PolicyViolation(
            f"{len(blocked)} security-baseline violation(s): " + "; ".join(map(str, blocked)),
            where=f"env {plan.env.name}",
        )


def _finding_counts(violations: Iterable[Any]) -> str:
    counts: dict[str, int] = {}
    for v in violations:
        label = f"{v.rule} ({'excepted' if v.exception else 'advisory'})"
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{label} x{n}" for label, n in sorted(counts.items()))


def _render_graph(plan: Plan, root: Path | None, send: Any) -> None:
    try:
        from orchestrator.engine import graph

        send.send(graph.render(plan, app_root=root))
    except OrchestratorError as exc:
        send.send(exc)
    except BaseException as exc:
        send.send(f"{type(exc).__name__}: {exc}")
    finally:
        send.close()
        os._exit(0)  # skip teardown: Pulumi's mock runtime leaves an event loop that complains when collected

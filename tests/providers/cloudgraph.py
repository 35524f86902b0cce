"""Plans and mocked renders of one Pulumi cloud's program, shared by each cloud's test folder (`<cloud>graph.py`).

Renders are cached per (app, env) because each costs a Pulumi mock run. The example stacks
stacks/Pulumi.<cloud>-prod.yaml (production) and stacks/Pulumi.<cloud>-preview.yaml (ephemeral) are the
envs; `created-at` is pinned through ORCHESTRATOR_CREATED_AT so goldens are stable.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from bench.synth import synth_app
from orchestrator import stacks
from orchestrator.core import appmeta
from orchestrator.core.envs import Env
from orchestrator.core.plan import Plan, build
from orchestrator.engine import graph

REPO = Path(__file__).resolve().parents[2]
STACKS = REPO / "stacks"
FIXTURES = REPO / "tests" / "fixtures" / "apps"
FIXTURE_NAMES = tuple(sorted(p.parent.name for p in FIXTURES.glob("*/meta.pb")))
CREATED_AT = "2025-01-01"


@contextmanager
def pinned_created_at() -> Iterator[None]:
    old = os.environ.get("ORCHESTRATOR_CREATED_AT")
    os.environ["ORCHESTRATOR_CREATED_AT"] = CREATED_AT
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("ORCHESTRATOR_CREATED_AT", None)
        else:
            os.environ["ORCHESTRATOR_CREATED_AT"] = old


def render(plan: Plan, **kw: Any) -> graph.Rendered:
    with pinned_created_at():
        return graph.render_full(plan, **kw)


def of_type(resources: list[dict[str, Any]], typ: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == typ]


def named(resources: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [r for r in resources if r["name"] == name]
    return found


def synth_meta(services: int, language: str = "typescript") -> bytes:
    return synth_app(services, language=language).SerializeToString()


class CloudGraphs:
    """The envs, plans and cached renders of `cloud`'s example stacks; `synth` makes a synthetic app's metadata
    (a cloud that refuses some kinds strips them)."""

    def __init__(self, cloud: str, *, synth: Callable[..., bytes] = synth_meta,
                 default_language: str = "typescript") -> None:
        self.golden = REPO / "tests" / "golden" / cloud
        self.stack_of = {"production": f"{cloud}-prod", "ephemeral": f"{cloud}-preview"}
        self.env_types = tuple(self.stack_of)

        @cache
        def fixture_plan(name: str, env_type: str) -> Plan:
            return build(appmeta.load(FIXTURES / name / "meta.pb"), self.env(env_type))

        @cache
        def synth_plan(services: int, env_type: str, language: str = default_language, *options: Any) -> Plan:
            data = synth(services, language, *options)
            return build(appmeta.load_bytes(data, where="synth", name="synth"), self.env(env_type))

        @cache
        def rendered_fixture(name: str, env_type: str) -> graph.Rendered:
            return render(fixture_plan(name, env_type))

        @cache
        def rendered_synth(services: int, env_type: str, language: str, *options: Any) -> graph.Rendered:
            return render(synth_plan(services, env_type, language, *options))

        def fixture_render(name: str, env_type: str) -> graph.Rendered:
            """A deep copy: tests may mutate what they get."""
            return copy.deepcopy(rendered_fixture(name, env_type))

        def synth_render(services: int, env_type: str, language: str = default_language,
                         *options: Any) -> graph.Rendered:
            return copy.deepcopy(rendered_synth(services, env_type, language, *options))

        self.fixture_plan, self.synth_plan = fixture_plan, synth_plan
        self.fixture_render, self.synth_render = fixture_render, synth_render

    def env(self, env_type: str) -> Env:
        return stacks.load(STACKS, self.stack_of[env_type])

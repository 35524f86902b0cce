"""Plans and mocked renders of the GCP program, shared by the tests of this folder.

Renders are cached per (app, env) because each costs a Pulumi mock run. The example stacks
stacks/Pulumi.gcp-prod.yaml (production) and stacks/Pulumi.gcp-preview.yaml (ephemeral) are the
envs; `created-at` is pinned through ORCHESTRATOR_CREATED_AT so goldens are stable.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
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

REPO = Path(__file__).resolve().parents[3]
STACKS = REPO / "stacks"
FIXTURES = REPO / "tests" / "fixtures" / "apps"
FIXTURE_NAMES = tuple(sorted(p.parent.name for p in FIXTURES.glob("*/meta.pb")))
GOLDEN = REPO / "tests" / "golden" / "gcp"
CREATED_AT = "2025-01-01"
STACK_OF = {"production": "gcp-prod", "ephemeral": "gcp-preview"}
ENV_TYPES = tuple(STACK_OF)
PROJECT_OF = {"production": "acme-shop-prod", "ephemeral": "acme-shop-previews"}
REGION = "europe-west1"


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


def env(env_type: str) -> Env:
    return stacks.load(STACKS, STACK_OF[env_type])


@cache
def fixture_plan(name: str, env_type: str) -> Plan:
    return build(appmeta.load(FIXTURES / name / "meta.pb"), env(env_type))


@cache
def synth_plan(services: int, env_type: str, language: str = "typescript") -> Plan:
    data = synth_app(services, language=language).SerializeToString()
    return build(appmeta.load_bytes(data, where="synth", name="synth"), env(env_type))


def render(plan: Plan, **kw: Any) -> graph.Rendered:
    with pinned_created_at():
        return graph.render_full(plan, **kw)


@cache
def _rendered_fixture(name: str, env_type: str) -> graph.Rendered:
    return render(fixture_plan(name, env_type))


@cache
def _rendered_synth(services: int, env_type: str, language: str) -> graph.Rendered:
    return render(synth_plan(services, env_type, language))


def fixture_render(name: str, env_type: str) -> graph.Rendered:
    """A deep copy: tests may mutate what they get."""
    return copy.deepcopy(_rendered_fixture(name, env_type))


def synth_render(services: int, env_type: str, language: str = "typescript") -> graph.Rendered:
    return copy.deepcopy(_rendered_synth(services, env_type, language))


def of_type(resources: list[dict[str, Any]], typ: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == typ]


def named(resources: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [r for r in resources if r["name"] == name]
    return found

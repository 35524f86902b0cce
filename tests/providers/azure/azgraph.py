"""Plans and mocked renders of the Azure program, shared by the tests of this folder.

Renders are cached per (app, env) because each costs a Pulumi mock run. The example stacks
stacks/Pulumi.azure-prod.yaml (production) and stacks/Pulumi.azure-preview.yaml (ephemeral) are the
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
GOLDEN = REPO / "tests" / "golden" / "azure"
CREATED_AT = "2025-01-01"
STACK_OF = {"production": "azure-prod", "ephemeral": "azure-preview"}
ENV_TYPES = tuple(STACK_OF)


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


def synth_meta(services: int, language: str = "go", *, topics: bool = True) -> bytes:
    """A synthetic app Azure can take: no buckets (no runtime has Azure Blob), and topics only when asked (only Go
    apps can have them on Azure)."""
    data = synth_app(services, language=language)
    del data.buckets[:]
    for svc in data.svcs:
        del svc.buckets[:]
    if not topics:
        del data.pubsub_topics[:]
    return data.SerializeToString()


@cache
def synth_plan(services: int, env_type: str, language: str = "go", topics: bool = True) -> Plan:
    data = synth_meta(services, language, topics=topics)
    return build(appmeta.load_bytes(data, where="synth", name="synth"), env(env_type))


def render(plan: Plan, **kw: Any) -> graph.Rendered:
    with pinned_created_at():
        return graph.render_full(plan, **kw)


@cache
def _rendered_fixture(name: str, env_type: str) -> graph.Rendered:
    return render(fixture_plan(name, env_type))


@cache
def _rendered_synth(services: int, env_type: str, language: str, topics: bool) -> graph.Rendered:
    return render(synth_plan(services, env_type, language, topics))


def fixture_render(name: str, env_type: str) -> graph.Rendered:
    """A deep copy: tests may mutate what they get."""
    return copy.deepcopy(_rendered_fixture(name, env_type))


def synth_render(services: int, env_type: str, language: str = "go", topics: bool = True) -> graph.Rendered:
    return copy.deepcopy(_rendered_synth(services, env_type, language, topics))


def of_type(resources: list[dict[str, Any]], typ: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == typ]

"""Plans and mocked renders of the AWS program, shared by the tests of this folder (tests/providers/cloudgraph.py),
and of shared preview envs (`pr-N` on aws-prod's servers, borrowing what aws-prod's mocked render shares)."""

from __future__ import annotations

import copy
from functools import cache

from orchestrator import stacks
from orchestrator.core import appmeta
from orchestrator.core.envs import Env
from orchestrator.core.plan import Plan, build
from orchestrator.engine import graph
from tests.providers.cloudgraph import (
    FIXTURE_NAMES,
    FIXTURES,
    REPO,
    STACKS,
    CloudGraphs,
    named,
    of_type,
    pinned_created_at,
    render,
    synth_meta,
)

GRAPHS = CloudGraphs("aws")
GOLDEN, STACK_OF, ENV_TYPES = GRAPHS.golden, GRAPHS.stack_of, GRAPHS.env_types
env, fixture_plan, fixture_render = GRAPHS.env, GRAPHS.fixture_plan, GRAPHS.fixture_render
synth_plan, synth_render = GRAPHS.synth_plan, GRAPHS.synth_render

SHARED_STACK = """config:
  aws:region: eu-west-1
  orchestrator:cloud: aws
  orchestrator:envType: ephemeral
  orchestrator:base: aws-prod
  orchestrator:pr: {pr}
  orchestrator:previewSlot: {slot}
  orchestrator:previewOwnSecrets: {own}
"""
"""A shared preview env's stack (previewStrategy defaults to shared), as `preview-env up` derives one."""


def shared_env(pr: int = 7, slot: int = 3, own: tuple[str, ...] = ()) -> Env:
    return stacks.parse(SHARED_STACK.format(pr=pr, slot=slot, own=list(own)), name=f"pr-{pr}", where="test stack")


@cache
def _shared_synth(services: int, language: str, pr: int, own: tuple[str, ...]) -> tuple[Plan, graph.Rendered]:
    base = synth_render(services, "production", language)
    app = appmeta.load_bytes(synth_meta(services, language), where="synth", name="synth")
    plan = build(app, shared_env(pr, own=own), base.outputs["shares"])
    return plan, render(plan)


def shared_synth(services: int, language: str = "typescript", pr: int = 7,
                 own: tuple[str, ...] = ()) -> tuple[Plan, graph.Rendered]:
    """A synthetic app's shared preview plan and its render (a deep copy: tests may mutate it)."""
    return copy.deepcopy(_shared_synth(services, language, pr, own))


__all__ = [
    "ENV_TYPES",
    "FIXTURES",
    "FIXTURE_NAMES",
    "GOLDEN",
    "REPO",
    "STACKS",
    "STACK_OF",
    "env",
    "fixture_plan",
    "fixture_render",
    "named",
    "of_type",
    "pinned_created_at",
    "render",
    "shared_env",
    "shared_synth",
    "synth_plan",
    "synth_render",
]

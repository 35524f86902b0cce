"""Plans and mocked renders of the AWS program, shared by the tests of this folder (tests/providers/cloudgraph.py)."""

from __future__ import annotations

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
)

GRAPHS = CloudGraphs("aws")
GOLDEN, STACK_OF, ENV_TYPES = GRAPHS.golden, GRAPHS.stack_of, GRAPHS.env_types
env, fixture_plan, fixture_render = GRAPHS.env, GRAPHS.fixture_plan, GRAPHS.fixture_render
synth_plan, synth_render = GRAPHS.synth_plan, GRAPHS.synth_render

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
    "synth_plan",
    "synth_render",
]

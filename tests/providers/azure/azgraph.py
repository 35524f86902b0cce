"""Plans and mocked renders of the Azure program, shared by the tests of this folder (tests/providers/cloudgraph.py)."""

from __future__ import annotations

from bench.synth import synth_app
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


def synth_meta(services: int, language: str = "go", topics: bool = True) -> bytes:
    """A synthetic app Azure can take: no buckets (no runtime has Azure Blob), and topics only when asked (only Go
    apps can have them on Azure)."""
    data = synth_app(services, language=language)
    del data.buckets[:]
    for svc in data.svcs:
        del svc.buckets[:]
    if not topics:
        del data.pubsub_topics[:]
    return data.SerializeToString()


GRAPHS = CloudGraphs("azure", synth=synth_meta, default_language="go")
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
    "synth_meta",
    "synth_plan",
    "synth_render",
]

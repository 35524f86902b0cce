"""What every target shares: the handler contract and the lazily loaded provider tables.

A provider table names its handlers as `module:function` strings so that reading the
table (support matrix, planning) never imports a cloud SDK.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orchestrator.core.model import Kind

if TYPE_CHECKING:
    from orchestrator.core.plan import Grant, Plan, PlannedResource

TARGETS = ("local", "aws", "gcp", "azure")


@dataclass
class Deployed:
    """What a handler built: its Provisioned fragment and what a Grant on the resource binds to."""

    provisioned: Mapping[str, Any] = field(default_factory=dict)
    grants_target: Mapping[str, Any] = field(default_factory=dict)
    """Per grant verb (or "*"), what an access policy names: ARNs, resource ids (may hold Outputs)."""
    resource: Any = None
    """The ComponentResource (cloud targets) that children and dependants attach to."""


@dataclass
class Context:
    """Handed to every handler: the plan, what earlier handlers built, and target-specific state."""

    plan: Plan
    deployed: dict[str, Deployed] = field(default_factory=dict)
    target: Any = None

    def grants_on(self, key: str) -> tuple[Grant, ...]:
        return self.plan.grants_on(key)


Handler = Callable[[Context, "PlannedResource"], Deployed]


@dataclass(frozen=True)
class ProviderTable:
    cloud: str
    handlers: Mapping[Kind, str]
    """Kind -> "package.module:function"; imported only when called."""
    unsupported: Mapping[Kind, str]
    """Kind -> why this target cannot provide it."""

    def handler(self, kind: Kind) -> Handler:
        module, _, func = self.handlers[kind].partition(":")
        return getattr(importlib.import_module(module), func)


def table(cloud: str) -> ProviderTable:
    """The provider table of `cloud`, importing only `providers/<cloud>/__init__.py` (no SDKs)."""
    if cloud not in TARGETS:
        raise KeyError(cloud)
    return importlib.import_module(f"providers.{cloud}").TABLE

"""What every target shares: the handler contract, the provider table and the Target descriptor.

A provider table names its handlers as `module:function` strings so that reading the
table (support matrix, planning) never imports a cloud SDK. A cloud's other parts live in
modules with the same file names in every cloud package (see PARTS); the registry
(`providers/registry.py`) lists the targets.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from orchestrator.core.model import Kind, Language

if TYPE_CHECKING:
    from orchestrator.core.plan import Grant, Plan, PlannedResource
    from runtime_config.infra import Provisioned

@dataclass(frozen=True)
class Options:
    """What the pipeline hands a target for one command (besides the plan and the metadata)."""

    state_root: Path = field(default_factory=lambda: Path(os.environ.get("ORCHESTRATOR_HOME", ".orchestrator")))
    stacks_dir: Path = Path("stacks")
    meta: bytes | None = None
    """The binary metadata the runtime reads, as the pipeline read it once."""
    app_root: Path | None = None
    yes: bool = False
    interactive: bool = False
    allow_destroy: bool = False
    lock_timeout: float = 0.0
    force_unlock: bool = False
    debug: bool = False
    deploy_id: str = ""
    """One per `deploy`, written into every process's runtime config."""
    hint_flags: tuple[str, ...] = ()
    """The global flags the user gave (`--stacks DIR`, `--state-dir DIR`), repeated in the commands we suggest."""
    deployed: Mapping[str, Any] | None = None
    """`secret set`: the env's last deployment record as JSON (None before the first deploy), for a cloud whose
    secret's place only the deployment knows."""

    def command(self, verb: str, *args: str) -> str:
        """A command line to suggest to the user, with the global flags they gave."""
        return " ".join(["orchestrator", verb, *args, *self.hint_flags])


@dataclass(frozen=True)
class Applied:
    """What a target reports after a deploy; the pipeline turns it into the deployment record."""

    provisioned: Provisioned
    """What was provisioned; the record keeps it redacted."""
    env_vars: Mapping[str, str]
    """What the platform sets for an app process (no secret values)."""
    secret_env: Mapping[str, str | None] = field(default_factory=dict)
    """Env var -> where its secret value lives (None when only the platform knows)."""
    files: Mapping[str, str] = field(default_factory=dict)
    graph: list[dict[str, Any]] | None = None
    """The rendered resource graph (Pulumi targets) or what was created (direct targets)."""
    secret_values: tuple[str, ...] = ()
    """Secret values the target knows of; the record is checked to hold none of them."""
    shares: Mapping[str, Any] = field(default_factory=dict)
    """What the env lends its shared preview envs (`DeploymentRecord.shares`)."""


@dataclass
class Deployed:
    """What a handler built: its Provisioned fragment and what a Grant on the resource binds to."""

    provisioned: Mapping[str, Any] = field(default_factory=dict)
    grants_target: Mapping[str, Any] = field(default_factory=dict)
    """Per grant verb (or "*"), what an access policy names: ARNs, resource ids (may hold Outputs)."""
    resource: Any = None
    """The ComponentResource (cloud targets) that children and dependants attach to."""


@dataclass
class Delivered:
    """What a cloud's `delivery.deliver` hands back after a deploy."""

    provisioned: Provisioned
    """As deployed, possibly completed (e.g. with the runtime config's URL)."""
    files: dict[str, Path]
    """The written runtime-config files by role."""
    env_vars: dict[str, str]
    """What the app process needs in its environment to find its config."""
    secret_env: dict[str, str | None]
    """Env var the platform injects -> where its value lives (None if unknown)."""
    notes: list[str] = field(default_factory=list)
    """Messages for the human running the deploy."""


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
    unsupported_for: Mapping[Kind, Mapping[Language, str]] = field(default_factory=dict)
    """Kind (with a handler) -> app language -> why this target cannot provide it to apps in that language."""

    def handler(self, kind: Kind) -> Handler:
        module, _, func = self.handlers[kind].partition(":")
        return getattr(importlib.import_module(module), func)


def mock_id(token: str, inputs: Mapping[str, Any], name: str) -> str:
    """The id of a resource under Pulumi mocks that no cloud's `mocks` part knows better: its `name` input, else
    its type and a hash of its logical name."""
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return str(inputs.get("name") or f"{token.rsplit(':', 1)[-1].lower()}-{digest}")


Engine = Literal["pulumi", "direct"]

ROLES = ("server", "topic", "queue", "bucket", "cache", "secret", "cron", "identity")
"""The roles a target names physical things for; every target's `naming` maps each of them."""

PARTS: Mapping[str, str] = {
    "settings": "the model of the stack's `orchestrator:<cloud>` block (`Settings`), `region(provider_config)` and "
    "optionally `check_deploy(plan)`: what a deploy needs from the stack file, refused before anything is touched",
    "session": "`start(plan, app_root)`: env-wide resources; `.fragments()` and `.outputs(provisioned)` after the "
    "handlers ran; `.outputs` may hold `shares`: what the env lends its shared preview envs (`Plan.borrowed`)",
    "mocks": "`new_resource(token, inputs, name, region)` and `call(token, args, region)`: mock outputs for the graph",
    "policy": "`RULES`: this cloud's security-baseline rules over the rendered graph",
    "probes": "`PUBSUB` and `BUCKET`: how `verify` talks to the runtime-config providers this cloud writes",
    "delivery": "`deliver(plan, provisioned, outputs, out_dir)` after a deploy; `set_secret(env, secret, value)`",
    "replace": "`REPLACES`: resource type -> the input properties whose change forces a replacement",
}
"""The modules a Pulumi cloud package has beside its kind files (same file names in every cloud)."""


@dataclass(frozen=True)
class Target:
    """One target as the registry knows it; `part(name)` imports `providers.<name>.<part>` on use."""

    name: str
    engine: Engine
    """"pulumi": run by orchestrator/engine; "direct": the package's own `target` module provisions."""
    table: ProviderTable
    extra: str
    """The pip extra that installs what this target needs: pip install 'encore-orchestrator[<extra>]'."""
    sdk: tuple[str, ...] = ()
    """Modules the extra installs; missing ones make every command that needs the SDK exit 6."""
    config_namespaces: tuple[str, ...] = ()
    """Pulumi config namespaces of this cloud's providers allowed in a stack file (`aws:region`)."""
    naming: Mapping[str, str] = field(default_factory=dict)
    """Role -> the `core/naming.py` namespace whose rules its physical names follow (see ROLES)."""

    def part(self, name: str) -> Any:
        return importlib.import_module(f"providers.{self.name}.{name}")

    @property
    def install_hint(self) -> str:
        return f"pip install 'encore-orchestrator[{self.extra}]'"

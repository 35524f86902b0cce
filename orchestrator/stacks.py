"""Stack files through the registry: the neutral keys (`core/envs.py`) plus each cloud's own block and region.

`orchestrator:cloud` must name a registered target; every `orchestrator:<target>` block is
validated by that target's `settings` part; the allowed config namespaces are every target's
plus Pulumi's own. `Env.settings` is the validated block of the env's own cloud.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.core import envs
from orchestrator.core.envs import Env
from orchestrator.core.errors import BadInput
from providers import registry

PULUMI_NAMESPACE = "pulumi"


def load(stacks_dir: Path, name: str) -> Env:
    path = envs.stack_path(stacks_dir, name)
    envs.check_name(name, str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        known = ", ".join(envs.list_envs(stacks_dir)) or "none"
        raise BadInput(f"no such environment (known: {known})", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read: {exc}", where=str(path)) from None
    return parse(text, name=name, where=str(path))


def parse(text: str, *, name: str, where: str) -> Env:
    targets = registry.all_targets()
    namespaces = {ns for t in targets for ns in t.config_namespaces} | {PULUMI_NAMESPACE}
    env = envs.parse(text, name=name, where=where, clouds=registry.names(), namespaces=namespaces)
    validated = {
        cloud: envs.validate(_settings(cloud).Settings, block, where, prefix=f"orchestrator:{cloud}.")
        for cloud, block in env.blocks.items()
    }
    own = _settings(env.cloud)
    settings = validated.get(env.cloud) or own.Settings()
    located = {"region": own.region(env.provider_config, where)}
    if hasattr(own, "project"):
        located["project"] = own.project(env.provider_config)
    return env.model_copy(update={"settings": settings, "naming": dict(registry.get(env.cloud).naming), **located})


def _settings(cloud: str) -> Any:
    """The cloud's `settings` part (a module with `Settings`, `region` and, where the cloud has one, `project`)."""
    return registry.get(cloud).part("settings")

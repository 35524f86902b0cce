"""Which target serves an environment, and the options every target command receives.

A target is a module with some of these functions (all raise OrchestratorError subclasses
on expected failures and return an exit code):

    deploy(plan, app, opts, ui) -> int       provision, write the runtime config, record
    preview(plan, app, opts, ui) -> int      what deploy would change (cloud targets)
    destroy(env, opts, ui) -> int            remove everything of the env
    refresh(env, opts, ui) -> int            reconcile state with reality (cloud targets)
    status(env, opts, ui) -> int
    stop(env, opts, ui) -> int               servers down, data kept (local)
    verify(env, opts, ui) -> int             prove every resource works from the written config
    env_vars(env, opts) -> dict[str, str]    what an app process needs
    set_secret(env, name, value, opts, ui) -> int
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from orchestrator.core.envs import Env
from orchestrator.core.errors import BadInput

LOCAL_TARGET = "providers.local.target"
PULUMI_TARGET = "orchestrator.engine.operations"


@dataclass(frozen=True)
class Options:
    state_root: Path = field(default_factory=lambda: Path(os.environ.get("ORCHESTRATOR_HOME", ".orchestrator")))
    stacks_dir: Path = Path("stacks")
    meta_path: Path | None = None
    app_root: Path | None = None
    yes: bool = False
    interactive: bool = False
    allow_destroy: bool = False
    lock_timeout: float = 0.0
    force_unlock: bool = False
    debug: bool = False


def module_for(env: Env) -> ModuleType:
    return importlib.import_module(LOCAL_TARGET if env.cloud == "local" else PULUMI_TARGET)


def operation(env: Env, name: str):
    """The target function `name` for `env`, or a BadInput saying which targets have it."""
    module = module_for(env)
    func = getattr(module, name, None)
    if func is None:
        raise BadInput(
            f"`{name.replace('_', '-')}` is not available for the {env.cloud} target", where=f"env {env.name}"
        )
    return func

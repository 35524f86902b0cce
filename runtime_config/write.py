"""Write the config file a deployed process reads and say which environment variables point at it.

TypeScript apps get `runtime-config.pb` (the protobuf; inline in `ENCORE_RUNTIME_CONFIG` when it
fits the env's size limit). Go apps read no protobuf (trap 1), so they get only
`infra.config.json` and `ENCORE_INFRA_CONFIG_PATH`. Everything is built in memory first and each
file is replaced atomically with mode 0600, so an error leaves no half-written config behind.

For the local cloud the outputs (file and inline value) embed secret values: never print `env`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestrator.core.files import write_atomic
from orchestrator.core.model import Language
from orchestrator.core.plan import Plan
from runtime_config.build import build
from runtime_config.encode import runtime_config_env
from runtime_config.infra import Provisioned
from runtime_config.infra_json import SECRET_PROVIDERS_VAR, build_infra_json, secret_providers

RUNTIME_CONFIG_FILE = "runtime-config.pb"
INFRA_CONFIG_FILE = "infra.config.json"
INFRA_CONFIG_VAR = "ENCORE_INFRA_CONFIG_PATH"
DEPLOY_ID_VAR = "ENCORE_DEPLOY_ID"
"""Go reads the deploy id only from here (the JSON infra config has no key for it): appconf.go passes it to
config.ParseRuntime (runtimes/go/appruntime/exported/config/parse.go), which overrides the config's."""


@dataclass(frozen=True)
class Written:
    paths: dict[str, Path]
    """"runtime_config" (TypeScript) or "infra_config" (Go) -> the file written."""
    env: dict[str, str]
    """The environment variables that make the process find its config."""


def write_outputs(
    plan: Plan, provisioned: Provisioned, out_dir: Path, *, hosted_services: Sequence[str] | None = None
) -> Written:
    out_dir = out_dir.absolute()
    if plan.language is Language.GO:
        doc = build_infra_json(plan, provisioned, hosted_services=hosted_services)
        data = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
        path = out_dir / INFRA_CONFIG_FILE
        env = {INFRA_CONFIG_VAR: str(path)}
        providers = secret_providers(plan, provisioned, hosted_services=hosted_services)
        if providers is not None:
            env[SECRET_PROVIDERS_VAR] = providers
        if provisioned.deploy_id:
            env[DEPLOY_ID_VAR] = provisioned.deploy_id
        written = Written(paths={"infra_config": path}, env=env)
    else:
        data = build(plan, provisioned, hosted_services=hosted_services).SerializeToString(deterministic=True)
        path = out_dir / RUNTIME_CONFIG_FILE
        location = provisioned.runtime_config_url or str(path)
        env = runtime_config_env(data, size_limit=plan.env.runtime_config_size_limit, path=location)
        written = Written(paths={"runtime_config": path}, env=env)
    write_atomic(path, data, mode=0o600)
    return written

"""A preview env's stack file, derived from its base env's: same cloud, region, network and cloud block, the
ephemeral presets for sizes, and the preview keys (`base`, `pr`, `previewStrategy`, `previewSlot`,
`previewBuckets`).

A template stack (`--template NAME`, an ephemeral stack such as `stacks/Pulumi.aws-preview.yaml`) adds or
overrides keys; it must name the base's cloud. A cloud's `settings` part may drop keys a preview must not take
over from its base (`preview_block`: the local target's fixed ports, a cloud's API URL). `{pr}` and `{env}` in
any string value become the PR's number and env name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import yaml

from orchestrator.core.envs import BucketMode, Env, EnvType, Strategy
from orchestrator.core.errors import BadInput
from orchestrator.preview_record import env_name
from providers import registry

NOT_INHERITED = frozenset({
    "orchestrator:envType", "orchestrator:base", "orchestrator:pr", "orchestrator:ttlHours",
    "orchestrator:previewStrategy", "orchestrator:previewSlot", "orchestrator:previewOwnSecrets",
    "orchestrator:previewBuckets", "orchestrator:sizing", "orchestrator:overrides",
})
"""The base's keys a preview env never takes: its type, sizes and preview keys are its own."""
TEMPLATE_NOT_TAKEN = frozenset({"orchestrator:envType", "orchestrator:base", "orchestrator:pr",
                                "orchestrator:previewSlot"})
"""A template sets everything else (sizes, TTL, strategy, its cloud block) but not who the preview env is."""
STACK_ONLY = ("encryptedkey", "encryptionsalt")
"""Pulumi's per-stack secrets salt: a new stack gets its own."""


def stack_text(base: Env, *, pr: int, strategy: Strategy | None, slot: int | None, template: Env | None,
               own_secrets: Sequence[str], buckets: BucketMode | None = None) -> str:
    """The stack file of env `pr-N` (YAML text), checked to load."""
    if base.is_preview:
        raise BadInput(f"base env {base.name} is itself a preview env; use the env it was made from",
                       where="--base")
    doc = _document(base.path)
    config = {k: v for k, v in (doc.get("config") or {}).items() if k not in NOT_INHERITED}
    block_key = f"orchestrator:{base.cloud}"
    part = registry.get(base.cloud).part("settings")
    if block_key in config and hasattr(part, "preview_block"):
        config[block_key] = part.preview_block(dict(config[block_key] or {}))
    chosen: str | None = strategy
    if template is not None:
        if template.cloud != base.cloud:
            raise BadInput(f"the template stack {template.name} asks for cloud {template.cloud}, and base env "
                           f"{base.name} runs on {base.cloud}", where=template.path)
        if template.base is not None and template.base != base.name:
            raise BadInput(f"the template stack {template.name} is for base {template.base}, not {base.name}",
                           where=template.path)
        taken = {k: v for k, v in (_document(template.path).get("config") or {}).items()
                 if k not in TEMPLATE_NOT_TAKEN}
        template_strategy = taken.pop("orchestrator:previewStrategy", None)
        template_buckets = taken.pop("orchestrator:previewBuckets", None)
        chosen = chosen or template_strategy
        buckets = buckets or template_buckets
        config.update(taken)
    config.update({
        "orchestrator:envType": EnvType.EPHEMERAL.value,
        "orchestrator:base": base.name,
        "orchestrator:pr": pr,
        "orchestrator:previewStrategy": chosen or "shared",
    })
    if buckets is not None and buckets != "prefix":
        config["orchestrator:previewBuckets"] = buckets
    if slot is not None:
        config["orchestrator:previewSlot"] = slot
    if own_secrets:
        config["orchestrator:previewOwnSecrets"] = sorted(set(own_secrets))
    out: dict[str, Any] = {k: v for k, v in doc.items() if k not in STACK_ONLY and k != "config"}
    out["config"] = _placed(config, pr)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    header = (f"# Preview env {env_name(pr)}, derived from {base.name}"
              + (f" and the template {template.name}" if template is not None else "")
              + f" by `orchestrator preview-env up` at {stamp}.\n")
    return header + yaml.safe_dump(out, sort_keys=False)


def _placed(value: Any, pr: int) -> Any:
    """`{pr}` and `{env}` in every string value replaced by the PR's number and env name (a template's
    `gatewayBaseUrl: https://pr-{pr}.preview.example.com`)."""
    if isinstance(value, str):
        return value.replace("{pr}", str(pr)).replace("{env}", env_name(pr))
    if isinstance(value, dict):
        return {k: _placed(v, pr) for k, v in value.items()}
    if isinstance(value, list):
        return [_placed(v, pr) for v in value]
    return value


def _document(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BadInput(f"cannot read: {exc}", where=path) from None
    if not isinstance(doc, dict):
        raise BadInput("a stack file must be a mapping with a 'config' key", where=path)
    return doc

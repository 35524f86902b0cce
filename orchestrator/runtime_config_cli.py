"""`orchestrator runtime-config`: a plan + a Provisioned (a file, the last record, or the program under mocks) -> one of
the config formats."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from orchestrator.core.errors import BadInput
from orchestrator.core.model import Language
from orchestrator.core.plan import Plan
from runtime_config.infra import Provisioned


def load_provisioned(path: Path) -> Provisioned:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput("no such file", where=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"not a JSON Provisioned record ({exc})", where=str(path)) from None
    try:
        return Provisioned.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "record"
        raise BadInput(f"{loc}: {err['msg']}", where=str(path)) from None


def _go_legacy(plan: Plan, provisioned: Provisioned, hosted_services: Sequence[str] | None) -> bytes:
    """The Go legacy runtime config for review: it embeds secret values, shown here as [secret] (the deployed one is
    built inside the program and kept in the cloud's secret store)."""
    from runtime_config.infra import REDACTED
    from runtime_config.legacy_json import build_legacy_json

    if plan.language is not Language.GO:
        raise BadInput("only Go apps read the legacy runtime config", where="--format go-legacy-json")
    values = {ref.env: REDACTED for _, ref in provisioned.secret_refs() if ref.env}
    doc = build_legacy_json(plan, provisioned, values, hosted_services=hosted_services)
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def render(plan: Plan, provisioned: Provisioned, fmt: str, *, hosted_services: Sequence[str] | None,
           where: str) -> bytes:
    """`where` names the Provisioned's origin in errors."""
    from runtime_config.build import build
    from runtime_config.encode import to_env_value
    from runtime_config.infra_json import build_infra_json

    if provisioned.cloud != plan.env.cloud or provisioned.env != plan.env.name:
        raise BadInput(
            f"record is for {provisioned.cloud}/{provisioned.env}, not {plan.env.cloud}/{plan.env.name}",
            where=where,
        )
    if fmt == "infra-json":
        doc = build_infra_json(plan, provisioned, hosted_services=hosted_services)
        return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
    if fmt == "go-legacy-json":
        return _go_legacy(plan, provisioned, hosted_services)
    if plan.language is Language.GO:
        raise BadInput("Go apps read only the JSON infra config; use --format infra-json", where="--format")
    message = build(plan, provisioned, hosted_services=hosted_services)
    if fmt == "pb":
        return message.SerializeToString(deterministic=True)
    if fmt == "env":
        return f"ENCORE_RUNTIME_CONFIG={to_env_value(message.SerializeToString(deterministic=True))}\n".encode()
    from google.protobuf import json_format

    return (json_format.MessageToJson(message, sort_keys=True) + "\n").encode()

"""Secrets on the local target: values set with `orchestrator secret set` (secrets.json, mode 0600) or an env file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.core.envs import Env
from orchestrator.core.errors import BadInput
from orchestrator.core.files import write_atomic
from orchestrator.core.model import Kind
from providers.base import Context, Deployed
from providers.local.settings import settings_of
from providers.local.state import refuse_foreign

if TYPE_CHECKING:
    from orchestrator.core.plan import Plan, PlannedResource
    from providers.local.session import Session

SECRETS_FILE = "secrets.json"


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: Session = ctx.target
    value = session.secrets[res.name]
    return Deployed(provisioned={"secrets": [{"encore_name": res.name, "ref": {"value": value}}]})


def stored(directory: Path) -> dict[str, str]:
    path = directory / SECRETS_FILE
    refuse_foreign(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read stored secrets: {exc}", where=str(path)) from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise BadInput("stored secrets must be a JSON object of strings", where=str(path))
    return data


def store(directory: Path, name: str, value: str) -> None:
    values = stored(directory)
    values[name] = value
    write_atomic(directory / SECRETS_FILE, (json.dumps(values, indent=2, sort_keys=True) + "\n").encode(), mode=0o600)


def env_file_path(env: Env) -> Path | None:
    secrets_file = settings_of(env).secrets_file
    if not secrets_file:
        return None
    path = Path(secrets_file).expanduser()
    return path if path.is_absolute() or not env.path else Path(env.path).parent / path


def parse_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines (dotenv): `#` comments, optional `export `, single or double quotes around the value."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read the secrets file: {exc.strerror or exc}", where=str(path)) from None
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise BadInput("expected NAME=value", where=f"{path}:{number}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            quote, value = value[0], value[1:-1]
            if quote == '"':
                value = re.sub(r'\\(["\\n])', lambda m: "\n" if m.group(1) == "n" else m.group(1), value)
        values[name.strip()] = value
    return values


def resolve(env: Env, directory: Path) -> dict[str, str]:
    """Every known value: the env file's, overridden by `orchestrator secret set`."""
    path = env_file_path(env)
    return {**(parse_env_file(path) if path else {}), **stored(directory)}


def check(plan: Plan, values: dict[str, str]) -> None:
    missing = sorted(r.name for r in plan.of_kind(Kind.SECRET) if r.name not in values)
    if missing:
        raise BadInput(
            f"{len(missing)} secret(s) have no value: {', '.join(missing)}; set each with "
            f"`orchestrator secret set --env {plan.env.name} NAME`"
            + (" or in orchestrator:local.secretsFile" if not settings_of(plan.env).secrets_file else ""),
            where=f"env {plan.env.name}",
        )


def remove(directory: Path, name: str) -> bool:
    """Remove `name` from the stored secrets; False when it was not there."""
    values = stored(directory)
    if name not in values:
        return False
    del values[name]
    write_atomic(directory / SECRETS_FILE, (json.dumps(values, indent=2, sort_keys=True) + "\n").encode(), mode=0o600)
    return True

"""Secrets on the local target: values set with `orchestrator secret set` (secrets.json, mode 0600) or an env file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.core.envs import Env
from orchestrator.core.errors import BadInput, SecretsUnset
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


def env_file_path(env: Env, stacks_dir: Path | None = None) -> Path | None:
    """The env's secrets file; a relative one is next to its stack file (a preview env's, made from its base's
    stack, has none on disk: next to the stacks, `stacks_dir`)."""
    secrets_file = settings_of(env).secrets_file
    if not secrets_file:
        return None
    path = Path(secrets_file).expanduser()
    if path.is_absolute() or not env.path:
        return path
    stack = Path(env.path)
    return (stacks_dir if stacks_dir is not None and not stack.is_file() else stack.parent) / path


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


def resolve(env: Env, directory: Path, *, base_dir: Path | None = None, stacks_dir: Path | None = None
            ) -> dict[str, str]:
    """Every known value: the env file's, overridden by `orchestrator secret set`. A preview env (`base_dir`: its
    base env's state directory) reads its base's values, but for those set for it and its `previewOwnSecrets`."""
    path = env_file_path(env, stacks_dir)
    values = {**(parse_env_file(path) if path else {})}
    if base_dir is not None:
        refuse_foreign(base_dir)
        values.update(stored(base_dir))
        values = {name: value for name, value in values.items() if name not in env.own_secrets}
    return {**values, **stored(directory)}


def check(plan: Plan, values: dict[str, str]) -> None:
    missing = sorted(r.name for r in plan.of_kind(Kind.SECRET) if r.name not in values)
    if missing:
        raise SecretsUnset(
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

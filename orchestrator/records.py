"""DeploymentRecord: what one deploy of an env did, kept by the state store (`orchestrator.state`).

A record never holds a secret value: `provisioned` is `Provisioned.redacted()`, `secret_env`
names where each value lives, and `new` refuses a record in which a known secret value
occurs anywhere (`assert_no_secrets`). The plan is kept as its JSON dict, so a record written
by an older orchestrator still loads after the Plan model changes.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, field_validator

from orchestrator.core.errors import OrchestratorError
from orchestrator.core.model import Language
from orchestrator.core.plan import Plan
from orchestrator.core.whoami import host_name, user_name
from runtime_config.infra import REDACTED, Provisioned

RECORD_FORMAT = 1
DISTRIBUTION = "encore-orchestrator"
UNKNOWN_VERSION = "0+unknown"
MIN_SECRET_LENGTH = 8
"""Shorter values cannot be told apart from ordinary words (an env type, a region), so they are not searched for."""

_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


class SecretInRecord(OrchestratorError):
    """A secret value would have been written into a deployment record (a bug: the deploy stops)."""


class _RecordedResource(BaseModel):
    """The types readers of a recorded plan rely on (orchestrator.diff, `declared_secrets`); a field may be missing
    and others added (a record from another version), but a present field of another type is refused."""

    kind: str
    name: str
    names: dict[str, str] = {}
    spec: dict[str, Any] | None = None
    settings: dict[str, Any] = {}


class _RecordedPlan(BaseModel):
    app: str = ""
    env: dict[str, Any] = {}
    resources: list[_RecordedResource] = []
    grants: list[tuple[str, str, str]] = []


class DeploymentRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    format: int = RECORD_FORMAT
    app: str
    env: str
    cloud: str
    language: Language
    plan: dict[str, Any]
    """`Plan.model_dump(mode="json")` without `env.path`."""
    graph: list[dict[str, Any]] | None = None
    """Cloud targets: the rendered Pulumi graph; the local target: what it created."""
    provisioned: dict[str, Any]
    """`Provisioned.redacted()`."""
    env_vars: dict[str, str] = {}
    """Environment variables the processes need, without secret values."""
    secret_env: dict[str, str | None] = {}
    """Environment variable -> where its value lives (None when unknown)."""
    files: dict[str, str] = {}
    """Role -> path of each file the deploy wrote."""
    shares: dict[str, Any] = {}
    """What this env lends its shared preview envs (servers, network, buckets; never a secret value), in its cloud's
    own keys; a preview env's plan carries it as `Plan.borrowed`."""
    orchestrator_version: str
    git_commit: str | None = None
    deployed_at: AwareDatetime
    deployed_by: str
    """`user@host`."""

    @field_validator("plan")
    @classmethod
    def _plan_readable(cls, plan: dict[str, Any]) -> dict[str, Any]:
        """A plan whose resources or grants have the wrong shape is refused when read, not when diffed."""
        try:
            _RecordedPlan.model_validate(plan)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ValueError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
        return plan

    @classmethod
    def new(
        cls,
        plan: Plan,
        provisioned: Provisioned,
        *,
        env_vars: Mapping[str, str] | None = None,
        secret_env: Mapping[str, str | None] | None = None,
        files: Mapping[str, Path | str] | None = None,
        graph: Iterable[Mapping[str, Any]] | None = None,
        shares: Mapping[str, Any] | None = None,
        source_dir: Path | None = None,
        secret_values: Iterable[str] = (),
    ) -> DeploymentRecord:
        """A record of `plan` deployed now, by this user on this host, from the checkout at `source_dir`.

        Raises SecretInRecord if any secret value embedded in `provisioned`, or any of
        `secret_values`, occurs anywhere in the record.
        """
        record = cls(
            app=plan.app,
            env=plan.env.name,
            cloud=plan.env.cloud,
            language=plan.language,
            plan=plan.model_dump(mode="json", exclude={"env": {"path"}}),
            graph=None if graph is None else [dict(node) for node in graph],
            provisioned=provisioned.redacted(),
            env_vars=dict(env_vars or {}),
            secret_env=dict(secret_env or {}),
            files={role: str(path) for role, path in (files or {}).items()},
            shares=dict(shares or {}),
            orchestrator_version=orchestrator_version(),
            git_commit=None if source_dir is None else git_commit(source_dir),
            deployed_at=datetime.now(UTC).replace(microsecond=0),
            deployed_by=f"{user_name()}@{host_name()}",
        )
        embedded = (ref.value for _, ref in provisioned.secret_refs() if ref.value not in (None, REDACTED))
        assert_no_secrets(record, [*embedded, *secret_values])
        return record

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


def assert_no_secrets(record: DeploymentRecord, secret_values: Iterable[str]) -> None:
    """Raise SecretInRecord naming the field (never the value) where a secret value occurs."""
    secrets = {s for s in secret_values if len(s) >= MIN_SECRET_LENGTH}
    if not secrets:
        return
    for path, text in _strings(record.model_dump(mode="json"), ""):
        if any(secret in text for secret in secrets):
            raise SecretInRecord(f"a secret value occurs in the deployment record at {path}; not writing it",
                                 where=f"env {record.env}")


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON document, keys included, with where it occurs (a key is never part of its own place)."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield f"a key of {path or 'the record'}", str(key)
            yield from _strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}[{i}]")


def orchestrator_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return UNKNOWN_VERSION


def git_commit(directory: Path) -> str | None:
    """The commit checked out at `directory`, or None when it is not a git checkout or git is missing."""
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and _COMMIT.match(commit) else None

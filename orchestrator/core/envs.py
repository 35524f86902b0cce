"""Environments from `stacks/Pulumi.<env>.yaml` (Pulumi's stack-config format): the cloud-neutral keys.

Our keys live under the `orchestrator:` namespace beside the clouds' own keys. This module knows
no cloud: the caller (`orchestrator/stacks.py`, through the registry) names the clouds, their
config namespaces, and validates each `orchestrator:<cloud>` block and the region. Every unknown
key and bad value is a `BadInput` naming the file and the key.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator.core.errors import BadInput

ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$")
Strategy = Literal["shared", "isolated"]
BucketMode = Literal["prefix", "separate"]
"""A preview env's servers: `shared` borrows its base env's (own databases, roles, queues and prefixes on them),
`isolated` runs its own smallest ones."""
PULUMI_TOP_LEVEL = {"config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"}


class EnvType(StrEnum):
    """Matches the runtime's `Environment.Type`."""

    PRODUCTION = "production"
    DEVELOPMENT = "development"
    EPHEMERAL = "ephemeral"
    TEST = "test"


class _Keys(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Sizing(_Keys):
    """Cloud-neutral sizes and safety switches; presets per env type, overridable per key and per resource."""

    sql_min_capacity: float = Field(default=0.5, alias="sqlMinCapacity", ge=0, le=256)
    sql_max_capacity: float = Field(default=1.0, alias="sqlMaxCapacity", gt=0, le=256)
    sql_instances: int = Field(default=1, alias="sqlInstances", ge=1, le=16)
    sql_engine_version: str = Field(default="16.6", alias="sqlEngineVersion", pattern=r"^\d+(\.\d+)?$")
    backup_retention_days: int = Field(default=1, alias="backupRetentionDays", ge=1, le=35)
    cache_size: Literal["small", "medium", "large"] = Field(default="small", alias="cacheSize")
    cache_replicas: int = Field(default=0, alias="cacheReplicas", ge=0, le=5)
    high_availability: bool = Field(default=False, alias="highAvailability")
    deletion_protection: bool = Field(default=False, alias="deletionProtection")
    protect: bool = Field(default=False, description="Pulumi protect + retainOnDelete on stateful resources")
    secret_recovery_days: int = Field(default=0, alias="secretRecoveryDays", ge=0, le=30)
    force_destroy: bool = Field(default=True, alias="forceDestroy")
    log_retention_days: int = Field(default=7, alias="logRetentionDays", ge=1, le=3653)


PRESETS: dict[EnvType, Sizing] = {
    EnvType.PRODUCTION: Sizing(
        sqlMinCapacity=0.5,
        sqlMaxCapacity=8,
        sqlInstances=2,
        backupRetentionDays=14,
        cacheSize="medium",
        cacheReplicas=1,
        highAvailability=True,
        deletionProtection=True,
        protect=True,
        secretRecoveryDays=7,
        forceDestroy=False,
        logRetentionDays=90,
    ),
    EnvType.DEVELOPMENT: Sizing(),
    EnvType.EPHEMERAL: Sizing(sqlMinCapacity=0),
    EnvType.TEST: Sizing(sqlMinCapacity=0),
}


class OrchestratorKeys(_Keys):
    """Every cloud-neutral key allowed under `orchestrator:`; besides these only `orchestrator:<cloud>` blocks."""

    cloud: str
    env_type: EnvType = Field(alias="envType")
    app: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]{0,40}$")
    base: str | None = None
    pr: int | None = Field(default=None, ge=1)
    ttl_hours: int | None = Field(default=None, alias="ttlHours", ge=1, le=24 * 90)
    preview_strategy: Strategy = Field(default="shared", alias="previewStrategy")
    preview_slot: int | None = Field(default=None, alias="previewSlot", ge=1, le=4095)
    preview_own_secrets: list[str] = Field(default_factory=list, alias="previewOwnSecrets")
    preview_buckets: BucketMode = Field(default="prefix", alias="previewBuckets")
    sizing: dict[str, Any] = Field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    backend: str | None = Field(default=None, pattern=r"^(file|s3|gs|azblob|https)://")
    secrets_provider: str | None = Field(
        default=None, alias="secretsProvider", pattern=r"^(passphrase|awskms|gcpkms|azurekeyvault|hashivault)(://.*)?$"
    )
    runtime_config_size_limit: int = Field(default=96 * 1024, alias="runtimeConfigSizeLimit", ge=256)


class Env(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    cloud: str
    env_type: EnvType
    app: str | None = None
    region: str | None = None
    project: str | None = None
    sizing: Sizing
    overrides: dict[str, Sizing] = Field(default_factory=dict)
    base: str | None = None
    pr: int | None = None
    ttl_hours: int | None = None
    strategy: Strategy = "shared"
    """Meaningful with `base` on an ephemeral env (see `shares_base`)."""
    slot: int | None = None
    """A shared preview env's number among its base's previews (1..), e.g. its Redis database index."""
    own_secrets: tuple[str, ...] = ()
    """Secrets a shared preview env keeps itself; every other secret is read from the base env."""
    buckets: BucketMode = "prefix"
    """A shared preview env's buckets: a key prefix in its base's (`prefix`) or buckets of its own (`separate`)."""
    settings: Any = None
    """The validated `orchestrator:<cloud>` block of this env's own cloud (its `settings` part's model)."""
    naming: dict[str, str] = Field(default_factory=dict, exclude=True)
    """Role -> naming namespace, from the env's target (`Target.naming`); set with `settings`."""
    blocks: dict[str, Any] = Field(default_factory=dict)
    """Every `orchestrator:<cloud>` block as written, by cloud name (validated by `orchestrator/stacks.py`)."""
    backend: str | None = None
    secrets_provider: str | None = None
    runtime_config_size_limit: int = 96 * 1024
    provider_config: dict[str, Any] = Field(default_factory=dict)
    path: str = ""

    @property
    def is_preview(self) -> bool:
        return self.env_type is EnvType.EPHEMERAL

    @property
    def shares_base(self) -> bool:
        """A preview env on its base env's servers: it borrows what the base's deployment record shares."""
        return self.is_preview and self.base is not None and self.strategy == "shared"

    @property
    def prefixes_buckets(self) -> bool:
        """A shared preview env that keeps its objects under a key prefix in its base's buckets."""
        return self.shares_base and self.buckets == "prefix"

    def sizing_for(self, key: str) -> Sizing:
        return self.overrides.get(key, self.sizing)


def stack_path(stacks_dir: Path, name: str) -> Path:
    return stacks_dir / f"Pulumi.{name}.yaml"


def list_envs(stacks_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml"))


def check_name(name: str, where: str) -> None:
    if not ENV_NAME.match(name):
        raise BadInput(f"environment name {name!r} must be lowercase letters, digits and '-', 1-32 chars", where=where)


def parse(text: str, *, name: str, where: str, clouds: Collection[str], namespaces: Collection[str]) -> Env:
    """The neutral part of a stack file: `clouds` are the allowed `orchestrator:cloud` values (and block
    keys), `namespaces` the allowed config namespaces besides ours. Settings and region stay unset."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{where}:{mark.line + 1}" if mark else where
        raise BadInput(f"not valid YAML ({getattr(exc, 'problem', exc)})", where=at) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise BadInput("a stack file must be a mapping with a 'config' key", where=where)
    for key in doc:
        if key not in PULUMI_TOP_LEVEL:
            raise BadInput(
                f"unknown top-level key {key!r} (allowed: {', '.join(sorted(PULUMI_TOP_LEVEL))})", where=where
            )
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise BadInput("'config' must be a mapping", where=where)

    ours: dict[str, Any] = {}
    provider: dict[str, Any] = {}
    for key, value in config.items():
        namespace, sep, field = str(key).partition(":")
        if not sep or not field:
            raise BadInput(f"config key {key!r} needs a namespace, e.g. 'orchestrator:{key}'", where=where)
        if namespace == "orchestrator":
            ours[field] = value
        elif namespace in namespaces:
            provider[str(key)] = value
        else:
            raise BadInput(f"config key {key!r} has an unknown namespace {namespace!r}", where=where)

    blocks = {field: ours.pop(field) for field in list(ours) if field in clouds}
    keys = validate(OrchestratorKeys, ours, where, prefix="orchestrator:")
    if keys.cloud not in clouds:
        *first, last = (repr(c) for c in clouds)
        raise BadInput(f"orchestrator:cloud: Input should be {', '.join(first)} or {last}", where=where)
    preset = PRESETS[keys.env_type]
    sizing = validate(
        Sizing, {**preset.model_dump(by_alias=True), **keys.sizing}, where, prefix="orchestrator:sizing."
    )
    overrides = {
        res: validate(
            Sizing, {**sizing.model_dump(by_alias=True), **vals}, where, prefix=f"orchestrator:overrides.{res}."
        )
        for res, vals in sorted(keys.overrides.items())
    }
    for res in overrides:
        if not re.match(r"^[a-z-]+:[A-Za-z0-9_./-]+$", res):
            raise BadInput(f"override key {res!r} must look like '<kind>:<name>', e.g. 'sql:orders'", where=where)
    if sizing.sql_min_capacity > sizing.sql_max_capacity:
        raise BadInput("orchestrator:sizing: sqlMinCapacity is above sqlMaxCapacity", where=where)
    if keys.env_type is EnvType.PRODUCTION and keys.pr is not None:
        raise BadInput("orchestrator:pr is only for ephemeral (preview) environments", where=where)
    if keys.base is not None:
        check_name(keys.base, where)
        if keys.base == name:
            raise BadInput(f"orchestrator:base: env {name} cannot be its own base", where=where)

    return Env(
        name=name,
        cloud=keys.cloud,
        env_type=keys.env_type,
        app=keys.app,
        sizing=sizing,
        overrides=overrides,
        base=keys.base,
        pr=keys.pr,
        ttl_hours=keys.ttl_hours,
        strategy=keys.preview_strategy,
        slot=keys.preview_slot,
        own_secrets=tuple(keys.preview_own_secrets),
        buckets=keys.preview_buckets,
        blocks=blocks,
        backend=keys.backend,
        secrets_provider=keys.secrets_provider or doc.get("secretsprovider"),
        runtime_config_size_limit=keys.runtime_config_size_limit,
        provider_config=provider,
        path=where,
    )


def validate(model: type[BaseModel], data: Any, where: str, *, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise BadInput(f"{prefix.rstrip('.:')} must be a mapping", where=where)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise BadInput(f"{prefix}{loc}: {msg}", where=where) from None

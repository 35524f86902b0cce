"""Environments from `stacks/Pulumi.<env>.yaml` (Pulumi's stack-config format).

Our keys live under the `orchestrator:` namespace beside the clouds' own keys
(`aws:region`, `gcp:project`, `azure-native:location`). Every unknown key and bad
value is a `BadInput` naming the file and the key.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator.core.errors import BadInput

Cloud = Literal["local", "aws", "gcp", "azure"]
CLOUDS: tuple[Cloud, ...] = ("local", "aws", "gcp", "azure")
ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$")
PROVIDER_NAMESPACES = {"aws", "gcp", "azure-native", "random", "pulumi"}
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
SAFETY_KEYS = ("deletion_protection", "protect", "force_destroy", "secret_recovery_days")


class LocalSettings(_Keys):
    """`orchestrator:local`: how the local target runs its servers."""

    postgres_port: int | None = Field(default=None, alias="postgresPort", ge=1024, le=65535)
    postgres_admin_url: str | None = Field(default=None, alias="postgresAdminUrl", pattern=r"^postgres(ql)?://")
    emulator_port: int | None = Field(default=None, alias="emulatorPort", ge=1024, le=65535)
    redis: Literal["memory", "server"] = "memory"
    redis_port: int | None = Field(default=None, alias="redisPort", ge=1024, le=65535)
    secrets_file: str | None = Field(default=None, alias="secretsFile")


class AwsSettings(_Keys):
    """`orchestrator:aws`: an existing network, engine mode and where the runtime config is uploaded."""

    vpc_id: str | None = Field(default=None, alias="vpcId", pattern=r"^vpc-[0-9a-f]{8,17}$")
    private_subnet_ids: tuple[str, ...] = Field(default=(), alias="privateSubnetIds")
    sql_mode: Literal["serverless", "provisioned"] = Field(default="serverless", alias="sqlMode")
    sql_instance_class: str = Field(
        default="db.r6g.large", alias="sqlInstanceClass", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$"
    )
    compute_principal: str = Field(default="ecs-tasks.amazonaws.com", alias="computePrincipal")
    availability_zones: tuple[str, ...] = Field(default=(), alias="availabilityZones")
    gateway_base_url: str = Field(default="", alias="gatewayBaseUrl", pattern=r"^(https?://\S+)?$")
    sql_ca_cert_pem: str | None = Field(default=None, alias="sqlCaCertPem", pattern=r"^-----BEGIN CERTIFICATE-----")


class OrchestratorKeys(_Keys):
    """Every key allowed under `orchestrator:`; anything else is an error."""

    cloud: Cloud
    env_type: EnvType = Field(alias="envType")
    app: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]{0,40}$")
    base: str | None = None
    pr: int | None = Field(default=None, ge=1)
    ttl_hours: int | None = Field(default=None, alias="ttlHours", ge=1, le=24 * 90)
    sizing: dict[str, Any] = Field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    local: LocalSettings = LocalSettings()
    aws: AwsSettings = AwsSettings()
    backend: str | None = Field(default=None, pattern=r"^(file|s3|gs|azblob|https)://")
    secrets_provider: str | None = Field(
        default=None, alias="secretsProvider", pattern=r"^(passphrase|awskms|gcpkms|azurekeyvault|hashivault)(://.*)?$"
    )
    runtime_config_size_limit: int = Field(default=96 * 1024, alias="runtimeConfigSizeLimit", ge=256)


class Env(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    cloud: Cloud
    env_type: EnvType
    app: str | None = None
    region: str | None = None
    project: str | None = None
    sizing: Sizing
    overrides: dict[str, Sizing] = Field(default_factory=dict)
    base: str | None = None
    pr: int | None = None
    ttl_hours: int | None = None
    local: LocalSettings = LocalSettings()
    aws: AwsSettings = AwsSettings()
    backend: str | None = None
    secrets_provider: str | None = None
    runtime_config_size_limit: int = 96 * 1024
    provider_config: dict[str, Any] = Field(default_factory=dict)
    path: str = ""

    @property
    def is_preview(self) -> bool:
        return self.env_type is EnvType.EPHEMERAL

    def sizing_for(self, key: str) -> Sizing:
        return self.overrides.get(key, self.sizing)


def stack_path(stacks_dir: Path, name: str) -> Path:
    return stacks_dir / f"Pulumi.{name}.yaml"


def list_envs(stacks_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml"))


def load(stacks_dir: Path, name: str) -> Env:
    path = stack_path(stacks_dir, name)
    if not ENV_NAME.match(name):
        raise BadInput(
            f"environment name {name!r} must be lowercase letters, digits and '-', 1-32 chars", where=str(path)
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        known = ", ".join(list_envs(stacks_dir)) or "none"
        raise BadInput(f"no such environment (known: {known})", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read: {exc}", where=str(path)) from None
    return parse(text, name=name, where=str(path))


def parse(text: str, *, name: str, where: str) -> Env:
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
        elif namespace in PROVIDER_NAMESPACES:
            provider[str(key)] = value
        else:
            raise BadInput(f"config key {key!r} has an unknown namespace {namespace!r}", where=where)

    keys = _validate(OrchestratorKeys, ours, where, prefix="orchestrator:")
    preset = PRESETS[keys.env_type]
    sizing = _validate(
        Sizing, {**preset.model_dump(by_alias=True), **keys.sizing}, where, prefix="orchestrator:sizing."
    )
    overrides = {
        res: _validate(
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

    region = _region(keys.cloud, provider, where)
    return Env(
        name=name,
        cloud=keys.cloud,
        env_type=keys.env_type,
        app=keys.app,
        region=region,
        project=provider.get("gcp:project"),
        sizing=sizing,
        overrides=overrides,
        base=keys.base,
        pr=keys.pr,
        ttl_hours=keys.ttl_hours,
        local=keys.local,
        aws=keys.aws,
        backend=keys.backend,
        secrets_provider=keys.secrets_provider or doc.get("secretsprovider"),
        runtime_config_size_limit=keys.runtime_config_size_limit,
        provider_config=provider,
        path=where,
    )


def _region(cloud: Cloud, provider: dict[str, Any], where: str) -> str | None:
    required = {"aws": "aws:region", "gcp": "gcp:project", "azure": "azure-native:location"}.get(cloud)
    if required and not isinstance(provider.get(required), str):
        raise BadInput(f"{required} is required for cloud {cloud!r}", where=where)
    if cloud == "aws":
        region = provider["aws:region"]
        if not re.match(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$", region):
            raise BadInput(f"aws:region {region!r} is not an AWS region name", where=where)
        return region
    if cloud == "gcp":
        return provider.get("gcp:region") or "us-central1"
    if cloud == "azure":
        return provider["azure-native:location"]
    return None


def _validate(model: type[_Keys], data: Any, where: str, *, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise BadInput(f"{prefix.rstrip('.:')} must be a mapping", where=where)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise BadInput(f"{prefix}{loc}: {msg}", where=where) from None

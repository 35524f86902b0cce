"""The `orchestrator:local` block of a stack file (the `settings` part): how the local target runs its servers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from orchestrator.core.envs import Env


class Settings(BaseModel):
    """`orchestrator:local`: ports, an external PostgreSQL, the redis mode and the secrets file."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    postgres_port: int | None = Field(default=None, alias="postgresPort", ge=1024, le=65535)
    postgres_admin_url: str | None = Field(default=None, alias="postgresAdminUrl", pattern=r"^postgres(ql)?://")
    emulator_port: int | None = Field(default=None, alias="emulatorPort", ge=1024, le=65535)
    redis: Literal["memory", "server"] = "memory"
    redis_port: int | None = Field(default=None, alias="redisPort", ge=1024, le=65535)
    secrets_file: str | None = Field(default=None, alias="secretsFile")


FIXED_PORTS = ("postgresPort", "emulatorPort", "redisPort")


def preview_block(block: dict[str, Any]) -> dict[str, Any]:
    """A preview env's `orchestrator:local` block, from its base's: without the base's fixed ports (an isolated one
    runs its own servers, on free ports; a shared one uses the base's, wherever they run)."""
    return {key: value for key, value in block.items() if key not in FIXED_PORTS}


def region(provider_config: Mapping[str, Any], where: str) -> str | None:
    """The local target has no region."""
    return None


def settings_of(env: Env) -> Settings:
    """The validated `orchestrator:local` block of a local env."""
    assert isinstance(env.settings, Settings), f"env {env.name} is not a local env"
    return env.settings

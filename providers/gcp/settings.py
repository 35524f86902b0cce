"""The `orchestrator:gcp` block of a stack file (the `settings` part; no keys yet) and the env's region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from orchestrator.core.errors import BadInput


class Settings(BaseModel):
    """`orchestrator:gcp`: no keys yet; any key is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def region(provider_config: Mapping[str, Any], where: str) -> str | None:
    """`gcp:region` (default us-central1); `gcp:project` is required."""
    if not isinstance(provider_config.get("gcp:project"), str):
        raise BadInput("gcp:project is required for cloud 'gcp'", where=where)
    return provider_config.get("gcp:region") or "us-central1"


def project(provider_config: Mapping[str, Any]) -> str | None:
    return provider_config.get("gcp:project")

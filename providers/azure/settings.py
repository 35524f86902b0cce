"""The `orchestrator:azure` block of a stack file (the `settings` part; no keys yet) and the env's region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from orchestrator.core.errors import BadInput


class Settings(BaseModel):
    """`orchestrator:azure`: no keys yet; any key is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def region(provider_config: Mapping[str, Any], where: str) -> str | None:
    """`azure-native:location`, required."""
    location = provider_config.get("azure-native:location")
    if not isinstance(location, str):
        raise BadInput("azure-native:location is required for cloud 'azure'", where=where)
    return location

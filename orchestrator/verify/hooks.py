"""Which target's `probes` part serves a runtime-config provider name (providers/probing.py has the contract)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from providers import registry


def probe(table: str, name: str | None) -> Any:
    """The entry `name` of table `table` (PUBSUB, BUCKET, CONFIG_FETCH, SECRET_PROVIDERS) of the first target
    whose probes part lists it, or None."""
    for probes in _probe_parts():
        found = getattr(probes, table, {}).get(name or "")
        if found is not None:
            return found
    return None


def secret_providers() -> Mapping[str, Any]:
    """Every target's secret-provider readers, by the config's provider kind."""
    readers: dict[str, Any] = {}
    for probes in _probe_parts():
        readers.update(getattr(probes, "SECRET_PROVIDERS", {}))
    return readers


@cache
def _probe_parts() -> tuple[Any, ...]:
    parts = []
    for target in registry.all_targets():
        module = f"providers.{target.name}.probes"
        try:
            parts.append(target.part("probes"))
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return tuple(parts)

"""Every target, one line each, imported only when asked for. Every list of clouds derives from here."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from providers.base import Target

TARGETS: dict[str, str] = {
    "local": "providers.local",
    "aws": "providers.aws",
    "gcp": "providers.gcp",
    "azure": "providers.azure",
}


def names() -> tuple[str, ...]:
    return tuple(TARGETS)


def get(name: str) -> Target:
    """The target `name` (its package's `TARGET`); KeyError for an unknown name. Imports no SDK."""
    return importlib.import_module(TARGETS[name]).TARGET


def all_targets() -> list[Target]:
    return [get(name) for name in TARGETS]

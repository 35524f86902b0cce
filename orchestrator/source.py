"""The app's metadata, read once per command and passed down: nothing after this reads it again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.core import appmeta
from orchestrator.core.model import App


@dataclass(frozen=True)
class Source:
    app: App
    meta: bytes
    """The binary metadata the runtime reads (ENCORE_APP_META_PATH)."""
    where: str
    """Where it came from: a path or `env:VAR`, for messages."""
    app_root: Path | None
    """The app's source tree (migrations): --app-root, else the metadata's directory."""


def read(meta: Path | str, *, app_root: Path | None = None) -> Source:
    app, data = appmeta.load_with_bytes(meta)
    where = str(meta)
    if app_root is None and not where.startswith("env:"):
        app_root = Path(meta).parent
    return Source(app=app, meta=data, where=where, app_root=app_root)

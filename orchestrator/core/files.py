"""Atomic file writes (a temporary file in the same directory, fsync, then rename) and versioned JSON documents."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from orchestrator.core.errors import BadInput


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


Model = TypeVar("Model", bound=BaseModel)


def load_versioned(data: bytes, model: type[Model], *, newest: int, what: str, where: str) -> Model:
    """A JSON document of `model` with a `format` number: unreadable, newer than `newest`, or wrong-shaped is a
    BadInput naming `what` (e.g. "deployment record") and `where`."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise BadInput(f"unreadable {what}: {exc}", where=where) from None
    version = doc.get("format") if isinstance(doc, dict) else None
    if isinstance(version, int) and version > newest:
        raise BadInput(f"{what} format {version} is newer than this orchestrator reads ({newest}); upgrade the "
                       "orchestrator", where=where)
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        at = ".".join(str(p) for p in first["loc"])
        raise BadInput(f"invalid {what}: {at}: {first['msg']}", where=where) from None

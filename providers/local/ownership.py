"""Proof that this env's state directory made a server, database, role, topic, queue or bucket.

The owner id is derived from a random secret kept in `<state dir>/owner` (mode 0600) *and* the state
directory's real path. A copy of the directory (`cp -a`) carries the secret but not the path, so the copy
derives another id and owns nothing; a moved or restored directory owns nothing until `orchestrator
takeover` re-binds it (which refuses while the original directory still exists).

Each thing we create carries `mark(owner)`: a file in a server's data directory, `COMMENT ON DATABASE/ROLE`,
a tag on emulator resources. Nothing is stopped, changed or dropped unless its mark equals ours.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from orchestrator.core.errors import BadInput, NotOwned
from orchestrator.core.files import write_atomic
from providers.local.state import refuse_foreign

OWNER_FILE = "owner"
MARK_PREFIX = "orchestrator-owner:"
TAG_KEY = "orchestrator-owner"
"""The tag (emulator resources) and file (server data directories) that carry the mark."""


@dataclass(frozen=True)
class Owner:
    id: str
    directory: Path

    @property
    def mark(self) -> str:
        return MARK_PREFIX + self.id


def _derive(secret: str, real: Path) -> str:
    return hashlib.sha256(f"{secret}\0{real}".encode()).hexdigest()[:32]


def _read(directory: Path) -> dict[str, str] | None:
    path = directory / OWNER_FILE
    refuse_foreign(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read the ownership file: {exc}", where=str(path)) from None
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) for k in ("secret", "path")):
        raise BadInput("not an ownership file (an object with `secret` and `path`)", where=str(path))
    return doc


def _write(directory: Path, secret: str) -> Owner:
    real = directory.resolve()
    doc = {"secret": secret, "path": str(real)}
    write_atomic(directory / OWNER_FILE, (json.dumps(doc) + "\n").encode(), mode=0o600)
    return Owner(_derive(secret, real), real)


def current(directory: Path) -> Owner | None:
    """The owner this state directory proves, None before its first deploy. A directory that was copied or
    moved (its recorded path is not its real path) proves nothing: NotOwned, naming both paths."""
    doc = _read(directory)
    if doc is None:
        return None
    real = directory.resolve()
    if doc["path"] != str(real):
        raise NotOwned(
            f"this state directory was made at {doc['path']}; a copied or moved one owns no servers "
            f"(if the original is gone, `orchestrator takeover` binds its servers to this one)",
            where=str(directory),
        )
    return Owner(_derive(doc["secret"], real), real)


def claim(directory: Path) -> Owner:
    """The owner of `directory`, created with a fresh secret on the first deploy."""
    return current(directory) or _write(directory, secrets.token_hex(16))


def previous(directory: Path) -> tuple[Owner, Owner]:
    """For `takeover`: (the owner the directory proved where it was made, the owner it will prove here).
    Refused while the original directory still holds the same secret (that is a copy, not a move)."""
    doc = _read(directory)
    if doc is None:
        raise BadInput("no ownership file: this directory never deployed anything", where=str(directory))
    origin, real = Path(doc["path"]), directory.resolve()
    if origin == real:
        raise BadInput("this state directory already owns its servers; nothing to take over", where=str(directory))
    if _still_there(origin, doc["secret"]):
        raise NotOwned(f"the original state directory {origin} still exists: a copy cannot take over its servers",
                       where=str(directory))
    return Owner(_derive(doc["secret"], origin), origin), Owner(_derive(doc["secret"], real), real)


def adopt(directory: Path) -> Owner:
    """Record this directory's real path as its own (after `takeover` re-marked everything)."""
    doc = _read(directory)
    assert doc is not None
    return _write(directory, doc["secret"])


def _still_there(origin: Path, secret: str) -> bool:
    try:
        doc = json.loads((origin / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("secret") == secret


def check(found: str | None, owner: Owner, what: str) -> None:
    """NotOwned unless `found` (the mark read from `what`) is ours."""
    if found == owner.mark:
        return
    holder = found.removeprefix(MARK_PREFIX) if found and found.startswith(MARK_PREFIX) else None
    who = f"another state directory (owner id {holder})" if holder else "nothing this orchestrator marked"
    raise NotOwned(f"owned by {who}, not by this env's state directory ({owner.directory}); leaving it alone",
                   where=what)


def read_file_mark(path: Path) -> str | None:
    """The mark kept in a server's data directory (no symlink followed), None when absent."""
    try:
        fd = os.open(path / TAG_KEY, os.O_RDONLY | os.O_NOFOLLOW)
    except (FileNotFoundError, NotADirectoryError):
        return None
    with os.fdopen(fd, encoding="utf-8") as fh:
        return fh.read().strip()


def write_file_mark(path: Path, owner: Owner) -> None:
    write_atomic(path / TAG_KEY, (owner.mark + "\n").encode(), mode=0o644)

"""Where deployment records live: `open_store(url, state_root)` -> a `Store`.

`file://<dir>` (or nothing) is the file store; `s3://bucket/prefix`, `gs://bucket/prefix` and
`azblob://container/prefix` keep the same layout in an object store (`object_store.py`: conditional writes,
locks that name their holder), each SDK imported on use. Callers hold `store.lock(env, ...)` around a deploy
or destroy and call `write`/`forget` inside it.
"""

from __future__ import annotations

import importlib
import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from orchestrator.core.errors import BadInput
from orchestrator.preview_record import PreviewEnv
from orchestrator.records import DeploymentRecord
from orchestrator.state.file_store import FileStore
from orchestrator.state.lock import Lease
from orchestrator.state.object_store import ObjectStore

OBJECT_STORES = {
    "s3": "orchestrator.state.s3:S3Blobs",
    "gs": "orchestrator.state.gcs:GcsBlobs",
    "azblob": "orchestrator.state.azblob:AzureBlobs",
}
"""URL scheme -> the `Blobs` class that serves it."""
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$")
_PREFIX_PART = re.compile(r"^[A-Za-z0-9._=-]+$")


class Store(Protocol):
    def read(self, env: str) -> DeploymentRecord | None:
        """The env's current record; None when it was never deployed or has been forgotten."""
        ...

    def write(self, record: DeploymentRecord) -> None:
        """Make `record` the env's current record and add it to the env's history."""
        ...

    def history(self, env: str) -> list[DeploymentRecord]:
        """Every record the env has had, newest first (kept after `forget`)."""
        ...

    def forget(self, env: str) -> None:
        """After a destroy: the env has no current record; its history stays."""
        ...

    def envs(self) -> list[str]:
        """Envs with a current record, sorted."""
        ...

    def read_preview(self, env: str) -> PreviewEnv | None:
        """The preview env descriptor of `env` (`orchestrator/preview_record.py`), None when it has none."""
        ...

    def write_preview(self, preview: PreviewEnv) -> None:
        """Create or replace `preview.env`'s descriptor (under the env's lock)."""
        ...

    def forget_preview(self, env: str) -> None:
        """Remove `env`'s descriptor after `preview-env down` removed everything; no-op when it has none."""
        ...

    def previews(self) -> list[PreviewEnv]:
        """Every preview env descriptor, by PR number."""
        ...

    def lock(
        self, env: str, command: str, timeout: float = 0.0, force_unlock: bool = False
    ) -> AbstractContextManager[Lease]:
        """The env's lock (see `orchestrator.state.lock`); raises Locked (exit 3) when another run holds it."""
        ...


def open_store(url: str | None, state_root: Path) -> Store:
    """None -> the file store under `<state_root>/state`; `file://<dir>` -> the file store in `<dir>`; an object
    store URL -> that bucket under that prefix."""
    if url is None:
        return FileStore(state_root / "state")
    if url.startswith("file://"):
        directory = url.removeprefix("file://")
        if not directory:
            raise BadInput("a file:// state store needs a directory, e.g. file:///srv/orchestrator-state", where=url)
        return FileStore(Path(directory).expanduser())
    scheme, sep, rest = url.partition("://")
    if sep and scheme in OBJECT_STORES:
        bucket, _, prefix = rest.partition("/")
        prefix = prefix.strip("/")
        if not _BUCKET.match(bucket):
            raise BadInput(f"a {scheme}:// state store needs a bucket (container) name: lowercase letters, digits, "
                           f"'.', '-', '_', e.g. {scheme}://my-state/orchestrator", where=url)
        if prefix and not all(_PREFIX_PART.match(part) for part in prefix.split("/")):
            raise BadInput("the state store prefix may hold letters, digits, '.', '_', '=', '-' and '/' between "
                           "them (no '..' or empty parts)", where=url)
        if prefix and any(part in (".", "..") for part in prefix.split("/")):
            raise BadInput("the state store prefix may not hold '.' or '..' parts", where=url)
        module, _, name = OBJECT_STORES[scheme].partition(":")
        blobs = getattr(importlib.import_module(module), name)(url, bucket, prefix)
        return ObjectStore(blobs)
    raise BadInput("unknown state store (use file://<dir>, s3://bucket/prefix, gs://bucket/prefix or "
                   "azblob://container/prefix)", where=url)

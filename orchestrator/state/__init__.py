"""Where deployment records live: `open_store(url, state_root)` -> a `Store`.

Only the file store exists today; `s3://`, `gs://` and `azblob://` stores are later issues and
are refused with an error that says so. Callers hold `store.lock(env, ...)` around a deploy
or destroy and call `write`/`forget` inside it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from orchestrator.core.errors import BadInput
from orchestrator.records import DeploymentRecord
from orchestrator.state.file_store import FileStore
from orchestrator.state.lock import Lease

LATER_SCHEMES = ("s3://", "gs://", "azblob://")


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

    def lock(
        self, env: str, command: str, timeout: float = 0.0, force_unlock: bool = False
    ) -> AbstractContextManager[Lease]:
        """The env's lock (see `orchestrator.state.lock`); raises Locked (exit 3) when another run holds it."""
        ...


def open_store(url: str | None, state_root: Path) -> Store:
    """None -> the file store under `<state_root>/state`; `file://<dir>` -> the file store in `<dir>`."""
    if url is None:
        return FileStore(state_root / "state")
    if url.startswith("file://"):
        directory = url.removeprefix("file://")
        if not directory:
            raise BadInput("a file:// state store needs a directory, e.g. file:///srv/orchestrator-state", where=url)
        return FileStore(Path(directory).expanduser())
    if url.startswith(LATER_SCHEMES):
        raise BadInput("this state store is not available yet (s3://, gs:// and azblob:// stores come later); "
                       "use file://<dir> or leave the state store unset", where=url)
    raise BadInput("unknown state store (use file://<dir>; s3://, gs:// and azblob:// come later)", where=url)

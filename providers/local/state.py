"""The local target's ledger: `.orchestrator/local/<env>/state.json`, what exists on this machine's servers.

Written atomically (mode 0600: it holds generated passwords). The env's lock is the state store's
(orchestrator/state), held by the pipeline around every command that changes the env.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator.core.errors import BadInput
from orchestrator.core.files import write_atomic

STATE_FILE = "state.json"
LOCK_FILE = "lock"
FORMAT = 1


def state_dir(state_root: Path, env: str) -> Path:
    """Absolute: servers run with their own working directories."""
    return (state_root / "local" / env).absolute()


def refuse_foreign(path: Path) -> None:
    """A symbolic link, or anything another user owns, where we keep our own state is refused: following or
    trusting it would let whoever planted it choose what we read, overwrite or delete."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    if stat.S_ISLNK(st.st_mode):
        raise BadInput("a symbolic link where the orchestrator keeps its own state; refusing to follow it",
                       where=str(path))
    if st.st_uid != os.geteuid():
        raise BadInput(f"owned by uid {st.st_uid}, not by this user (uid {os.geteuid()}); refusing state another "
                       "user could have written", where=str(path))


def ensure_dir(path: Path) -> Path:
    """Create `path` (mode 0700), or a BadInput naming it when it cannot be written or is not ours."""
    refuse_foreign(path)
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe = path / f".probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise BadInput(f"cannot write the state directory: {exc.strerror or exc}", where=str(path)) from None
    return path


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Resource(_Part):
    names: dict[str, str] = {}


class _PlannedResource(_Part):
    names: dict[str, str] = {}


class _Plan(_Part):
    resources: list[_PlannedResource] = []
    grants: list[Any] = []


class _Outputs(_Part):
    paths: dict[str, str] = {}
    env: dict[str, str] = {}


class _Shape(_Part):
    """What the target reads from state.json, checked before it is trusted (never repaired by guessing)."""

    format: int = FORMAT
    servers: dict[str, dict[str, Any]] = {}
    resources: dict[str, _Resource] = {}
    outputs: _Outputs | None = None
    plan: _Plan | None = None
    provisioned: dict[str, Any] | None = None


class State:
    """The JSON document of one local environment, saved after every step that changes the world."""

    def __init__(self, directory: Path, data: dict[str, Any]) -> None:
        self.dir = directory
        self.data = data

    @classmethod
    def load(cls, directory: Path) -> State:
        path = directory / STATE_FILE
        refuse_foreign(directory)
        refuse_foreign(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read the local state: {exc}", where=str(path)) from None
        if not isinstance(data, dict):
            raise BadInput("not a local state document (a JSON object)", where=str(path))
        try:
            _Shape.model_validate(data, strict=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(step) for step in first["loc"])
            raise BadInput(f"not a local state document: {field}: {first['msg']}", where=str(path)) from None
        if data.get("format", FORMAT) != FORMAT:
            raise BadInput(f"state format {data.get('format')} is not {FORMAT}", where=str(path))
        data.setdefault("format", FORMAT)
        data.setdefault("servers", {})
        data.setdefault("resources", {})
        return cls(directory, data)

    @property
    def exists(self) -> bool:
        return (self.dir / STATE_FILE).exists()

    @property
    def servers(self) -> dict[str, dict[str, Any]]:
        return self.data["servers"]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.data["resources"]

    def server(self, name: str) -> dict[str, Any]:
        return self.servers.setdefault(name, {})

    def save(self) -> None:
        text = json.dumps(self.data, indent=2, sort_keys=True) + "\n"
        write_atomic(self.dir / STATE_FILE, text.encode(), mode=0o600)

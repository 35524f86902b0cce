"""The file state store: deployment records as JSON files in a directory tree.

    <root>/envs/<env>/record.json                               the current record
    <root>/envs/<env>/history/<YYYYMMDDTHHMMSSZ>-<n>.json          every record written (n counts up per env)
    <root>/envs/<env>/history/<YYYYMMDDTHHMMSSZ>-<n>.forgotten.json  a tombstone: `forget` ran (after a destroy)
    <root>/envs/<env>/lock                                      the env's lock file
    <root>/envs/<env>/preview.json                              a preview env's descriptor (`preview-env up`)

Files are mode 0600 in 0700 directories and written atomically, history copy first, so
record.json never names a deploy whose history copy is missing. Write only while holding
`lock(env, ...)`: the history counter is read then incremented.
"""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.core.envs import ENV_NAME
from orchestrator.core.errors import BadInput
from orchestrator.core.files import load_versioned, write_atomic
from orchestrator.core.whoami import host_name, user_name
from orchestrator.preview_record import PreviewEnv
from orchestrator.records import RECORD_FORMAT, DeploymentRecord
from orchestrator.state.lock import FileLock, Lease

RECORD_FILE = "record.json"
PREVIEW_FILE = "preview.json"
HISTORY_DIR = "history"
LOCK_FILE = "lock"
TOMBSTONE_FORMAT = 1
_HISTORY_ENTRY = re.compile(r"^(?P<time>\d{8}T\d{6}Z)-(?P<n>\d+)(?P<forgotten>\.forgotten)?\.json$")


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root.absolute()

    def read(self, env: str) -> DeploymentRecord | None:
        path = self._env_dir(env) / RECORD_FILE
        if not path.exists():
            return None
        return _load(path)

    def write(self, record: DeploymentRecord) -> None:
        env_dir = self._env_dir(record.env)
        data = record.to_json().encode()
        stamp = record.deployed_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        write_atomic(self._history_dir(env_dir) / f"{stamp}-{self._next_n(env_dir)}.json", data, mode=0o600)
        write_atomic(env_dir / RECORD_FILE, data, mode=0o600)

    def history(self, env: str) -> list[DeploymentRecord]:
        entries = sorted(_entries(self._env_dir(env) / HISTORY_DIR), key=lambda e: e[0], reverse=True)
        return [_load(path) for _, path, forgotten in entries if not forgotten]

    def forget(self, env: str) -> None:
        """Remove record.json and leave a tombstone in the history; no-op when there is no current record."""
        env_dir = self._env_dir(env)
        current = env_dir / RECORD_FILE
        if not current.exists():
            return
        now = datetime.now(UTC).replace(microsecond=0)
        tombstone = {
            "format": TOMBSTONE_FORMAT,
            "env": env,
            "forgotten_at": now.isoformat(),
            "forgotten_by": f"{user_name()}@{host_name()}",
            "last_deployed_at": _load(current).deployed_at.isoformat(),
        }
        name = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{self._next_n(env_dir)}.forgotten.json"
        text = json.dumps(tombstone, indent=2, sort_keys=True) + "\n"
        write_atomic(self._history_dir(env_dir) / name, text.encode(), mode=0o600)
        current.unlink()

    def envs(self) -> list[str]:
        envs_dir = self.root / "envs"
        if not envs_dir.is_dir():
            return []
        return sorted(p.name for p in envs_dir.iterdir() if ENV_NAME.match(p.name) and (p / RECORD_FILE).exists())

    def read_preview(self, env: str) -> PreviewEnv | None:
        path = self._env_dir(env) / PREVIEW_FILE
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise BadInput(f"unreadable preview env descriptor: {exc.strerror or exc}", where=str(path)) from None
        return PreviewEnv.load(data, str(path))

    def write_preview(self, preview: PreviewEnv) -> None:
        env_dir = self._private_dir(self._env_dir(preview.env))
        write_atomic(env_dir / PREVIEW_FILE, preview.to_json().encode(), mode=0o600)

    def forget_preview(self, env: str) -> None:
        (self._env_dir(env) / PREVIEW_FILE).unlink(missing_ok=True)

    def previews(self) -> list[PreviewEnv]:
        envs_dir = self.root / "envs"
        if not envs_dir.is_dir():
            return []
        found = [self.read_preview(p.name) for p in envs_dir.iterdir() if ENV_NAME.match(p.name)]
        return sorted((p for p in found if p is not None), key=lambda p: p.pr)

    def lock(
        self, env: str, command: str, timeout: float = 0.0, force_unlock: bool = False
    ) -> AbstractContextManager[Lease]:
        lock = FileLock(self._private_dir(self._env_dir(env)) / LOCK_FILE)
        return lock.hold(command, timeout=timeout, force_unlock=force_unlock)

    def _env_dir(self, env: str) -> Path:
        if not ENV_NAME.match(env):
            raise BadInput(f"environment name {env!r} must be lowercase letters, digits and '-', 1-32 chars",
                           where=str(self.root))
        return self.root / "envs" / env

    def _history_dir(self, env_dir: Path) -> Path:
        return self._private_dir(env_dir / HISTORY_DIR)

    def _private_dir(self, path: Path) -> Path:
        """Create `path` and the store's directories above it, each mode 0700 (mkdir's `mode` covers only the last)."""
        levels = [path, *(p for p in path.parents if p.is_relative_to(self.root))]
        try:
            self.root.parent.mkdir(parents=True, exist_ok=True)
            for level in reversed(levels):
                level.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"cannot create the state directory: {exc.strerror or exc}", where=str(path)) from None
        return path

    def _next_n(self, env_dir: Path) -> int:
        return max((n for n, _, _ in _entries(env_dir / HISTORY_DIR)), default=0) + 1


def _entries(history_dir: Path) -> list[tuple[int, Path, bool]]:
    """(n, path, is a tombstone) of every history entry; other files are ignored."""
    if not history_dir.is_dir():
        return []
    out = []
    for path in history_dir.iterdir():
        m = _HISTORY_ENTRY.match(path.name)
        if m:
            out.append((int(m["n"]), path, bool(m["forgotten"])))
    return out


def _load(path: Path) -> DeploymentRecord:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"unreadable deployment record: {exc}", where=str(path)) from None
    return load_versioned(data, DeploymentRecord, newest=RECORD_FORMAT, what="deployment record", where=str(path))

"""A state store in an object store (S3, GCS, Azure Blob) with the file store's layout and meaning.

    <prefix>/envs/<env>/record.json                                   the current record
    <prefix>/envs/<env>/history/<YYYYMMDDTHHMMSSZ>-<n>.json           every record written
    <prefix>/envs/<env>/history/<YYYYMMDDTHHMMSSZ>-<n>.forgotten.json a tombstone (after a destroy)
    <prefix>/envs/<env>/lock                                          the env's lock: its holder, as JSON
    <prefix>/envs/<env>/preview.json                                  a preview env's descriptor

Every write is conditional (`Blobs`: create only if absent, replace or delete only the version read), so a
concurrent update is refused, never lost: a history entry is created only under a number nobody took, the
current record is replaced only if it is still the one this run read, and the lock exists at most once.
A refused write raises Locked (exit 3) and leaves what the other run wrote.

An object store cannot tell whether a lock's holder still runs (a kernel releases an flock; nothing releases
an object), so a lock whose holder is a dead process on this host is taken over, and any other is reported with
its holder and age until it is released or removed with `--force-unlock`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Protocol

from orchestrator.core.envs import ENV_NAME
from orchestrator.core.errors import BadInput, Locked
from orchestrator.core.files import load_versioned
from orchestrator.core.whoami import host_name, user_name
from orchestrator.preview_record import PreviewEnv
from orchestrator.records import RECORD_FORMAT, DeploymentRecord
from orchestrator.state.lock import POLL_SECONDS, Holder, Lease

RECORD = "record.json"
PREVIEW = "preview.json"
LOCK = "lock"
TOMBSTONE_FORMAT = 1
_HISTORY_ENTRY = re.compile(r"/history/(?P<time>\d{8}T\d{6}Z)-(?P<n>\d+)(?P<forgotten>\.forgotten)?\.json$")


class Conflict(Exception):
    """A conditional write or delete was refused: the object exists, or is no longer the version read."""


class Blobs(Protocol):
    """One bucket (or container) under one prefix; versions are ETags or generations, opaque here."""

    where: str
    """The store's URL, for messages."""

    def get(self, key: str) -> tuple[bytes, str] | None:
        """The object's bytes and version; None when it does not exist."""
        ...

    def create(self, key: str, data: bytes) -> str:
        """Write `key` only if it does not exist (else Conflict); returns its version."""
        ...

    def replace(self, key: str, data: bytes, version: str) -> str:
        """Overwrite `key` only if it is still at `version` (else Conflict); returns the new version."""
        ...

    def delete(self, key: str, version: str) -> None:
        """Delete `key` only if it is still at `version` (else Conflict; gone already is fine)."""
        ...

    def keys(self, prefix: str) -> list[str]:
        """Every key under `prefix` (all pages)."""
        ...


class ObjectStore:
    def __init__(self, blobs: Blobs) -> None:
        self.blobs = blobs

    def read(self, env: str) -> DeploymentRecord | None:
        found = self.blobs.get(self._key(env, RECORD))
        return None if found is None else self._load(found[0], self._key(env, RECORD))

    def write(self, record: DeploymentRecord) -> None:
        """History entry first (create-only), then the current record (only if unchanged since read); when the
        second is refused, the first is taken back, so the history holds exactly the records that became current."""
        current = self.blobs.get(self._key(record.env, RECORD))
        data = record.to_json().encode()
        stamp = record.deployed_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        entry = self._key(record.env, f"history/{stamp}-{self._next_n(record.env)}.json")
        version = self._create(entry, data, record.env)
        try:
            self._put(self._key(record.env, RECORD), data, None if current is None else current[1], record.env)
        except Locked:
            self.blobs.delete(entry, version)
            raise

    def history(self, env: str) -> list[DeploymentRecord]:
        out = []
        for _, key, forgotten in sorted(self._entries(env), key=lambda e: e[0], reverse=True):
            found = None if forgotten else self.blobs.get(key)
            if found is not None:
                out.append(self._load(found[0], key))
        return out

    def forget(self, env: str) -> None:
        key = self._key(env, RECORD)
        current = self.blobs.get(key)
        if current is None:
            return
        now = datetime.now(UTC).replace(microsecond=0)
        tombstone = {
            "format": TOMBSTONE_FORMAT,
            "env": env,
            "forgotten_at": now.isoformat(),
            "forgotten_by": f"{user_name()}@{host_name()}",
            "last_deployed_at": self._load(current[0], key).deployed_at.isoformat(),
        }
        name = f"history/{now.strftime('%Y%m%dT%H%M%SZ')}-{self._next_n(env)}.forgotten.json"
        self._create(self._key(env, name), (json.dumps(tombstone, indent=2, sort_keys=True) + "\n").encode(), env)
        try:
            self.blobs.delete(key, current[1])
        except Conflict:
            raise _concurrent(env, self.blobs.where) from None

    def envs(self) -> list[str]:
        found = set()
        for key in self.blobs.keys("envs/"):
            parts = key.split("/")
            if len(parts) == 3 and parts[2] == RECORD and ENV_NAME.match(parts[1]):
                found.add(parts[1])
        return sorted(found)

    def read_preview(self, env: str) -> PreviewEnv | None:
        key = self._key(env, PREVIEW)
        found = self.blobs.get(key)
        return None if found is None else PreviewEnv.load(found[0], f"{self.blobs.where}/{key}")

    def write_preview(self, preview: PreviewEnv) -> None:
        key = self._key(preview.env, PREVIEW)
        current = self.blobs.get(key)
        self._put(key, preview.to_json().encode(), None if current is None else current[1], preview.env)

    def forget_preview(self, env: str) -> None:
        key = self._key(env, PREVIEW)
        current = self.blobs.get(key)
        if current is None:
            return
        try:
            self.blobs.delete(key, current[1])
        except Conflict:
            raise _concurrent(env, self.blobs.where) from None

    def previews(self) -> list[PreviewEnv]:
        found = []
        for key in self.blobs.keys("envs/"):
            parts = key.split("/")
            if len(parts) == 3 and parts[2] == PREVIEW and ENV_NAME.match(parts[1]):
                preview = self.read_preview(parts[1])
                if preview is not None:
                    found.append(preview)
        return sorted(found, key=lambda p: p.pr)

    @contextmanager
    def lock(self, env: str, command: str, timeout: float = 0.0, force_unlock: bool = False) -> Iterator[Lease]:
        key = self._key(env, LOCK)
        holder = Holder.current(command)
        stale: Holder | None = None
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            try:
                version = self.blobs.create(key, holder.to_json().encode())
                break
            except Conflict:
                pass
            found = self.blobs.get(key)
            if found is None:
                continue  # released between our create and our read
            other = Holder.parse(found[0].decode("utf-8", "replace"))
            if _dead_here(other) or (force_unlock and not (other is not None and other.alive_here())):
                try:
                    self.blobs.delete(key, found[1])
                except Conflict:
                    continue  # changed hands meanwhile: look again
                stale = other
                continue
            if time.monotonic() >= deadline:
                raise _locked(other, timeout, force_unlock, f"{self.blobs.where}/{key}")
            time.sleep(POLL_SECONDS)
        try:
            yield Lease(holder=holder, stale=stale)
        finally:
            with suppress(Conflict):  # removed with --force-unlock by another run: it is that run's lock now
                self.blobs.delete(key, version)

    def _key(self, env: str, name: str) -> str:
        if not ENV_NAME.match(env):
            raise BadInput(f"environment name {env!r} must be lowercase letters, digits and '-', 1-32 chars",
                           where=self.blobs.where)
        return f"envs/{env}/{name}"

    def _entries(self, env: str) -> list[tuple[int, str, bool]]:
        out = []
        for key in self.blobs.keys(self._key(env, "history/")):
            m = _HISTORY_ENTRY.search(key)
            if m:
                out.append((int(m["n"]), key, bool(m["forgotten"])))
        return out

    def _next_n(self, env: str) -> int:
        return max((n for n, _, _ in self._entries(env)), default=0) + 1

    def _create(self, key: str, data: bytes, env: str) -> str:
        try:
            return self.blobs.create(key, data)
        except Conflict:
            raise _concurrent(env, self.blobs.where) from None

    def _put(self, key: str, data: bytes, version: str | None, env: str) -> None:
        try:
            if version is None:
                self.blobs.create(key, data)
            else:
                self.blobs.replace(key, data, version)
        except Conflict:
            raise _concurrent(env, self.blobs.where) from None

    def _load(self, data: bytes, key: str) -> DeploymentRecord:
        return load_versioned(data, DeploymentRecord, newest=RECORD_FORMAT, what="deployment record",
                              where=f"{self.blobs.where}/{key}")

def _dead_here(holder: Holder | None) -> bool:
    return holder is not None and holder.host == host_name() and not holder.alive_here()


def _concurrent(env: str, where: str) -> Locked:
    return Locked(f"env {env}: another run changed the env's records at the same time; its write is kept and this "
                  "one was refused (nothing was lost); look at `orchestrator status` and rerun", where=where)


def _locked(holder: Holder | None, timeout: float, force_unlock: bool, where: str) -> Locked:
    who = f"locked by {holder.describe()}" if holder else "locked by a lock object that names no holder"
    waited = f" (waited {timeout:g}s)" if timeout > 0 else ""
    if force_unlock:
        advice = "that process is still running on this host, and a live run's lock is never broken"
    else:
        advice = ("wait for it with --lock-timeout SECONDS, or if that run is gone (a remote store cannot tell), "
                  "rerun with --force-unlock to remove its lock")
    return Locked(f"{who}{waited}; {advice}", where=where)

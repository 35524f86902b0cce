"""`gs://bucket/prefix`: the object store on Google Cloud Storage (google-cloud-storage, imported on use).

Conditional writes are generation preconditions: `if_generation_match=0` creates only, `=<generation>`
replaces or deletes only that generation (412 when refused). Credentials come from Application Default
Credentials; `STORAGE_EMULATOR_HOST` points the SDK at an emulator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from orchestrator.core.errors import MissingTool, OrchestratorError
from orchestrator.state.object_store import Conflict

T = TypeVar("T")


class GcsBlobs:
    def __init__(self, url: str, bucket: str, prefix: str) -> None:
        try:
            from google.cloud import storage
        except ImportError:
            raise MissingTool("the gs:// state store needs google-cloud-storage: pip install "
                              "'encore-orchestrator[gcs]'", where=url) from None
        self.where = url
        self.prefix = prefix
        self.client: Any = storage.Client()
        self.bucket: Any = self.client.bucket(bucket)

    def get(self, key: str) -> tuple[bytes, str] | None:
        from google.api_core import exceptions

        while True:
            blob = self._call("read", key, lambda: self.bucket.get_blob(self._full(key)))
            if blob is None:
                return None
            try:
                data = blob.download_as_bytes(if_generation_match=blob.generation)
            except (exceptions.PreconditionFailed, exceptions.NotFound):
                continue  # replaced or deleted between the two calls: read the new one
            except Exception as exc:
                raise self._failure("read", key, exc) from None
            return data, str(blob.generation)

    def create(self, key: str, data: bytes) -> str:
        return self._upload(key, data, 0)

    def replace(self, key: str, data: bytes, version: str) -> str:
        return self._upload(key, data, int(version))

    def delete(self, key: str, version: str) -> None:
        from google.api_core import exceptions

        try:
            self._call("delete", key, lambda: self.bucket.delete_blob(self._full(key),
                                                                       if_generation_match=int(version)))
        except exceptions.NotFound:
            return

    def keys(self, prefix: str) -> list[str]:
        names = self._call("list", prefix, lambda: [b.name for b in self.client.list_blobs(
            self.bucket, prefix=self._full(prefix))])
        return [name.removeprefix(self._full("")) for name in names]

    def _upload(self, key: str, data: bytes, generation: int) -> str:
        blob = self.bucket.blob(self._full(key))
        self._call("write", key, lambda: blob.upload_from_string(data, if_generation_match=generation))
        return str(blob.generation)

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, verb: str, key: str, call: Callable[[], T]) -> T:
        from google.api_core import exceptions

        try:
            return call()
        except exceptions.PreconditionFailed:
            raise Conflict(key) from None
        except exceptions.NotFound:
            if verb == "delete":
                raise
            raise self._failure(verb, key, RuntimeError("the bucket does not exist")) from None
        except Exception as exc:
            raise self._failure(verb, key, exc) from None

    def _failure(self, verb: str, key: str, exc: Exception) -> OrchestratorError:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return OrchestratorError(f"cannot {verb} the state store object {key}: {first}", where=self.where)

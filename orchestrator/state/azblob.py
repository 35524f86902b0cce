"""`azblob://container/prefix`: the object store on Azure Blob Storage (azure-storage-blob, imported on use).

Conditional writes are Azure's: an upload without overwrite creates only (`If-None-Match: *`), an upload or
delete with `etag` + `MatchConditions.IfNotModified` touches only that version (412 when refused). The account
comes from `AZURE_STORAGE_CONNECTION_STRING` (also how an emulator such as Azurite is reached), else from
`AZURE_STORAGE_ACCOUNT` with azure-identity's default credential chain.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from orchestrator.core.errors import BadInput, MissingTool, OrchestratorError
from orchestrator.state.object_store import Conflict

T = TypeVar("T")
CONNECTION_VAR = "AZURE_STORAGE_CONNECTION_STRING"
ACCOUNT_VAR = "AZURE_STORAGE_ACCOUNT"


class AzureBlobs:
    def __init__(self, url: str, container: str, prefix: str) -> None:
        try:
            from azure.storage.blob import BlobServiceClient
        except ImportError:
            raise MissingTool("the azblob:// state store needs azure-storage-blob: pip install "
                              "'encore-orchestrator[azblob]'", where=url) from None
        self.where = url
        self.prefix = prefix
        if os.environ.get(CONNECTION_VAR):
            service = BlobServiceClient.from_connection_string(os.environ[CONNECTION_VAR])
        elif os.environ.get(ACCOUNT_VAR):
            service = BlobServiceClient(f"https://{os.environ[ACCOUNT_VAR]}.blob.core.windows.net",
                                        credential=_default_credential(url))
        else:
            raise BadInput(f"an azblob:// state store needs {CONNECTION_VAR} or {ACCOUNT_VAR} set", where=url)
        self.container: Any = service.get_container_client(container)

    def get(self, key: str) -> tuple[bytes, str] | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            download = self._call("read", key, lambda: self.container.get_blob_client(self._full(key)).download_blob())
        except ResourceNotFoundError:
            return None
        return self._call("read", key, download.readall), str(download.properties.etag)

    def create(self, key: str, data: bytes) -> str:
        done = self._call("write", key, lambda: self._blob(key).upload_blob(data, overwrite=False))
        return str(done["etag"])

    def replace(self, key: str, data: bytes, version: str) -> str:
        from azure.core import MatchConditions

        done = self._call("write", key, lambda: self._blob(key).upload_blob(
            data, overwrite=True, etag=version, match_condition=MatchConditions.IfNotModified))
        return str(done["etag"])

    def delete(self, key: str, version: str) -> None:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self._call("delete", key, lambda: self._blob(key).delete_blob(
                etag=version, match_condition=MatchConditions.IfNotModified))
        except ResourceNotFoundError:
            return

    def keys(self, prefix: str) -> list[str]:
        names = self._call("list", prefix, lambda: [b.name for b in self.container.list_blobs(
            name_starts_with=self._full(prefix))])
        return [name.removeprefix(self._full("")) for name in names]

    def _blob(self, key: str) -> Any:
        return self.container.get_blob_client(self._full(key))

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, verb: str, key: str, call: Callable[[], T]) -> T:
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError

        try:
            return call()
        except (ResourceExistsError, ResourceModifiedError) as exc:
            if getattr(exc, "error_code", None) == "ContainerNotFound":
                raise self._failure(verb, key, exc) from None
            raise Conflict(key) from None
        except ResourceNotFoundError as exc:
            if getattr(exc, "error_code", None) in ("BlobNotFound", None):
                raise
            raise self._failure(verb, key, exc) from None
        except Exception as exc:
            raise self._failure(verb, key, exc) from None

    def _failure(self, verb: str, key: str, exc: Exception) -> OrchestratorError:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return OrchestratorError(f"cannot {verb} the state store object {key}: {first}", where=self.where)


def _default_credential(url: str) -> Any:
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise MissingTool("an azblob:// state store without a connection string needs azure-identity: pip install "
                          "'encore-orchestrator[azblob]'", where=url) from None
    return DefaultAzureCredential()

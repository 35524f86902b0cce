"""`s3://bucket/prefix`: the object store on Amazon S3 (boto3, imported on use).

Conditional writes are S3's own: PutObject with `If-None-Match: *` creates only, with `If-Match: <etag>`
replaces only that version, DeleteObject with `If-Match` deletes only that version (412 when refused).
Credentials, region and endpoint come from boto3's usual chain (`AWS_PROFILE`, `AWS_REGION`,
`AWS_ENDPOINT_URL_S3`, ...).
"""

from __future__ import annotations

from typing import Any

from orchestrator.core.errors import MissingTool, OrchestratorError
from orchestrator.state.object_store import Conflict

_REFUSED = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class S3Blobs:
    def __init__(self, url: str, bucket: str, prefix: str) -> None:
        try:
            import boto3
        except ImportError:
            raise MissingTool("the s3:// state store needs boto3: pip install 'encore-orchestrator[s3]'",
                              where=url) from None
        self.where = url
        self.bucket = bucket
        self.prefix = prefix
        self.client: Any = boto3.client("s3")

    def get(self, key: str) -> tuple[bytes, str] | None:
        try:
            got = self._call("read", key, self.client.get_object, Bucket=self.bucket, Key=self._full(key))
        except _Missing:
            return None
        return got["Body"].read(), got["ETag"]

    def create(self, key: str, data: bytes) -> str:
        return self._call("write", key, self.client.put_object, Bucket=self.bucket, Key=self._full(key), Body=data,
                          IfNoneMatch="*")["ETag"]

    def replace(self, key: str, data: bytes, version: str) -> str:
        return self._call("write", key, self.client.put_object, Bucket=self.bucket, Key=self._full(key), Body=data,
                          IfMatch=version)["ETag"]

    def delete(self, key: str, version: str) -> None:
        try:
            self._call("delete", key, self.client.delete_object, Bucket=self.bucket, Key=self._full(key),
                       IfMatch=version)
        except _Missing:
            return

    def keys(self, prefix: str) -> list[str]:
        out: list[str] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._full(prefix))
        try:
            for page in pages:
                out += [obj["Key"].removeprefix(self._full("")) for obj in page.get("Contents", ())]
        except Exception as exc:
            raise self._failure("list", prefix, exc) from None
        return out

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, verb: str, key: str, method: Any, **kw: Any) -> Any:
        from botocore.exceptions import ClientError

        try:
            return method(**kw)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _REFUSED:
                raise Conflict(key) from None
            if code in _MISSING:
                raise _Missing() from None
            raise self._failure(verb, key, exc) from None
        except Exception as exc:
            raise self._failure(verb, key, exc) from None

    def _failure(self, verb: str, key: str, exc: Exception) -> OrchestratorError:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return OrchestratorError(f"cannot {verb} the state store object {key}: {first}", where=self.where)


class _Missing(Exception):
    pass

"""A shared preview env's key prefix in a bucket its base env lends, as a Pulumi dynamic resource.

Creating it makes nothing (the runtime writes under the prefix); deleting it (`orchestrator preview-env down`)
deletes every object version and delete marker under the prefix, and nothing outside it. boto3 runs wherever
Pulumi runs, with the deploying identity; the provider is pickled by reference (this package must be importable).
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi.dynamic

from orchestrator.core.errors import BadInput, OrchestratorError

PREFIX = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]/$")
"""An env name and `/` (providers/aws/shares.py `key_prefix`): never empty, never a pattern."""
BATCH = 1000
"""DeleteObjects takes at most 1000 keys."""
IDENTITY = ("bucket", "prefix")


def empty(bucket: str, prefix: str, *, region: str | None, client: Any = None) -> int:
    """Delete every version and delete marker under `prefix` in `bucket`; returns how many were deleted."""
    if not PREFIX.match(prefix):
        raise BadInput(f"refusing to empty {prefix!r}: not a preview env's key prefix", where=f"bucket {bucket}")
    from botocore.exceptions import BotoCoreError, ClientError

    if client is None:
        import boto3

        client = boto3.client("s3", region_name=region)
    deleted = 0
    try:
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            listed = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            found = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in listed if v["Key"].startswith(prefix)]
            for start in range(0, len(found), BATCH):
                batch = found[start:start + BATCH]
                client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
                deleted += len(batch)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise OrchestratorError(f"emptying {prefix} failed: {err.get('Code')}: {err.get('Message')}",
                                where=f"bucket {bucket}") from None
    except BotoCoreError as exc:
        raise OrchestratorError(f"emptying {prefix} failed: {exc}", where=f"bucket {bucket}") from None
    return deleted


class _Provider(pulumi.dynamic.ResourceProvider):
    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        return pulumi.dynamic.CreateResult(id_=f"{props['bucket']}/{props['prefix']}", outs=props)

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        changed = [k for k in IDENTITY if _olds.get(k) != _news.get(k)]
        return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=changed)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        empty(_props["bucket"], _props["prefix"], region=_props.get("region"))


class BucketPrefix(pulumi.dynamic.Resource, module="orchestrator", name="BucketPrefix"):
    def __init__(self, name: str, *, bucket: str, prefix: str, region: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__(_Provider(), name, {"bucket": bucket, "prefix": prefix, "region": region}, opts)

"""Buckets on the local target: S3 buckets on the AWS-API emulator (versioning and public access honoured)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from orchestrator.core.model import Bucket
from providers.base import Context, Deployed
from providers.local import servers
from providers.local.session import EMULATOR_KEY, REGION

if TYPE_CHECKING:
    from orchestrator.core.plan import PlannedResource
    from providers.local.session import Session


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: Session = ctx.target
    bucket = res.spec
    assert isinstance(bucket, Bucket)
    s3 = session.aws("s3")
    name = res.names["bucket"]
    session.record(res.key)["server"] = servers.EMULATOR.name
    if not _exists(s3, name):
        s3.create_bucket(Bucket=name)
    status = s3.get_bucket_versioning(Bucket=name).get("Status")
    if bucket.versioned and status != "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    elif not bucket.versioned and status == "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    if bucket.public:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read_policy(name)))
    else:
        s3.delete_bucket_policy(Bucket=name)
    record: dict[str, Any] = {"encore_name": bucket.name, "cloud_name": name}
    if bucket.public:
        record["public_base_url"] = f"{session.emulator_url}/{name}"
    fragment = {
        "object_storage": {
            "provider": "s3",
            "region": REGION,
            "endpoint": session.emulator_url,
            "access_key_id": EMULATOR_KEY,
            "secret_access_key": {"value": EMULATOR_KEY},
            "buckets": [record],
        }
    }
    return Deployed(provisioned=fragment, grants_target={"*": f"arn:aws:s3:::{name}"})


def public_read_policy(name: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/*",
            }
        ],
    }


def _exists(s3: Any, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise
    return True


def empty_and_delete(s3: Any, name: str) -> None:
    if not _exists(s3, name):
        return
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
    s3.delete_bucket(Bucket=name)


def remove(session: Session, key: str, rec: dict[str, Any]) -> None:
    name = rec.get("names", {}).get("bucket")
    if name:
        empty_and_delete(session.aws("s3"), name)


def sweep(session: Session, prefix: str, keep: set[str]) -> list[str]:
    s3 = session.aws("s3")
    dropped = []
    for b in s3.list_buckets().get("Buckets", []):
        if b["Name"].startswith(prefix) and b["Name"] not in keep:
            empty_and_delete(s3, b["Name"])
            dropped.append(f"bucket {b['Name']}")
    return dropped

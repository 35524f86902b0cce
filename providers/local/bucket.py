"""Buckets on the local target: S3 buckets on the AWS-API emulator (versioning and public access honoured).

Every bucket carries the tag `orchestrator-owner` = this env's ownership mark (providers/local/ownership.py); one
with another mark, or none, is never altered or deleted (NotOwned, naming it).

A shared preview env (`Session.lender`) keeps its objects under the key prefix `pr-N/` inside its base's bucket of
the same Encore name (the runtime config's `key_prefix`, prepended to every key by the Rust core,
runtimes/core/src/objects/s3/bucket.rs `obj_name`, and the Go runtime, runtimes/go/storage/objects/bucket.go
`baseCloudPrefix`); a public bucket's base URL includes the prefix, as neither runtime adds it to public URLs
(runtimes/core/src/objects/mod.rs `public_url`, bucket.go `PublicURL`). A bucket its base lacks is its own.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from orchestrator.core.errors import BadInput
from orchestrator.core.faults import crashpoint
from orchestrator.core.model import Bucket, Kind
from providers.base import Context, Deployed
from providers.local import ownership, servers
from providers.local.servers.emulator import emulator_list
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
    rec = session.record(res.key)
    rec["server"] = servers.EMULATOR.name
    prefixed = session.lender is not None and ctx.plan.env.prefixes_buckets
    lent = (ctx.plan.borrowed or {}).get("buckets", {}).get(bucket.name) if prefixed else None
    if lent is not None:
        if not _exists(s3, lent):
            raise BadInput(f"base env's bucket {lent} is missing from its emulator: redeploy the base env",
                           where=f"bucket {bucket.name}")
        rec.update(bucket=lent, key_prefix=prefix_of(session))
        return Deployed(provisioned=_fragment(session, bucket, lent, rec["key_prefix"]),
                        grants_target={"*": f"arn:aws:s3:::{lent}/{rec['key_prefix']}*"})
    owner = ownership.claim(session.dir)
    if _exists(s3, name):
        mark = _mark(s3, name)
        if not _half_made(s3, name, mark, res.key in session.resumed):
            ownership.check(mark, owner, f"bucket {name}")
            owner = None
    else:
        s3.create_bucket(Bucket=name)
        crashpoint(f"made:{res.key}")
    if owner is not None:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": ownership.TAG_KEY, "Value": owner.mark}]})
    status = s3.get_bucket_versioning(Bucket=name).get("Status")
    if bucket.versioned and status != "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    elif not bucket.versioned and status == "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    if bucket.public:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read_policy(name)))
    else:
        s3.delete_bucket_policy(Bucket=name)
    return Deployed(provisioned=_fragment(session, bucket, name, None), grants_target={"*": f"arn:aws:s3:::{name}"})


def prefix_of(session: Session) -> str:
    """A shared preview env's key prefix in its base's buckets: its env name (`pr-N/`)."""
    return f"{session.env.name}/"


def _fragment(session: Session, bucket: Bucket, name: str, prefix: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {"encore_name": bucket.name, "cloud_name": name}
    if prefix is not None:
        record["key_prefix"] = prefix
    if bucket.public:
        record["public_base_url"] = f"{session.emulator_url}/{name}" + (f"/{prefix.rstrip('/')}" if prefix else "")
    return {
        "object_storage": {
            "provider": "s3",
            "region": REGION,
            "endpoint": session.emulator_url,
            "access_key_id": EMULATOR_KEY,
            "secret_access_key": {"value": EMULATOR_KEY},
            "buckets": [record],
        }
    }


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


def _mark(s3: Any, name: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchTagSet":
            return None
        raise
    return next((t["Value"] for t in tags if t["Key"] == ownership.TAG_KEY), None)


def _holds_objects(s3: Any, name: str) -> bool:
    page = s3.list_object_versions(Bucket=name, MaxKeys=1)
    return bool(page.get("Versions") or page.get("DeleteMarkers"))


def delete_prefix(s3: Any, name: str, prefix: str) -> None:
    """Every version and delete marker under `prefix` (ending in `/`: `pr-1/` is not `pr-10/`'s)."""
    assert prefix.endswith("/")
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name, Prefix=prefix):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            if v["Key"].startswith(prefix)
        ]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})


def empty_and_delete(s3: Any, name: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
    s3.delete_bucket(Bucket=name)


def remove(session: Session, key: str, rec: dict[str, Any]) -> None:
    """Empty and delete the bucket (its removal was approved with --allow-destroy); not ours: NotOwned. A shared
    preview env's objects under its prefix in its base's bucket go, and the bucket stays."""
    s3 = session.aws("s3")
    if rec.get("key_prefix"):
        if _exists(s3, rec["bucket"]):
            delete_prefix(s3, rec["bucket"], rec["key_prefix"])
        return
    name = rec.get("names", {}).get("bucket")
    if name and _exists(s3, name):
        mark = _mark(s3, name)
        if not _half_made(s3, name, mark, rec.get("status") == "pending"):
            ownership.check(mark, ownership.claim(session.dir), f"bucket {name}")
        empty_and_delete(s3, name)


def _half_made(s3: Any, name: str, mark: str | None, intended: bool) -> bool:
    """CreateBucket cannot tag: a run of this env killed between it and PutBucketTagging leaves the bucket
    unmarked. It is this env's when its intent is still on disk (`intended`) and it holds no object yet."""
    return mark is None and intended and not _holds_objects(s3, name)


def sweep(session: Session, keep: set[str], *, allow_destroy: bool) -> list[str]:
    """Delete the buckets tagged with this env's mark that the plan does not name (never by name: only the tag
    says what is ours). One holding objects is removed only with --allow-destroy (else BadInput, listing them,
    before anything is deleted)."""
    s3, owner = session.aws("s3"), ownership.claim(session.dir)
    ours = sorted(
        b["Name"] for b in s3.list_buckets().get("Buckets", [])
        if b["Name"] not in keep and _mark(s3, b["Name"]) == owner.mark
    )
    full = [name for name in ours if _holds_objects(s3, name)]
    if full and not allow_destroy:
        raise BadInput(
            f"{len(full)} bucket(s) this env made but no longer records hold objects: {', '.join(full)}; "
            "nothing was removed; rerun with --allow-destroy to remove them",
            where=f"emulator {session.emulator_url}",
        )
    for name in ours:
        empty_and_delete(s3, name)
    return [f"bucket {name}" for name in ours]


def retag(session: Session, previous: ownership.Owner, owner: ownership.Owner) -> list[str]:
    """For `takeover`: every bucket carrying `previous`'s mark gets `owner`'s (its other tags kept)."""
    s3 = session.aws("s3")
    done = []
    for name in sorted(b["Name"] for b in s3.list_buckets().get("Buckets", [])):
        if _mark(s3, name) == previous.mark:
            others = [t for t in s3.get_bucket_tagging(Bucket=name)["TagSet"] if t["Key"] != ownership.TAG_KEY]
            tags = [*others, {"Key": ownership.TAG_KEY, "Value": owner.mark}]
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
            done.append(f"bucket {name}")
    return done


def missing(port: int, records: dict[str, dict[str, Any]]) -> list[str]:
    """The buckets `records` (the state's resources) hold as made that the emulator on `port` does not (reset or
    restarted), as `bucket <name>`."""
    wanted = [
        rec.get("bucket") or rec["names"]["bucket"]
        for key, rec in records.items()
        if key.startswith(f"{Kind.BUCKET.value}:") and rec.get("status") == "ready"
        and rec.get("names", {}).get("bucket")
    ]
    if not wanted:
        return []
    held = set(emulator_list(port, "s3"))
    return [f"bucket {name}" for name in wanted if name not in held]

"""Object storage: an S3 bucket per bucket, private and TLS-only unless declared public
(then readable by anyone, never writable), encrypted, owner-enforced; access-logged where data
is protected (production). A shared preview env creates none for a bucket its base env lends: its objects live
under its own key prefix in the base's bucket (see `_borrow`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from orchestrator.core.envs import Sizing
from orchestrator.core.errors import BadInput
from orchestrator.core.model import Bucket
from orchestrator.core.plan import PlannedResource
from providers.aws import args, shares
from providers.aws.prefix import BucketPrefix
from providers.aws.session import AwsSession, Component
from providers.aws.shares import BUCKETS
from providers.base import Context, Deployed


def _hardened(
    comp: Component, prefix: str, name: str, sizing: Sizing, *, public: bool, versioned: bool,
    expire_days: int | None = None,
) -> tuple[aws.s3.Bucket, aws.s3.BucketPublicAccessBlock]:
    """A bucket with its ownership, public-access block, encryption, versioning and lifecycle."""
    bucket = aws.s3.Bucket(
        f"{prefix}/bucket", bucket=name, force_destroy=sizing.force_destroy, opts=comp.child(sizing, stateful=True)
    )
    aws.s3.BucketOwnershipControls(
        f"{prefix}/ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=comp.child()
    )
    block = aws.s3.BucketPublicAccessBlock(
        f"{prefix}/public-access", bucket=bucket.id, **args.public_access_block(public), opts=comp.child()
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{prefix}/encryption",
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=comp.child(),
    )
    status = args.versioning_status(declared=versioned, sizing=sizing)
    if status:
        aws.s3.BucketVersioning(
            f"{prefix}/versioning", bucket=bucket.id, versioning_configuration={"status": status}, opts=comp.child()
        )
    aws.s3.BucketLifecycleConfiguration(
        f"{prefix}/lifecycle",
        bucket=bucket.id,
        rules=args.lifecycle_rules(declared_versioned=versioned, sizing=sizing, expire_days=expire_days),
        opts=comp.child(),
    )
    return bucket, block


class BucketComponent(Component):
    def __init__(self, session: AwsSession, res: PlannedResource) -> None:
        assert isinstance(res.spec, Bucket)
        spec = res.spec
        super().__init__("Bucket", res.key, session, {"public": spec.public, "versioned": spec.versioned})
        name = res.names["bucket"]
        self.bucket, block = _hardened(self, res.key, name, res.settings, public=spec.public, versioned=spec.versioned)
        if res.settings.protect:
            aws.s3.BucketLogging(
                f"{res.key}/logging",
                bucket=self.bucket.id,
                target_bucket=session.access_logs.bucket.id,
                target_prefix=f"{name}/",
                opts=self.child(),
            )
        aws.s3.BucketPolicy(
            f"{res.key}/policy",
            bucket=self.bucket.id,
            policy=self.bucket.arn.apply(lambda arn: json.dumps(args.bucket_policy(arn, public=spec.public))),
            opts=self.child(depends_on=[block]),
        )
        self.register_outputs({"arn": self.bucket.arn})


class AccessLogs(Component):
    """The env's server-access-log bucket (never logging to itself); its own policy admits the logging service."""

    def __init__(self, session: AwsSession) -> None:
        super().__init__("AccessLogs", "access-logs", session)
        sizing = session.plan.env.sizing
        self.bucket, block = _hardened(
            self, "access-logs", session.physical("aws.s3", "access-logs"), sizing, public=False, versioned=True,
            expire_days=sizing.log_retention_days,
        )
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        aws.s3.BucketPolicy(
            "access-logs/policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, account).apply(
                lambda vals: json.dumps(args.log_bucket_policy(vals[0], vals[1]))
            ),
            opts=self.child(depends_on=[block]),
        )
        self.register_outputs({"bucket": self.bucket.id})


class RuntimeConfigStore(Component):
    """The env's private bucket for the runtime config (`ENCORE_RUNTIME_CONFIG_PATH=s3://…`), TypeScript apps only."""

    def __init__(self, session: AwsSession) -> None:
        from providers.aws.delivery import KEY

        super().__init__("RuntimeConfigStore", "runtime-config", session)
        sizing = session.plan.env.sizing
        name = session.physical("aws.s3", "runtime-config")
        self.bucket, block = _hardened(self, "runtime-config", name, sizing, public=False, versioned=True)
        if sizing.protect:
            aws.s3.BucketLogging(
                "runtime-config/logging",
                bucket=self.bucket.id,
                target_bucket=session.access_logs.bucket.id,
                target_prefix=f"{name}/",
                opts=self.child(),
            )
        aws.s3.BucketPolicy(
            "runtime-config/policy",
            bucket=self.bucket.id,
            policy=self.bucket.arn.apply(lambda arn: json.dumps(args.bucket_policy(arn, public=False))),
            opts=self.child(depends_on=[block]),
        )
        self.object_arn = self.bucket.arn.apply(lambda arn: f"{arn}/{KEY}")
        self.register_outputs({"bucket": self.bucket.id})


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: AwsSession = ctx.target
    assert isinstance(res.spec, Bucket)
    borrowed = session.borrowed if session.plan.env.prefixes_buckets else None
    lent = borrowed.bucket(res.name) if borrowed is not None else None
    if lent is not None:
        return _borrow(session, res, lent)
    if borrowed is not None:
        session.warn(res, f"base env {borrowed.base} lends no bucket {res.name!r}: this env gets its own")
    comp = BucketComponent(session, res)
    record: dict[str, Any] = {"encore_name": res.name, "cloud_name": comp.bucket.bucket}
    if res.spec.public:
        record["public_base_url"] = comp.bucket.bucket_regional_domain_name.apply(args.public_base_url)
    lent_record: dict[str, Any] = {"bucket": comp.bucket.bucket, "arn": comp.bucket.arn}
    if "public_base_url" in record:
        lent_record["publicBaseUrl"] = record["public_base_url"]
    session.lend(BUCKETS, lent_record, res.name)
    fragment = {"object_storage": {"provider": "s3", "region": session.region, "buckets": [record]}}
    objects = comp.bucket.arn.apply(lambda arn: f"{arn}/*")
    return Deployed(
        provisioned=fragment, grants_target={"list-objects": comp.bucket.arn, "*": objects}, resource=comp
    )


def _borrow(session: AwsSession, res: PlannedResource, lent: Mapping[str, Any]) -> Deployed:
    """A shared preview env's bucket: its prefix in the base env's bucket (the runtime's `key_prefix`), its grants
    on the objects under that prefix only; no bucket is created, and the prefix is emptied when the env goes
    (providers/aws/prefix.py)."""
    assert session.borrowed is not None and isinstance(res.spec, Bucket)
    prefix, arn = session.borrowed.key_prefix, str(lent["arn"])
    comp = Component("Bucket", res.key, session, {"public": res.spec.public, "versioned": res.spec.versioned,
                                                   "borrowedBucket": lent["bucket"], "keyPrefix": prefix})
    BucketPrefix(f"{res.key}/prefix", bucket=str(lent["bucket"]), prefix=prefix, region=session.region,
                 opts=comp.child())
    comp.register_outputs({})
    record: dict[str, Any] = {"encore_name": res.name, "cloud_name": lent["bucket"], "key_prefix": prefix}
    if res.spec.public:
        base_url = lent.get("publicBaseUrl")
        if not base_url:
            raise BadInput(f"base env {session.borrowed.base} lends bucket {res.name!r} without a public URL (it was "
                           "not public there); redeploy the base env", where=res.key)
        record["public_base_url"] = shares.prefixed_url(str(base_url), prefix)
    fragment = {"object_storage": {"provider": "s3", "region": session.region, "buckets": [record]}}
    targets = {"list-objects": args.Within(arn, shares.list_condition(prefix)),
               "*": shares.object_prefix_arn(arn, prefix)}
    return Deployed(provisioned=fragment, grants_target=targets, resource=comp)

"""Object storage: a GCS bucket per bucket with uniform bucket-level access and public access prevention enforced
unless declared public (then `allUsers` may view objects, nothing more); versioned as declared and always where data
is protected; usage-logged to the env's log bucket in production. Also the env's runtime-config bucket, whose
objects each service account may read only its own of (an IAM condition on the object name).

A shared preview env creates no bucket for a declared one: it uses its base env's, under a key prefix of its own
(`pr-7/`, the runtime's `key_prefix`), and its services' roles on it carry an IAM condition on that prefix.
"""

from __future__ import annotations

from typing import Any

import pulumi_gcp as gcp

from orchestrator.core.envs import Sizing
from orchestrator.core.model import Bucket
from orchestrator.core.plan import PlannedResource
from providers.base import Context, Deployed
from providers.gcp import args
from providers.gcp.iam import Binding
from providers.gcp.session import Component, GcpSession
from providers.gcp.shares import need


def _bucket(comp: Component, prefix: str, name: str, sizing: Sizing, *, public: bool, versioned: bool,
            logs: AccessLogs | None, rules: list[Any] | None = None) -> gcp.storage.Bucket:
    bucket_args = args.bucket_args(name, comp.session.region, sizing, public=public, versioned=versioned)
    if rules is not None:
        bucket_args["lifecycle_rules"] = [*bucket_args["lifecycle_rules"], *rules]
    logging: gcp.storage.BucketLoggingArgsDict | None = None
    if logs is not None:
        logging = {"log_bucket": logs.bucket.name, "log_object_prefix": name}
    return gcp.storage.Bucket(f"{prefix}/bucket", **bucket_args, logging=logging,
                              opts=comp.child(sizing, stateful=True))


class BucketComponent(Component):
    def __init__(self, session: GcpSession, res: PlannedResource) -> None:
        assert isinstance(res.spec, Bucket)
        spec = res.spec
        super().__init__("Bucket", res.key, session, {"public": spec.public, "versioned": spec.versioned})
        logs = session.access_logs if res.settings.protect else None
        self.bucket = _bucket(self, res.key, res.names["bucket"], res.settings, public=spec.public,
                              versioned=spec.versioned, logs=logs)
        if spec.public:
            gcp.storage.BucketIAMMember(f"{res.key}/public-read", bucket=self.bucket.name, role=args.OBJECT_VIEWER,
                                        member=args.PUBLIC_READER, opts=self.child())
        self.register_outputs({"name": self.bucket.name})


class AccessLogs(Component):
    """The env's usage-log bucket (never logging to itself); GCS's log writer may create objects in it."""

    def __init__(self, session: GcpSession) -> None:
        super().__init__("AccessLogs", "access-logs", session)
        sizing = session.plan.env.sizing
        self.bucket = _bucket(self, "access-logs", session.physical("gcp.gcs", "access-logs"), sizing, public=False,
                              versioned=True, logs=None, rules=args.log_bucket_rules(sizing.log_retention_days))
        gcp.storage.BucketIAMMember("access-logs/log-writer", bucket=self.bucket.name, role=args.OBJECT_CREATOR,
                                    member=args.LOG_WRITER, opts=self.child())
        self.register_outputs({"name": self.bucket.name})


class RuntimeConfigStore(Component):
    """The env's private bucket of runtime configs (`ENCORE_RUNTIME_CONFIG_PATH=gs://<bucket>/<service>/…`)."""

    def __init__(self, session: GcpSession) -> None:
        super().__init__("RuntimeConfigStore", "runtime-config", session)
        sizing = session.plan.env.sizing
        logs = session.access_logs if sizing.protect else None
        self.name = session.physical("gcp.gcs", "runtime-config")
        self.bucket = _bucket(self, "runtime-config", self.name, sizing, public=False, versioned=True, logs=logs)
        self.register_outputs({"name": self.bucket.name})

    def binding_for(self, service: str) -> Binding:
        """Read access to `service`'s own object only."""
        from runtime_config.write import RUNTIME_CONFIG_FILE

        obj = args.config_object(service, RUNTIME_CONFIG_FILE)
        return Binding("bucket", self.bucket.name, args.object_condition(self.name, obj))


class BorrowedBucket(Component):
    """A shared preview env's bucket: a key prefix in its base env's bucket."""

    def __init__(self, session: GcpSession, res: PlannedResource, bucket: str, prefix: str) -> None:
        assert isinstance(res.spec, Bucket)
        super().__init__("Bucket", res.key, session,
                         {"public": res.spec.public, "versioned": res.spec.versioned, "borrowedFrom": bucket,
                          "keyPrefix": prefix})
        self.register_outputs({"name": bucket})


def deploy_borrowed(session: GcpSession, res: PlannedResource) -> Deployed:
    assert session.borrowed is not None and isinstance(res.spec, Bucket)
    lent = need(session.borrowed, f"bucket {res.name}", res.key, session.borrowed.buckets.get(res.name))
    prefix = args.preview_prefix(session.plan.env.name)
    comp = BorrowedBucket(session, res, lent.name, prefix)
    record: dict[str, Any] = {"encore_name": res.name, "cloud_name": lent.name, "key_prefix": prefix}
    if res.spec.public:
        record["public_base_url"] = args.public_base_url(lent.name, prefix)
    binding = Binding("bucket", lent.name, args.prefix_condition(lent.name, prefix))
    return Deployed(provisioned={"object_storage": {"provider": "gcs", "buckets": [record]}},
                    grants_target={"*": binding}, resource=comp)


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: GcpSession = ctx.target
    if session.borrowed is not None and session.plan.env.prefixes_buckets:
        return deploy_borrowed(session, res)
    comp = BucketComponent(session, res)
    assert isinstance(res.spec, Bucket)
    record: dict[str, Any] = {"encore_name": res.name, "cloud_name": comp.bucket.name}
    if res.spec.public:
        record["public_base_url"] = comp.bucket.name.apply(args.public_base_url)
    fragment = {"object_storage": {"provider": "gcs", "buckets": [record]}}
    return Deployed(provisioned=fragment, grants_target={"*": Binding("bucket", comp.bucket.name)}, resource=comp)

"""What the GCP handlers of one program share: the labelled provider, resource options, and the env-wide
resources built on first use (the network, the access-log bucket, the runtime-config bucket, the
service-to-service signing key, the SQL job's identity, the project number). A shared preview env's session holds
what it borrows from its base env (`borrowed`), and its network and SQL job identity are the base's.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from orchestrator.core import naming
from orchestrator.core.envs import Sizing
from orchestrator.core.model import Language
from providers.component import CloudComponent
from providers.gcp import args, shares

if TYPE_CHECKING:
    from orchestrator.core.plan import Plan, PlannedResource
    from providers.gcp.bucket import AccessLogs, RuntimeConfigStore
    from providers.gcp.network import BorrowedNetwork, Network
    from providers.gcp.secret import ServiceAuthKey
    from providers.gcp.sql import BorrowedSqlJobIdentity, SqlJobIdentity


class Component(CloudComponent["GcpSession"]):
    """The one component per planned resource (type `orchestrator:gcp:<Kind>`); children are parented to it."""

    def __init__(self, kind: str, name: str, session: GcpSession, props: dict[str, Any] | None = None) -> None:
        super().__init__("gcp", "gcp", kind, name, session, props)

    def new_secret(self, logical: str, secret_id: str, sizing: Sizing) -> gcp.secretmanager.Secret:
        return gcp.secretmanager.Secret(
            logical, **args.secret_args(secret_id, sizing), opts=self.child(sizing, stateful=True)
        )

    def generated_secret(
        self, logical: str, secret_id: str, sizing: Sizing, *, length: int
    ) -> tuple[random.RandomPassword, gcp.secretmanager.Secret, gcp.secretmanager.SecretVersion]:
        """A random value kept in a Secret Manager secret of its own (its version holds the value)."""
        value = random.RandomPassword(logical, length=length, special=False, opts=self.child(sizing, stateful=True))
        secret = self.new_secret(logical, secret_id, sizing)
        version = gcp.secretmanager.SecretVersion(
            logical, secret=secret.id, secret_data=value.result, opts=self.child(sizing, stateful=True)
        )
        return value, secret, version


class GcpSession:
    def __init__(self, plan: Plan, *, app_root: Path | None = None) -> None:
        env = plan.env
        self.plan = plan
        self.app_root = app_root
        self.region = env.region or ""
        self.project = env.project or ""
        self.labels = args.default_labels(plan.app, env, args.created_at())
        self.provider = gcp.Provider("gcp", project=env.project, region=env.region, default_labels=self.labels)
        self.borrowed = shares.borrowed(plan)
        """A shared preview env: what its base env lends (servers, network, buckets, secrets); else None."""

    # Env-wide resources, each built the first time a handler asks for it.

    @cached_property
    def network(self) -> Network | BorrowedNetwork:
        from providers.gcp.network import BorrowedNetwork, Network

        return Network(self) if self.borrowed is None else BorrowedNetwork(self, self.borrowed)

    @cached_property
    def access_logs(self) -> AccessLogs:
        from providers.gcp.bucket import AccessLogs

        return AccessLogs(self)

    @cached_property
    def runtime_config_store(self) -> RuntimeConfigStore:
        from providers.gcp.bucket import RuntimeConfigStore

        return RuntimeConfigStore(self)

    @cached_property
    def service_auth(self) -> ServiceAuthKey:
        from providers.gcp.secret import ServiceAuthKey

        return ServiceAuthKey(self)

    @cached_property
    def sql_job_identity(self) -> SqlJobIdentity | BorrowedSqlJobIdentity:
        from providers.gcp.sql import BorrowedSqlJobIdentity, SqlJobIdentity

        if self.borrowed is None:
            return SqlJobIdentity(self)
        sql = shares.need(self.borrowed, "Cloud SQL instance", "sql-jobs", self.borrowed.sql)
        return BorrowedSqlJobIdentity(self, sql)

    @property
    def sql_admin_secret_id(self) -> str:
        """The Secret Manager id of the Cloud SQL administrator's password."""
        return self.physical("gcp.secret", "sql", "admin")

    @cached_property
    def project_number(self) -> pulumi.Output[str]:
        found = gcp.organizations.get_project_output(
            project_id=self.project, opts=pulumi.InvokeOutputOptions(provider=self.provider)
        )
        return found.number

    def physical(self, namespace: str, *parts: str) -> str:
        """A physical name the plan does not list (network, buckets of the env, the SQL job)."""
        return naming.make(namespace, self.plan.app, self.plan.env.name, *parts)

    def warn(self, res: PlannedResource, message: str) -> None:
        pulumi.log.warn(f"{res.key}: {message}")

    def fragments(self) -> list[dict[str, Any]]:
        """Env-wide Provisioned fragments: the signing key."""
        return [self.service_auth.fragment()]

    def outputs(self, provisioned: dict[str, Any]) -> dict[str, Any]:
        """Stack outputs beyond `provisioned` and `cron_jobs`: for TypeScript apps the bucket the configs go to; for
        envs that are no preview, what they lend their shared preview envs (`shares`)."""
        out: dict[str, Any] = {}
        if self.plan.language is Language.TYPESCRIPT:
            out["runtime_config_bucket"] = self.runtime_config_store.bucket.name
        if not self.plan.env.is_preview:
            out["shares"] = shares.lend(self, provisioned)
        return out


def start(plan: Plan, *, app_root: Path | None = None) -> GcpSession:
    return GcpSession(plan, app_root=app_root)

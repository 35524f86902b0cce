"""What the AWS handlers of one program share: the tagged provider, resource options, and the
env-wide resources built on first use (the network, the access-log bucket, the runtime-config bucket,
the service-to-service signing key).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from orchestrator.core import naming
from orchestrator.core.envs import Sizing
from orchestrator.core.model import Language
from providers.aws import args
from providers.component import CloudComponent

if TYPE_CHECKING:
    from orchestrator.core.plan import Plan, PlannedResource
    from providers.aws.bucket import AccessLogs, RuntimeConfigStore
    from providers.aws.network import Network
    from providers.aws.secret import ServiceAuthKey


class Component(CloudComponent["AwsSession"]):
    """The one component per planned resource (type `orchestrator:aws:<Kind>`); children are parented to it."""

    def __init__(self, kind: str, name: str, session: AwsSession, props: dict[str, Any] | None = None) -> None:
        super().__init__("aws", "aws", kind, name, session, props)

    def generated_secret(
        self, logical: str, secret_name: str, sizing: Sizing, description: str, *, length: int
    ) -> tuple[random.RandomPassword, aws.secretsmanager.Secret]:
        """A random value kept in a Secrets Manager secret of its own (its version holds the value)."""
        value = random.RandomPassword(logical, length=length, special=False, opts=self.child(sizing, stateful=True))
        secret = aws.secretsmanager.Secret(
            logical, **args.secret_args(secret_name, sizing, description), opts=self.child(sizing, stateful=True)
        )
        aws.secretsmanager.SecretVersion(
            logical, secret_id=secret.id, secret_string=value.result, opts=self.child(sizing, stateful=True)
        )
        return value, secret


class AwsSession:
    def __init__(self, plan: Plan, *, app_root: Path | None = None) -> None:
        env = plan.env
        self.plan = plan
        self.app_root = app_root
        self.region = env.region or ""
        self.tags = args.default_tags(plan.app, env, args.created_at())
        self.provider = aws.Provider("aws", region=env.region, default_tags={"tags": self.tags})

    # Env-wide resources, each built the first time a handler asks for it.

    @cached_property
    def network(self) -> Network:
        from providers.aws.network import Network

        return Network(self)

    @cached_property
    def access_logs(self) -> AccessLogs:
        from providers.aws.bucket import AccessLogs

        return AccessLogs(self)

    @cached_property
    def runtime_config_store(self) -> RuntimeConfigStore:
        from providers.aws.bucket import RuntimeConfigStore

        return RuntimeConfigStore(self)

    @cached_property
    def service_auth(self) -> ServiceAuthKey:
        from providers.aws.secret import ServiceAuthKey

        return ServiceAuthKey(self)

    def fragments(self) -> list[dict[str, Any]]:
        """Env-wide Provisioned fragments: the signing key."""
        return [self.service_auth.fragment()]

    def outputs(self, provisioned: dict[str, Any]) -> dict[str, Any]:
        """Stack outputs beyond `provisioned` and `cron_jobs`: for TypeScript apps the bucket `orchestrator deploy`
        uploads the protobuf config to (providers/aws/delivery.py)."""
        from providers.aws.delivery import BUCKET_OUTPUT

        if self.plan.language is Language.TYPESCRIPT:
            return {BUCKET_OUTPUT: self.runtime_config_store.bucket.bucket}
        return {}

    def physical(self, namespace: str, *parts: str) -> str:
        """A physical name the plan does not list (network, access logs)."""
        return naming.make(namespace, self.plan.app, self.plan.env.name, *parts)

    def warn(self, res: PlannedResource, message: str) -> None:
        pulumi.log.warn(f"{res.key}: {message}")


def start(plan: Plan, *, app_root: Path | None = None) -> AwsSession:
    return AwsSession(plan, app_root=app_root)

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
    from providers.aws.shares import Borrowed


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
        self.lent: dict[str, Any] = {}
        """What this env lends its shared preview envs, filled by the handlers (`lend`); exported as `shares`."""
        self.borrowed: Borrowed | None = None
        """A shared preview env: what it borrows from its base env (the base's `shares`)."""
        if env.shares_base:
            from providers.aws.shares import Borrowed

            self.borrowed = Borrowed(env, plan.borrowed or {})
            Component("Borrowed", "borrowed", self, {**(plan.borrowed or {}), "keyPrefix": self.borrowed.key_prefix}
                      ).register_outputs({})

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

    def lend(self, group: str, value: Any, name: str | None = None) -> None:
        """Record what a base env lends under `group` (per `name` for per-resource groups); a preview env lends
        nothing."""
        if self.plan.env.is_preview:
            return
        if name is None:
            self.lent[group] = value
        else:
            self.lent.setdefault(group, {})[name] = value

    def fragments(self) -> list[dict[str, Any]]:
        """Env-wide Provisioned fragments: the signing key."""
        return [self.service_auth.fragment()]

    def outputs(self, provisioned: dict[str, Any]) -> dict[str, Any]:
        """Stack outputs beyond `provisioned` and `cron_jobs`: for TypeScript apps the bucket `orchestrator deploy`
        uploads the protobuf config to (providers/aws/delivery.py); for an env that is no preview, `shares`."""
        from providers.aws.delivery import BUCKET_OUTPUT

        outputs: dict[str, Any] = {}
        if self.plan.language is Language.TYPESCRIPT:
            outputs[BUCKET_OUTPUT] = self.runtime_config_store.bucket.bucket
        if not self.plan.env.is_preview:
            outputs["shares"] = self.shares()
        return outputs

    def shares(self) -> dict[str, Any]:
        """What the env lends (providers/aws/shares.py): its region and what the handlers lent, with the network
        when one was made or named."""
        from providers.aws.shares import NETWORK

        found: dict[str, Any] = {"cloud": "aws", "env": self.plan.env.name, "region": self.region, **self.lent}
        if "network" in self.__dict__:
            found[NETWORK] = self.network.shares()
        return found

    def physical(self, namespace: str, *parts: str) -> str:
        """A physical name the plan does not list (network, access logs)."""
        return naming.make(namespace, self.plan.app, self.plan.env.name, *parts)

    def warn(self, res: PlannedResource, message: str) -> None:
        pulumi.log.warn(f"{res.key}: {message}")


def start(plan: Plan, *, app_root: Path | None = None) -> AwsSession:
    return AwsSession(plan, app_root=app_root)

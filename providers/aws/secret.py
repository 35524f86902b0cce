"""App secrets: a Secrets Manager secret each. The value is set by `orchestrator secret set`;
the runtime config only names the env var the platform injects it into. Also the env's
service-to-service signing key (encore_auth), generated and kept the same way. A shared preview env reads its
base env's secrets (no secret of its own) except those it keeps itself (`Env.own_secrets`).
"""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws

from orchestrator.core import naming
from orchestrator.core.plan import PlannedResource
from providers.aws import args
from providers.aws.session import AwsSession, Component
from providers.aws.shares import SECRETS
from providers.base import Context, Deployed


class SecretComponent(Component):
    def __init__(self, session: AwsSession, res: PlannedResource) -> None:
        super().__init__("Secret", res.key, session)
        self.secret = aws.secretsmanager.Secret(
            f"{res.key}/secret",
            **args.secret_args(res.names["secret"], res.settings, f"Encore secret {res.name}"),
            opts=self.child(res.settings, stateful=True),
        )
        self.register_outputs({"arn": self.secret.arn})


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: AwsSession = ctx.target
    lent = session.borrowed.secret(res.name) if session.borrowed is not None else None
    if lent is not None:
        arn = str(lent["arn"])
        borrowed = Component("Secret", res.key, session, {"borrowedSecret": arn})
        borrowed.register_outputs({})
        record = {"encore_name": res.name, "ref": {"env": res.names["env"], "source": arn}}
        return Deployed(provisioned={"secrets": [record]}, grants_target={"read": arn}, resource=borrowed)
    if session.borrowed is not None and res.name not in session.plan.env.own_secrets:
        session.warn(res, f"base env {session.borrowed.base} lends no secret {res.name!r}: this env keeps its own "
                          "(set it with orchestrator secret set)")
    comp = SecretComponent(session, res)
    session.lend(SECRETS, {"arn": comp.secret.arn}, res.name)
    record = {"encore_name": res.name, "ref": {"env": res.names["env"], "source": comp.secret.arn}}
    return Deployed(provisioned={"secrets": [record]}, grants_target={"read": comp.secret.arn}, resource=comp)


class ServiceAuthKey(Component):
    """The env's HMAC key signing and verifying calls between services (the runtime's encore_auth)."""

    KEY_ID = 1

    def __init__(self, session: AwsSession) -> None:
        super().__init__("ServiceAuthKey", "service-auth", session)
        sizing = session.plan.env.sizing
        name = session.physical("aws.secretsmanager", "service-auth")
        _, self.secret = self.generated_secret(
            "service-auth/key", name, sizing, "HMAC key of service-to-service calls", length=64
        )
        self.env = naming.env_var("SERVICE", "AUTH", "KEY")
        self.register_outputs({"arn": self.secret.arn})

    def fragment(self) -> dict[str, Any]:
        return {"service_auth_keys": [{"id": self.KEY_ID, "key": {"env": self.env, "source": self.secret.arn}}]}

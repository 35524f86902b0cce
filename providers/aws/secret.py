"""App secrets: a Secrets Manager secret each. The value is set by `orchestrator secret set`;
the runtime config only names the env var the platform injects it into.
"""

from __future__ import annotations

import pulumi_aws as aws

from orchestrator.plan import PlannedResource
from providers.aws import settings
from providers.aws.session import AwsSession, Component
from providers.base import Context, Deployed


class SecretComponent(Component):
    def __init__(self, session: AwsSession, res: PlannedResource) -> None:
        super().__init__("Secret", res.key, session)
        self.secret = aws.secretsmanager.Secret(
            f"{res.key}/secret",
            **settings.secret_args(res.names["secret"], res.settings, f"Encore secret {res.name}"),
            opts=self.child(res.settings, stateful=True),
        )
        self.register_outputs({"arn": self.secret.arn})


def handle_secret(ctx: Context, res: PlannedResource) -> Deployed:
    comp = SecretComponent(ctx.target, res)
    record = {"encore_name": res.name, "ref": {"env": res.names["env"], "source": comp.secret.arn}}
    return Deployed(provisioned={"secrets": [record]}, grants_target={"read": comp.secret.arn}, resource=comp)

"""Identity: one IAM role per service, trusting the compute service principal, with one inline
policy holding exactly the actions its grants need on exactly the ARNs they name (baseline §4.2).
Runs after the handlers of everything a service's grants name (program.py orders it so).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from orchestrator.core.plan import PlannedResource
from providers.aws import args
from providers.aws.session import AwsSession, Component
from providers.aws.settings import settings_of
from providers.base import Context


class ServiceIdentity(Component):
    def __init__(self, session: AwsSession, res: PlannedResource, needs: list[tuple[tuple[str, ...], Any]],
                 statements: list[dict[str, Any]]) -> None:
        super().__init__("Service", res.key, session)
        principal = settings_of(session.plan.env).compute_principal
        self.role = aws.iam.Role(
            f"{res.key}/role",
            name=res.names["identity"],
            description=f"Encore service {res.name}",
            assume_role_policy=json.dumps(args.assume_role_policy(principal)),
            max_session_duration=3600,
            opts=self.child(),
        )
        if needs or statements:
            arns = pulumi.Output.all(*(arn for _, arn in needs))
            aws.iam.RolePolicy(
                f"{res.key}/access",
                name="encore-access",
                role=self.role.id,
                policy=arns.apply(
                    lambda resolved: json.dumps(
                        args.policy_document(zip((acts for acts, _ in needs), resolved, strict=True), statements)
                    )
                ),
                opts=self.child(),
            )
        self.register_outputs({"roleArn": self.role.arn})


def needs_of(ctx: Context, service: str) -> list[tuple[tuple[str, ...], Any]]:
    """(actions, ARN) per grant of `service` that needs any action."""
    needs = []
    for grant in ctx.plan.grants_for(service):
        target = ctx.plan.get(grant.resource)
        actions = args.actions_for(target.kind, grant.verb, grant.resource)
        if actions:
            arn = args.grant_target(ctx.deployed[grant.resource].grants_target, grant.verb, grant.resource)
            needs.append((actions, arn))
    return needs

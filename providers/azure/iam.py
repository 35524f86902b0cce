"""Identity: one user-assigned managed identity per service and exactly the built-in data roles its grants need, each
assigned at the granted resource's own scope (topic, subscription, vault secret), never a resource group or
subscription (baseline §4.4, R-IAM-13/14). Runs after the handlers of everything a service's grants name.
"""

from __future__ import annotations

import uuid
from typing import Any

from pulumi_azure_native import authorization, managedidentity

from orchestrator.core.plan import PlannedResource
from providers.azure import args
from providers.azure.session import AzureSession, Component
from providers.base import Context

Need = tuple[str, Any]
"""(built-in role GUID, scope: a resource id) one role assignment gives."""


class ServiceIdentity(Component):
    def __init__(self, session: AzureSession, res: PlannedResource, needs: list[Need]) -> None:
        super().__init__("Service", res.key, session)
        self.identity = managedidentity.UserAssignedIdentity(
            f"{res.key}/identity",
            resource_group_name=session.resource_group,
            resource_name_=res.names["identity"],
            location=session.location,
            tags=session.tags,
            opts=self.child(),
        )
        subscription = session.client.subscription_id
        for i, (role, scope) in enumerate(dict.fromkeys(needs)):
            authorization.RoleAssignment(
                f"{res.key}/role-{i + 1}",
                role_assignment_name=_assignment_name(session, res.key, role, i),
                principal_id=self.identity.principal_id,
                principal_type="ServicePrincipal",
                role_definition_id=subscription.apply(lambda sub, r=role: args.role_definition_id(sub, r)),
                scope=scope,
                description=f"{args.ROLE_NAMES[role]} for Encore service {res.name}",
                opts=self.child(),
            )
        self.register_outputs({"clientId": self.identity.client_id, "principalId": self.identity.principal_id})


def _assignment_name(session: AzureSession, key: str, role: str, index: int) -> str:
    """Role assignment names are GUIDs; a stable one per (env, service, role, position) keeps redeploys idempotent."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{session.plan.app}/{session.plan.env.name}/{key}/{role}/{index}"))


def needs_of(ctx: Context, service: str) -> list[Need]:
    """(role, scope) per grant of `service`."""
    needs: list[Need] = []
    for grant in ctx.plan.grants_for(service):
        target = ctx.plan.get(grant.resource)
        for which, role in args.roles_for(target.kind, grant.verb, grant.resource):
            needs.append((role, args.grant_scope(ctx.deployed[grant.resource].grants_target, which, grant.resource)))
    return needs

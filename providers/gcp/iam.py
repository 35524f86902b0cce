"""Identity: one service account per service, with exactly the predefined roles its grants need, each bound on the
resource it names (topic, subscription, bucket, secret), never on the project (baseline §4.3, R-IAM-12).
Runs after the handlers of everything a service's grants name (program.py orders it so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pulumi
import pulumi_gcp as gcp

from orchestrator.core.plan import PlannedResource
from providers.base import Context
from providers.gcp import args
from providers.gcp.session import Component, GcpSession

if TYPE_CHECKING:
    from pulumi_gcp.storage import BucketIAMMemberConditionArgsDict as Condition

Scope = Literal["topic", "subscription", "bucket", "secret", "service-account"]


@dataclass(frozen=True)
class Binding:
    """Where a role is bound: the kind of IAM member resource and the resource it names (a name or id; may be an
    Output), optionally narrowed by an IAM condition."""

    scope: Scope
    target: pulumi.Input[str]
    condition: Condition | None = None


Need = tuple[str, Binding, tuple[str, ...]]
"""(what the binding is on, for the logical name; where; the roles)."""


def bind(comp: Component, logical: str, binding: Binding, role: str, member: pulumi.Input[str],
         opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """One IAM member resource granting `role` on `binding`'s resource to `member`."""
    target = binding.target
    if binding.scope == "topic":
        return gcp.pubsub.TopicIAMMember(logical, topic=target, role=role, member=member, opts=opts)
    if binding.scope == "subscription":
        return gcp.pubsub.SubscriptionIAMMember(logical, subscription=target, role=role, member=member, opts=opts)
    if binding.scope == "bucket":
        return gcp.storage.BucketIAMMember(logical, bucket=target, role=role, member=member,
                                           condition=binding.condition, opts=opts)
    if binding.scope == "secret":
        return gcp.secretmanager.SecretIamMember(logical, secret_id=target, role=role, member=member, opts=opts)
    return gcp.serviceaccount.IAMMember(logical, service_account_id=target, role=role, member=member, opts=opts)


class ServiceIdentity(Component):
    def __init__(self, session: GcpSession, res: PlannedResource, needs: Sequence[Need], *,
                 signs_urls: bool) -> None:
        super().__init__("Service", res.key, session)
        self.account = gcp.serviceaccount.Account(
            f"{res.key}/account",
            account_id=res.names["identity"],
            display_name=f"Encore service {res.name}"[:100],
            description=f"Runs the Encore service {res.name} of {session.plan.app} ({session.plan.env.name})",
            opts=self.child(),
        )
        member = self.account.email.apply(args.member)
        seen: set[tuple[str, str]] = set()
        for what, binding, roles in needs:
            for role in roles:
                if (what, role) in seen:
                    continue
                seen.add((what, role))
                bind(self, f"{res.key}/access/{what}/{role.rsplit('/', 1)[-1]}", binding, role, member,
                     self.child())
        if signs_urls:
            bind(self, f"{res.key}/access/self/{args.TOKEN_CREATOR.rsplit('/', 1)[-1]}",
                 Binding("service-account", self.account.name), args.TOKEN_CREATOR, member, self.child())
        self.register_outputs({"email": self.account.email})


def needs_of(ctx: Context, service: str) -> list[Need]:
    """(resource key, binding, roles) per grant of `service` that needs any role."""
    needs: list[Need] = []
    for grant in ctx.plan.grants_for(service):
        target = ctx.plan.get(grant.resource)
        roles = args.roles_for(target.kind, grant.verb, grant.resource)
        if roles:
            binding = grant_target(ctx.deployed[grant.resource].grants_target, grant.verb, grant.resource)
            needs.append((grant.resource, binding, roles))
    return needs


def grant_target(targets: dict[str, Binding] | object, verb: str, key: str) -> Binding:
    """What a Deployed.grants_target offers for `verb`: its own entry, else the "*" entry."""
    assert isinstance(targets, dict)
    found = targets.get(verb) or targets.get("*")
    if not isinstance(found, Binding):
        from orchestrator.core.errors import Unsupported

        raise Unsupported(f"the GCP handler offers nothing to bind {verb!r} to", where=key)
    return found

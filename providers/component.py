"""The Pulumi component every cloud builds one of per planned resource, and the options of its children.

Imported only by the cloud packages' handlers (it imports the Pulumi SDK)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import pulumi

if TYPE_CHECKING:
    from orchestrator.core.envs import Sizing
    from orchestrator.core.plan import Plan


class Session(Protocol):
    @property
    def plan(self) -> Plan: ...

    @property
    def provider(self) -> pulumi.ProviderResource: ...


S = TypeVar("S", bound=Session)


class CloudComponent(pulumi.ComponentResource, Generic[S]):
    """Type `orchestrator:<cloud>:<Kind>`, its children on the session's provider (registered as
    `provider_key`)."""

    def __init__(self, cloud: str, provider_key: str, kind: str, name: str, session: S,
                 props: dict[str, Any] | None = None) -> None:
        super().__init__(f"orchestrator:{cloud}:{kind}", name, props or {},
                         pulumi.ResourceOptions(providers={provider_key: session.provider}))
        self.session = session

    def child(
        self,
        sizing: Sizing | None = None,
        *,
        stateful: bool = False,
        depends_on: Sequence[pulumi.Resource] = (),
        secret_outputs: Sequence[str] = (),
        ignore_changes: Sequence[str] = (),
    ) -> pulumi.ResourceOptions:
        """Options of a child; stateful children of protected resources get protect + retainOnDelete."""
        keep = stateful and (sizing or self.session.plan.env.sizing).protect
        return pulumi.ResourceOptions(
            parent=self,
            protect=keep,
            retain_on_delete=keep,
            depends_on=list(depends_on) or None,
            additional_secret_outputs=list(secret_outputs) or None,
            ignore_changes=list(ignore_changes) or None,
        )

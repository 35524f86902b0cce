"""App secrets: a Secret Manager secret each; `orchestrator secret set` adds a version. TypeScript processes read
them through the runtime's GCP secret provider (`gcp_sm`, runtimes/core/src/secrets/gcpsm.rs), Go processes through
`ENCORE_SECRET_PROVIDERS` (type `gcp_secret_manager`, runtimes/go/appruntime/infrasdk/secrets/gcpsm/gcpsm.go), so no
value passes through an environment variable. Also the env's service-to-service signing key (encore_auth), which the
runtime resolves at startup and so must come from the environment (trap 13).

A shared preview env reads its base env's secrets (its services may read the base's secret, by its id), except
those it keeps itself (`previewOwnSecrets`), which are secrets of its own.
"""

from __future__ import annotations

from typing import Any

from orchestrator.core import naming
from orchestrator.core.plan import PlannedResource
from providers.base import Context, Deployed
from providers.gcp import args
from providers.gcp.iam import Binding
from providers.gcp.session import Component, GcpSession
from providers.gcp.shares import need


class SecretComponent(Component):
    def __init__(self, session: GcpSession, res: PlannedResource) -> None:
        super().__init__("Secret", res.key, session)
        self.secret = self.new_secret(f"{res.key}/secret", res.names["secret"], res.settings)
        self.register_outputs({"id": self.secret.id})


class BorrowedSecret(Component):
    """A shared preview env's secret read from its base env's."""

    def __init__(self, session: GcpSession, res: PlannedResource, secret: str) -> None:
        super().__init__("Secret", res.key, session, {"borrowedFrom": secret})
        self.register_outputs({"id": secret})


def deploy_borrowed(session: GcpSession, res: PlannedResource) -> Deployed:
    assert session.borrowed is not None
    path = need(session.borrowed, f"secret {res.name}", res.key, session.borrowed.secrets.get(res.name))
    comp = BorrowedSecret(session, res, path)
    record = {"encore_name": res.name, "ref": {"provider": path.rsplit("/", 1)[-1]}}
    return Deployed(provisioned={"secrets": [record]}, grants_target={"read": Binding("secret", path)},
                    resource=comp)


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: GcpSession = ctx.target
    if session.borrowed is not None and res.name not in session.plan.env.own_secrets:
        return deploy_borrowed(session, res)
    comp = SecretComponent(session, res)
    record = {"encore_name": res.name, "ref": {"provider": res.names["secret"]}}
    return Deployed(provisioned={"secrets": [record]}, grants_target={"read": Binding("secret", comp.secret.id)},
                    resource=comp)


class ServiceAuthKey(Component):
    """The env's HMAC key signing and verifying calls between services (the runtime's encore_auth)."""

    KEY_ID = 1

    def __init__(self, session: GcpSession) -> None:
        super().__init__("ServiceAuthKey", "service-auth", session)
        sizing = session.plan.env.sizing
        _, self.secret, _ = self.generated_secret(
            "service-auth/key", session.physical("gcp.secret", "service-auth"), sizing, length=64
        )
        self.env = naming.env_var("SERVICE", "AUTH", "KEY")
        self.register_outputs({"id": self.secret.id})

    def fragment(self) -> dict[str, Any]:
        source = self.secret.id.apply(args.secret_version_path)
        return {"service_auth_keys": [{"id": self.KEY_ID, "key": {"env": self.env, "source": source}}]}

"""App secrets: a Secret Manager secret each; `orchestrator secret set` adds a version. TypeScript processes read
them through the runtime's GCP secret provider (`gcp_sm`, runtimes/core/src/secrets/gcpsm.rs), Go processes through
`ENCORE_SECRET_PROVIDERS` (type `gcp_secret_manager`, runtimes/go/appruntime/infrasdk/secrets/gcpsm/gcpsm.go), so no
value passes through an environment variable. Also the env's service-to-service signing key (encore_auth), which the
runtime resolves at startup and so must come from the environment (trap 13).
"""

from __future__ import annotations

from typing import Any

from orchestrator.core import naming
from orchestrator.core.plan import PlannedResource
from providers.base import Context, Deployed
from providers.gcp import args
from providers.gcp.iam import Binding
from providers.gcp.session import Component, GcpSession


class SecretComponent(Component):
    def __init__(self, session: GcpSession, res: PlannedResource) -> None:
        super().__init__("Secret", res.key, session)
        self.secret = self.new_secret(f"{res.key}/secret", res.names["secret"], res.settings)
        self.register_outputs({"id": self.secret.id})


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    comp = SecretComponent(ctx.target, res)
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

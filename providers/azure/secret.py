"""Secrets: the env's Key Vault (RBAC authorization), one Key Vault secret per app secret, and the env's
service-to-service signing key. Neither runtime reads Key Vault, so every value reaches the process as an
environment variable the platform fills from the secret (Container Apps `secretRef` with `keyVaultUrl`); the runtime
config names only the variable. App secret values are set by `orchestrator secret set`.

A shared preview env reads every app secret from its base's vault (Key Vault Secrets User on that one secret) except
the ones it keeps itself (`orchestrator:previewOwnSecrets`), which live in its own vault.

A destroyed vault stays soft-deleted under its name for its retention days, so a preview vault's name carries a
random suffix made once per stack: the next preview of the same PR gets a fresh name.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_random as random
from pulumi_azure_native import keyvault

from orchestrator.core import naming
from orchestrator.core.plan import PlannedResource
from providers.azure import args
from providers.azure.delivery import APP_SECRET_CONTENT_TYPE
from providers.azure.session import AzureSession, Component
from providers.base import Context, Deployed


class Vault(Component):
    def __init__(self, session: AzureSession) -> None:
        super().__init__("Vault", "vault", session)
        sizing = session.plan.env.sizing
        name: pulumi.Input[str]
        if sizing.protect:
            name = session.physical("azure.keyvault", "kv")
        else:
            suffix = random.RandomString("vault/suffix", length=6, special=False, upper=False, opts=self.child())
            name = suffix.result.apply(lambda s: session.physical("azure.keyvault", s))
        self.vault = keyvault.Vault(
            "vault/vault",
            resource_group_name=session.resource_group,
            vault_name=name,
            location=session.location,
            properties=session.client.tenant_id.apply(lambda tenant: keyvault.VaultPropertiesArgs(
                sku=keyvault.SkuArgs(family="A", name=keyvault.SkuName(args.KEY_VAULT_SKU)),
                **args.vault_properties(tenant, sizing))),
            tags=session.tags,
            opts=self.child(sizing, stateful=True),
        )
        self.register_outputs({"vaultUri": self.vault.properties.vault_uri})

    def secret(self, owner: Component, logical: str, name: str, content_type: str, value: Any = None
               ) -> keyvault.Secret:
        """A secret in the vault; `value` None leaves the value to `orchestrator secret set` (never overwritten)."""
        sizing = self.session.plan.env.sizing
        return keyvault.Secret(
            logical,
            resource_group_name=self.session.resource_group,
            vault_name=self.vault.name,
            secret_name=name,
            properties=args.secret_properties(content_type, pulumi.Output.secret(value) if value is not None else None),
            tags=self.session.tags,
            opts=owner.child(sizing, stateful=True,
                             ignore_changes=["properties.value"] if value is None else ()),
        )


def uri(secret: keyvault.Secret) -> pulumi.Output[str]:
    """The secret's versionless URI (the platform reads the current version)."""
    return secret.properties.apply(lambda p: p.secret_uri or "")


class SecretComponent(Component):
    def __init__(self, session: AzureSession, res: PlannedResource) -> None:
        super().__init__("Secret", res.key, session)
        self.secret = session.vault.secret(self, f"{res.key}/secret", res.names["secret"], APP_SECRET_CONTENT_TYPE)
        self.register_outputs({"id": self.secret.id})


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: AzureSession = ctx.target
    if session.borrowed is not None and res.name not in session.plan.env.own_secrets:
        lent = session.borrowed.secret(res.name)
        record = {"encore_name": res.name, "ref": {"env": res.names["env"], "source": lent["uri"]}}
        return Deployed(provisioned={"secrets": [record]}, grants_target={"read": lent["id"]})
    comp = SecretComponent(session, res)
    if not session.plan.env.is_preview:
        session.lent.setdefault("secrets", {})[res.name] = {"name": res.names["secret"], "id": comp.secret.id,
                                                            "uri": uri(comp.secret)}
    record = {"encore_name": res.name, "ref": {"env": res.names["env"], "source": uri(comp.secret)}}
    return Deployed(provisioned={"secrets": [record]}, grants_target={"read": comp.secret.id}, resource=comp)


class ServiceAuthKey(Component):
    """The env's HMAC key signing and verifying calls between services (the runtime's encore_auth)."""

    KEY_ID = 1

    def __init__(self, session: AzureSession) -> None:
        super().__init__("ServiceAuthKey", "service-auth", session)
        sizing = session.plan.env.sizing
        value = session.generated("service-auth/key", self, sizing, length=64)
        self.secret = session.vault.secret(self, "service-auth/secret", session.physical("azure.keyvault.secret",
                                           "service-auth"), "text/plain", value.result)
        self.env = naming.env_var("SERVICE", "AUTH", "KEY")
        session.secret_values[self.env] = value.result
        self.register_outputs({"id": self.secret.id})

    def fragment(self) -> dict[str, Any]:
        return {"service_auth_keys": [{"id": self.KEY_ID, "key": {"env": self.env, "source": uri(self.secret)}}]}

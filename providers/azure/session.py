"""What the Azure handlers of one program share: the provider, tags, resource options, and the env-wide resources
built on first use (resource group, network, Key Vault, Service Bus namespace, the service-to-service signing key).

pulumi-azure-native has no provider-level default tags, so every resource that takes tags gets `session.tags`.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_azure_native as azure_native
import pulumi_random as random

from orchestrator.core import naming
from orchestrator.core.envs import Sizing
from providers.azure import args
from providers.azure.settings import settings_of
from providers.azure.shares import Borrowed, BorrowedNamespace, check
from providers.component import CloudComponent

if TYPE_CHECKING:
    from orchestrator.core.plan import Plan, PlannedResource
    from providers.azure.network import Network
    from providers.azure.pubsub import Namespace
    from providers.azure.secret import ServiceAuthKey, Vault


class Component(CloudComponent["AzureSession"]):
    """The one component per planned resource (type `orchestrator:azure:<Kind>`); children are parented to it."""

    def __init__(self, kind: str, name: str, session: AzureSession, props: dict[str, Any] | None = None) -> None:
        super().__init__("azure", "azure-native", kind, name, session, props)


class AzureSession:
    def __init__(self, plan: Plan, *, app_root: Path | None = None) -> None:
        env = plan.env
        check(plan)
        self.plan = plan
        self.app_root = app_root
        self.location = env.region or ""
        self.settings = settings_of(env)
        self.tags = args.default_tags(plan.app, env, args.created_at())
        self.provider = azure_native.Provider("azure-native", location=env.region)
        self.secret_values: dict[str, pulumi.Output[str]] = {}
        """Env var -> the value the platform injects into it, for every value this program generates (the Go legacy
        runtime config embeds them; nothing else reads this)."""
        self.identities: dict[str, pulumi.Output[str]] = {}
        """Service -> the client id of its managed identity (`AZURE_CLIENT_ID` of its processes)."""
        self.sql_jobs: list[dict[str, Any]] = []
        """One entry per database: its SQL job and where it lives, for the deploy to start (stack output `sql_jobs`)."""
        self.borrowed = Borrowed(plan) if env.shares_base else None
        """A shared preview env: what it borrows from its base (providers/azure/shares.py)."""
        self.lent: dict[str, Any] = {}
        """A base env: what its handlers lend shared preview envs beside the env-wide resources (`shares`)."""

    # Env-wide resources, each built the first time a handler asks for it.

    @cached_property
    def client(self) -> pulumi.Output[Any]:
        """The deploying identity: tenant and subscription ids."""
        from pulumi_azure_native import authorization

        return authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(provider=self.provider))

    @cached_property
    def resource_group(self) -> pulumi.Input[str]:
        if self.borrowed is not None:
            return self.borrowed.get("resource_group")
        if self.settings.resource_group:
            return self.settings.resource_group
        from pulumi_azure_native import resources

        owner = Component("ResourceGroup", "resource-group", self)
        group = resources.ResourceGroup(
            "resource-group/group",
            resource_group_name=self.physical("azure.generic", "rg"),
            location=self.location,
            tags=self.tags,
            opts=owner.child(stateful=True),
        )
        owner.register_outputs({"name": group.name})
        return group.name

    @cached_property
    def network(self) -> Network:
        from providers.azure.network import Network

        return Network(self)

    @cached_property
    def vault(self) -> Vault:
        from providers.azure.secret import Vault

        return Vault(self)

    @cached_property
    def namespace(self) -> Namespace | BorrowedNamespace:
        if self.borrowed is not None:
            return BorrowedNamespace(self.borrowed.get("service_bus", "namespace_name"),
                                     self.borrowed.get("service_bus", "namespace_id"))
        from providers.azure.pubsub import Namespace

        return Namespace(self)

    @cached_property
    def service_auth(self) -> ServiceAuthKey:
        from providers.azure.secret import ServiceAuthKey

        return ServiceAuthKey(self)

    def physical(self, namespace: str, *parts: str) -> str:
        """A physical name the plan does not list (resource group, network, vault). A shared preview's names start
        with its env (`pr-N`), so that the PR survives the cut of short namespaces (Key Vault: 24 characters)."""
        env, app = self.plan.env.name, self.plan.app
        return naming.make(namespace, *((env, app) if self.borrowed is not None else (app, env)), *parts)

    def generated(self, logical: str, parent: Component, sizing: Sizing, *, length: int) -> random.RandomPassword:
        return random.RandomPassword(logical, length=length, special=False, opts=parent.child(sizing, stateful=True))

    def warn(self, res: PlannedResource, message: str) -> None:
        pulumi.log.warn(f"{res.key}: {message}")

    def fragments(self) -> list[dict[str, Any]]:
        """Env-wide Provisioned fragments: the signing key."""
        return [self.service_auth.fragment()]

    def outputs(self, provisioned: dict[str, Any]) -> dict[str, Any]:
        """Stack outputs beyond `provisioned` and `cron_jobs`: the vault's name, each service's identity, the SQL jobs
        the deploy starts, for Go apps with topics the Key Vault secret holding their legacy runtime config, and
        outside previews what the env lends its shared preview envs (docs/azure.md)."""
        from providers.azure.delivery import (
            IDENTITIES_OUTPUT,
            LEGACY_OUTPUT,
            SHARES_OUTPUT,
            SQL_JOBS_OUTPUT,
            VAULT_OUTPUT,
            legacy_config_secret,
        )

        outputs: dict[str, Any] = {VAULT_OUTPUT: self.vault.vault.name, IDENTITIES_OUTPUT: self.identities}
        if self.sql_jobs:
            outputs[SQL_JOBS_OUTPUT] = self.sql_jobs
        secret = legacy_config_secret(self, provisioned)
        if secret is not None:
            outputs[LEGACY_OUTPUT] = secret
        if not self.plan.env.is_preview:
            outputs[SHARES_OUTPUT] = self.shares()
        return outputs

    def shares(self) -> dict[str, Any]:
        """What this env lends its shared preview envs, by Azure's own keys (docs/azure.md): the resource group, the
        vault, the network and namespace when built, and what the handlers lent (`lent`). No secret value."""
        vault = self.vault.vault
        shares: dict[str, Any] = {
            "resource_group": self.resource_group,
            "location": self.location,
            "subscription_id": self.client.subscription_id,
            "key_vault": {"id": vault.id, "name": vault.name, "uri": vault.properties.vault_uri},
            **self.lent,
        }
        if "network" in self.__dict__:
            net = self.network
            shares["network"] = {"vnet_id": net.vnet_id, "sql_subnet_id": net.sql_subnet_id,
                                 "endpoint_subnet_id": net.endpoint_subnet_id, "jobs_subnet_id": net.jobs_subnet_id}
        if "namespace" in self.__dict__:
            shares["service_bus"] = {"namespace_id": self.namespace.namespace_id,
                                    "namespace_name": self.namespace.namespace_name}
        return shares


def start(plan: Plan, *, app_root: Path | None = None) -> AzureSession:
    return AzureSession(plan, app_root=app_root)

"""The `orchestrator:azure` block of a stack file (the `settings` part) and the location an Azure env deploys to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.core.errors import BadInput, MissingTool

if TYPE_CHECKING:
    from orchestrator.core.envs import Env
    from orchestrator.core.plan import Plan

JOBS_SDK = ("azure.identity", "azure.mgmt.appcontainers")
ARM_ID = r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+"


class Settings(BaseModel):
    """`orchestrator:azure`: an existing resource group or network, SKUs, and the API's public URL."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    resource_group: str | None = Field(default=None, alias="resourceGroup", pattern=r"^[-\w._()]{1,90}$")
    """An existing resource group to deploy into (default: one per env, created)."""
    virtual_network_id: str | None = Field(default=None, alias="virtualNetworkId", pattern=ARM_ID + r"$")
    sql_subnet_id: str | None = Field(default=None, alias="sqlSubnetId", pattern=ARM_ID + r"/subnets/[^/]+$")
    """Delegated to Microsoft.DBforPostgreSQL/flexibleServers."""
    endpoint_subnet_id: str | None = Field(default=None, alias="endpointSubnetId", pattern=ARM_ID + r"/subnets/[^/]+$")
    """Private endpoints (Redis, Service Bus Premium)."""
    jobs_subnet_id: str | None = Field(default=None, alias="jobsSubnetId", pattern=ARM_ID + r"/subnets/[^/]+$")
    """Delegated to Microsoft.App/environments: the in-network SQL job."""
    sql_sku: str | None = Field(default=None, alias="sqlSku", pattern=r"^Standard_[A-Za-z0-9_]+$")
    """Default: Standard_D2ds_v5 (General Purpose) in production, Standard_B1ms (Burstable) elsewhere."""
    service_bus_sku: Literal["Standard", "Premium"] = Field(default="Standard", alias="serviceBusSku")
    """Premium adds a private endpoint and disables public network access (R-MSG-10)."""
    gateway_base_url: str = Field(default="", alias="gatewayBaseUrl", pattern=r"^(https?://\S+)?$")
    sql_client_image: str = Field(default="docker.io/library/postgres:17-alpine", alias="sqlClientImage")
    """The stock PostgreSQL client image the in-network SQL job runs."""

    def existing_network(self, where: str) -> bool:
        """True when the stack names an existing network (all four ids), False when we build one."""
        ids = (self.virtual_network_id, self.sql_subnet_id, self.endpoint_subnet_id, self.jobs_subnet_id)
        if all(ids):
            return True
        if any(ids):
            raise BadInput("orchestrator:azure needs all of virtualNetworkId, sqlSubnetId, endpointSubnetId and "
                           "jobsSubnetId to use an existing network, or none of them", where=where)
        return False


def region(provider_config: Mapping[str, Any], where: str) -> str | None:
    """`azure-native:location`, required."""
    location = provider_config.get("azure-native:location")
    if not isinstance(location, str) or not location:
        raise BadInput("azure-native:location is required for cloud 'azure'", where=where)
    return location


def settings_of(env: Env) -> Settings:
    """The validated `orchestrator:azure` block of an Azure env."""
    assert isinstance(env.settings, Settings), f"env {env.name} is not an Azure env"
    return env.settings


def check_deploy(plan: Plan) -> None:
    """Refuse (exit 2) a deploy whose runtime config would hold an empty gateway base URL (no compute serves it),
    (exit 6) one with databases when the SDK that starts their SQL jobs after `pulumi up` is missing, and (exit 7)
    a shared preview env of what it cannot isolate on its base's servers (providers/azure/shares.py)."""
    import importlib.util

    from orchestrator.core.model import Kind
    from providers.azure.shares import check

    check(plan)

    if any(True for _ in plan.of_kind(Kind.SQL)) and any(importlib.util.find_spec(m) is None for m in JOBS_SDK):
        raise MissingTool(f"the deploy starts each database's SQL job with {' and '.join(JOBS_SDK)}: pip install "
                          "'encore-orchestrator[azure]'; nothing was changed", where=f"env {plan.env.name}")
    if any(True for _ in plan.of_kind(Kind.GATEWAY)) and not settings_of(plan.env).gateway_base_url:
        raise BadInput("the app has a gateway and the stack key orchestrator:azure.gatewayBaseUrl is empty; set it "
                       "to the API's public URL; nothing was changed", where=plan.env.path or f"env {plan.env.name}")


def preview_block(block: dict[str, Any]) -> dict[str, Any]:
    """The base's block as its preview envs take it: without the base's API URL (a preview serves its own; a
    template stack gives it, e.g. `gatewayBaseUrl: https://pr-{pr}.preview.example.com`)."""
    return {key: value for key, value in block.items() if key != "gatewayBaseUrl"}

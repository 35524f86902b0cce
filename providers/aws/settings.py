"""The `orchestrator:aws` block of a stack file (the `settings` part) and the region an AWS env deploys to."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from orchestrator.core.envs import Env
    from orchestrator.core.plan import Plan

from orchestrator.core.errors import BadInput


class Settings(BaseModel):
    """`orchestrator:aws`: an existing network, engine mode and where the runtime config is uploaded."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    vpc_id: str | None = Field(default=None, alias="vpcId", pattern=r"^vpc-[0-9a-f]{8,17}$")
    private_subnet_ids: tuple[str, ...] = Field(default=(), alias="privateSubnetIds")
    sql_mode: Literal["serverless", "provisioned"] = Field(default="serverless", alias="sqlMode")
    sql_instance_class: str = Field(
        default="db.r6g.large", alias="sqlInstanceClass", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$"
    )
    compute_principal: str = Field(default="ecs-tasks.amazonaws.com", alias="computePrincipal")
    availability_zones: tuple[str, ...] = Field(default=(), alias="availabilityZones")
    gateway_base_url: str = Field(default="", alias="gatewayBaseUrl", pattern=r"^(https?://\S+)?$")
    sql_ca_cert_pem: str | None = Field(default=None, alias="sqlCaCertPem", pattern=r"^-----BEGIN CERTIFICATE-----")


def region(provider_config: Mapping[str, Any], where: str) -> str | None:
    """`aws:region`, required and checked against AWS's region-name shape."""
    name = provider_config.get("aws:region")
    if not isinstance(name, str):
        raise BadInput("aws:region is required for cloud 'aws'", where=where)
    if not re.match(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$", name):
        raise BadInput(f"aws:region {name!r} is not an AWS region name", where=where)
    return name


def settings_of(env: Env) -> Settings:
    """The validated `orchestrator:aws` block of an AWS env."""
    assert isinstance(env.settings, Settings), f"env {env.name} is not an AWS env"
    return env.settings


def check_deploy(plan: Plan) -> None:
    """Refuse (exit 2) a deploy whose runtime config would hold an empty gateway base URL: nothing derives it yet
    (no compute serves the API), so the stack file must say it."""
    from orchestrator.core.model import Kind

    if any(True for _ in plan.of_kind(Kind.GATEWAY)) and not settings_of(plan.env).gateway_base_url:
        raise BadInput("the app has a gateway and the stack key orchestrator:aws.gatewayBaseUrl is empty; set it to "
                       "the API's public URL; nothing was changed", where=plan.env.path or f"env {plan.env.name}")


def preview_block(block: dict[str, Any]) -> dict[str, Any]:
    """The base's block as its preview envs take it: without the base's API URL (a preview serves its own; a
    template stack gives it, e.g. `gatewayBaseUrl: https://pr-{pr}.preview.example.com`)."""
    return {key: value for key, value in block.items() if key != "gatewayBaseUrl"}

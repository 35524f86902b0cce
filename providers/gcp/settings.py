"""The `orchestrator:gcp` block of a stack file (the `settings` part), the env's region and project."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.core.errors import BadInput

if TYPE_CHECKING:
    from orchestrator.core.envs import Env
    from orchestrator.core.plan import Plan


class Settings(BaseModel):
    """`orchestrator:gcp`: an existing network, the Cloud SQL tier, the SQL job's image and the API's URL."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    network: str | None = Field(default=None, pattern=r"^(projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/global/networks/)?"
                                                      r"[a-z]([-a-z0-9]*[a-z0-9])?$")
    """An existing VPC (name or `projects/<p>/global/networks/<name>`) that already has private services access."""
    subnetwork: str | None = Field(default=None, pattern=r"^(projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/regions/[a-z0-9-]+"
                                                         r"/subnetworks/)?[a-z]([-a-z0-9]*[a-z0-9])?$")
    sql_tier: str | None = Field(default=None, alias="sqlTier", pattern=r"^db-[a-z0-9-]+$")
    """Cloud SQL machine tier; default db-custom-2-7680 where data is protected (production), else db-f1-micro."""
    sql_job_image: str = Field(default="docker.io/library/postgres:16-alpine", alias="sqlJobImage")
    """A stock PostgreSQL client image (psql 15+) for the in-network job that creates roles and runs migrations."""
    gateway_base_url: str = Field(default="", alias="gatewayBaseUrl", pattern=r"^(https?://\S+)?$")


def region(provider_config: Mapping[str, Any], where: str) -> str | None:
    """`gcp:region` (default us-central1); `gcp:project` is required."""
    if not isinstance(provider_config.get("gcp:project"), str):
        raise BadInput("gcp:project is required for cloud 'gcp'", where=where)
    return provider_config.get("gcp:region") or "us-central1"


def project(provider_config: Mapping[str, Any]) -> str | None:
    return provider_config.get("gcp:project")


def settings_of(env: Env) -> Settings:
    """The validated `orchestrator:gcp` block of a GCP env."""
    assert isinstance(env.settings, Settings), f"env {env.name} is not a GCP env"
    return env.settings


def check_deploy(plan: Plan) -> None:
    """Refuse (exit 2) a deploy that would need what the stack file does not say: an existing subnetwork without its
    network, or an app with a gateway and no base URL (nothing derives it while no compute serves the API)."""
    from orchestrator.core.model import Kind

    env, where = plan.env, plan.env.path or f"env {plan.env.name}"
    gcp = settings_of(env)
    if gcp.subnetwork and not gcp.network:
        raise BadInput("orchestrator:gcp.subnetwork needs orchestrator:gcp.network; nothing was changed", where=where)
    if any(True for _ in plan.of_kind(Kind.GATEWAY)) and not gcp.gateway_base_url:
        raise BadInput("the app has a gateway and the stack key orchestrator:gcp.gatewayBaseUrl is empty; set it to "
                       "the API's public URL; nothing was changed", where=where)


def preview_block(block: dict[str, Any]) -> dict[str, Any]:
    """The base's block as its preview envs take it: without the base's API URL (a preview serves its own; a
    template stack gives it, e.g. `gatewayBaseUrl: https://pr-{pr}.preview.example.com`)."""
    return {key: value for key, value in block.items() if key != "gatewayBaseUrl"}

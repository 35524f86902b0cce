"""`orchestrator env init`: a new stack file from a template, checked by the same loader every command uses."""

from __future__ import annotations

from orchestrator.core.envs import EnvType

# Where each target's resources go: the provider keys a new stack file starts with (edit them after).
LOCATION: dict[str, dict[str, str]] = {
    "local": {},
    "aws": {"aws:region": "eu-west-1"},
    "gcp": {"gcp:project": "my-gcp-project", "gcp:region": "europe-west1"},
    "azure": {"azure-native:location": "westeurope"},
}

TEMPLATE = """\
# Environment {name}: made by `orchestrator env init`. Edit it freely; every command reads it.
# Keys: docs/ (orchestrator:* neutral keys, orchestrator:{cloud} block for this cloud).
config:
  orchestrator:cloud: {cloud}
  orchestrator:envType: {env_type}
{app}{location}"""


def render(name: str, cloud: str, env_type: EnvType, app: str | None) -> str:
    location = "".join(f"  {key}: {value}\n" for key, value in LOCATION.get(cloud, {}).items())
    app_line = f"  orchestrator:app: {app}\n" if app else (
        "  # orchestrator:app: my-app   # default: the app folder's name\n")
    return TEMPLATE.format(name=name, cloud=cloud, env_type=env_type.value, app=app_line, location=location)

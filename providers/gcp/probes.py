"""How `orchestrator verify` reads what GCP holds for a runtime config (the `probes` part): the config at a gs:// URL
and Secret Manager provider secrets. Pub/Sub and GCS checks come with the GCP target's handlers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from providers.probing import Check
from runtime_config.secrets import SecretData, SecretError


def fetch_gs(location: str) -> bytes:
    try:
        from google.cloud import storage  # type: ignore[import-not-found]
    except ImportError:
        raise SecretError("reading gs:// needs google-cloud-storage (not installed)") from None
    bucket, _, key = location.removeprefix("gs://").partition("/")
    return storage.Client().bucket(bucket).blob(key).download_as_bytes()


def secret_manager_value(ref: SecretData.ProviderRef, provider: Any) -> bytes:
    """A `gcp_sm` provider secret, read the way the core reads it (projects/<p>/secrets/<id>/versions/<v>)."""
    try:
        from google.cloud import secretmanager  # type: ignore[import-not-found]
    except ImportError:
        raise SecretError("cannot resolve provider secret here (google-cloud-secret-manager not installed)") from None
    name = ref.id
    if not name.startswith("projects/"):
        name = f"projects/{provider.project_id}/secrets/{name}"
    if "/versions/" not in name:
        name += f"/versions/{ref.version or 'latest'}"
    client = secretmanager.SecretManagerServiceClient()
    return client.access_secret_version(name=name).payload.data


PUBSUB: dict[str, Callable[..., Iterator[Check]]] = {}
BUCKET: dict[str, Callable[..., Iterator[Check]]] = {}
CONFIG_FETCH: dict[str, Callable[[str], bytes]] = {"gs": fetch_gs}
SECRET_PROVIDERS: dict[str, Callable[[SecretData.ProviderRef, Any], bytes]] = {"gcp_sm": secret_manager_value}

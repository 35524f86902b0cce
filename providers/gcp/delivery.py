"""What a GCP deploy hands over after the engine ran (the `delivery` part), and `secret set`.

TypeScript apps read the runtime config from GCS (`ENCORE_RUNTIME_CONFIG_PATH=gs://<bucket>/<service>/
runtime-config.pb`, fetched by runtimes/core/src/runtimeconfig with the process's own credentials): the program
creates the env's private bucket (output `runtime_config_bucket`) and lets each service account read its own object
only (an IAM condition on the object name). Until the compute issue splits an app into processes, each service's
object holds the config of a process hosting every service (as on AWS); its place and its reader are already
per service. Go apps read `infra.config.json` shipped with the image and their Secret Manager-backed secrets
through `ENCORE_SECRET_PROVIDERS`. Secret values the platform injects are named by their Secret Manager version
path (Cloud Run's `secretKeyRef`). google-cloud-storage and google-auth are imported on use.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.core.errors import BadInput, OrchestratorError
from providers.base import Delivered

if TYPE_CHECKING:
    from orchestrator.core.envs import Env
    from orchestrator.core.plan import Plan
    from runtime_config.infra import Provisioned

BUCKET_OUTPUT = "runtime_config_bucket"
PROJECT_VAR = "GOOGLE_CLOUD_PROJECT"
SECRET_MANAGER = "https://secretmanager.googleapis.com/v1"


def bucket_from_outputs(outputs: Mapping[str, Any], *, env: str) -> str:
    """The bucket name from stack outputs (plain values or Automation API `OutputValue`s)."""
    value = outputs.get(BUCKET_OUTPUT)
    value = getattr(value, "value", value)
    if not isinstance(value, str) or not value:
        raise OrchestratorError(
            f"the stack has no {BUCKET_OUTPUT!r} output, so the runtime config cannot be uploaded "
            "(the GCP session's outputs() must export the bucket it creates for it)",
            where=f"env {env}",
        )
    return value


def upload(path: Path, *, bucket: str, obj: str, client: Any = None) -> str:
    """Put `path` at gs://bucket/obj (GCS encrypts at rest; the CRC32C is checked on receipt); returns that URL."""
    url = f"gs://{bucket}/{obj}"
    try:
        if client is None:
            from google.cloud import storage  # type: ignore[import-not-found]

            client = storage.Client()
        blob = client.bucket(bucket).blob(obj)
        blob.upload_from_filename(str(path), content_type="application/x-protobuf", checksum="crc32c")
    except ImportError:
        raise OrchestratorError("uploading to gs:// needs google-cloud-storage: pip install "
                                "'encore-orchestrator[gcp]'", where=url) from None
    except Exception as exc:  # google.api_core / google.auth errors: their first line says what failed
        raise OrchestratorError(f"upload failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                                where=url) from None
    return url


def deliver(plan: Plan, provisioned: Provisioned, outputs: Mapping[str, Any], out_dir: Path) -> Delivered:
    """Write the runtime config under `out_dir` and, for TypeScript, upload each service's object."""
    from orchestrator.core.model import Kind, Language
    from providers.gcp import args
    from runtime_config.encode import PATH_VAR
    from runtime_config.write import RUNTIME_CONFIG_FILE, write_outputs

    env = plan.env
    env_vars = {PROJECT_VAR: env.project} if env.project else {}
    if plan.language is Language.GO:
        written = write_outputs(plan, provisioned, out_dir)
        note = (f"Go apps read {written.paths['infra_config']} from a file: ship it with the image and point "
                "ENCORE_INFRA_CONFIG_PATH at it")
        return Delivered(provisioned, dict(written.paths), {**env_vars, **written.env}, secret_sources(provisioned),
                         [note])
    bucket = bucket_from_outputs(outputs, env=env.name)
    services = [r.name for r in plan.of_kind(Kind.SERVICE)]
    files: dict[str, Path] = {}
    urls: dict[str, str] = {}
    for service in services:
        obj = args.config_object(service, RUNTIME_CONFIG_FILE)
        mine = provisioned.model_copy(update={"runtime_config_url": f"gs://{bucket}/{obj}"})
        written = write_outputs(plan, mine, out_dir / service)
        files[f"runtime_config:{service}"] = written.paths["runtime_config"]
        urls[service] = upload(written.paths["runtime_config"], bucket=bucket, obj=obj)
    notes = [f"service {name}: {PATH_VAR}={url} (readable by its service account only)" for name, url in urls.items()]
    if len(urls) == 1:
        env_vars[PATH_VAR] = next(iter(urls.values()))
    first = next(iter(urls.values()), None)
    recorded = provisioned.model_copy(update={"runtime_config_url": first}) if len(urls) == 1 else provisioned
    return Delivered(recorded, files, env_vars, secret_sources(provisioned), notes)


def secret_sources(provisioned: Provisioned) -> dict[str, str | None]:
    """Every env var the platform must inject -> the Secret Manager version it reads (None if unknown)."""
    return {ref.env: ref.source for _, ref in provisioned.secret_refs() if ref.env}


def set_secret(env: Env, secret_id: str, value: str, deployed: Mapping[str, Any] | None = None, *,
               session: Any = None) -> None:
    """Add `value` as the newest version of Secret Manager secret `secret_id` in the env's project (REST API, the
    caller's Application Default Credentials; its name and the project find it: `deployed` is not needed)."""
    if not env.project:
        raise BadInput("gcp:project is required to set a secret", where=f"env {env.name}")
    url = f"{SECRET_MANAGER}/projects/{env.project}/secrets/{secret_id}:addVersion"
    data = value.encode()
    body = {"payload": {"data": base64.b64encode(data).decode(), "dataCrc32c": str(_crc32c(data))}}
    try:
        if session is None:
            import google.auth
            from google.auth.transport.requests import AuthorizedSession

            credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
            session = AuthorizedSession(credentials)
        reply = session.post(url, json=body, timeout=30)
    except ImportError:
        raise OrchestratorError("setting a secret needs google-auth: pip install 'encore-orchestrator[gcp]'",
                                where=secret_id) from None
    except Exception as exc:  # google.auth.exceptions.DefaultCredentialsError, requests errors
        raise OrchestratorError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, where=secret_id) from None
    if reply.status_code == 404:
        raise BadInput(f"no such secret in project {env.project}; deploy {env.name} first", where=secret_id)
    if reply.status_code >= 300:
        message = _error_message(reply)
        raise OrchestratorError(f"HTTP {reply.status_code}: {message}", where=secret_id)


def _error_message(reply: Any) -> str:
    try:
        return str(reply.json().get("error", {}).get("message", "")) or reply.reason
    except ValueError:
        return str(reply.reason)


def _crc32c(data: bytes) -> int:
    """CRC32C (Castagnoli), which Secret Manager checks the payload against."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF

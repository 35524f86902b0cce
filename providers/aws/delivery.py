"""What an AWS deploy hands over after the engine ran (the `delivery` part), and `secret set`.

TypeScript apps read the runtime config from S3 (`ENCORE_RUNTIME_CONFIG_PATH=s3://...`): the
Pulumi program creates the bucket (private, encrypted) and exports its name as the stack output
`runtime_config_bucket`; the object is written with server-side encryption and a SHA-256 checksum
that S3 verifies on receipt. Go apps read a file shipped with the image. Secret values the
platform injects are named in ECS `valueFrom` syntax. boto3 is imported on use.
"""

from __future__ import annotations

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
KEY = "runtime-config.pb"


def bucket_from_outputs(outputs: Mapping[str, Any], *, env: str) -> str:
    """The bucket name from stack outputs (plain values or Automation API `OutputValue`s)."""
    value = outputs.get(BUCKET_OUTPUT)
    value = getattr(value, "value", value)
    if not isinstance(value, str) or not value:
        raise OrchestratorError(
            f"the stack has no {BUCKET_OUTPUT!r} output, so the runtime config cannot be uploaded "
            "(orchestrator/engine/program.py must export the bucket it creates for it)",
            where=f"env {env}",
        )
    return value


def upload(path: Path, *, bucket: str, region: str | None, key: str = KEY, client: Any = None) -> str:
    """Put `path` at s3://bucket/key with SSE-S3; returns that URL."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    url = f"s3://{bucket}/{key}"
    s3 = client or boto3.client("s3", region_name=region)
    try:
        s3.put_object(
            Bucket=bucket, Key=key, Body=path.read_bytes(), ServerSideEncryption="AES256",
            ContentType="application/x-protobuf", ChecksumAlgorithm="SHA256",
        )
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise OrchestratorError(f"upload failed: {err.get('Code')}: {err.get('Message')}", where=url) from None
    except BotoCoreError as exc:
        raise OrchestratorError(f"upload failed: {exc}", where=url) from None
    return url


def deliver(plan: Plan, provisioned: Provisioned, outputs: Mapping[str, Any], out_dir: Path) -> Delivered:
    """Write the runtime config under `out_dir` and, for TypeScript, upload it where the process reads it."""
    from orchestrator.core.model import Language
    from runtime_config.encode import PATH_VAR
    from runtime_config.write import write_outputs

    env = plan.env
    env_vars = {"AWS_REGION": env.region} if env.region else {}
    if plan.language is Language.GO:
        written = write_outputs(plan, provisioned, out_dir)
        note = (f"Go apps read {written.paths['infra_config']} from a file: ship it with the image and point "
                "ENCORE_INFRA_CONFIG_PATH at it")
        return Delivered(provisioned, dict(written.paths), {**env_vars, **written.env}, secret_sources(provisioned),
                         [note])
    bucket = bucket_from_outputs(outputs, env=env.name)
    provisioned = provisioned.model_copy(update={"runtime_config_url": f"s3://{bucket}/{KEY}"})
    written = write_outputs(plan, provisioned, out_dir)
    env_vars[PATH_VAR] = upload(written.paths["runtime_config"], bucket=bucket, region=env.region)
    return Delivered(provisioned, dict(written.paths), env_vars, secret_sources(provisioned), [])


def secret_sources(provisioned: Provisioned) -> dict[str, str | None]:
    """Every env var the platform must inject -> where its value lives (ECS `valueFrom` syntax), None if unknown."""
    out: dict[str, str | None] = {}
    for _, ref in provisioned.secret_refs():
        if ref.env:
            out[ref.env] = (f"{ref.source}:{ref.json_key}::" if ref.json_key else ref.source) if ref.source else None
    return out


def set_secret(env: Env, secret_id: str, value: str, deployed: Mapping[str, Any] | None = None) -> None:
    """Put `value` as the current version of Secrets Manager secret `secret_id` in the env's region (its name and the
    region find it: `deployed` is not needed)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("secretsmanager", region_name=env.region)
    try:
        client.put_secret_value(SecretId=secret_id, SecretString=value)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException" and env.shares_base:
            raise BadInput(f"no such secret in {env.region}: {env.name} reads its secrets from its base env {env.base} "
                           "except those it keeps itself (orchestrator preview-env up --own-secret NAME, then deploy "
                           f"{env.name}); nothing was changed", where=secret_id) from None
        if code == "ResourceNotFoundException":
            raise BadInput(f"no such secret in {env.region}; deploy {env.name} first", where=secret_id) from None
        message = exc.response.get("Error", {}).get("Message", "")
        raise OrchestratorError(f"{code}: {message}", where=secret_id) from None
    except BotoCoreError as exc:
        raise OrchestratorError(str(exc), where=secret_id) from None

"""Upload the runtime config to the env's private bucket, for `ENCORE_RUNTIME_CONFIG_PATH=s3://...`.

The Pulumi program creates the bucket (private, encrypted) and exports its name as the stack
output `runtime_config_bucket`. The object is written with server-side encryption and a
SHA-256 checksum that S3 verifies on receipt.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orchestrator.core.errors import OrchestratorError

BUCKET_OUTPUT = "runtime_config_bucket"
KEY = "runtime-config.pb"


def bucket_from_outputs(outputs: Mapping[str, Any], *, env: str) -> str:
    """The bucket name from stack outputs (plain values or Automation API `OutputValue`s)."""
    value = outputs.get(BUCKET_OUTPUT)
    value = getattr(value, "value", value)
    if not isinstance(value, str) or not value:
        raise OrchestratorError(
            f"the stack has no {BUCKET_OUTPUT!r} output, so the runtime config cannot be uploaded "
            "(orchestrator/program.py must export the bucket it creates for it)",
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

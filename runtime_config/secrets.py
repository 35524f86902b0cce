"""How the native core computes a SecretData's value (secretdata.proto): source, then encoding, then json_key.

`orchestrator verify` and the tests use it to read a written config exactly as the runtime does.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Callable, Mapping
from typing import Any

from runtime_config.schema import runtime_pb2, secretdata_pb2

SecretData = secretdata_pb2.SecretData
ProviderValue = Callable[[SecretData.ProviderRef, Any], bytes]
"""(the reference, the config's secret provider message) -> the secret's bytes."""


class SecretError(Exception):
    """A SecretData that cannot be resolved; the message never holds the value."""


def resolve(
    data: SecretData,
    environ: Mapping[str, str],
    config: runtime_pb2.RuntimeConfig | None = None,
    providers: Mapping[str, ProviderValue] | None = None,
) -> bytes:
    """A SecretData's value as the core computes it: source -> encoding -> json_key.

    A `provider` source is read by `providers[<the config's secret provider kind>]` (the probes of the
    cloud whose secret store it is); without one it cannot be resolved here.
    """
    source = data.WhichOneof("source")
    if source == "embedded":
        raw = data.embedded
    elif source == "env":
        raw = _env_value(data.env, environ).encode()
    elif source == "provider":
        raw = _provider_value(data.provider, config, providers or {})
    else:
        raise SecretError("no source set")
    if data.encoding == SecretData.ENCODING_BASE64:
        raw = _b64(raw)
    elif data.encoding == SecretData.ENCODING_GZIP:
        try:
            raw = gzip.decompress(_b64(raw))
        except (OSError, EOFError):
            raise SecretError("encoding gzip: not gzip data") from None
    if data.WhichOneof("sub_path") == "json_key":
        raw = _json_key(raw, data.json_key)
    return raw


def _env_value(name: str, environ: Mapping[str, str]) -> str:
    if name not in environ:
        raise SecretError(f"environment variable {name} is not set")
    value = environ[name]
    if value.startswith("envref:"):
        parts = []
        for ref in value[len("envref:") :].split(","):
            if ref not in environ:
                raise SecretError(f"environment variable {ref} (from envref in {name}) is not set")
            parts.append(environ[ref])
        value = "".join(parts)
    return value


def _b64(raw: bytes) -> bytes:
    try:
        return base64.b64decode(raw, validate=True)
    except binascii.Error:
        raise SecretError("encoding base64: not standard base64") from None


def _json_key(raw: bytes, key: str) -> bytes:
    try:
        doc = json.loads(raw)
    except ValueError:
        raise SecretError(f"json_key {key!r}: the value is not JSON") from None
    if not isinstance(doc, dict) or key not in doc:
        raise SecretError(f"json_key {key!r}: no such key")
    value = doc[key]
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, dict) and isinstance(value.get("bytes"), str):
        return _b64(value["bytes"].encode())
    if isinstance(value, dict) and isinstance(value.get("string"), str):
        return value["string"].encode()
    raise SecretError(f"json_key {key!r}: expected a string or an object with 'bytes' or 'string'")


def _provider_value(ref: SecretData.ProviderRef, config: runtime_pb2.RuntimeConfig | None,
                    readers: Mapping[str, ProviderValue]) -> bytes:
    declared = config.infra.resources.secret_providers if config else []
    provider = next((p for p in declared if p.rid == ref.provider_rid), None)
    if provider is None:
        raise SecretError(f"secret provider {ref.provider_rid!r} is not in this config")
    kind = provider.WhichOneof("provider") or ""
    reader = readers.get(kind)
    if reader is None:
        raise SecretError(f"cannot read {kind or 'an unset'} provider secrets here")
    return reader(ref, getattr(provider, kind))

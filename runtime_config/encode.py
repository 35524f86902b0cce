"""How the runtime-config bytes reach the process: an `ENCORE_RUNTIME_CONFIG` value or a location.

The native core accepts standard, padded base64 of the protobuf, or `gzip:` + standard base64 of
its gzip (runtime-config.md §6.1). One variable (name + "=" + value) must fit the platform's limit
(trap 19); above it the process gets `ENCORE_RUNTIME_CONFIG_PATH` instead, pointing at a file or
an `s3://bucket/key` / `gs://bucket/object` the core downloads itself.
"""

from __future__ import annotations

import base64
import gzip
import re

from orchestrator.core.errors import BadInput

INLINE_VAR = "ENCORE_RUNTIME_CONFIG"
PATH_VAR = "ENCORE_RUNTIME_CONFIG_PATH"
GZIP_PREFIX = "gzip:"

BUCKET_URL = re.compile(r"^(s3|gs)://[^/]+/.+$")


def to_env_value(pb: bytes) -> str:
    """The shorter of plain base64 and `gzip:` + base64 of a deterministic (mtime 0) gzip."""
    plain = base64.b64encode(pb).decode("ascii")
    packed = GZIP_PREFIX + base64.b64encode(gzip.compress(pb, compresslevel=9, mtime=0)).decode("ascii")
    return packed if len(packed) < len(plain) else plain


def runtime_config_env(pb: bytes, *, size_limit: int, path: str) -> dict[str, str]:
    """`ENCORE_RUNTIME_CONFIG` when `NAME=value` fits `size_limit` bytes, else `ENCORE_RUNTIME_CONFIG_PATH=path`."""
    check_location(path)
    value = to_env_value(pb)
    if len(INLINE_VAR) + 1 + len(value) <= size_limit:
        return {INLINE_VAR: value}
    return {PATH_VAR: path}


def check_location(path: str) -> None:
    """A location the core can read: an absolute file path, `s3://bucket/key` or `gs://bucket/object`."""
    if path.startswith(("s3://", "gs://")):
        if not BUCKET_URL.match(path):
            raise BadInput(f"{path!r} needs a bucket and an object key", where=PATH_VAR)
    elif "://" in path:
        raise BadInput(f"{path!r}: the runtime reads only files, s3:// and gs:// locations", where=PATH_VAR)
    elif not path.startswith("/"):
        raise BadInput(f"{path!r} must be an absolute path", where=PATH_VAR)

"""The contract between `orchestrator verify` and each cloud's `probes` part.

A probes module maps runtime-config provider names to functions:
`PUBSUB[name](cluster) -> Iterator[Check]`, `BUCKET[name](cluster, config, environ) -> Iterator[Check]`,
`CONFIG_FETCH[scheme](location) -> bytes` (where ENCORE_RUNTIME_CONFIG_PATH points) and
`SECRET_PROVIDERS[kind](ref, provider) -> bytes` (a SecretData's `provider` source).
A check's function returns a one-line detail, or raises Fail (or Skip: passed, nothing to prove).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CHECK_TIMEOUT = 10.0
RECEIVE_WINDOW = 8.0
MARKER = "orchestrator-verify"


class Skip(Exception):
    """The check passes but had nothing to prove; the message says why."""


class Fail(Exception):
    """The check failed for the reason in the message."""


@dataclass(frozen=True)
class Check:
    resource: str
    name: str
    func: Callable[[], str]


def bind(func: Callable[..., str], *args: Any) -> Callable[[], str]:
    return lambda: func(*args)

"""How `orchestrator verify` talks to what Azure holds for a runtime config (the `probes` part). Nothing yet: the
configs it writes are files or inline values (no Azure URL to fetch), Key Vault is not a runtime secret provider,
and Service Bus checks need Azure's SDK, which the azure extra does not install."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from providers.probing import Check
from runtime_config.secrets import SecretData

PUBSUB: dict[str, Callable[..., Iterator[Check]]] = {}
BUCKET: dict[str, Callable[..., Iterator[Check]]] = {}
CONFIG_FETCH: dict[str, Callable[[str], bytes]] = {}
SECRET_PROVIDERS: dict[str, Callable[[SecretData.ProviderRef, Any], bytes]] = {}

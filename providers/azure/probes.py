"""How `orchestrator verify` talks to what Azure holds for a runtime config (the `probes` part): nothing to list.
The configs an Azure deploy delivers are inline or files (no Azure URL to fetch), every secret arrives as an
environment variable the platform fills from Key Vault (no provider secret to read), and buckets are refused. The one
Azure-only resource, Service Bus, is named only by the Go runtime's legacy JSON config, which verify does not read yet
(docs/azure.md, "Not done")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from providers.probing import Check
from runtime_config.secrets import SecretData

PUBSUB: dict[str, Callable[..., Iterator[Check]]] = {}
BUCKET: dict[str, Callable[..., Iterator[Check]]] = {}
CONFIG_FETCH: dict[str, Callable[[str], bytes]] = {}
SECRET_PROVIDERS: dict[str, Callable[[SecretData.ProviderRef, Any], bytes]] = {}

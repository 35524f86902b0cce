"""Which changes make the local target remake a resource (the `replace` part), for `preview`'s ledger diff.

The ledger keeps each resource's physical names (`providers/local/target.py` `diff`): a resource whose names
change is removed and made again under the new ones (a new database, queue, bucket directory or key prefix).
"""

from __future__ import annotations

from collections.abc import Mapping

from orchestrator.core.model import Kind

REPLACES: Mapping[str, frozenset[str]] = {f"local:{kind.value}": frozenset({"names"}) for kind in Kind}
"""Ledger node type (`local:<kind>`) -> inputs whose change remakes the resource."""

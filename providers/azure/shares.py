"""Shared preview envs on Azure: what a base env lends (the `shares` stack output, kept as `DeploymentRecord.shares`)
and how a shared preview reads it back (`Plan.borrowed`). Ids, names, hosts, ports and Key Vault secret references
only, never a secret value.

A shared preview borrows the base's resource group, PostgreSQL Flexible Server (plus the Container Apps environment
its SQL jobs run in and the admin password's Key Vault secret), Service Bus namespace and app secrets; it creates no
server, cache cluster, network or jobs environment. It keeps its own Key Vault for what it generates (free: Key Vault
bills per operation, and the base's production vault has purge protection, which would keep a deleted PR's secret
names blocked for 90 days). docs/azure.md "Preview environments (shared)".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orchestrator.core.errors import BadInput, Unsupported
from orchestrator.core.model import Kind, Language

if TYPE_CHECKING:
    import pulumi

    from orchestrator.core.plan import Plan

GO_CACHES = (
    "a shared preview cannot keep a Go app's cache keys apart from its base's on Azure: Azure Managed Redis (Redis "
    "Enterprise) serves only database 0 (it does not support SELECT of another database), and the Go runtime "
    "ignores key_prefix (it selects the configured database index: runtimes/go/storage/cache/manager_internal.go); "
    "use --strategy isolated"
)


def check(plan: Plan) -> None:
    """Refuse (exit 7) what a shared preview cannot isolate on Azure, and (exit 2) one without its base's shares."""
    env = plan.env
    if not env.shares_base:
        return
    caches = [res.key for res in plan.of_kind(Kind.CACHE)]
    if caches and plan.language is Language.GO:
        raise Unsupported(f"{', '.join(caches)}: {GO_CACHES}", where=f"env {env.name}")
    if not plan.borrowed:
        raise BadInput(f"base env {env.base} lends nothing to shared preview envs (redeploy it)",
                       where=f"env {env.name}")


class Borrowed:
    """A shared preview's view of its base's shares; a missing key is a one-line error naming it."""

    def __init__(self, plan: Plan) -> None:
        self.data: dict[str, Any] = dict(plan.borrowed or {})
        self.base = plan.env.base
        self.env = plan.env.name

    def get(self, *path: str) -> Any:
        node: Any = self.data
        for key in path:
            if not isinstance(node, dict) or node.get(key) in (None, ""):
                raise BadInput(f"base env {self.base}'s shares hold no {'.'.join(path)} (redeploy {self.base} with "
                               "this app's resources)", where=f"env {self.env}")
            node = node[key]
        return node

    def secret(self, encore_name: str) -> dict[str, str]:
        """The base's Key Vault secret of app secret `encore_name`: `name`, `id`, `uri`."""
        lent = self.data.get("secrets") or {}
        if encore_name not in lent:
            raise BadInput(f"secret:{encore_name}: base env {self.base} lends no such secret; keep it in the preview "
                           f"env (orchestrator preview-env up --own-secret {encore_name})", where=f"env {self.env}")
        return lent[encore_name]


@dataclass(frozen=True)
class BorrowedNamespace:
    """The base's Service Bus namespace, as `providers/azure/pubsub.py` uses its own."""

    namespace_name: pulumi.Input[str]
    namespace_id: pulumi.Input[str]

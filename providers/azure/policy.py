"""Azure's security-baseline rules (docs/security-baseline.md) over the graph rendered under mocks.

The engine (`orchestrator/policy.py`) evaluates `RULES`; the type tokens (pulumi-azure-native v3), which types take
tags (azure-native has no provider-level default tags) and the rules we knowingly do not meet (EXCEPTIONS,
docs/azure.md) are Azure's. Rule ids with `-AZ` are our own.
"""

from __future__ import annotations

from typing import Any

from orchestrator.policy import Graph, Resource, Rule, is_true, need, registrar
from providers.azure.args import BASE_TAG

SERVER = "azure-native:dbforpostgresql:Server"
CONFIGURATION = "azure-native:dbforpostgresql:Configuration"
FIREWALL = "azure-native:dbforpostgresql:FirewallRule"
NAMESPACE = "azure-native:servicebus:Namespace"
TOPIC = "azure-native:servicebus:Topic"
SUBSCRIPTION = "azure-native:servicebus:Subscription"
DEFAULT_RULE = "azure-native:servicebus:DefaultRule"
CACHE_REDIS = "azure-native:redis:Redis"
MANAGED_REDIS = "azure-native:redisenterprise:RedisEnterprise"
MANAGED_REDIS_DB = "azure-native:redisenterprise:Database"
VAULT = "azure-native:keyvault:Vault"
SECRET = "azure-native:keyvault:Secret"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
SERVICE_COMPONENT = "orchestrator:azure:Service"

SERVER_CLASS = frozenset({
    SERVER, CACHE_REDIS, MANAGED_REDIS, MANAGED_REDIS_DB, "azure-native:network:VirtualNetwork",
    "azure-native:network:Subnet", "azure-native:network:NatGateway", "azure-native:network:PublicIPAddress",
    "azure-native:app:ManagedEnvironment",
})
"""What a shared preview env borrows from its base instead of creating (PV-08): database servers, cache
clusters, networks, NAT gateways and public IPs, and the Container Apps environment of the SQL jobs."""
TAGGED = frozenset({
    RESOURCE_GROUP, SERVER, NAMESPACE, CACHE_REDIS, MANAGED_REDIS, VAULT, SECRET, IDENTITY,
    "azure-native:network:VirtualNetwork", "azure-native:network:PrivateEndpoint",
    "azure-native:privatedns:PrivateZone", "azure-native:privatedns:VirtualNetworkLink",
    "azure-native:app:ManagedEnvironment", "azure-native:app:Job",
})
"""The types we create that take `tags` (the others are ARM child resources without tags)."""

STATEFUL = frozenset({SERVER, MANAGED_REDIS, MANAGED_REDIS_DB, CACHE_REDIS, VAULT, SECRET, SUBSCRIPTION,
                      RANDOM_PASSWORD, RESOURCE_GROUP})
"""What holds data (or the only copy of a credential): production protects and retains these (P-01)."""

DATA_ROLES = {
    "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39": "Azure Service Bus Data Sender",
    "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0": "Azure Service Bus Data Receiver",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
}
"""Baseline §4.4's roles for workloads (R-IAM-13)."""
ADMIN_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}
RESOURCE_SCOPES = ("/providers/Microsoft.ServiceBus/", "/providers/Microsoft.KeyVault/vaults/")
"""Scopes a data role may be assigned at: an entity or a vault (secret), never a group or subscription."""

PREVIEW_TAGS = ("env", "pr", "created-at", "ttl")
BASE_TAGS = ("app", "env", "managed-by")
TARGET_SUB = "encore-target-sub"
LOCK_MAX_S = 300

NAME_LIMITS: dict[str, tuple[str, int]] = {
    SERVER: ("serverName", 63),
    NAMESPACE: ("namespaceName", 50),
    TOPIC: ("topicName", 260),
    SUBSCRIPTION: ("subscriptionName", 50),
    MANAGED_REDIS: ("clusterName", 60),
    SECRET: ("secretName", 127),
    IDENTITY: ("resourceName", 128),
    RESOURCE_GROUP: ("resourceGroupName", 90),
}
"""Physical-name input and provider limit per type (PV-05)."""
SHORT_NAMES: dict[str, tuple[str, int]] = {
    VAULT: ("vaultName", 24),
    "azure-native:app:Job": ("jobName", 32),
    "azure-native:app:ManagedEnvironment": ("environmentName", 32),
}
"""Checked for length only (PV-05): `<app>-<env>` rarely fits, and a hash keeps names distinct (core/naming.py)."""

EXCEPTIONS: dict[str, str] = {
    "R-SEC-08": "secrets have a content type but no expiry: the runtimes read SQL passwords, Redis keys and app "
                "secrets once at startup and nothing rotates them, so an expiry would only break a restart",
    "R-MSG-10": "the default Service Bus SKU is Standard, which has no private endpoints; set "
                "orchestrator:azure.serviceBusSku: Premium for a namespace without public network access (local "
                "auth is off either way: only Entra identities with data roles can use it)",
}
"""Rule id -> why we do not meet it (docs/azure.md has the long form)."""

RULES: list[Rule] = []
rule = registrar(RULES, EXCEPTIONS)


def _i(res: Resource, *path: str) -> Any:
    node: Any = res["inputs"]
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _env_name(graph: Graph) -> str:
    envs = [str(r["inputs"]["tags"]["env"]) for r in graph.resources
            if isinstance(r["inputs"].get("tags"), dict) and r["inputs"]["tags"].get("env")]
    return max(set(envs), key=envs.count) if envs else ""


# ---- SQL ---------------------------------------------------------------------------------------------------------


@rule("R-SQL-18", "B", [SERVER], "public network access disabled (VNet-integrated)")
def _sql_private(res: Resource, _g: Graph) -> list[str]:
    return need(_i(res, "network", "publicNetworkAccess") == "Disabled", "network.publicNetworkAccess is not Disabled")


@rule("R-SQL-19", "B", [FIREWALL], "no firewall rule opens the whole internet")
def _sql_firewall(res: Resource, _g: Graph) -> list[str]:
    everything = _i(res, "startIpAddress") == "0.0.0.0" and _i(res, "endIpAddress") == "255.255.255.255"
    return need(not everything, "the rule allows 0.0.0.0-255.255.255.255")


@rule("R-SQL-20", "B", [SERVER], "require_secure_transport on, TLS 1.2 or later")
def _sql_tls(res: Resource, g: Graph) -> list[str]:
    params = {c["inputs"].get("configurationName"): str(c["inputs"].get("value"))
              for c in g.where([CONFIGURATION], "serverName", _i(res, "serverName"))}
    problems = need(params.get("require_secure_transport", "").lower() == "on", "require_secure_transport is not on")
    return problems + need(params.get("ssl_min_protocol_version") in ("TLSv1.2", "TLSv1.3"),
                           "ssl_min_protocol_version is below TLSv1.2")


@rule("R-SQL-AZ-AUTH", "B", [SERVER], "Entra authentication enabled beside passwords")
def _sql_entra(res: Resource, _g: Graph) -> list[str]:
    return need(_i(res, "authConfig", "activeDirectoryAuth") == "Enabled", "authConfig.activeDirectoryAuth is not "
                "Enabled")


@rule("R-SQL-AZ-HA", "P", [SERVER], "zone-redundant HA and geo-redundant backups")
def _sql_ha(res: Resource, _g: Graph) -> list[str]:
    problems = need(_i(res, "highAvailability", "mode") == "ZoneRedundant", "highAvailability.mode is not "
                    "ZoneRedundant")
    return problems + need(_i(res, "backup", "geoRedundantBackup") == "Enabled", "geoRedundantBackup is not Enabled")


# ---- messaging ---------------------------------------------------------------------------------------------------


@rule("R-MSG-08", "B", [NAMESPACE], "local (SAS) authentication disabled")
def _sb_local_auth(res: Resource, _g: Graph) -> list[str]:
    return need(is_true(_i(res, "disableLocalAuth")), "disableLocalAuth is not true")


@rule("R-MSG-09", "B", [NAMESPACE], "TLS 1.2 minimum, managed identity enabled")
def _sb_tls(res: Resource, _g: Graph) -> list[str]:
    problems = need(_i(res, "minimumTlsVersion") == "1.2", "minimumTlsVersion is not 1.2")
    return problems + need(bool(_i(res, "identity", "type")), "no managed identity")


@rule("R-MSG-10", "P", [NAMESPACE], "public network access disabled (Premium)", advisory=True)
def _sb_private(res: Resource, _g: Graph) -> list[str]:
    return need(_i(res, "publicNetworkAccess") == "Disabled", "publicNetworkAccess is not Disabled")


@rule("R-MSG-11", "B", [SUBSCRIPTION], "dead-lettering on expiry, maxDeliveryCount set, lock at most 5 minutes")
def _sb_subscription(res: Resource, _g: Graph) -> list[str]:
    problems = need(is_true(_i(res, "deadLetteringOnMessageExpiration")), "deadLetteringOnMessageExpiration is "
                    "not true")
    problems += need(isinstance(_i(res, "maxDeliveryCount"), int), "maxDeliveryCount is not set")
    lock = str(_i(res, "lockDuration") or "")
    seconds = int(lock[2:-1]) if lock.startswith("PT") and lock.endswith("S") and lock[2:-1].isdigit() else None
    return problems + need(seconds is not None and seconds <= LOCK_MAX_S, f"lockDuration {lock!r} is not PT<n>S <= "
                           "5 minutes")


@rule("R-MSG-AZ-DEDUP", "B", [TOPIC], "duplicate detection off (Go retries reuse the message id)")
def _sb_dedup(res: Resource, _g: Graph) -> list[str]:
    return need(_i(res, "requiresDuplicateDetection") is False, "requiresDuplicateDetection is not false")


@rule("R-MSG-AZ-FILTER", "B", [SUBSCRIPTION], "$Default rule replaced by the encore-target-sub filter")
def _sb_filter(res: Resource, g: Graph) -> list[str]:
    name = _i(res, "subscriptionName")
    rules = [r for r in g.where([DEFAULT_RULE], "subscriptionName", name)
             if r["inputs"].get("topicName") == _i(res, "topicName")]
    expected = f"[{TARGET_SUB}] IS NULL OR [{TARGET_SUB}] = '{name}'"
    if len(rules) != 1:
        return [f"{len(rules)} $Default rules"]
    return need(_i(rules[0], "filterType") == "SqlFilter" and _i(rules[0], "sqlFilter", "sqlExpression") == expected,
                f"the $Default rule's filter is not {expected!r}")


# ---- Redis -------------------------------------------------------------------------------------------------------


@rule("R-RDS-09", "B", [CACHE_REDIS, MANAGED_REDIS, MANAGED_REDIS_DB], "TLS only, minimum TLS 1.2")
def _redis_tls(res: Resource, _g: Graph) -> list[str]:
    if res["type"] == MANAGED_REDIS_DB:
        return need(_i(res, "clientProtocol") == "Encrypted", "clientProtocol is not Encrypted")
    problems = need(_i(res, "minimumTlsVersion") == "1.2", "minimumTlsVersion is not 1.2")
    if res["type"] == CACHE_REDIS:
        problems += need(_i(res, "enableNonSslPort") is False, "enableNonSslPort is not false")
    return problems


@rule("R-RDS-10", "P", [CACHE_REDIS, MANAGED_REDIS], "public network access disabled")
def _redis_private(res: Resource, _g: Graph) -> list[str]:
    return need(_i(res, "publicNetworkAccess") == "Disabled", "publicNetworkAccess is not Disabled")


@rule("R-RDS-11", "P", [CACHE_REDIS, MANAGED_REDIS], "replicated (Standard/Premium; Managed Redis HA)")
def _redis_replicated(res: Resource, _g: Graph) -> list[str]:
    if res["type"] == MANAGED_REDIS:
        return need(_i(res, "highAvailability") == "Enabled", "highAvailability is not Enabled")
    return need(_i(res, "sku", "name") in ("Standard", "Premium"), "SKU is not Standard or Premium")


# ---- secrets -----------------------------------------------------------------------------------------------------


@rule("R-SEC-05", "B", [VAULT], "RBAC authorization")
def _vault_rbac(res: Resource, _g: Graph) -> list[str]:
    return need(is_true(_i(res, "properties", "enableRbacAuthorization")), "enableRbacAuthorization is not true")


@rule("R-SEC-08", "P", [SECRET], "expiry and content type set", advisory=True)
def _secret_attributes(res: Resource, _g: Graph) -> list[str]:
    if not isinstance(_i(res, "properties"), dict):
        return ["no expiry (the properties hold the value, so the graph masks them)"]
    problems = need(bool(_i(res, "properties", "contentType")), "no contentType")
    return problems + need(_i(res, "properties", "attributes", "expires") is not None, "no expiry")


# ---- identity ----------------------------------------------------------------------------------------------------


@rule("R-IAM-13", "B", [ROLE_ASSIGNMENT], "baseline data roles at the resource's own scope, to a service principal")
def _role_scope(res: Resource, _g: Graph) -> list[str]:
    role = str(_i(res, "roleDefinitionId") or "").rsplit("/", 1)[-1]
    scope = str(_i(res, "scope") or "")
    problems = need(role in DATA_ROLES, f"role {role} is not a baseline data role")
    problems += need(any(s in scope for s in RESOURCE_SCOPES), f"scope {scope!r} is not a Service Bus entity or vault")
    return problems + need(_i(res, "principalType") == "ServicePrincipal", "principalType is not ServicePrincipal")


@rule("R-IAM-14", "B", [ROLE_ASSIGNMENT], "no Owner, Contributor or User Access Administrator")
def _role_admin(res: Resource, _g: Graph) -> list[str]:
    role = str(_i(res, "roleDefinitionId") or "").rsplit("/", 1)[-1]
    return need(role not in ADMIN_ROLES, f"assigns {ADMIN_ROLES.get(role)}")


@rule("R-IAM-AZ-ONE", "B", [IDENTITY], "one identity per service")
def _one_identity(res: Resource, g: Graph) -> list[str]:
    parent = g.parent(res)
    if parent is None or parent["type"] != SERVICE_COMPONENT:
        return []
    identities = [c for c in g.children(parent) if c["type"] == IDENTITY]
    return need(len(identities) == 1, f"{len(identities)} identities")


# ---- previews and production safety ------------------------------------------------------------------------------


@rule("PV-01", "PV", ["*"], "nothing protected or retained")
def _pv_unprotected(res: Resource, _g: Graph) -> list[str]:
    opts = res.get("options") or {}
    return [f"{k} is set" for k in ("protect", "retainOnDelete") if opts.get(k)]


@rule("PV-04", "PV", [VAULT], "Key Vault purge protection off")
def _pv_purge(res: Resource, _g: Graph) -> list[str]:
    return need(not is_true(_i(res, "properties", "enablePurgeProtection")), "enablePurgeProtection is true")


@rule("PV-05", "PV", [*NAME_LIMITS, *SHORT_NAMES], "physical names carry the env slug and fit the provider's limit")
def _pv_names(res: Resource, g: Graph) -> list[str]:
    if res["type"] in SHORT_NAMES:
        key, limit = SHORT_NAMES[res["type"]]
        name = str(_i(res, key) or "")
        return need(0 < len(name) <= limit, f"{key} {name!r} does not fit {limit} characters")
    key, limit = NAME_LIMITS[res["type"]]
    name, slug = str(_i(res, key) or ""), _env_name(g)
    problems = need(len(name) <= limit, f"{key} {name!r} is longer than {limit}")
    return problems + need(bool(slug) and slug in name, f"{key} {name!r} lacks the env slug {slug!r}")


@rule("PV-06", "PV", TAGGED, "tagged env, pr, created-at, ttl")
def _pv_tags(res: Resource, _g: Graph) -> list[str]:
    tags = _i(res, "tags") or {}
    return [f"tag {t} missing" for t in PREVIEW_TAGS if not tags.get(t)]


@rule("PV-07", "PV", [SERVER, MANAGED_REDIS], "smallest SKUs, no HA, no geo-redundant backup")
def _pv_small(res: Resource, _g: Graph) -> list[str]:
    if res["type"] == SERVER:
        problems = need(_i(res, "sku", "tier") == "Burstable", "SKU tier is not Burstable")
        problems += need(_i(res, "highAvailability", "mode") in (None, "Disabled"), "high availability is on")
        return problems + need(_i(res, "backup", "geoRedundantBackup") != "Enabled", "geo-redundant backup is on")
    problems = need(_i(res, "sku", "name") == "Balanced_B0", "SKU is not Balanced_B0")
    return problems + need(_i(res, "highAvailability") != "Enabled", "high availability is on")


@rule("PV-08", "PV", SERVER_CLASS, "a shared preview env creates no server-class resource")
def _pv_shared(res: Resource, g: Graph) -> list[str]:
    borrowing = any(isinstance(r["inputs"].get("tags"), dict) and r["inputs"]["tags"].get(BASE_TAG)
                    for r in g.resources)
    return need(not borrowing, f"{res['type']} in a preview env that borrows its base's servers")


@rule("P-01", "P", STATEFUL, "stateful resources protected and retained")
def _p_protected(res: Resource, _g: Graph) -> list[str]:
    opts = res.get("options") or {}
    return [f"{k} is not set" for k in ("protect", "retainOnDelete") if not opts.get(k)]


@rule("R-TAG-01", "B", TAGGED, "tagged app, env, managed-by (on the resource: no provider default tags)")
def _tags(res: Resource, _g: Graph) -> list[str]:
    tags = _i(res, "tags") or {}
    return [f"tag {t} missing" for t in BASE_TAGS if not tags.get(t)]

"""Azure's answers under Pulumi mocks (the `mocks` part): ARM ids, names, host names and URIs per resource type.

Everything is derived from the inputs (deterministic), so the stack outputs and the runtime config built from them
look like a real deployment's. `orchestrator/engine/graph.py` asks `new_resource` and `call` first and falls back to a
generic id.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"
TENANT = "00000000-0000-4000-8000-000000000002"
DEFAULT_LOCATION = "westeurope"
"""The location the graph renders in when the stack file names none."""
MOCK_KEY = "mock-redis-access-key"
RANDOM_STRING = "random:index/randomString:RandomString"

_TYPES: dict[str, tuple[str, str]] = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName", ""),
    "azure-native:keyvault:Vault": ("vaultName", "Microsoft.KeyVault/vaults"),
    "azure-native:keyvault:Secret": ("secretName", "Microsoft.KeyVault/vaults/{vaultName}/secrets"),
    "azure-native:dbforpostgresql:Server": ("serverName", "Microsoft.DBforPostgreSQL/flexibleServers"),
    "azure-native:dbforpostgresql:Configuration": (
        "configurationName", "Microsoft.DBforPostgreSQL/flexibleServers/{serverName}/configurations"),
    "azure-native:dbforpostgresql:Database": (
        "databaseName", "Microsoft.DBforPostgreSQL/flexibleServers/{serverName}/databases"),
    "azure-native:redisenterprise:RedisEnterprise": ("clusterName", "Microsoft.Cache/redisEnterprise"),
    "azure-native:redisenterprise:Database": (
        "databaseName", "Microsoft.Cache/redisEnterprise/{clusterName}/databases"),
    "azure-native:servicebus:Namespace": ("namespaceName", "Microsoft.ServiceBus/namespaces"),
    "azure-native:servicebus:Topic": ("topicName", "Microsoft.ServiceBus/namespaces/{namespaceName}/topics"),
    "azure-native:servicebus:Subscription": (
        "subscriptionName", "Microsoft.ServiceBus/namespaces/{namespaceName}/topics/{topicName}/subscriptions"),
    "azure-native:servicebus:DefaultRule": ("", "Microsoft.ServiceBus/namespaces/{namespaceName}/topics/{topicName}/"
                                                "subscriptions/{subscriptionName}/rules"),
    "azure-native:managedidentity:UserAssignedIdentity": (
        "resourceName", "Microsoft.ManagedIdentity/userAssignedIdentities"),
    "azure-native:authorization:RoleAssignment": ("roleAssignmentName", ""),
    "azure-native:network:VirtualNetwork": ("virtualNetworkName", "Microsoft.Network/virtualNetworks"),
    "azure-native:network:Subnet": ("subnetName", "Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets"),
    "azure-native:network:PrivateEndpoint": ("privateEndpointName", "Microsoft.Network/privateEndpoints"),
    "azure-native:network:PrivateDnsZoneGroup": (
        "privateDnsZoneGroupName", "Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups"),
    "azure-native:privatedns:PrivateZone": ("privateZoneName", "Microsoft.Network/privateDnsZones"),
    "azure-native:privatedns:VirtualNetworkLink": (
        "virtualNetworkLinkName", "Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks"),
    "azure-native:app:ManagedEnvironment": ("environmentName", "Microsoft.App/managedEnvironments"),
    "azure-native:app:Job": ("jobName", "Microsoft.App/jobs"),
}
"""Type token -> (the input holding its name, its ARM type path with parent names from other inputs)."""

Made = tuple[str, dict[str, Any]]


def _h(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _guid(text: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, text))


def new_resource(token: str, inputs: dict[str, Any], name: str, region: str | None) -> Made | None:
    """(ARM id, outputs beyond the inputs) for an Azure resource type (and the vault's random name suffix); None for
    a type that is not Azure's."""
    if token == RANDOM_STRING:
        return f"none-{_h(name, 8)}", {"result": _h(name, int(inputs.get("length") or 6))}
    if token not in _TYPES:
        return None
    location = region or DEFAULT_LOCATION
    key, path = _TYPES[token]
    physical = str(inputs.get(key) or ("$Default" if token.endswith(":DefaultRule") else f"{name}-{_h(name, 6)}"))
    group = str(inputs.get("resourceGroupName") or "rg")
    if token == "azure-native:resources:ResourceGroup":
        rid = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{physical}"
    elif token == "azure-native:authorization:RoleAssignment":
        rid = f"{inputs.get('scope')}/providers/Microsoft.Authorization/roleAssignments/{physical}"
    else:
        rid = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/"
               f"{path.format_map({k: str(v) for k, v in inputs.items()})}/{physical}")
    out: dict[str, Any] = {"name": physical, "id": rid, "location": inputs.get("location") or location}
    out.update({k: _scrub(_unwrap(v)) for k, v in inputs.items() if isinstance(_unwrap(v), (dict, list))})
    identity = inputs.get("identity")
    if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
        # A list in requests, a map of id -> {principalId, clientId} in responses.
        out["identity"] = {**identity, "userAssignedIdentities": {
            str(i): {"principalId": _guid(f"principal/{i}"), "clientId": _guid(f"client/{i}")}
            for i in identity["userAssignedIdentities"]}}
    out.update(_extra(token, inputs, physical, location))
    return rid, out


def _scrub(value: Any) -> Any:
    """`value` without the secrets nested in it: ARM never returns them (and echoed back under mocks, a nested secret
    does not survive Pulumi's serialization)."""
    from pulumi.runtime.rpc import is_rpc_secret

    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if not is_rpc_secret(v)}
    if isinstance(value, list):
        return [_scrub(v) for v in value if not is_rpc_secret(v)]
    return value


def _unwrap(value: Any) -> Any:
    """A whole input that Pulumi marked secret (it holds a secret somewhere inside), as plain data."""
    from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

    return unwrap_rpc_secret(value) if is_rpc_secret(value) else value


def _extra(token: str, inputs: dict[str, Any], physical: str, location: str) -> dict[str, Any]:
    props = _scrub(_unwrap(inputs.get("properties")) or {})
    if token == "azure-native:keyvault:Vault":
        return {"properties": {**props, "vaultUri": f"https://{physical}.vault.azure.net/"}}
    if token == "azure-native:keyvault:Secret":
        base = f"https://{inputs.get('vaultName')}.vault.azure.net/secrets/{physical}"
        return {"properties": {**props, "secretUri": base, "secretUriWithVersion": f"{base}/{_h(base, 32)}"}}
    if token == "azure-native:dbforpostgresql:Server":
        return {"fullyQualifiedDomainName": f"{physical}.postgres.database.azure.com"}
    if token == "azure-native:redisenterprise:RedisEnterprise":
        return {"hostName": f"{physical}.{location}.redis.azure.net"}
    if token == "azure-native:managedidentity:UserAssignedIdentity":
        return {"clientId": _guid(f"client/{physical}"), "principalId": _guid(f"principal/{physical}"),
                "tenantId": TENANT}
    return {}


def call(token: str, args: dict[str, Any], region: str | None) -> dict[str, Any] | None:
    """The result of an Azure invoke; None for a token this module does not answer."""
    if token == "azure-native:authorization:getClientConfig":
        return {"clientId": _guid("deployer"), "objectId": _guid("deployer-object"), "subscriptionId": SUBSCRIPTION,
                "tenantId": TENANT}
    if token == "azure-native:redisenterprise:listDatabaseKeys":
        return {"primaryKey": MOCK_KEY, "secondaryKey": MOCK_KEY + "-2"}
    return None

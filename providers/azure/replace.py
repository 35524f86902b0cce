"""Which input changes force pulumi-azure-native to replace a resource (the `replace` part).

For every Azure resource type the program creates, the input properties (Pulumi's camelCase names) whose change
deletes and recreates it: an ARM resource is addressed by its resource group, parent names and own name, so those
and its location always replace; the others are the properties ARM refuses to change in place (a role assignment's
every property, a PostgreSQL server's network placement, a Managed Redis database's clustering policy and port, a
Container Apps environment's network). From Azure's REST API documentation, not generated;
`tests/providers/azure/test_azure_replace.py` checks every type in the golden graphs has an entry and every property
exists on that type.
"""

from __future__ import annotations

from collections.abc import Mapping

_GROUP = frozenset({"resourceGroupName"})
_PLACED = _GROUP | {"location"}

REPLACES: Mapping[str, frozenset[str]] = {
    "azure-native:resources:ResourceGroup": frozenset({"resourceGroupName", "location"}),
    "azure-native:network:VirtualNetwork": _PLACED | {"virtualNetworkName"},
    "azure-native:network:Subnet": _GROUP | {"virtualNetworkName", "subnetName"},
    "azure-native:network:PrivateEndpoint": _PLACED | {"privateEndpointName", "subnet"},
    "azure-native:network:PrivateDnsZoneGroup": _GROUP | {"privateEndpointName", "privateDnsZoneGroupName"},
    "azure-native:privatedns:PrivateZone": _GROUP | {"privateZoneName"},
    "azure-native:privatedns:VirtualNetworkLink": _GROUP | {"privateZoneName", "virtualNetworkLinkName",
                                                            "virtualNetwork"},
    "azure-native:keyvault:Vault": _PLACED | {"vaultName"},
    "azure-native:keyvault:Secret": _GROUP | {"vaultName", "secretName"},
    "azure-native:dbforpostgresql:Server": _PLACED | {"serverName", "administratorLogin", "network"},
    "azure-native:dbforpostgresql:Database": _GROUP | {"serverName", "databaseName", "charset", "collation"},
    "azure-native:dbforpostgresql:Configuration": _GROUP | {"serverName", "configurationName"},
    "azure-native:redisenterprise:RedisEnterprise": _PLACED | {"clusterName", "zones"},
    "azure-native:redisenterprise:Database": _GROUP | {"clusterName", "databaseName", "clusteringPolicy", "port"},
    "azure-native:servicebus:Namespace": _PLACED | {"namespaceName"},
    "azure-native:servicebus:Topic": _GROUP | {"namespaceName", "topicName", "enablePartitioning",
                                               "requiresDuplicateDetection"},
    "azure-native:servicebus:Subscription": _GROUP | {"namespaceName", "topicName", "subscriptionName",
                                                      "requiresSession"},
    "azure-native:servicebus:DefaultRule": _GROUP | {"namespaceName", "topicName", "subscriptionName"},
    "azure-native:managedidentity:UserAssignedIdentity": _PLACED | {"resourceName"},
    "azure-native:authorization:RoleAssignment": frozenset({"roleAssignmentName", "principalId", "principalType",
                                                           "roleDefinitionId", "scope"}),
    "azure-native:app:ManagedEnvironment": _PLACED | {"environmentName", "vnetConfiguration"},
    "azure-native:app:Job": _PLACED | {"jobName", "environmentId"},
    "random:index/randomPassword:RandomPassword": frozenset({"length", "special"}),
    "random:index/randomString:RandomString": frozenset({"length", "special", "upper"}),
}

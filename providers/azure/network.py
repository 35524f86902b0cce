"""The env's network: a VNet with a subnet delegated to PostgreSQL, one for private endpoints and one delegated to
Container Apps (the in-network SQL job), private DNS zones linked to it; or the existing ones the stack file names.
Data services are reachable only inside it (public network access disabled, private endpoints).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
from pulumi_azure_native import network, privatedns

from providers.azure import args
from providers.azure.session import Component

if TYPE_CHECKING:
    from providers.azure.session import AzureSession


class Network(Component):
    def __init__(self, session: AzureSession) -> None:
        super().__init__("Network", "network", session)
        settings, group = session.settings, session.resource_group
        self.vnet_id: pulumi.Input[str]
        if settings.existing_network(session.plan.env.path or f"env {session.plan.env.name}"):
            assert settings.virtual_network_id and settings.sql_subnet_id and settings.endpoint_subnet_id
            assert settings.jobs_subnet_id
            self.vnet_id = settings.virtual_network_id
            self.sql_subnet_id: pulumi.Input[str] = settings.sql_subnet_id
            self.endpoint_subnet_id: pulumi.Input[str] = settings.endpoint_subnet_id
            self.jobs_subnet_id: pulumi.Input[str] = settings.jobs_subnet_id
        else:
            vnet = network.VirtualNetwork(
                "network/vnet",
                resource_group_name=group,
                virtual_network_name=session.physical("azure.generic", "vnet"),
                address_space={"address_prefixes": [args.VNET_CIDR]},
                tags=session.tags,
                opts=self.child(ignore_changes=["subnets"]),
            )
            self.vnet_id = vnet.id
            self.sql_subnet_id = self._subnet(vnet, "sql", args.SQL_SUBNET_CIDR,
                                              "Microsoft.DBforPostgreSQL/flexibleServers").id
            self.endpoint_subnet_id = self._subnet(vnet, "endpoints", args.ENDPOINT_SUBNET_CIDR, None).id
            self.jobs_subnet_id = self._subnet(vnet, "jobs", args.JOBS_SUBNET_CIDR, "Microsoft.App/environments").id
        self._zones: dict[str, privatedns.PrivateZone] = {}
        self.register_outputs({"vnetId": self.vnet_id})

    def _subnet(self, vnet: network.VirtualNetwork, role: str, cidr: str, delegate: str | None) -> network.Subnet:
        return network.Subnet(
            f"network/{role}",
            resource_group_name=self.session.resource_group,
            virtual_network_name=vnet.name,
            subnet_name=role,
            address_prefix=cidr,
            default_outbound_access=False,
            delegations=[{"name": role, "service_name": delegate}] if delegate else None,
            opts=self.child(),
        )

    def zone(self, name: str) -> privatedns.PrivateZone:
        """A private DNS zone linked to the VNet (one per service kind, shared by the env)."""
        if name not in self._zones:
            role = name.split(".")[1]
            zone = privatedns.PrivateZone(
                f"network/dns-{role}",
                resource_group_name=self.session.resource_group,
                private_zone_name=name,
                location="global",
                tags=self.session.tags,
                opts=self.child(),
            )
            privatedns.VirtualNetworkLink(
                f"network/dns-{role}-link",
                resource_group_name=self.session.resource_group,
                private_zone_name=zone.name,
                virtual_network_link_name=self.session.physical("azure.generic", role, "link"),
                virtual_network={"id": self.vnet_id},
                registration_enabled=False,
                location="global",
                tags=self.session.tags,
                opts=self.child(),
            )
            self._zones[name] = zone
        return self._zones[name]

    def private_endpoint(self, owner: Component, logical: str, target_id: pulumi.Input[str], group: str,
                         zone_name: str) -> network.PrivateEndpoint:
        """A private endpoint into the endpoints subnet for `target_id`'s `group`, registered in `zone_name`."""
        zone = self.zone(zone_name)
        endpoint = network.PrivateEndpoint(
            f"{logical}/endpoint",
            resource_group_name=self.session.resource_group,
            private_endpoint_name=self.session.physical("azure.generic", logical.replace(":", "-"), "pe"),
            subnet={"id": self.endpoint_subnet_id},
            private_link_service_connections=[
                {"name": group, "private_link_service_id": target_id, "group_ids": [group]}
            ],
            tags=self.session.tags,
            opts=owner.child(),
        )
        network.PrivateDnsZoneGroup(
            f"{logical}/endpoint-dns",
            resource_group_name=self.session.resource_group,
            private_endpoint_name=endpoint.name,
            private_dns_zone_group_name="default",
            private_dns_zone_configs=[{"name": group, "private_dns_zone_id": zone.id}],
            opts=owner.child(),
        )
        return endpoint

"""The env's network: a VPC with one regional subnet (Private Google Access on) and private services access (a
reserved range peered with Google's service producers) so Cloud SQL and Memorystore get private IPs only; or an
existing network from the stack file, which must already have private services access. A shared preview env
borrows its base env's network and creates none (`BorrowedNetwork`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_gcp as gcp

from providers.gcp import args
from providers.gcp.session import Component
from providers.gcp.settings import settings_of

if TYPE_CHECKING:
    from providers.gcp.session import GcpSession
    from providers.gcp.shares import Lent


class Network(Component):
    def __init__(self, session: GcpSession) -> None:
        super().__init__("Network", "network", session)
        configured = settings_of(session.plan.env)
        self.egress = args.VPC_EGRESS
        self.peering: list[pulumi.Resource] = []
        if configured.network:
            self.network_id: pulumi.Input[str] = _network_path(session.project, configured.network)
            self.subnetwork_id: pulumi.Input[str] | None = (
                _subnetwork_path(session.project, session.region, configured.subnetwork)
                if configured.subnetwork else None
            )
        else:
            vpc = gcp.compute.Network(
                "network/vpc",
                name=session.physical("gcp.network", "vpc"),
                auto_create_subnetworks=False,
                routing_mode="REGIONAL",
                opts=self.child(),
            )
            subnet = gcp.compute.Subnetwork(
                "network/subnet",
                name=session.physical("gcp.network", "private"),
                network=vpc.id,
                region=session.region,
                ip_cidr_range=args.SUBNET_CIDR,
                private_ip_google_access=True,
                opts=self.child(),
            )
            reserved = gcp.compute.GlobalAddress(
                "network/private-services",
                name=session.physical("gcp.network", "private-services"),
                network=vpc.id,
                purpose="VPC_PEERING",
                address_type="INTERNAL",
                prefix_length=args.PRIVATE_SERVICES_PREFIX,
                opts=self.child(),
            )
            connection = gcp.servicenetworking.Connection(
                "network/private-services-access",
                network=vpc.id,
                service=args.SERVICE_NETWORKING,
                reserved_peering_ranges=[reserved.name],
                opts=self.child(),
            )
            self.network_id = vpc.id
            self.subnetwork_id = subnet.id
            self.peering = [connection]
        self.register_outputs({"network": self.network_id})


class BorrowedNetwork(Component):
    """The base env's network, where a shared preview env's SQL job runs: nothing of its own."""

    def __init__(self, session: GcpSession, lent: Lent) -> None:
        from providers.gcp.shares import need

        network = need(lent, "network", "network", lent.network)
        super().__init__("Network", "network", session, {"borrowedFrom": lent.env})
        self.egress = network.egress
        self.peering: list[pulumi.Resource] = []
        self.network_id: pulumi.Input[str] = network.network
        self.subnetwork_id: pulumi.Input[str] | None = network.subnetwork
        self.register_outputs({"network": self.network_id})


def _network_path(project: str, name: str) -> str:
    return name if name.startswith("projects/") else f"projects/{project}/global/networks/{name}"


def _subnetwork_path(project: str, region: str, name: str) -> str:
    return name if name.startswith("projects/") else f"projects/{project}/regions/{region}/subnetworks/{name}"

"""The env's network: private subnets in two zones (new, or existing ones from the stack file) and
security groups that let only the services' group reach the data services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from providers.aws import args
from providers.aws.session import Component
from providers.aws.settings import settings_of

if TYPE_CHECKING:
    from providers.aws.session import AwsSession


class Network(Component):
    def __init__(self, session: AwsSession) -> None:
        super().__init__("Network", "network", session)
        env = session.plan.env
        configured = settings_of(env).availability_zones
        existing = args.existing_network(settings_of(env), where=env.path or f"env {env.name}")
        self.zones: tuple[pulumi.Input[str], pulumi.Input[str]] | None
        if existing:
            vpc_id, subnet_ids = existing
            self.vpc_id: pulumi.Input[str] = vpc_id
            self.subnet_ids: list[pulumi.Input[str]] = list(subnet_ids)
            self.zones = args.zones(settings_of(env), ()) if configured else None
        else:
            self.zones = self._zones(session) if not configured else args.zones(settings_of(env), ())
            vpc = aws.ec2.Vpc(
                "network/vpc",
                cidr_block=args.VPC_CIDR,
                enable_dns_hostnames=True,
                enable_dns_support=True,
                tags={"Name": session.physical("aws.generic", "vpc")},
                opts=self.child(),
            )
            aws.ec2.DefaultSecurityGroup("network/default-sg", vpc_id=vpc.id, opts=self.child())
            self.vpc_id = vpc.id
            self.subnet_ids = [
                aws.ec2.Subnet(
                    f"network/private-{i + 1}",
                    vpc_id=vpc.id,
                    cidr_block=cidr,
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags={"Name": session.physical("aws.generic", "private", str(i + 1))},
                    opts=self.child(),
                ).id
                for i, (cidr, zone) in enumerate(zip(args.SUBNET_CIDRS, self.zones, strict=True))
            ]
        self.services = self._group("services", "Encore services (the compute issue attaches it)")
        aws.vpc.SecurityGroupEgressRule(
            "network/services-https",
            security_group_id=self.services.id,
            ip_protocol="tcp",
            from_port=args.HTTPS_PORT,
            to_port=args.HTTPS_PORT,
            cidr_ipv4="0.0.0.0/0",
            description="AWS APIs",
            opts=self.child(),
        )
        self._data_groups: dict[str, aws.ec2.SecurityGroup] = {}
        self.register_outputs({"vpcId": self.vpc_id})

    def shares(self) -> dict[str, Any]:
        """What a shared preview env's compute needs to reach the data services: the VPC, its private subnets and
        the security groups by role (`services` is the one the data services admit)."""
        groups = {"services": self.services.id, **{role: g.id for role, g in sorted(self._data_groups.items())}}
        return {"vpcId": self.vpc_id, "privateSubnetIds": list(self.subnet_ids), "securityGroupIds": groups}

    def _zones(self, session: AwsSession) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        available = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOutputOptions(parent=self))
        pair = available.names.apply(lambda names: args.zones(settings_of(session.plan.env), names))
        return pair.apply(lambda p: p[0]), pair.apply(lambda p: p[1])

    def _group(self, role: str, description: str) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            f"network/{role}-sg",
            name=self.session.physical("aws.generic", role),
            description=description,
            vpc_id=self.vpc_id,
            opts=self.child(),
        )

    def data_group(self, role: str, port: int) -> aws.ec2.SecurityGroup:
        """The group of a data service, reachable on `port` from the services' group only."""
        if role not in self._data_groups:
            group = self._group(role, f"Encore {role}: reachable from the services group only")
            aws.vpc.SecurityGroupIngressRule(
                f"network/{role}-from-services",
                security_group_id=group.id,
                referenced_security_group_id=self.services.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                opts=self.child(),
            )
            aws.vpc.SecurityGroupEgressRule(
                f"network/services-to-{role}",
                security_group_id=self.services.id,
                referenced_security_group_id=group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                opts=self.child(),
            )
            self._data_groups[role] = group
        return self._data_groups[role]

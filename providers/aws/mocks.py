"""AWS's answers under Pulumi mocks (the `mocks` part): realistic ids and outputs per resource type.

ARNs, queue URLs and endpoints are derived from the inputs (deterministic), so the stack outputs
and the runtime config built from them look like a real deployment's. `orchestrator/engine/graph.py`
asks `new_resource` and `call` first and falls back to a generic id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from providers.base import mock_id

ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
"""The region the graph renders in when the stack file names none."""


def new_resource(token: str, inputs: dict[str, Any], name: str, region: str | None) -> Made | None:
    """(id, outputs beyond the inputs) for an AWS resource type; None for a type that is not AWS's."""
    region = region or DEFAULT_REGION
    make = _MADE.get(token)
    if make is not None:
        return make(region, inputs, name)
    if token.startswith("aws:"):
        rid = mock_id(token, inputs, name)
        return rid, {"arn": _arn(region, token.split(":")[1].split("/")[0], rid)}
    return None


def call(token: str, args: dict[str, Any], region: str | None) -> dict[str, Any] | None:
    """The result of an AWS data-source invoke; None for a token this module does not answer."""
    r = region or DEFAULT_REGION
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        return {"id": r, "names": [f"{r}a", f"{r}b", f"{r}c"], "zoneIds": [f"z{i}" for i in range(3)]}
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        arn = f"arn:aws:iam::{ACCOUNT}:user/deployer"
        return {"id": ACCOUNT, "accountId": ACCOUNT, "arn": arn, "userId": "AIDAMOCK"}
    return None


def _h(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


Made = tuple[str, dict[str, Any]]
"""(id, outputs) of a mocked resource."""


def _arn(region: str, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def _topic(region: str, i: dict[str, Any], _n: str) -> Made:
    arn = _arn(region, "sns", i["name"])
    return arn, {"arn": arn}


def _queue(region: str, i: dict[str, Any], _n: str) -> Made:
    url = f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{i['name']}"
    return url, {"arn": _arn(region, "sqs", i["name"]), "url": url}


def _bucket(region: str, i: dict[str, Any], _n: str) -> Made:
    b = i["bucket"]
    return b, {
        "arn": f"arn:aws:s3:::{b}",
        "bucketDomainName": f"{b}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{b}.s3.{region}.amazonaws.com",
        "region": region,
    }


def _cluster(region: str, i: dict[str, Any], _n: str) -> Made:
    cid = i["clusterIdentifier"]
    host = f"{cid}.cluster-{_h(cid, 12)}.{region}.rds.amazonaws.com"
    secret = _arn(region, "secretsmanager", f"secret:rds!cluster-{_h(cid, 8)}-{_h(cid, 6)}")
    return cid, {
        "arn": _arn(region, "rds", f"cluster:{cid}"),
        "endpoint": host,
        "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
        "clusterResourceId": f"cluster-{_h(cid, 26).upper()}",
        "masterUserSecrets": [
            {"secretArn": secret, "secretStatus": "active", "kmsKeyId": _arn(region, "kms", "key/mock")}
        ],
    }


def _instance(region: str, i: dict[str, Any], _n: str) -> Made:
    iid = i["identifier"]
    return iid, {"arn": _arn(region, "rds", f"db:{iid}"), "endpoint": f"{iid}.{_h(iid, 12)}.{region}.rds.amazonaws.com"}


def _replication_group(region: str, i: dict[str, Any], _n: str) -> Made:
    gid = i["replicationGroupId"]
    host = f"master.{gid}.{_h(gid, 6)}.{region}.cache.amazonaws.com"
    return gid, {
        "arn": _arn(region, "elasticache", f"replicationgroup:{gid}"),
        "primaryEndpointAddress": host,
        "readerEndpointAddress": host.replace("master.", "replica.", 1),
    }


def _secret(region: str, i: dict[str, Any], _n: str) -> Made:
    arn = _arn(region, "secretsmanager", f"secret:{i['name']}-{_h(i['name'], 6)}")
    return arn, {"arn": arn}


def _role(region: str, i: dict[str, Any], _n: str) -> Made:
    name = i["name"]
    return name, {"arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "uniqueId": f"AROA{_h(name, 16).upper()}"}


def _ec2(prefix: str) -> Callable[[str, dict[str, Any], str], Made]:
    def make(region: str, _i: dict[str, Any], n: str) -> Made:
        rid = f"{prefix}-{_h(n, 17)}"
        return rid, {"arn": _arn(region, "ec2", f"{prefix}/{rid}")}

    return make


def _sql_database(_region: str, i: dict[str, Any], _n: str) -> Made:
    return f"{i['clusterArn']}/{i['database']}", {}


_MADE: dict[str, Callable[[str, dict[str, Any], str], Made]] = {
    "aws:sns/topic:Topic": _topic,
    "aws:sqs/queue:Queue": _queue,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:rds/cluster:Cluster": _cluster,
    "aws:rds/clusterInstance:ClusterInstance": _instance,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:iam/role:Role": _role,
    "aws:ec2/vpc:Vpc": _ec2("vpc"),
    "aws:ec2/subnet:Subnet": _ec2("subnet"),
    "aws:ec2/securityGroup:SecurityGroup": _ec2("sg"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _ec2("sg"),
    "pulumi-python:dynamic/orchestrator:SqlDatabase": _sql_database,
}

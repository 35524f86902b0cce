"""The resource graph: a Plan's Pulumi program rendered under Pulumi's mocks (no CLI, no credentials).

Every registered resource becomes {"urn", "type", "name", "parent", "inputs", "options",
"dependencies"}; secret inputs become SECRET. The mocks answer with realistic ids and outputs
(ARNs, queue URLs, endpoints) so the stack outputs, and the runtime config built from them,
look like a real deployment's. Tests, policy checks and previews read this graph.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.core.plan import Plan

SECRET = "[secret]"
ACCOUNT = "123456789012"
PROJECT = "encore-orchestrator"
_STACK_PREFIX = "pulumi:pulumi:Stack$"


@dataclass
class Rendered:
    resources: list[dict[str, Any]]
    outputs: dict[str, Any]
    """Stack outputs, resolved."""
    secret_outputs: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


def render(plan: Plan, *, app_root: Path | None = None) -> list[dict[str, Any]]:
    return render_full(plan, app_root=app_root).resources


def render_full(plan: Plan, *, app_root: Path | None = None, password: str | None = None) -> Rendered:
    """Run the program for `plan` under mocks; `password` is what generated passwords resolve to (a test canary)."""
    return contextvars.copy_context().run(_render, plan, app_root, password)


def to_json(resources: list[dict[str, Any]]) -> str:
    """Canonical JSON: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(resources, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _render(plan: Plan, app_root: Path | None, password: str | None) -> Rendered:
    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from orchestrator.engine import program

    runtime_settings.ROOT.set(None)
    mocks = _mocks_class()(plan.env.region or "us-east-1", password)
    monitor = _monitor_class()(mocks)
    warnings: list[str] = []
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=plan.env.name, preview=False, monitor=monitor, logger=_collector(warnings)
    )
    outputs: dict[str, Any] = {}
    secret: set[str] = set()

    async def main() -> None:
        declared = program.run(plan, app_root=app_root)
        for name, value in declared.items():
            out = pulumi.Output.from_input(value)
            outputs[name] = await out.future()
            if await out.is_secret():
                secret.add(name)

    _sync_await(run_pulumi_func(main))
    resources = sorted(monitor.records, key=lambda r: r["urn"])
    return Rendered(resources=resources, outputs=outputs, secret_outputs=secret, warnings=warnings)


class _Collector(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


def _collector(sink: list[str]) -> logging.Logger:
    logger = logging.Logger("orchestrator.engine.graph", logging.WARNING)
    logger.addHandler(_Collector(sink))
    logger.propagate = False
    return logger


# ---- the recording monitor ----------------------------------------------------------------------------------------


def _monitor_class() -> type:
    from pulumi.runtime import rpc
    from pulumi.runtime.mocks import MockMonitor

    class RecordingMonitor(MockMonitor):
        def __init__(self, mocks: Any) -> None:
            super().__init__(mocks)
            self.records: list[dict[str, Any]] = []
            self._lock = threading.Lock()

        def RegisterResource(self, request: Any) -> Any:
            response = super().RegisterResource(request)
            if request.type != "pulumi:pulumi:Stack":
                record = _record(request, response.urn, rpc)
                with self._lock:
                    self.records.append(record)
            return response

    return RecordingMonitor


def _urn(urn: str) -> str:
    return urn.replace(_STACK_PREFIX, "")


def _record(request: Any, urn: str, rpc: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "protect": bool(request.protect),
        "retainOnDelete": bool(request.retainOnDelete),
        "provider": _urn(request.provider.rsplit("::", 1)[0]) if request.provider else None,
    }
    extra = {
        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
        "ignoreChanges": sorted(request.ignoreChanges),
        "additionalSecretOutputs": sorted(request.additionalSecretOutputs),
        "replaceOnChanges": sorted(request.replaceOnChanges),
    }
    options.update((k, v) for k, v in extra.items() if v)
    parent = _urn(request.parent)
    return {
        "urn": _urn(urn),
        "type": request.type,
        "name": request.name,
        "parent": None if not parent or "::pulumi:pulumi:Stack::" in parent else parent,
        "inputs": _plain(rpc.deserialize_properties(request.object), rpc),
        "options": options,
        "dependencies": sorted({_urn(d) for d in request.dependencies}),
    }


def _plain(value: Any, rpc: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: _plain(v, rpc) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, rpc) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ---- the mocks ------------------------------------------------------------------------------------------------------


def _h(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _mocks_class() -> type:
    import pulumi

    class CloudMocks(pulumi.runtime.Mocks):
        """Realistic ids and outputs per resource type, derived from the inputs (deterministic)."""

        def __init__(self, region: str, password: str | None) -> None:
            self.region = region
            self.password = password

        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
            inputs = dict(args.inputs)
            make = _OUTPUTS.get(args.typ)
            if make is not None:
                rid, extra = make(self, inputs, args.name)
            else:
                rid, extra = _default(self, args.typ, inputs, args.name)
            return rid, {**inputs, **extra}

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
            r = self.region
            if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
                names = [f"{r}a", f"{r}b", f"{r}c"]
                return {"id": r, "names": names, "zoneIds": [f"z{i}" for i in range(3)]}, []
            if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
                arn = f"arn:aws:iam::{ACCOUNT}:user/deployer"
                return {"id": ACCOUNT, "accountId": ACCOUNT, "arn": arn, "userId": "AIDAMOCK"}, []
            return {}, []

    return CloudMocks


Made = tuple[str, dict[str, Any]]
"""(id, outputs) of a mocked resource."""


def _arn(m: Any, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{m.region}:{ACCOUNT}:{resource}"


def _topic(m: Any, i: dict[str, Any], _n: str) -> Made:
    arn = _arn(m, "sns", i["name"])
    return arn, {"arn": arn}


def _queue(m: Any, i: dict[str, Any], _n: str) -> Made:
    url = f"https://sqs.{m.region}.amazonaws.com/{ACCOUNT}/{i['name']}"
    return url, {"arn": _arn(m, "sqs", i["name"]), "url": url}


def _bucket(m: Any, i: dict[str, Any], _n: str) -> Made:
    b = i["bucket"]
    return b, {
        "arn": f"arn:aws:s3:::{b}",
        "bucketDomainName": f"{b}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{b}.s3.{m.region}.amazonaws.com",
        "region": m.region,
    }


def _cluster(m: Any, i: dict[str, Any], _n: str) -> Made:
    cid = i["clusterIdentifier"]
    host = f"{cid}.cluster-{_h(cid, 12)}.{m.region}.rds.amazonaws.com"
    secret = _arn(m, "secretsmanager", f"secret:rds!cluster-{_h(cid, 8)}-{_h(cid, 6)}")
    return cid, {
        "arn": _arn(m, "rds", f"cluster:{cid}"),
        "endpoint": host,
        "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
        "clusterResourceId": f"cluster-{_h(cid, 26).upper()}",
        "masterUserSecrets": [{"secretArn": secret, "secretStatus": "active", "kmsKeyId": _arn(m, "kms", "key/mock")}],
    }


def _instance(m: Any, i: dict[str, Any], _n: str) -> Made:
    iid = i["identifier"]
    return iid, {"arn": _arn(m, "rds", f"db:{iid}"), "endpoint": f"{iid}.{_h(iid, 12)}.{m.region}.rds.amazonaws.com"}


def _replication_group(m: Any, i: dict[str, Any], _n: str) -> Made:
    gid = i["replicationGroupId"]
    host = f"master.{gid}.{_h(gid, 6)}.{m.region}.cache.amazonaws.com"
    return gid, {
        "arn": _arn(m, "elasticache", f"replicationgroup:{gid}"),
        "primaryEndpointAddress": host,
        "readerEndpointAddress": host.replace("master.", "replica.", 1),
    }


def _secret(m: Any, i: dict[str, Any], _n: str) -> Made:
    arn = _arn(m, "secretsmanager", f"secret:{i['name']}-{_h(i['name'], 6)}")
    return arn, {"arn": arn}


def _role(m: Any, i: dict[str, Any], _n: str) -> Made:
    name = i["name"]
    return name, {"arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "uniqueId": f"AROA{_h(name, 16).upper()}"}


def _password(m: Any, _i: dict[str, Any], n: str) -> Made:
    return f"none-{_h(n, 8)}", {"result": m.password or f"mock-password-{_h(n, 16)}"}


def _ec2(prefix: str) -> Callable[[Any, dict[str, Any], str], Made]:
    def make(m: Any, _i: dict[str, Any], n: str) -> Made:
        rid = f"{prefix}-{_h(n, 17)}"
        return rid, {"arn": _arn(m, "ec2", f"{prefix}/{rid}")}

    return make


def _sql_database(_m: Any, i: dict[str, Any], _n: str) -> Made:
    return f"{i['clusterArn']}/{i['database']}", {}


def _default(m: Any, typ: str, i: dict[str, Any], n: str) -> Made:
    rid = str(i.get("name") or f"{typ.rsplit(':', 1)[-1].lower()}-{_h(n, 12)}")
    if typ.startswith("aws:"):
        return rid, {"arn": _arn(m, typ.split(":")[1].split("/")[0], rid)}
    return rid, {}


_OUTPUTS: dict[str, Callable[[Any, dict[str, Any], str], Made]] = {
    "aws:sns/topic:Topic": _topic,
    "aws:sqs/queue:Queue": _queue,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:rds/cluster:Cluster": _cluster,
    "aws:rds/clusterInstance:ClusterInstance": _instance,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:iam/role:Role": _role,
    "random:index/randomPassword:RandomPassword": _password,
    "aws:ec2/vpc:Vpc": _ec2("vpc"),
    "aws:ec2/subnet:Subnet": _ec2("subnet"),
    "aws:ec2/securityGroup:SecurityGroup": _ec2("sg"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _ec2("sg"),
    "pulumi-python:dynamic/orchestrator:SqlDatabase": _sql_database,
}

"""The AWS program under Pulumi mocks: shape of the graph, golden snapshots, secrets, safety options."""

from __future__ import annotations

import difflib
import json
import os

import pytest
from awsgraph import (
    ENV_TYPES,
    FIXTURE_NAMES,
    FIXTURES,
    GOLDEN,
    fixture_plan,
    fixture_render,
    of_type,
    render,
    synth_plan,
    synth_render,
)

from orchestrator.core import naming
from orchestrator.core.model import Kind
from orchestrator.engine import graph
from providers.aws import policy

CANARY = "canary-Zq7pW3xR9sT2vB8n"


@pytest.mark.parametrize("env_type", ENV_TYPES)
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_golden(name: str, env_type: str) -> None:
    text = graph.to_json(fixture_render(name, env_type).resources)
    path = GOLDEN / f"{name}-{env_type}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), text.splitlines(keepends=True), str(path), "rendered", n=2
        ))
        pytest.fail(f"graph differs from {path.name} (UPDATE_GOLDEN=1 to accept):\n{diff[:6000]}")


def test_canonical_json_is_stable() -> None:
    first = graph.to_json(render(fixture_plan("ts-uptime", "production")).resources)
    second = graph.to_json(render(fixture_plan("ts-uptime", "production")).resources)
    assert first == second
    assert json.loads(first) == sorted(json.loads(first), key=lambda r: r["urn"])


@pytest.mark.parametrize("env_type", ENV_TYPES)
def test_one_component_per_planned_resource(env_type: str) -> None:
    plan = synth_plan(10, env_type)
    resources = synth_render(10, env_type).resources
    components = {r["name"]: r["type"] for r in resources if r["type"].startswith("orchestrator:aws:")}
    for res in plan.resources:
        kind = "".join(part.capitalize() for part in res.kind.value.split("-"))
        expected = {"Sql": "Sql", "SqlServer": "SqlServer", "Cron": "CronJob"}.get(kind, kind)
        assert components.get(res.key) == f"orchestrator:aws:{expected}", res.key
    by_urn = {r["urn"]: r for r in resources}
    for r in resources:
        if r["type"].startswith(("aws:", "random:", "pulumi-python:")):
            parent = by_urn.get(r["parent"] or "")
            assert parent is not None and parent["type"].startswith("orchestrator:aws:"), r["urn"]
            if r["type"].startswith("aws:"):
                assert r["options"]["provider"].endswith("::pulumi:providers:aws::aws"), r["urn"]


def test_graph_record_shape() -> None:
    for r in fixture_render("ts-uptime", "production").resources:
        assert set(r) == {"urn", "type", "name", "parent", "inputs", "options", "dependencies"}
        assert {"protect", "retainOnDelete"} <= set(r["options"])
        assert r["urn"].endswith("::" + r["name"])
        assert "pulumi:pulumi:Stack$" not in r["urn"]


def test_secrets_never_leave_as_plaintext() -> None:
    plan = synth_plan(10, "production")
    rendered = render(plan, password=CANARY)
    assert CANARY not in graph.to_json(rendered.resources)
    assert CANARY not in json.dumps(rendered.outputs, default=str)
    versions = of_type(rendered.resources, "aws:secretsmanager/secretVersion:SecretVersion")
    assert versions and all(v["inputs"]["secretString"] == graph.SECRET for v in versions)
    groups = of_type(rendered.resources, "aws:elasticache/replicationGroup:ReplicationGroup")
    assert groups and all(g["inputs"]["authToken"] == graph.SECRET for g in groups)
    databases = of_type(rendered.resources, "pulumi-python:dynamic/orchestrator:SqlDatabase")
    assert databases and all(d["inputs"]["password"] == graph.SECRET for d in databases)


def test_outputs() -> None:
    rendered = fixture_render("ts-uptime", "production")
    assert set(rendered.outputs) == {"provisioned", "cron_jobs", "runtime_config_bucket", "shares"}
    plan = fixture_plan("ts-uptime", "production")
    store = naming.make("aws.s3", plan.app, plan.env.name, "runtime-config")
    assert rendered.outputs["runtime_config_bucket"] == store
    buckets = of_type(rendered.resources, "aws:s3/bucket:Bucket")
    (bucket,) = [r for r in buckets if r["inputs"]["bucket"] == store]
    assert bucket["options"]["protect"] is True  # production
    go = fixture_render("ai-chat", "production")
    assert "runtime_config_bucket" not in go.outputs  # Go apps read the JSON infra config from their image
    assert rendered.outputs["cron_jobs"] == [
        {"id": "check-all", "title": "Check all sites", "schedule": "every:60", "service": "monitor",
         "endpoint": "checkAll", "path": "/check-all"}
    ]
    assert any("check-all" in w and "not scheduled" in w for w in rendered.warnings)
    assert not any("sqlCaCertPem" in w for w in rendered.warnings)  # eu-west-1's RDS CA is bundled


def test_production_protects_and_previews_do_not() -> None:
    prod = fixture_render("polar-file-sharing", "production").resources
    preview = fixture_render("polar-file-sharing", "ephemeral").resources
    stateful = [r for r in prod if r["type"] in policy.STATEFUL]
    assert stateful and all(r["options"]["protect"] and r["options"]["retainOnDelete"] for r in stateful)
    assert not any(r["options"]["protect"] or r["options"]["retainOnDelete"] for r in preview)
    (cluster,) = of_type(prod, "aws:rds/cluster:Cluster")
    assert cluster["inputs"]["deletionProtection"] is True and cluster["inputs"]["backupRetentionPeriod"] == 14
    assert len(of_type(prod, "aws:rds/clusterInstance:ClusterInstance")) == 2
    (cluster,) = of_type(preview, "aws:rds/cluster:Cluster")
    assert cluster["inputs"]["skipFinalSnapshot"] is True and "finalSnapshotIdentifier" not in cluster["inputs"]
    assert len(of_type(preview, "aws:rds/clusterInstance:ClusterInstance")) == 1


def test_subscription_wiring() -> None:
    resources = fixture_render("go-webhook-processor", "production").resources
    queues = {q["inputs"]["name"]: q for q in of_type(resources, "aws:sqs/queue:Queue")}
    subs = of_type(resources, "aws:sns/topicSubscription:TopicSubscription")
    assert len(subs) == 2
    for sub in subs:
        assert sub["inputs"]["protocol"] == "sqs" and sub["inputs"]["rawMessageDelivery"] is False
        assert any(d.split("::")[-1].endswith("/queue-policy") for d in sub["dependencies"])
        queue = queues[sub["inputs"]["endpoint"].rsplit(":", 1)[-1]]
        redrive = json.loads(queue["inputs"]["redrivePolicy"])
        assert redrive["deadLetterTargetArn"].rsplit(":", 1)[-1] in queues
        assert queue["inputs"]["sqsManagedSseEnabled"] is True
    for pol in of_type(resources, "aws:sqs/queuePolicy:QueuePolicy"):
        (stmt,) = json.loads(pol["inputs"]["policy"])["Statement"]
        assert stmt["Principal"] == {"Service": "sns.amazonaws.com"} and stmt["Action"] == "sqs:SendMessage"
        assert stmt["Condition"]["ArnEquals"]["aws:SourceArn"].startswith("arn:aws:sns:")


def test_fifo_topics_and_queues() -> None:
    plan = synth_plan(10, "ephemeral")
    resources = synth_render(10, "ephemeral").resources
    fifo_topics = [r for r in plan.of_kind(Kind.TOPIC) if r.spec.fifo]  # type: ignore[union-attr]
    assert fifo_topics
    topics = {t["inputs"]["name"]: t for t in of_type(resources, "aws:sns/topic:Topic")}
    for res in fifo_topics:
        topic = topics[res.names["topic"]]
        assert topic["inputs"]["fifoTopic"] is True and topic["inputs"]["name"].endswith(".fifo")
    fifo_queues = [q for q in of_type(resources, "aws:sqs/queue:Queue") if q["inputs"].get("fifoQueue")]
    assert fifo_queues and all(q["inputs"]["name"].endswith(".fifo") for q in fifo_queues)


def test_public_bucket() -> None:
    resources = fixture_render("replicate-image-generator", "production").resources
    pab = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    blocks = {b["name"]: b["inputs"] for b in of_type(resources, pab)}
    assert blocks["bucket:generated-images/public-access"]["blockPublicAcls"] is True
    assert blocks["bucket:generated-images/public-access"]["blockPublicPolicy"] is False
    assert all(blocks["access-logs/public-access"].values())
    policies = [json.loads(p["inputs"]["policy"]) for p in of_type(resources, "aws:s3/bucketPolicy:BucketPolicy")]
    public = [s for doc in policies for s in doc["Statement"] if s["Effect"] == "Allow" and s["Principal"] == "*"]
    assert [s["Action"] for s in public] == ["s3:GetObject"]


def test_existing_network(tmp_path) -> None:
    from orchestrator import stacks
    from orchestrator.core import appmeta
    from orchestrator.core.plan import build

    (tmp_path / "Pulumi.shared.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  orchestrator:cloud: aws\n  orchestrator:envType: development\n"
        "  orchestrator:aws:\n    vpcId: vpc-0123456789abcdef0\n    privateSubnetIds: [subnet-a, subnet-b]\n"
    )
    plan = build(appmeta.load(FIXTURES / "booking-system" / "meta.pb"), stacks.load(tmp_path, "shared"))
    resources = render(plan).resources
    assert not of_type(resources, "aws:ec2/vpc:Vpc") and not of_type(resources, "aws:ec2/subnet:Subnet")
    assert {g["inputs"]["vpcId"] for g in of_type(resources, "aws:ec2/securityGroup:SecurityGroup")} == {
        "vpc-0123456789abcdef0"
    }
    (subnets,) = of_type(resources, "aws:rds/subnetGroup:SubnetGroup")
    assert subnets["inputs"]["subnetIds"] == ["subnet-a", "subnet-b"]
    assert "availabilityZone" not in of_type(resources, "aws:rds/clusterInstance:ClusterInstance")[0]["inputs"]


def test_data_groups_admit_only_the_services_group() -> None:
    resources = synth_render(10, "production").resources
    by_urn = {r["urn"]: r for r in resources}
    ingress = of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert {r["inputs"]["fromPort"] for r in ingress} == {5432, 6379}
    for rule in ingress:
        assert "cidrIpv4" not in rule["inputs"] and rule["inputs"]["referencedSecurityGroupId"].startswith("sg-")
        groups = [by_urn[d]["name"] for d in rule["dependencies"]]
        assert "network/services-sg" in groups


def test_program_order_puts_identities_after_what_they_bind() -> None:
    from orchestrator.engine.program import order

    plan = synth_plan(10, "production")
    position = {r.key: i for i, r in enumerate(order(plan))}
    for g in plan.grants:
        if not g.resource.startswith("service:"):
            assert position[g.resource] < position[f"service:{g.service}"]
    for r in plan.resources:
        assert all(position[d] < position[r.key] for d in r.depends_on)

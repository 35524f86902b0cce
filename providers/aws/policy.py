"""AWS's security-baseline rules (docs/security-baseline.md) over the graph rendered under mocks.

The engine (`orchestrator/policy.py`) evaluates `RULES`; the type tokens, the provider's default
tags and the rules we knowingly do not meet (EXCEPTIONS, docs/security-exceptions.md) are AWS's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from orchestrator.core.envs import EnvType
from orchestrator.policy import (
    Graph,
    Resource,
    Rule,
    as_json,
    as_list,
    condition_keys,
    is_false,
    is_true,
    need,
    registrar,
    short_name,
    statements,
)

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_CLUSTER_PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
RDS_PARAMS = "aws:rds/parameterGroup:ParameterGroup"
S3_BUCKET = "aws:s3/bucket:Bucket"
S3_BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
S3_PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
S3_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
S3_OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
S3_ACL = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
S3_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SQS_QUEUE = "aws:sqs/queue:Queue"
SQS_QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
REDIS_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
REDIS_CLUSTER = "aws:elasticache/cluster:Cluster"
REDIS_SUBNETS = "aws:elasticache/subnetGroup:SubnetGroup"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
KMS_KEY = "aws:kms/key:Key"
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
)
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
SQL_DATABASE = "pulumi-python:dynamic/orchestrator:SqlDatabase"
AWS_PROVIDER = "pulumi:providers:aws"
BORROWED = "orchestrator:aws:Borrowed"
"""A shared preview env's record of what it borrows from its base env (providers/aws/session.py)."""
SERVICE_COMPONENT = "orchestrator:aws:Service"
BUCKET_COMPONENT = "orchestrator:aws:Bucket"

STATEFUL = frozenset({
    RDS_INSTANCE, RDS_CLUSTER, RDS_CLUSTER_INSTANCE, S3_BUCKET, S3_BUCKET_V2, REDIS_GROUP, REDIS_CLUSTER, SECRET,
    SECRET_VERSION, SQS_QUEUE, RANDOM_PASSWORD, SQL_DATABASE, "aws:cloudwatch/logGroup:LogGroup",
})
"""What holds data (or the only copy of a credential): production protects and retains these (P-01)."""

SERVER_CLASS = frozenset({
    RDS_CLUSTER, RDS_CLUSTER_INSTANCE, RDS_INSTANCE, "aws:rds/globalCluster:GlobalCluster",
    REDIS_GROUP, REDIS_CLUSTER, "aws:elasticache/serverlessCache:ServerlessCache",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/natGateway:NatGateway",
    "aws:ec2/internetGateway:InternetGateway", "aws:ec2/eip:Eip", "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:ec2/instance:Instance",
})
"""Servers, clusters and networks: what a shared preview env borrows from its base env and never creates (PV-08)."""

WORKLOAD_ACTIONS = frozenset({
    "sns:Publish", "sns:GetTopicAttributes",
    "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject",
    "secretsmanager:GetSecretValue", "kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateDataKey*", "rds-db:connect",
    "cloudwatch:PutMetricData",
})
"""Every action baseline §4.2 lists for a workload (R-IAM-07)."""

ESCALATION_ACTIONS = frozenset({
    "iam:AddUserToGroup", "iam:AttachGroupPolicy", "iam:AttachRolePolicy", "iam:AttachUserPolicy",
    "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:CreatePolicyVersion", "iam:CreateRole", "iam:PassRole",
    "iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:PutUserPolicy", "iam:SetDefaultPolicyVersion",
    "iam:UpdateAccessKey", "iam:UpdateAssumeRolePolicy", "iam:UpdateLoginProfile", "sts:AssumeRole",
    "sts:GetFederationToken", "lambda:CreateFunction", "lambda:UpdateFunctionCode", "ec2:RunInstances",
    "ec2:GetPasswordData", "ecr:GetAuthorizationToken", "redshift:GetClusterCredentials", "sso:GetRoleCredentials",
    "cloudformation:CreateStack", "glue:UpdateDevEndpoint",
})
"""Privilege escalation and credential exposure (CKV_AWS_286-290 / 107-111 families)."""

EXFILTRATION_ACTIONS = frozenset({
    "s3:GetObject", "secretsmanager:GetSecretValue", "ssm:GetParameter", "ssm:GetParameters",
    "ssm:GetParametersByPath", "kms:Decrypt", "rds:CopyDBSnapshot", "rds:CreateDBSnapshot",
})

PREVIEW_TAGS = ("env", "pr", "created-at", "ttl")
BASE_TAGS = ("app", "env", "managed-by")
SMALL_CACHE_NODES = frozenset({"cache.t4g.micro", "cache.t3.micro", "cache.t4g.small", "cache.t3.small"})
PREVIEW_MAX_ACU = 2.0

NAME_LIMITS: dict[str, tuple[str, int]] = {
    S3_BUCKET: ("bucket", 63),
    SQS_QUEUE: ("name", 80),
    SNS_TOPIC: ("name", 256),
    RDS_CLUSTER: ("clusterIdentifier", 63),
    RDS_CLUSTER_INSTANCE: ("identifier", 63),
    RDS_INSTANCE: ("identifier", 63),
    REDIS_GROUP: ("replicationGroupId", 40),
    SECRET: ("name", 512),
    IAM_ROLE: ("name", 64),
    SECURITY_GROUP: ("name", 255),
    RDS_CLUSTER_PARAMS: ("name", 255),
    "aws:rds/subnetGroup:SubnetGroup": ("name", 255),
    REDIS_SUBNETS: ("name", 255),
    "aws:elasticache/parameterGroup:ParameterGroup": ("name", 255),
    "aws:cloudwatch/logGroup:LogGroup": ("name", 512),
}
"""Physical-name input and provider limit per type (PV-05)."""

EXCEPTIONS: dict[str, str] = {
    "R-SEC-01": "secrets use the AWS-managed key aws/secretsmanager; a CMK per env adds cost and a key policy to run "
                "for no access-control gain while IAM already scopes GetSecretValue to each secret ARN",
    "R-SEC-03": "generated database passwords are not rotated: the runtime reads them once at startup, so a rotation "
                "would break connections until a restart; the Aurora master secret is RDS-managed and rotated by RDS",
    "R-MSG-01-CMK": "topics use the AWS-managed key alias/aws/sns (R-MSG-01 holds); a CMK would also need key-policy "
                    "grants for every publisher",
    "R-MSG-02-CMK": "queues use SQS-managed SSE (R-MSG-02 holds); a CMK would need key-policy grants for SNS delivery",
    "R-S3-02-CMK": "buckets use SSE-S3 (R-S3-02 holds); SSE-KMS would add kms:Decrypt/GenerateDataKey to every grant",
    "R-MSG-04-COUNT": "the app's declared max_retries decides maxReceiveCount (retries + 1); apps declaring fewer than "
                      "2 retries get fewer than 3 deliveries on purpose",
}
"""Rule id -> why we do not meet it (docs/security-exceptions.md has the long form)."""


RULES: list[Rule] = []
rule = registrar(RULES, EXCEPTIONS)


def _provider_tags(res: Resource, graph: Graph) -> dict[str, str] | None:
    """The default tags of the AWS provider `res` was created with (None without an explicit provider)."""
    provider = graph.provider(res)
    if provider is None:
        return None
    tags = as_json(provider["inputs"].get("defaultTags")) or {}
    return dict(tags.get("tags") or {})


def _env_name(graph: Graph) -> str:
    for provider in graph.of_type(AWS_PROVIDER):
        env = ((as_json(provider["inputs"].get("defaultTags")) or {}).get("tags") or {}).get("env")
        if env:
            return env
    return ""


def _public_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in as_list(principal.get("AWS"))


def _bucket_name(res: Resource) -> str:
    return str(res["inputs"].get("bucket", ""))


def _declared_public(bucket: Resource, graph: Graph) -> bool:
    parent = graph.parent(bucket)
    return bool(parent and parent["type"] == BUCKET_COMPONENT and is_true(parent["inputs"].get("public")))


def _role_statements(res: Resource) -> Iterator[dict[str, Any]]:
    if res["type"] in (IAM_ROLE_POLICY, IAM_POLICY):
        yield from statements(res["inputs"].get("policy"))
    elif res["type"] == IAM_ROLE:
        for inline in as_list(res["inputs"].get("inlinePolicies")):
            if isinstance(inline, dict):
                yield from statements(inline.get("policy"))


def _allows(res: Resource) -> Iterator[tuple[list[str], list[str]]]:
    for s in _role_statements(res):
        if s.get("Effect") == "Allow":
            yield [str(a) for a in as_list(s.get("Action"))], [str(r) for r in as_list(s.get("Resource"))]


IAM_DOCS = (IAM_ROLE_POLICY, IAM_POLICY, IAM_ROLE)


# ---- SQL -------------------------------------------------------------------------------------------------------------


@rule("R-SQL-01", "B", [RDS_INSTANCE, RDS_CLUSTER], "storage encrypted")
def _sql_encrypted(res: Resource, _g: Graph) -> list[str]:
    return need(is_true(res["inputs"].get("storageEncrypted")), "storageEncrypted is not true")


@rule("R-SQL-02", "B", [RDS_INSTANCE, RDS_CLUSTER_INSTANCE], "not publicly accessible")
def _sql_private(res: Resource, _g: Graph) -> list[str]:
    return need(not is_true(res["inputs"].get("publiclyAccessible")), "publiclyAccessible is true")


@rule("R-SQL-03", "B", [RDS_INSTANCE, RDS_CLUSTER], "backups kept (7 days in production, 1 elsewhere)")
def _sql_backups(res: Resource, g: Graph) -> list[str]:
    wanted = 7 if g.env_type is EnvType.PRODUCTION else 1
    days = res["inputs"].get("backupRetentionPeriod") or 0
    return need(days >= wanted, f"backupRetentionPeriod {days} < {wanted}")


@rule("R-SQL-04", "P", [RDS_INSTANCE, RDS_CLUSTER], "deletion protection")
def _sql_deletion_protection(res: Resource, _g: Graph) -> list[str]:
    return need(is_true(res["inputs"].get("deletionProtection")), "deletionProtection is not true")


@rule("R-SQL-05", "B", [RDS_INSTANCE, RDS_CLUSTER], "IAM database authentication on")
def _sql_iam_auth(res: Resource, _g: Graph) -> list[str]:
    enabled = is_true(res["inputs"].get("iamDatabaseAuthenticationEnabled"))
    return need(enabled, "iamDatabaseAuthenticationEnabled is not true")


@rule("R-SQL-06", "P", [RDS_INSTANCE, RDS_CLUSTER], "Multi-AZ (Aurora: two instances in two zones)")
def _sql_multi_az(res: Resource, g: Graph) -> list[str]:
    if res["type"] == RDS_INSTANCE:
        return need(is_true(res["inputs"].get("multiAz")), "multiAz is not true")
    members = g.where([RDS_CLUSTER_INSTANCE], "clusterIdentifier", res["inputs"].get("clusterIdentifier"))
    zones = {m["inputs"].get("availabilityZone") for m in members}
    if len(members) < 2:
        return [f"{len(members)} instance(s); a second one in another zone is needed"]
    return need(None in zones or len(zones) >= 2, "all instances are in one availability zone")


@rule("R-SQL-07", "B", [RDS_INSTANCE, RDS_CLUSTER], "TLS forced by parameter group (rds.force_ssl=1)")
def _sql_force_ssl(res: Resource, g: Graph) -> list[str]:
    key, kind = (
        ("dbClusterParameterGroupName", RDS_CLUSTER_PARAMS) if res["type"] == RDS_CLUSTER
        else ("parameterGroupName", RDS_PARAMS)
    )
    groups = g.where([kind], "name", res["inputs"].get(key))
    forced = any(
        p.get("name") == "rds.force_ssl" and str(p.get("value")) == "1"
        for grp in groups for p in as_list(grp["inputs"].get("parameters"))
    )
    return need(forced, f"{key} does not name a parameter group of ours setting rds.force_ssl=1")


@rule("R-SQL-08", "B", [RDS_INSTANCE, RDS_CLUSTER_INSTANCE], "minor version upgrades on")
def _sql_minor_upgrades(res: Resource, _g: Graph) -> list[str]:
    return need(not is_false(res["inputs"].get("autoMinorVersionUpgrade")), "autoMinorVersionUpgrade is false")


@rule("R-SQL-09", "P", [RDS_INSTANCE, RDS_CLUSTER], "PostgreSQL logs exported")
def _sql_logs(res: Resource, _g: Graph) -> list[str]:
    exports = as_list(res["inputs"].get("enabledCloudwatchLogsExports"))
    return need("postgresql" in exports, "enabledCloudwatchLogsExports lacks postgresql")


@rule("R-SQL-10", "P", [RDS_INSTANCE, RDS_CLUSTER], "final snapshot kept, tags copied to snapshots")
def _sql_final_snapshot(res: Resource, _g: Graph) -> list[str]:
    i = res["inputs"]
    problems = need(not is_true(i.get("skipFinalSnapshot")) and bool(i.get("finalSnapshotIdentifier")),
                    "no final snapshot (skipFinalSnapshot or no finalSnapshotIdentifier)")
    return problems + need(is_true(i.get("copyTagsToSnapshot")), "copyTagsToSnapshot is not true")


# ---- S3 --------------------------------------------------------------------------------------------------------------

BUCKETS = [S3_BUCKET, S3_BUCKET_V2]


@rule("R-S3-01", "B", BUCKETS, "public access blocked (declared public buckets: ACLs still blocked)")
def _s3_public_access(res: Resource, g: Graph) -> list[str]:
    blocks = g.where([S3_PUBLIC_ACCESS], "bucket", _bucket_name(res))
    if not blocks:
        return ["no public access block"]
    keys = ("blockPublicAcls", "ignorePublicAcls")
    if not _declared_public(res, g):
        keys += ("blockPublicPolicy", "restrictPublicBuckets")
    return [f"{k} is not true" for k in keys if not all(is_true(b["inputs"].get(k)) for b in blocks)]


@rule("R-S3-02", "B", BUCKETS, "default encryption")
def _s3_encryption(res: Resource, g: Graph) -> list[str]:
    return need(bool(_sse_algorithms(res, g)), "no default server-side encryption")


def _sse_algorithms(res: Resource, g: Graph) -> set[str]:
    configs = [c["inputs"] for c in g.where(S3_ENCRYPTION, "bucket", _bucket_name(res))]
    if res["inputs"].get("serverSideEncryptionConfiguration"):
        configs.append(res["inputs"]["serverSideEncryptionConfiguration"])
    return {
        str((rule_.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm"))
        for c in configs for rule_ in as_list(c.get("rules") or c.get("rule"))
        if isinstance(rule_, dict) and (rule_.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm")
    }


@rule("R-S3-02-CMK", "P", BUCKETS, "SSE with a customer-managed key", advisory=True)
def _s3_cmk(res: Resource, g: Graph) -> list[str]:
    return need(bool(_sse_algorithms(res, g) & {"aws:kms", "aws:kms:dsse"}), "not encrypted with a KMS key")


@rule("R-S3-03", "P", BUCKETS, "versioning enabled")
def _s3_versioning(res: Resource, g: Graph) -> list[str]:
    configs = g.where(S3_VERSIONING, "bucket", _bucket_name(res))
    ok = any((c["inputs"].get("versioningConfiguration") or {}).get("status") == "Enabled" for c in configs)
    return need(ok, "versioning is not Enabled")


@rule("R-S3-04", "B", BUCKETS, "TLS-only bucket policy")
def _s3_tls_only(res: Resource, g: Graph) -> list[str]:
    ok = any(
        s.get("Effect") == "Deny"
        and set(as_list(s.get("Action"))) & {"s3:*", "*"}
        and str(((s.get("Condition") or {}).get("Bool") or {}).get("aws:SecureTransport")).lower() == "false"
        for p in g.where([S3_POLICY], "bucket", _bucket_name(res)) for s in statements(p["inputs"].get("policy"))
    )
    return need(ok, "no policy denying s3:* when aws:SecureTransport is false")


@rule("R-S3-05", "B", BUCKETS, "no public grants; owner-enforced objects")
def _s3_no_public_grants(res: Resource, g: Graph) -> list[str]:
    name, problems = _bucket_name(res), []
    acls = [res["inputs"].get("acl")] + [a["inputs"].get("acl") for a in g.where(S3_ACL, "bucket", name)]
    if any(str(a).startswith("public-read") for a in acls if a):
        problems.append("a public-read ACL")
    owned = any(
        (o["inputs"].get("rule") or {}).get("objectOwnership") == "BucketOwnerEnforced"
        for o in g.where([S3_OWNERSHIP], "bucket", name)
    )
    problems += need(owned, "object ownership is not BucketOwnerEnforced")
    public_ok = _declared_public(res, g)
    for p in g.where([S3_POLICY], "bucket", name):
        for s in statements(p["inputs"].get("policy")):
            public_read = public_ok and set(as_list(s.get("Action"))) <= {"s3:GetObject"}
            if s.get("Effect") == "Allow" and _public_principal(s.get("Principal")) and not public_read:
                problems.append(f"policy allows {as_list(s.get('Action'))} to everyone")
    return problems


@rule("R-S3-06", "P", BUCKETS, "server access logging to a separate bucket")
def _s3_logging(res: Resource, g: Graph) -> list[str]:
    name = _bucket_name(res)
    if any(log["inputs"].get("targetBucket") == name for log in g.of_type(*S3_LOGGING)):
        return []  # a log bucket: logging it would log its own log deliveries
    targets = [log["inputs"].get("targetBucket") for log in g.where(S3_LOGGING, "bucket", name)]
    return need(any(t and t != name for t in targets), "no access logging to a separate bucket")


@rule("R-S3-07", "P", BUCKETS, "forceDestroy off")
def _s3_force_destroy(res: Resource, _g: Graph) -> list[str]:
    return need(not is_true(res["inputs"].get("forceDestroy")), "forceDestroy is true")


# ---- messaging -------------------------------------------------------------------------------------------------------


@rule("R-MSG-01", "B", [SNS_TOPIC], "topic encrypted")
def _sns_encrypted(res: Resource, _g: Graph) -> list[str]:
    return need(bool(res["inputs"].get("kmsMasterKeyId")), "kmsMasterKeyId is not set")


@rule("R-MSG-01-CMK", "P", [SNS_TOPIC], "topic encrypted with a customer-managed key", advisory=True)
def _sns_cmk(res: Resource, _g: Graph) -> list[str]:
    key = str(res["inputs"].get("kmsMasterKeyId") or "")
    return need(bool(key) and not key.startswith("alias/aws/"), "no customer-managed key")


@rule("R-MSG-02", "B", [SQS_QUEUE], "queue encrypted")
def _sqs_encrypted(res: Resource, _g: Graph) -> list[str]:
    i = res["inputs"]
    return need(is_true(i.get("sqsManagedSseEnabled")) or bool(i.get("kmsMasterKeyId")), "no server-side encryption")


@rule("R-MSG-02-CMK", "P", [SQS_QUEUE], "queue encrypted with a customer-managed key", advisory=True)
def _sqs_cmk(res: Resource, _g: Graph) -> list[str]:
    key = str(res["inputs"].get("kmsMasterKeyId") or "")
    return need(bool(key) and not key.startswith("alias/aws/"), "no customer-managed key")


@rule("R-MSG-03", "B", [SQS_QUEUE_POLICY, SNS_TOPIC_POLICY, SQS_QUEUE, SNS_TOPIC], "no open queue/topic policies")
def _msg_policies(res: Resource, _g: Graph) -> list[str]:
    problems = []
    for s in statements(res["inputs"].get("policy")):
        if "*" in as_list(s.get("Action")):
            problems.append("a statement allows Action *")
        if (s.get("Effect") == "Allow" and _public_principal(s.get("Principal"))
                and not condition_keys(s) & {"aws:sourcearn", "aws:sourceaccount"}):
            problems.append("Principal * without an aws:SourceArn/SourceAccount condition")
    return problems


def _dead_letter_targets(g: Graph) -> set[str]:
    targets = set()
    for q in g.of_type(SQS_QUEUE):
        arn = (as_json(q["inputs"].get("redrivePolicy")) or {}).get("deadLetterTargetArn")
        if arn:
            targets.add(str(arn).rsplit(":", 1)[-1])
    return targets


def _consumer(res: Resource, g: Graph) -> bool:
    return res["inputs"].get("name") not in _dead_letter_targets(g)


@rule("R-MSG-04", "B", [SQS_QUEUE], "consumer queues redrive to a dead-letter queue")
def _sqs_redrive(res: Resource, g: Graph) -> list[str]:
    if not _consumer(res, g):
        return []
    policy = as_json(res["inputs"].get("redrivePolicy")) or {}
    target = str(policy.get("deadLetterTargetArn") or "").rsplit(":", 1)[-1]
    known = {q["inputs"].get("name") for q in g.of_type(SQS_QUEUE)}
    return need(bool(target) and target in known, "no redrive policy to a dead-letter queue of ours")


@rule("R-MSG-04-COUNT", "B", [SQS_QUEUE], "maxReceiveCount >= 3", advisory=True)
def _sqs_receive_count(res: Resource, g: Graph) -> list[str]:
    policy = as_json(res["inputs"].get("redrivePolicy")) or {}
    if not _consumer(res, g) or not policy:
        return []
    count = policy.get("maxReceiveCount") or 0
    return need(count >= 3, f"maxReceiveCount {count} < 3")


# ---- Redis -----------------------------------------------------------------------------------------------------------


@rule("R-RDS-01", "B", [REDIS_GROUP], "encrypted at rest")
def _redis_at_rest(res: Resource, _g: Graph) -> list[str]:
    return need(is_true(res["inputs"].get("atRestEncryptionEnabled")), "atRestEncryptionEnabled is not true")


@rule("R-RDS-02", "B", [REDIS_GROUP], "TLS in transit and AUTH")
def _redis_transit(res: Resource, _g: Graph) -> list[str]:
    i = res["inputs"]
    problems = need(is_true(i.get("transitEncryptionEnabled")), "transitEncryptionEnabled is not true")
    return problems + need(bool(i.get("authToken")) or bool(i.get("userGroupIds")), "no authToken or user group")


@rule("R-RDS-03", "P", [REDIS_GROUP], "automatic failover and Multi-AZ")
def _redis_ha(res: Resource, _g: Graph) -> list[str]:
    i = res["inputs"]
    return [f"{k} is not true" for k in ("automaticFailoverEnabled", "multiAzEnabled") if not is_true(i.get(k))]


@rule("R-RDS-04", "P", [REDIS_GROUP, REDIS_CLUSTER], "snapshots kept")
def _redis_snapshots(res: Resource, _g: Graph) -> list[str]:
    limit = res["inputs"].get("snapshotRetentionLimit") or 0
    return need(limit > 0, "snapshotRetentionLimit is 0")


@rule("R-RDS-05", "B", [REDIS_GROUP, REDIS_CLUSTER], "our own subnet group; no ingress from anywhere")
def _redis_network(res: Resource, g: Graph) -> list[str]:
    subnet_group = res["inputs"].get("subnetGroupName")
    problems = need(
        bool(subnet_group) and subnet_group != "default" and bool(g.where([REDIS_SUBNETS], "name", subnet_group)),
        "subnetGroupName is not a subnet group of ours",
    )
    for group in g.depends_on(res, SECURITY_GROUP):
        inline = [r for r in as_list(group["inputs"].get("ingress")) if isinstance(r, dict)]
        rules = [r["inputs"] for r in g.of_type(*INGRESS_RULES)
                 if group["urn"] in r.get("dependencies", ()) and r["inputs"].get("type", "ingress") == "ingress"]
        for r in inline + rules:
            cidrs = as_list(r.get("cidrIpv4")) + as_list(r.get("cidrBlocks")) + as_list(r.get("cidrIpv6"))
            cidrs += as_list(r.get("ipv6CidrBlocks"))
            if set(cidrs) & {"0.0.0.0/0", "::/0"}:
                problems.append(f"security group {short_name(group)} admits the whole internet")
    return problems


# ---- secrets and keys ------------------------------------------------------------------------------------------------


@rule("R-SEC-01", "P", [SECRET], "secret encrypted with a customer-managed key", advisory=True)
def _secret_cmk(res: Resource, _g: Graph) -> list[str]:
    return need(bool(res["inputs"].get("kmsKeyId")), "kmsKeyId is not set")


@rule("R-SEC-02", "B", [SECRET], "recovery window: >= 7 days in production, 0 in previews")
def _secret_recovery(res: Resource, g: Graph) -> list[str]:
    days = res["inputs"].get("recoveryWindowInDays")
    days = 30 if days is None else days
    if g.env_type is EnvType.PRODUCTION:
        return need(days >= 7, f"recoveryWindowInDays {days} < 7")
    if g.env_type is EnvType.EPHEMERAL:
        return need(days == 0, f"recoveryWindowInDays {days} is not 0")
    return []


@rule("R-SEC-03", "P", [SECRET_VERSION], "generated database credentials are rotated", advisory=True)
def _secret_rotation(res: Resource, g: Graph) -> list[str]:
    if not g.depends_on(res, RANDOM_PASSWORD):
        return []
    secrets = {s["urn"] for s in g.depends_on(res, SECRET)}
    rotated = any(secrets & set(r.get("dependencies", ())) for r in g.of_type(SECRET_ROTATION))
    return need(rotated, "a generated credential without a SecretRotation")


@rule("R-SEC-09", "B", [KMS_KEY], "key rotation on; no public key policy")
def _kms_key(res: Resource, _g: Graph) -> list[str]:
    problems = need(is_true(res["inputs"].get("enableKeyRotation")), "enableKeyRotation is not true")
    for s in statements(res["inputs"].get("policy")):
        if s.get("Effect") == "Allow" and _public_principal(s.get("Principal")):
            problems.append("the key policy allows Principal *")
    return problems


# ---- IAM -------------------------------------------------------------------------------------------------------------


@rule("R-IAM-01", "B", IAM_DOCS, "no wildcard actions")
def _iam_actions(res: Resource, _g: Graph) -> list[str]:
    return [f"action {a}" for actions, _ in _allows(res) for a in actions if a == "*" or a.endswith(":*")]


def _lent(g: Graph) -> tuple[set[str], dict[str, str]]:
    """What a shared preview env's services may name of its base env's: (the secrets they may read: the app's
    secrets and the caches' AUTH tokens, never the cluster's master secret; borrowed bucket name -> the env's key
    prefix). Empty for any other env."""
    secrets: set[str] = set()
    buckets: dict[str, str] = {}
    for borrowed in g.of_type(BORROWED):
        i = borrowed["inputs"]
        secrets |= {str(s.get("arn")) for s in (i.get("secrets") or {}).values()}
        secrets |= {str(c.get("authTokenSecretArn")) for c in (i.get("caches") or {}).values()}
        buckets |= {str(b.get("bucket")): str(i.get("keyPrefix") or "") for b in (i.get("buckets") or {}).values()}
    return secrets, buckets


def _s3_parts(arn: str) -> tuple[str, str | None]:
    """(bucket, object key or pattern; None for the bucket itself) of an S3 ARN."""
    bucket, sep, key = arn[len("arn:aws:s3:::"):].partition("/")
    return bucket, key if sep else None


def _known_arn(arn: str, g: Graph) -> bool:
    """Whether `arn` names a resource of this graph (by the physical name it ends with), or one its base env lends
    a shared preview env's services."""
    secrets, buckets = _lent(g)
    if arn.startswith("arn:aws:s3:::"):
        bucket = _s3_parts(arn)[0]  # the bucket, its objects (/*) or one object
        return bool(g.where(BUCKETS, "bucket", bucket)) or bucket in buckets
    if arn in secrets:
        return True
    if ":secret:" in arn:
        tail = arn.split(":secret:", 1)[1]
        return any(tail.rsplit("-", 1)[0] == s["inputs"].get("name") for s in g.of_type(SECRET))
    name = arn.rsplit(":", 1)[-1]
    if arn.startswith("arn:aws:sns:"):
        return bool(g.where([SNS_TOPIC], "name", name))
    if arn.startswith("arn:aws:sqs:"):
        return bool(g.where([SQS_QUEUE], "name", name))
    return False


UNSCOPABLE = {"cloudwatch:PutMetricData": "cloudwatch:namespace"}
"""Actions that take no resource ARN -> the condition key that must narrow them instead."""


def _narrowed(s: dict[str, Any]) -> bool:
    """An Allow of only resource-less actions, each narrowed by its condition key to exact values."""
    actions = [str(a) for a in as_list(s.get("Action"))]
    equals = (s.get("Condition") or {}).get("StringEquals") or {}
    return bool(actions) and all(
        a in UNSCOPABLE and equals.get(UNSCOPABLE[a]) and "*" not in str(equals[UNSCOPABLE[a]]) for a in actions
    )


@rule("R-IAM-02", "B", IAM_DOCS, "no * resources; every resource is one we generated")
def _iam_resources(res: Resource, g: Graph) -> list[str]:
    problems = []
    for s in _role_statements(res):
        if s.get("Effect") != "Allow" or _narrowed(s):
            continue
        for arn in (str(r) for r in as_list(s.get("Resource"))):
            if "*" in arn.removesuffix("/*"):
                problems.append(f"resource {arn}")
            elif not _known_arn(arn, g):
                problems.append(f"resource {arn} is not generated by this program")
    return problems


@rule("R-IAM-03", "B", [IAM_ROLE, IAM_ATTACHMENT], "no admin or *FullAccess managed policies")
def _iam_managed(res: Resource, _g: Graph) -> list[str]:
    arns = as_list(res["inputs"].get("managedPolicyArns")) + as_list(res["inputs"].get("policyArn"))
    bad = [a for a in arns if str(a).endswith(("/AdministratorAccess", "/IAMFullAccess")) or "FullAccess" in str(a)]
    return [f"managed policy {a}" for a in bad]


@rule("R-IAM-04", "B", IAM_DOCS, "no escalation, credential-exposure or unscoped exfiltration actions")
def _iam_escalation(res: Resource, _g: Graph) -> list[str]:
    problems = []
    for actions, resources in _allows(res):
        problems += [f"action {a}" for a in actions if a in ESCALATION_ACTIONS]
        if any("*" in r.removesuffix("/*") for r in resources):
            problems += [f"action {a} on *" for a in actions if a in EXFILTRATION_ACTIONS]
    return problems


def _trust(res: Resource) -> list[dict[str, Any]]:
    return statements(res["inputs"].get("assumeRolePolicy"))


def _federated(res: Resource) -> bool:
    return any(isinstance(s.get("Principal"), dict) and "Federated" in s["Principal"] for s in _trust(res))


@rule("R-IAM-05", "B", [IAM_ROLE], "workload roles trust one specific service principal")
def _iam_trust(res: Resource, _g: Graph) -> list[str]:
    if _federated(res):
        return []
    trust = _trust(res)
    services = {
        svc for s in trust if isinstance(s.get("Principal"), dict) for svc in as_list(s["Principal"].get("Service"))
    }
    problems = [f"trusts {s.get('Principal')!r}" for s in trust
                if not (isinstance(s.get("Principal"), dict) and set(s["Principal"]) == {"Service"})]
    problems += need(len(services) == 1 and "*" not in next(iter(services), "*"),
                     f"trusts {sorted(services) or 'no'} service principal(s), not exactly one")
    return problems


@rule("R-IAM-06", "B", [IAM_ROLE], "GitHub OIDC trust pinned to one repository and environment/ref")
def _iam_github(res: Resource, _g: Graph) -> list[str]:
    problems = []
    for s in _trust(res):
        principal = s.get("Principal")
        federated = str(principal.get("Federated")) if isinstance(principal, dict) else ""
        if "token.actions.githubusercontent.com" not in federated:
            continue
        subs = [v for cond in (s.get("Condition") or {}).values() if isinstance(cond, dict)
                for k, v in cond.items() if k == "token.actions.githubusercontent.com:sub"]
        pinned = [str(v) for sub in subs for v in as_list(sub)]
        if not pinned or any("*" in v or not (":environment:" in v or ":ref:" in v) for v in pinned):
            problems.append("the GitHub OIDC subject is not pinned to repo:<org>/<repo>:environment|ref")
    return problems


@rule("R-IAM-07", "B", [IAM_ROLE, IAM_ROLE_POLICY], "one role per service; only baseline actions")
def _iam_role_graph(res: Resource, g: Graph) -> list[str]:
    if res["type"] == IAM_ROLE_POLICY:
        return [f"action {a} is not a baseline workload action" for actions, _ in _allows(res) for a in actions
                if a not in WORKLOAD_ACTIONS]
    parent = g.parent(res)
    if parent is None or parent["type"] != SERVICE_COMPONENT:
        return ["a role that belongs to no service"]
    roles = [c for c in g.children(parent) if c["type"] == IAM_ROLE]
    return need(len(roles) == 1, f"service {short_name(parent)} has {len(roles)} roles")


# ---- previews and production safety ----------------------------------------------------------------------------------


@rule("PV-01", "PV", ["*"], "nothing protected or retained")
def _pv_unprotected(res: Resource, _g: Graph) -> list[str]:
    opts = res.get("options") or {}
    return [f"{k} is set" for k in ("protect", "retainOnDelete") if opts.get(k)]


@rule("PV-02", "PV", [RDS_INSTANCE, RDS_CLUSTER], "database deletable without a snapshot")
def _pv_sql_deletable(res: Resource, _g: Graph) -> list[str]:
    i = res["inputs"]
    problems = need(not is_true(i.get("deletionProtection")), "deletionProtection is true")
    return problems + need(is_true(i.get("skipFinalSnapshot")), "skipFinalSnapshot is not true")


@rule("PV-03", "PV", BUCKETS, "buckets force-destroyable")
def _pv_force_destroy(res: Resource, _g: Graph) -> list[str]:
    return need(is_true(res["inputs"].get("forceDestroy")), "forceDestroy is not true")


@rule("PV-04", "PV", [SECRET], "secrets deleted without a recovery window")
def _pv_secret_window(res: Resource, _g: Graph) -> list[str]:
    return need(res["inputs"].get("recoveryWindowInDays") == 0, "recoveryWindowInDays is not 0")


@rule("PV-05", "PV", list(NAME_LIMITS), "physical names carry the env slug and fit the provider's limit")
def _pv_names(res: Resource, g: Graph) -> list[str]:
    key, limit = NAME_LIMITS[res["type"]]
    name = str(res["inputs"].get(key) or "")
    slug = _env_name(g)
    problems = need(len(name) <= limit, f"{key} {name!r} is longer than {limit}")
    return problems + need(bool(slug) and slug in name, f"{key} {name!r} lacks the env slug {slug!r}")


@rule("PV-08", "PV", SERVER_CLASS, "a shared preview env creates no server, cluster or network")
def _pv_no_servers(res: Resource, g: Graph) -> list[str]:
    return need(not g.of_type(BORROWED), f"a {res['type'].rsplit(':', 1)[-1]} in an env that borrows its base's")


@rule("PV-09", "PV", IAM_DOCS, "a shared preview env reaches only its own key prefix in its base's buckets")
def _pv_prefix_only(res: Resource, g: Graph) -> list[str]:
    _, buckets = _lent(g)
    problems = []
    for s in _role_statements(res):
        if s.get("Effect") != "Allow":
            continue
        for arn in (str(r) for r in as_list(s.get("Resource")) if str(r).startswith("arn:aws:s3:::")):
            bucket, key = _s3_parts(arn)
            if bucket not in buckets:
                continue
            prefix = buckets[bucket]
            listed = [str(p) for p in as_list(((s.get("Condition") or {}).get("StringLike") or {}).get("s3:prefix"))]
            inside = key.startswith(prefix) if key is not None else bool(listed) and all(
                p.startswith(prefix) for p in listed)
            problems += need(bool(prefix) and inside, f"{arn} reaches beyond the prefix {prefix!r}")
    return problems


def _aws_custom(res: Resource) -> bool:
    return res["type"].startswith("aws:")


@rule("PV-06", "PV", ["*"], "tagged env, pr, created-at, ttl")
def _pv_tags(res: Resource, g: Graph) -> list[str]:
    if not _aws_custom(res):
        return []
    tags = _provider_tags(res, g) or {}
    tags |= res["inputs"].get("tags") or {}
    return [f"tag {t} missing" for t in PREVIEW_TAGS if not tags.get(t)]


@rule("PV-07", "PV", [RDS_CLUSTER, RDS_INSTANCE, REDIS_GROUP], "smallest sizes, no HA")
def _pv_small(res: Resource, g: Graph) -> list[str]:
    i = res["inputs"]
    if res["type"] == RDS_CLUSTER:
        members = g.where([RDS_CLUSTER_INSTANCE], "clusterIdentifier", i.get("clusterIdentifier"))
        problems = need(len(members) <= 1, f"{len(members)} instances")
        scaling = i.get("serverlessv2ScalingConfiguration") or {}
        problems += need((scaling.get("maxCapacity") or 0) <= PREVIEW_MAX_ACU, "serverless maxCapacity above 2 ACU")
        classes = {m["inputs"].get("instanceClass") for m in members}
        return problems + need(classes <= {"db.serverless"} or all(str(c).startswith("db.t") for c in classes),
                               f"instance classes {sorted(map(str, classes))} are not the smallest")
    if res["type"] == RDS_INSTANCE:
        return need(not is_true(i.get("multiAz")), "multiAz is true")
    problems = need(i.get("nodeType") in SMALL_CACHE_NODES, f"node type {i.get('nodeType')} is not the smallest")
    problems += need((i.get("numCacheClusters") or 1) <= 1, "replicas")
    return problems + [f"{k} is true" for k in ("multiAzEnabled", "automaticFailoverEnabled") if is_true(i.get(k))]


@rule("P-01", "P", STATEFUL, "stateful resources protected and retained")
def _p_protected(res: Resource, _g: Graph) -> list[str]:
    opts = res.get("options") or {}
    return [f"{k} is not set" for k in ("protect", "retainOnDelete") if not opts.get(k)]


@rule("R-TAG-01", "B", ["*"], "tagged app, env, managed-by (provider default tags)")
def _tags(res: Resource, g: Graph) -> list[str]:
    if not _aws_custom(res):
        return []
    tags = _provider_tags(res, g) or {}
    tags |= res["inputs"].get("tags") or {}
    return [f"tag {t} missing" for t in BASE_TAGS if not tags.get(t)]

"""Which input changes force pulumi-aws to replace a resource (the `replace` part).

For every AWS resource type the program creates, the input properties (Pulumi's camelCase names)
whose change deletes and recreates the resource: Terraform's ForceNew in terraform-provider-aws,
which pulumi-aws bridges. Derived from knowledge of terraform-provider-aws's resource schemas, not
generated from them; `tests/providers/aws/test_aws_replace.py` checks every type in the golden
graphs has an entry and every property exists on that type.
"""

from __future__ import annotations

from collections.abc import Mapping

_BUCKET_CHILD = frozenset({"bucket"})
"""A bucket-configuration resource belongs to one bucket."""

REPLACES: Mapping[str, frozenset[str]] = {
    "aws:cloudwatch/logGroup:LogGroup": frozenset({"name", "namePrefix", "logGroupClass"}),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": frozenset({"vpcId"}),
    "aws:ec2/securityGroup:SecurityGroup": frozenset({"name", "namePrefix", "description", "vpcId"}),
    "aws:ec2/subnet:Subnet": frozenset({"vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "outpostArn"}),
    "aws:ec2/vpc:Vpc": frozenset({"cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"}),
    "aws:iam/role:Role": frozenset({"name", "namePrefix", "path"}),
    "aws:iam/rolePolicy:RolePolicy": frozenset({"name", "namePrefix", "role"}),
    "aws:rds/cluster:Cluster": frozenset({
        "clusterIdentifier", "clusterIdentifierPrefix", "engine", "engineMode", "databaseName", "masterUsername",
        "snapshotIdentifier", "storageEncrypted", "kmsKeyId", "availabilityZones", "dbSubnetGroupName",
        "sourceRegion", "s3Import", "restoreToPointInTime",
    }),
    "aws:rds/clusterInstance:ClusterInstance": frozenset({
        "identifier", "identifierPrefix", "clusterIdentifier", "engine", "availabilityZone", "dbSubnetGroupName",
        "customIamInstanceProfile",
    }),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": frozenset({"name", "namePrefix", "family", "description"}),
    "aws:rds/subnetGroup:SubnetGroup": frozenset({"name", "namePrefix"}),
    "aws:s3/bucket:Bucket": frozenset({"bucket", "bucketPrefix", "objectLockEnabled"}),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _BUCKET_CHILD,
    "aws:s3/bucketLogging:BucketLogging": _BUCKET_CHILD,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _BUCKET_CHILD,
    "aws:s3/bucketPolicy:BucketPolicy": _BUCKET_CHILD,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _BUCKET_CHILD,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _BUCKET_CHILD,
    "aws:s3/bucketVersioning:BucketVersioning": _BUCKET_CHILD,
    "aws:secretsmanager/secret:Secret": frozenset({"name", "namePrefix"}),
    "aws:secretsmanager/secretVersion:SecretVersion": frozenset({"secretId", "secretString", "secretBinary"}),
    "aws:sns/topic:Topic": frozenset({"name", "namePrefix", "fifoTopic"}),
    "aws:sns/topicSubscription:TopicSubscription": frozenset({"topic", "protocol", "endpoint"}),
    "aws:sqs/queue:Queue": frozenset({"name", "namePrefix", "fifoQueue"}),
    "aws:sqs/queuePolicy:QueuePolicy": frozenset({"queueUrl"}),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": frozenset({"queueUrl"}),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": frozenset({"securityGroupId"}),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": frozenset({"securityGroupId"}),
}
"""AWS resource type token -> input properties whose change forces a replacement."""

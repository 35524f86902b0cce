"""Which input changes force pulumi-gcp to replace a resource (the `replace` part).

For every GCP resource type the program creates, the input properties (Pulumi's camelCase names) whose change
deletes and recreates the resource: Terraform's ForceNew in terraform-provider-google, which pulumi-gcp bridges.
Derived from knowledge of the provider's resource schemas, not generated from them;
`tests/providers/gcp/test_gcp_replace.py` checks every type in the golden graphs has an entry and every property
exists on that type.
"""

from __future__ import annotations

from collections.abc import Mapping

_IAM_MEMBER = frozenset({"role", "member", "condition"})
"""An IAM member resource is one (role, member, condition) binding on one resource."""

REPLACES: Mapping[str, frozenset[str]] = {
    "gcp:cloudrunv2/job:Job": frozenset({"name", "location", "project"}),
    "gcp:compute/globalAddress:GlobalAddress": frozenset({
        "name", "address", "addressType", "network", "prefixLength", "purpose", "ipVersion", "project",
    }),
    "gcp:compute/network:Network": frozenset({"name", "autoCreateSubnetworks", "project"}),
    "gcp:compute/subnetwork:Subnetwork": frozenset({"name", "network", "region", "project"}),
    "gcp:pubsub/subscription:Subscription": frozenset({"name", "topic", "enableMessageOrdering", "project"}),
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": _IAM_MEMBER | {"subscription", "project"},
    "gcp:pubsub/topic:Topic": frozenset({"name", "project"}),
    "gcp:pubsub/topicIAMMember:TopicIAMMember": _IAM_MEMBER | {"topic", "project"},
    "gcp:redis/instance:Instance": frozenset({
        "name", "region", "tier", "authorizedNetwork", "connectMode", "transitEncryptionMode", "reservedIpRange",
        "locationId", "project",
    }),
    "gcp:secretmanager/secret:Secret": frozenset({"secretId", "replication", "project"}),
    "gcp:secretmanager/secretIamMember:SecretIamMember": _IAM_MEMBER | {"secretId", "project"},
    "gcp:secretmanager/secretVersion:SecretVersion": frozenset({"secret", "secretData", "isSecretDataBase64"}),
    "gcp:serviceaccount/account:Account": frozenset({"accountId", "project"}),
    "gcp:serviceaccount/iAMMember:IAMMember": _IAM_MEMBER | {"serviceAccountId"},
    "gcp:servicenetworking/connection:Connection": frozenset({"network", "service"}),
    "gcp:sql/databaseInstance:DatabaseInstance": frozenset({"name", "region", "project"}),
    "gcp:sql/user:User": frozenset({"name", "instance", "host", "type", "project"}),
    "gcp:storage/bucket:Bucket": frozenset({"name", "location", "project"}),
    "gcp:storage/bucketIAMMember:BucketIAMMember": _IAM_MEMBER | {"bucket"},
}
"""GCP resource type token -> input properties whose change forces a replacement."""

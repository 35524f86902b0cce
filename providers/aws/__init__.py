"""AWS target: Pulumi handlers per kind, named here so that reading the table imports no SDK."""

from orchestrator.core.model import Kind
from providers.base import ProviderTable, Target

TABLE = ProviderTable(
    cloud="aws",
    handlers={
        Kind.SERVICE: "providers.aws.iam:handle_service",
        Kind.SQL_SERVER: "providers.aws.sql:handle_server",
        Kind.SQL: "providers.aws.sql:handle_database",
        Kind.TOPIC: "providers.aws.pubsub:handle_topic",
        Kind.SUBSCRIPTION: "providers.aws.pubsub:handle_subscription",
        Kind.BUCKET: "providers.aws.bucket:handle_bucket",
        Kind.CACHE: "providers.aws.cache:handle_cache",
        Kind.SECRET: "providers.aws.secret:handle_secret",
        Kind.CRON: "providers.aws.cron:handle_cron",
        Kind.GATEWAY: "providers.aws.gateway:handle_gateway",
    },
    unsupported={},
)

TARGET = Target(
    name="aws",
    engine="pulumi",
    table=TABLE,
    extra="aws",
    sdk=("pulumi", "pulumi_aws", "pulumi_random", "boto3"),
    config_namespaces=("aws", "random"),
)

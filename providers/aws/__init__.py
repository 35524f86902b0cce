"""AWS target: Pulumi handlers per kind, named here so that reading the table imports no SDK."""

from orchestrator.core.model import Kind
from providers.base import ProviderTable, Target

TABLE = ProviderTable(
    cloud="aws",
    handlers={
        Kind.SERVICE: "providers.aws.service:deploy",
        Kind.SQL_SERVER: "providers.aws.sql:deploy_server",
        Kind.SQL: "providers.aws.sql:deploy_database",
        Kind.TOPIC: "providers.aws.pubsub:deploy_topic",
        Kind.SUBSCRIPTION: "providers.aws.pubsub:deploy_subscription",
        Kind.BUCKET: "providers.aws.bucket:deploy",
        Kind.CACHE: "providers.aws.cache:deploy",
        Kind.SECRET: "providers.aws.secret:deploy",
        Kind.CRON: "providers.aws.cron:deploy",
        Kind.GATEWAY: "providers.aws.gateway:deploy",
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
    naming={
        "server": "aws.rds",
        "topic": "aws.sns",
        "queue": "aws.sqs",
        "bucket": "aws.s3",
        "cache": "aws.elasticache",
        "secret": "aws.secretsmanager",
        "cron": "aws.scheduler",
        "identity": "aws.iam",
    },
)

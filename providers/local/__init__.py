"""Local target: every kind provisioned for real on this machine (PostgreSQL, an AWS-API emulator, Redis).

Handlers are named as strings so that reading this table imports neither psycopg nor boto3.
"""

from orchestrator.core.model import Kind
from providers.base import ProviderTable, Target

TABLE = ProviderTable(
    cloud="local",
    handlers={
        Kind.SERVICE: "providers.local.service:deploy",
        Kind.SQL_SERVER: "providers.local.sql:deploy_server",
        Kind.SQL: "providers.local.sql:deploy_database",
        Kind.TOPIC: "providers.local.pubsub:deploy_topic",
        Kind.SUBSCRIPTION: "providers.local.pubsub:deploy_subscription",
        Kind.BUCKET: "providers.local.bucket:deploy",
        Kind.CACHE: "providers.local.cache:deploy",
        Kind.SECRET: "providers.local.secret:deploy",
        Kind.CRON: "providers.local.cron:deploy",
        Kind.GATEWAY: "providers.local.gateway:deploy",
    },
    unsupported={},
)

REMOVERS: dict[Kind, str] = {
    Kind.SQL: "providers.local.sql:remove",
    Kind.TOPIC: "providers.local.pubsub:remove_topic",
    Kind.SUBSCRIPTION: "providers.local.pubsub:remove_subscription",
    Kind.BUCKET: "providers.local.bucket:remove",
    Kind.CACHE: "providers.local.cache:remove",
}
"""Kinds that hold data: removing one needs --allow-destroy and a remover."""

TARGET = Target(
    name="local",
    engine="direct",
    table=TABLE,
    extra="local",
    sdk=("psycopg", "moto", "boto3", "redis"),
    config_namespaces=(),
    naming={
        "server": "aws.generic",
        "topic": "aws.sns",
        "queue": "aws.sqs",
        "bucket": "aws.s3",
        "cache": "aws.elasticache",
        "secret": "aws.secretsmanager",
        "cron": "aws.scheduler",
        "identity": "aws.iam",
    },
)

"""Local target: every kind provisioned for real on this machine (PostgreSQL, an AWS-API emulator, Redis).

Handlers are named as strings so that reading this table imports neither psycopg nor boto3.
"""

from orchestrator.core.model import Kind
from providers.base import ProviderTable, Target

TABLE = ProviderTable(
    cloud="local",
    handlers={
        Kind.SERVICE: "providers.local.service:handle_service",
        Kind.SQL_SERVER: "providers.local.sql:handle_server",
        Kind.SQL: "providers.local.sql:handle",
        Kind.TOPIC: "providers.local.pubsub:handle_topic",
        Kind.SUBSCRIPTION: "providers.local.pubsub:handle_subscription",
        Kind.BUCKET: "providers.local.bucket:handle",
        Kind.CACHE: "providers.local.cache:handle",
        Kind.SECRET: "providers.local.secret:handle",
        Kind.CRON: "providers.local.cron:handle",
        Kind.GATEWAY: "providers.local.service:handle_gateway",
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
)

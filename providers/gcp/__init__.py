"""GCP target: Pulumi handlers per kind, named here so that reading the table imports no SDK."""

from orchestrator.core.model import Kind
from providers.base import ProviderTable, Target

TABLE = ProviderTable(
    cloud="gcp",
    handlers={
        Kind.SERVICE: "providers.gcp.service:deploy",
        Kind.SQL_SERVER: "providers.gcp.sql:deploy_server",
        Kind.SQL: "providers.gcp.sql:deploy_database",
        Kind.TOPIC: "providers.gcp.pubsub:deploy_topic",
        Kind.SUBSCRIPTION: "providers.gcp.pubsub:deploy_subscription",
        Kind.BUCKET: "providers.gcp.bucket:deploy",
        Kind.CACHE: "providers.gcp.cache:deploy",
        Kind.SECRET: "providers.gcp.secret:deploy",
        Kind.CRON: "providers.gcp.cron:deploy",
        Kind.GATEWAY: "providers.gcp.gateway:deploy",
    },
    unsupported={},
)

TARGET = Target(
    name="gcp",
    engine="pulumi",
    table=TABLE,
    extra="gcp",
    sdk=("pulumi", "pulumi_gcp", "pulumi_random"),
    config_namespaces=("gcp", "random"),
    naming={
        "server": "gcp.sql",
        "topic": "gcp.pubsub",
        "queue": "gcp.pubsub",
        "bucket": "gcp.gcs",
        "cache": "gcp.redis",
        "secret": "gcp.secret",
        "cron": "gcp.scheduler",
        "identity": "gcp.serviceaccount",
    },
)

"""Azure target: Pulumi handlers per kind (pulumi-azure-native v3), named here so that reading the table imports no
SDK. Buckets are refused for every app, pub/sub for TypeScript apps (docs/azure.md says why)."""

from orchestrator.core.model import Kind, Language
from providers.base import ProviderTable, Target

NO_TS_PUBSUB = (
    "the Rust core behind TypeScript apps has no Azure Service Bus client (runtimes/core/src/pubsub/manager.rs turns "
    "an azure cluster into a no-op) and the JSON infra config has no Azure variant; only Go apps can use Service Bus"
)

TABLE = ProviderTable(
    cloud="azure",
    handlers={
        Kind.SERVICE: "providers.azure.service:deploy",
        Kind.SQL_SERVER: "providers.azure.sql:deploy_server",
        Kind.SQL: "providers.azure.sql:deploy_database",
        Kind.TOPIC: "providers.azure.pubsub:deploy_topic",
        Kind.SUBSCRIPTION: "providers.azure.pubsub:deploy_subscription",
        Kind.CACHE: "providers.azure.cache:deploy",
        Kind.SECRET: "providers.azure.secret:deploy",
        Kind.CRON: "providers.azure.cron:deploy",
        Kind.GATEWAY: "providers.azure.gateway:deploy",
    },
    unsupported={
        Kind.BUCKET: "no Encore runtime has an Azure Blob Storage provider (BucketProvider has only S3 and GCS in both "
        "runtimes)",
    },
    unsupported_for={
        Kind.TOPIC: {Language.TYPESCRIPT: NO_TS_PUBSUB},
        Kind.SUBSCRIPTION: {Language.TYPESCRIPT: NO_TS_PUBSUB},
    },
)

TARGET = Target(
    name="azure",
    engine="pulumi",
    table=TABLE,
    extra="azure",
    sdk=("pulumi", "pulumi_azure_native", "pulumi_random"),
    config_namespaces=("azure-native", "random"),
    naming={
        "server": "azure.postgres",
        "topic": "azure.servicebus.entity",
        "queue": "azure.servicebus.entity",
        "bucket": "azure.storage",
        "cache": "azure.redis",
        "secret": "azure.keyvault.secret",
        "cron": "azure.generic",
        "identity": "azure.identity",
    },
)

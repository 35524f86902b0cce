"""Azure target: not built yet; every kind says so in the support matrix."""

from orchestrator.core.model import Kind
from providers.base import ProviderTable, Target

_NOT_YET = "the Azure target has no provider modules yet"

TABLE = ProviderTable(
    cloud="azure",
    handlers={},
    unsupported={
        **{kind: _NOT_YET for kind in Kind},
        Kind.TOPIC: "the native core has no Azure pub/sub and the JSON infra config has no Azure variant",
        Kind.SUBSCRIPTION: "the native core has no Azure pub/sub and the JSON infra config has no Azure variant",
        Kind.BUCKET: "no Encore runtime has an Azure object-storage provider",
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
        "secret": "azure.generic",
        "cron": "azure.generic",
        "identity": "azure.identity",
    },
)

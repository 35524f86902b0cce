"""GCP target: not built yet; every kind says so in the support matrix."""

from orchestrator.core.model import Kind
from providers.base import ProviderTable, Target

_NOT_YET = "the GCP target has no provider modules yet"

TABLE = ProviderTable(cloud="gcp", handlers={}, unsupported={kind: _NOT_YET for kind in Kind})

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

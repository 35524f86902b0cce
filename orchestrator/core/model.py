"""The App model: what an app declares, as read from the parser's metadata by `appmeta`.

Everything here is frozen and cloud-neutral. Durations are timedeltas; names are the
Encore names the runtime looks things up by.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Kind(StrEnum):
    SERVICE = "service"
    SQL_SERVER = "sql-server"
    SQL = "sql"
    TOPIC = "topic"
    SUBSCRIPTION = "subscription"
    BUCKET = "bucket"
    CACHE = "cache"
    SECRET = "secret"
    CRON = "cron"
    GATEWAY = "gateway"


class Language(StrEnum):
    GO = "go"
    TYPESCRIPT = "typescript"


class DeliveryGuarantee(StrEnum):
    AT_LEAST_ONCE = "at-least-once"
    EXACTLY_ONCE = "exactly-once"


class BucketOp(StrEnum):
    """`BucketUsage.Operation` values; each is also the grant verb on the bucket."""

    LIST_OBJECTS = "list-objects"
    READ_OBJECT_CONTENTS = "read-object-contents"
    WRITE_OBJECT = "write-object"
    UPDATE_OBJECT_METADATA = "update-object-metadata"
    GET_OBJECT_METADATA = "get-object-metadata"
    DELETE_OBJECT = "delete-object"
    GET_PUBLIC_URL = "get-public-url"
    SIGNED_UPLOAD_URL = "signed-upload-url"
    SIGNED_DOWNLOAD_URL = "signed-download-url"


class AccessType(StrEnum):
    PRIVATE = "private"
    PUBLIC = "public"
    AUTH = "auth"


class MetricKind(StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Endpoint(Spec):
    name: str
    path: str
    methods: tuple[str, ...]
    access: AccessType
    exposed: bool
    raw: bool = False


class BucketUsage(Spec):
    bucket: str
    operations: tuple[BucketOp, ...]


class Service(Spec):
    name: str
    rel_path: str
    endpoints: tuple[Endpoint, ...] = ()
    databases: tuple[str, ...] = ()
    buckets: tuple[BucketUsage, ...] = ()
    secrets: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()


class Migration(Spec):
    filename: str
    number: int
    description: str


class Database(Spec):
    name: str
    migration_rel_path: str | None = None
    migrations: tuple[Migration, ...] = ()
    allow_non_sequential_migrations: bool = False


class RetryPolicy(Spec):
    min_backoff: timedelta
    max_backoff: timedelta
    max_retries: int
    """-1 retries forever, -2 never retries (Go apps only)."""


class Subscription(Spec):
    topic: str
    name: str
    service: str
    ack_deadline: timedelta
    message_retention: timedelta
    retry: RetryPolicy
    max_concurrency: int | None = None


class Topic(Spec):
    name: str
    delivery_guarantee: DeliveryGuarantee = DeliveryGuarantee.AT_LEAST_ONCE
    ordering_key: str = ""
    publishers: tuple[str, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()

    @property
    def fifo(self) -> bool:
        """Exactly-once and ordered topics need FIFO semantics where the cloud has them."""
        return self.delivery_guarantee is DeliveryGuarantee.EXACTLY_ONCE or bool(self.ordering_key)


class Keyspace(Spec):
    service: str
    pattern: str = ""


class Cache(Spec):
    name: str
    eviction_policy: str = "allkeys-lru"
    keyspaces: tuple[Keyspace, ...] = ()

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(sorted({k.service for k in self.keyspaces}))


class Bucket(Spec):
    name: str
    versioned: bool = False
    public: bool = False


class Secret(Spec):
    name: str
    services: tuple[str, ...]
    """Services that load it; a secret of a service-less Go package is visible to every service."""


class CronJob(Spec):
    id: str
    title: str
    schedule: str
    service: str
    endpoint: str
    path: str


class AuthHandler(Spec):
    name: str
    service: str


class Gateway(Spec):
    name: str
    service: str | None = None
    auth_handler: AuthHandler | None = None


class Metric(Spec):
    name: str
    kind: MetricKind
    value_type: str
    service: str | None = None


class App(Spec):
    name: str
    language: Language
    revision: str = ""
    services: tuple[Service, ...] = ()
    databases: tuple[Database, ...] = ()
    topics: tuple[Topic, ...] = ()
    caches: tuple[Cache, ...] = ()
    buckets: tuple[Bucket, ...] = ()
    secrets: tuple[Secret, ...] = ()
    cron_jobs: tuple[CronJob, ...] = ()
    gateways: tuple[Gateway, ...] = ()
    auth_handler: AuthHandler | None = None
    metrics: tuple[Metric, ...] = ()
    warnings: tuple[str, ...] = ()
    """What the metadata lacks that a runtime will refuse, though planning can go on."""

    def service(self, name: str) -> Service:
        for svc in self.services:
            if svc.name == name:
                return svc
        raise KeyError(name)

    def users_of_database(self, name: str) -> tuple[str, ...]:
        return tuple(s.name for s in self.services if name in s.databases)

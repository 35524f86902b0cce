"""Apps, plans and Provisioned records for the runtime-config tests.

Plans come from `orchestrator.core.plan.build` on an `App` built from the model classes and an `Env`
parsed from stack YAML. The support check is switched off while planning: it reads the provider
tables, which are not what these tests are about (config generation must not depend on them).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

from google.protobuf.message import Message

from orchestrator import stacks
from orchestrator.core import envs
from orchestrator.core import plan as planning
from orchestrator.core.model import (
    AccessType,
    App,
    Bucket,
    BucketOp,
    BucketUsage,
    Cache,
    Database,
    DeliveryGuarantee,
    Endpoint,
    Gateway,
    Keyspace,
    Language,
    Metric,
    MetricKind,
    RetryPolicy,
    Secret,
    Service,
    Subscription,
    Topic,
)
from orchestrator.core.plan import Plan
from runtime_config.infra import (
    AppSecret,
    AuthKey,
    BucketRecord,
    CacheRecord,
    GatewayRecord,
    ObjectStorage,
    Provisioned,
    PubSub,
    PubSubSubscription,
    PubSubTopic,
    SecretRef,
    SqlDatabase,
    SqlServer,
    Tls,
)

CANARY = "canary-3f9c1e"
CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
ACCOUNT = "123456789012"

STACKS = {
    "local": "config:\n  orchestrator:cloud: local\n  orchestrator:envType: development\n",
    "aws": "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: production\n  aws:region: eu-west-1\n",
    "gcp": "config:\n  orchestrator:cloud: gcp\n  orchestrator:envType: ephemeral\n  gcp:project: shop-proj\n",
}


def env(cloud: str, name: str = "dev", extra: str = "") -> envs.Env:
    return stacks.parse(STACKS[cloud] + extra, name=name, where=f"stacks/Pulumi.{name}.yaml")


def _sub(topic: str, name: str, service: str) -> Subscription:
    return Subscription(
        topic=topic, name=name, service=service, ack_deadline=timedelta(seconds=30),
        message_retention=timedelta(days=7),
        retry=RetryPolicy(min_backoff=timedelta(seconds=1), max_backoff=timedelta(minutes=5), max_retries=5),
    )


def shop_app(language: Language = Language.TYPESCRIPT, *, fifo_topic: bool = False) -> App:
    """Four services, two databases, a topic with two subscriptions, a cache, two buckets, two gateways."""
    order_subs = (_sub("order-created", "send-email", "mailer"), _sub("order-created", "bill", "billing"))
    topics = [Topic(name="order-created", publishers=("orders",), subscriptions=order_subs)]
    if fifo_topic:
        topics.append(Topic(name="audit", delivery_guarantee=DeliveryGuarantee.EXACTLY_ONCE, ordering_key="tenant",
                            publishers=("api",), subscriptions=(_sub("audit", "store", "orders"),)))
    ping = Endpoint(name="ping", path="/ping", methods=("GET",), access=AccessType.PUBLIC, exposed=True)
    return App(
        name="shop",
        language=language,
        services=(
            Service(name="api", rel_path="api", endpoints=(ping,), calls=("orders",), metrics=("requests_total",),
                    buckets=(BucketUsage(bucket="avatars", operations=(BucketOp.GET_PUBLIC_URL,)),)),
            Service(name="billing", rel_path="billing", databases=("billing",), calls=("orders",)),
            Service(name="mailer", rel_path="mailer", secrets=("SlackHook",)),
            Service(name="orders", rel_path="orders", databases=("orders",), secrets=("StripeKey",),
                    metrics=("requests_total", "orders_placed"),
                    buckets=(BucketUsage(bucket="invoices",
                                         operations=(BucketOp.READ_OBJECT_CONTENTS, BucketOp.WRITE_OBJECT)),)),
        ),
        databases=(Database(name="billing"), Database(name="orders")),
        topics=tuple(topics),
        caches=(Cache(name="sessions", keyspaces=(Keyspace(service="api"),)),),
        buckets=(Bucket(name="avatars", public=True), Bucket(name="invoices")),
        secrets=(Secret(name="SlackHook", services=("mailer",)), Secret(name="StripeKey", services=("orders",))),
        gateways=(Gateway(name="admin"), Gateway(name="api-gateway")),
        metrics=(Metric(name="orders_placed", kind=MetricKind.COUNTER, value_type="int"),
                 Metric(name="requests_total", kind=MetricKind.COUNTER, value_type="int")),
    )


def make_plan(app: App, environment: envs.Env) -> Plan:
    with mock.patch("orchestrator.support.check"):
        return planning.build(app, environment)


def shop_plan(cloud: str = "aws", language: Language = Language.TYPESCRIPT, *, fifo_topic: bool = False,
              extra: str = "") -> Plan:
    return make_plan(shop_app(language, fifo_topic=fifo_topic), env(cloud, extra=extra))


def _names(plan: Plan, key: str) -> dict[str, str]:
    return plan.get(key).names


def provisioned(plan: Plan, **changes: Any) -> Provisioned:
    """A realistic record for the plan's cloud; `changes` replace top-level fields."""
    record = {"local": _local, "aws": _aws, "gcp": _gcp}[plan.env.cloud](plan)
    return record.model_copy(update=changes) if changes else record


def _services(plan: Plan, base: str) -> dict[str, str]:
    return {r.name: base.format(name=r.name) for r in plan.of_kind(planning.Kind.SERVICE)}


def _local(plan: Plan) -> Provisioned:
    def value(what: str) -> SecretRef:
        return SecretRef(value=f"{CANARY}-{what}")

    sns, sqs = f"arn:aws:sns:us-east-1:{ACCOUNT}:", f"http://127.0.0.1:5000/{ACCOUNT}/"
    return Provisioned(
        cloud="local", env=plan.env.name,
        sql_servers=(SqlServer(host="127.0.0.1:55432"),),
        sql_databases=tuple(
            SqlDatabase(encore_name=r.name, cloud_name=r.names["database"], username=r.names["role"],
                        password=value(f"sql-{r.name}"))
            for r in plan.of_kind(planning.Kind.SQL)
        ),
        caches=(CacheRecord(encore_name="sessions", host="127.0.0.1:56379", key_prefix="sessions/",
                            auth=value("redis")),),
        pubsub=_aws_pubsub(plan, sns, sqs),
        object_storage=ObjectStorage(
            provider="s3", region="us-east-1", endpoint="http://127.0.0.1:5000", access_key_id="test",
            secret_access_key=value("s3"),
            buckets=tuple(BucketRecord(encore_name=r.name, cloud_name=r.names["bucket"],
                                       public_base_url=f"http://127.0.0.1:5000/{r.names['bucket']}")
                          for r in plan.of_kind(planning.Kind.BUCKET)),
        ),
        secrets=tuple(AppSecret(encore_name=r.name, ref=value(f"secret-{r.name}"))
                      for r in plan.of_kind(planning.Kind.SECRET)),
        gateways=(GatewayRecord(encore_name="api-gateway", base_url="http://127.0.0.1:4000"),),
        service_discovery=_services(plan, "http://127.0.0.1:4000/{name}"),
        service_auth_keys=(AuthKey(id=1, key=value("svc-key")),),
    )


def _aws_pubsub(plan: Plan, sns: str, sqs: str) -> PubSub:
    topics = tuple(PubSubTopic(encore_name=r.name, cloud_name=sns + r.names["topic"])
                   for r in plan.of_kind(planning.Kind.TOPIC))
    subs = []
    for r in plan.of_kind(planning.Kind.SUBSCRIPTION):
        topic, name = r.name.split("/")
        subs.append(PubSubSubscription(topic=topic, encore_name=name, cloud_name=sqs + r.names["subscription"],
                                       topic_cloud_name=sns + _names(plan, f"topic:{topic}")["topic"]))
    return PubSub(provider="aws", topics=topics, subscriptions=tuple(subs))


def _aws(plan: Plan) -> Provisioned:
    region = plan.env.region
    return Provisioned(
        cloud="aws", env=plan.env.name, region=region,
        sql_servers=(SqlServer(host=f"shop.cluster-abc.{region}.rds.amazonaws.com:5432", tls=Tls(ca_cert=CA_PEM)),),
        sql_databases=tuple(
            SqlDatabase(encore_name=r.name, cloud_name=r.names["database"], username=r.names["role"],
                        password=SecretRef(env=r.names["password_env"], source=f"arn:secret:{r.name}"),
                        max_connections=20)
            for r in plan.of_kind(planning.Kind.SQL)
        ),
        caches=(CacheRecord(encore_name="sessions", host="master.shop.abc.euw1.cache.amazonaws.com:6379",
                            key_prefix="sessions/", tls=Tls(), auth=SecretRef(env="CACHE_SESSIONS_AUTH")),),
        pubsub=_aws_pubsub(plan, f"arn:aws:sns:{region}:{ACCOUNT}:", f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/"),
        object_storage=ObjectStorage(
            provider="s3", region=region,
            buckets=tuple(BucketRecord(encore_name=r.name, cloud_name=r.names["bucket"])
                          for r in plan.of_kind(planning.Kind.BUCKET)),
        ),
        secrets=tuple(AppSecret(encore_name=r.name, ref=SecretRef(env=r.names["env"]))
                      for r in plan.of_kind(planning.Kind.SECRET)),
        gateways=(GatewayRecord(encore_name="api-gateway", base_url="https://api.shop.example"),
                  GatewayRecord(encore_name="admin", base_url="https://admin.shop.example")),
        service_discovery=_services(plan, "http://{name}.shop.internal:8080"),
        service_auth_keys=(AuthKey(id=1, key=SecretRef(env="SVC_KEY_1")),
                           AuthKey(id=2, key=SecretRef(env="SVC_KEY_2"))),
    )


def _gcp(plan: Plan) -> Provisioned:
    project = plan.env.project
    topics, subs = [], []
    for r in plan.of_kind(planning.Kind.TOPIC):
        # Pulumi's Topic.id is the full path; the builder must shorten it.
        topics.append(PubSubTopic(encore_name=r.name, cloud_name=f"projects/{project}/topics/{r.names['topic']}"))
    for r in plan.of_kind(planning.Kind.SUBSCRIPTION):
        topic, name = r.name.split("/")
        push = {"push_service_account": "push@shop-proj.iam.gserviceaccount.com",
                "push_jwt_audience": "https://api.shop.example"} if name == "bill" else {}
        subs.append(PubSubSubscription(topic=topic, encore_name=name, cloud_name=r.names["subscription"],
                                       topic_cloud_name=_names(plan, f"topic:{topic}")["topic"], **push))
    return Provisioned(
        cloud="gcp", env=plan.env.name, region=plan.env.region,
        sql_servers=(SqlServer(host="10.1.2.3:5432", tls=Tls(ca_cert=CA_PEM, disable_hostname_verification=True)),),
        sql_databases=tuple(
            SqlDatabase(encore_name=r.name, cloud_name=r.names["database"], username=r.names["role"],
                        password=SecretRef(env=r.names["password_env"]))
            for r in plan.of_kind(planning.Kind.SQL)
        ),
        caches=(CacheRecord(encore_name="sessions", host="10.1.2.4:6378", tls=Tls(ca_cert=CA_PEM),
                            auth=SecretRef(env="CACHE_SESSIONS_AUTH"), auth_username="default"),),
        pubsub=PubSub(provider="gcp", topics=tuple(topics), subscriptions=tuple(subs)),
        object_storage=ObjectStorage(
            provider="gcs",
            buckets=tuple(BucketRecord(encore_name=r.name, cloud_name=r.names["bucket"], key_prefix="v1/")
                          for r in plan.of_kind(planning.Kind.BUCKET)),
        ),
        secrets=tuple(AppSecret(encore_name=r.name, ref=SecretRef(provider=r.names["secret"]))
                      for r in plan.of_kind(planning.Kind.SECRET)),
        gateways=(GatewayRecord(encore_name="api-gateway", base_url="https://api.shop.example"),),
        service_discovery=_services(plan, "https://{name}-abc.a.run.app"),
        service_auth_keys=(AuthKey(id=7, key=SecretRef(env="SVC_KEY_7")),),
    )


def walk(msg: Message) -> Iterator[Message]:
    """`msg` and every message nested in it (repeated fields and map values included)."""
    yield msg
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        if isinstance(value, Message):
            items: list[Any] = [value]
        elif callable(getattr(value, "values", None)):
            items = list(value.values())
        else:
            items = list(value)
        for item in items:
            if isinstance(item, Message):
                yield from walk(item)


def rids(msg: Message) -> list[str]:
    return [m.rid for m in walk(msg) if "rid" in m.DESCRIPTOR.fields_by_name and m.rid]  # type: ignore[attr-defined]


def secret_sources(msg: Message) -> list[str]:
    """Which source every SecretData in `msg` uses."""
    return [m.WhichOneof("source") for m in walk(msg) if m.DESCRIPTOR.full_name == "encore.runtime.v1.SecretData"]

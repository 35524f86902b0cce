"""support.check refuses what a target cannot provide, listing every resource and why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orchestrator import stacks
from orchestrator.core import envs
from orchestrator.core.errors import ExitCode, Unsupported
from orchestrator.core.model import App, Bucket, DeliveryGuarantee, Language, RetryPolicy, Service, Subscription, Topic
from orchestrator.core.plan import Plan
from orchestrator.core.plan import build as plan_only
from orchestrator.support import check


def _env(cloud_lines: str, name: str = "e") -> envs.Env:
    return stacks.parse(f"config:\n{cloud_lines}", name=name, where=f"Pulumi.{name}.yaml")


AZURE = "  orchestrator:cloud: azure\n  orchestrator:envType: development\n  azure-native:location: westeurope\n"
LOCAL = "  orchestrator:cloud: local\n  orchestrator:envType: development\n"


def build(app: App, env: envs.Env) -> Plan:
    """Planning never refuses; the support check after it does."""
    plan = plan_only(app, env)
    check(plan)
    return plan


def _app(language: Language, *, fifo: bool = False, bucket: bool = False) -> App:
    retry = RetryPolicy(min_backoff=timedelta(seconds=10), max_backoff=timedelta(minutes=10), max_retries=5)
    sub = Subscription(topic="orders", name="ship", service="api", ack_deadline=timedelta(seconds=30),
                       message_retention=timedelta(days=7), retry=retry)
    topic = Topic(name="orders", publishers=("api",), subscriptions=(sub,),
                  delivery_guarantee=DeliveryGuarantee.EXACTLY_ONCE if fifo else DeliveryGuarantee.AT_LEAST_ONCE)
    return App(name="shop", language=language, services=(Service(name="api", rel_path="api"),), topics=(topic,),
               buckets=(Bucket(name="files"),) if bucket else ())


def test_azure_lists_every_unsupported_resource_with_reason():
    with pytest.raises(Unsupported) as err:
        build(_app(Language.TYPESCRIPT, bucket=True), _env(AZURE))
    text = str(err.value)
    assert err.value.exit_code is ExitCode.UNSUPPORTED
    assert "topic:orders: the Rust core behind TypeScript apps has no Azure Service Bus client" in text
    assert "subscription:orders/ship" in text
    assert "bucket:files: no Encore runtime has an Azure Blob Storage provider" in text


def test_azure_takes_topics_from_go_apps_only():
    """Service Bus exists only in the Go runtime (`ProviderTable.unsupported_for`)."""
    plan = build(_app(Language.GO), _env(AZURE))
    assert plan.get("topic:orders") and plan.get("subscription:orders/ship")
    with pytest.raises(Unsupported) as err:
        build(_app(Language.GO, bucket=True), _env(AZURE))
    assert "topic:" not in str(err.value) and "1 resource(s)" in str(err.value)


def test_go_exactly_once_topics_get_fifo_names():
    """The Go runtime takes exactly-once/ordering from the app's code (runtimes/go/pubsub/internal/aws/topic.go)."""
    plan = build(_app(Language.GO, fifo=True), _env(LOCAL))
    assert plan.get("topic:orders").names["topic"].endswith(".fifo")
    assert plan.get("subscription:orders/ship").names["subscription"].endswith(".fifo")


def test_typescript_exactly_once_topics_are_fine_locally():
    plan = build(_app(Language.TYPESCRIPT, fifo=True), _env(LOCAL))
    topic = plan.get("topic:orders")
    assert topic.names["topic"].endswith(".fifo")
    assert plan.get("subscription:orders/ship").names["subscription"].endswith(".fifo")

"""Pub/Sub on the local target: SNS topics and SQS queues on the AWS-API emulator, as a real AWS deploy makes them.

Topic -> SNS topic (FIFO when exactly-once or ordered). Subscription -> SQS queue subscribed
to the topic with raw delivery off, a dead-letter queue (maxReceiveCount = max_retries + 1),
visibility timeout from the ack deadline and retention from message_retention.
"""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from orchestrator.core.model import DeliveryGuarantee, Subscription, Topic
from providers.base import Context, Deployed
from providers.local import servers

if TYPE_CHECKING:
    from orchestrator.core.plan import PlannedResource
    from providers.local.session import Session

MIN_RETENTION, MAX_RETENTION = 60, 14 * 24 * 3600
MAX_VISIBILITY = 12 * 3600
MAX_RECEIVE_COUNT = 1000


def deploy_topic(ctx: Context, res: PlannedResource) -> Deployed:
    session: Session = ctx.target
    topic = res.spec
    assert isinstance(topic, Topic)
    attrs = {"FifoTopic": "true", "ContentBasedDeduplication": "false"} if topic.fifo else {}
    arn = session.aws("sns").create_topic(Name=res.names["topic"], Attributes=attrs)["TopicArn"]
    session.record(res.key).update(arn=arn, server=servers.EMULATOR.name)
    entry: dict[str, Any] = {
        "encore_name": topic.name,
        "cloud_name": arn,
        "exactly_once": topic.delivery_guarantee is DeliveryGuarantee.EXACTLY_ONCE,
    }
    if topic.ordering_key:
        entry["ordering_attr"] = topic.ordering_key
    return Deployed(provisioned={"pubsub": {"provider": "aws", "topics": [entry]}}, grants_target={"*": arn})


def queue_attributes(sub: Subscription, *, dlq_arn: str | None) -> dict[str, str]:
    """The SQS attributes a subscription's settings map to (without FifoQueue and Policy)."""
    attrs = {
        "VisibilityTimeout": str(_clamp(sub.ack_deadline, 0, MAX_VISIBILITY)),
        "MessageRetentionPeriod": str(_clamp(sub.message_retention, MIN_RETENTION, MAX_RETENTION)),
    }
    retries = sub.retry.max_retries
    if dlq_arn and retries != -1:  # -1 retries forever; -2 (Go) never retries: one receive
        count = 1 if retries < 0 else min(retries + 1, MAX_RECEIVE_COUNT)
        attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": count})
    return attrs


def _clamp(value: timedelta, low: int, high: int) -> int:
    return max(low, min(high, int(value.total_seconds())))


def deploy_subscription(ctx: Context, res: PlannedResource) -> Deployed:
    session: Session = ctx.target
    sub = res.spec
    assert isinstance(sub, Subscription)
    topic_arn = ctx.deployed[f"topic:{sub.topic}"].grants_target["*"]
    fifo = res.names["subscription"].endswith(".fifo")
    sqs = session.aws("sqs")
    dlq_url, dlq_arn = _ensure_queue(
        sqs, res.names["dead_letter"], {"MessageRetentionPeriod": str(MAX_RETENTION)}, fifo
    )
    attrs = queue_attributes(sub, dlq_arn=dlq_arn)
    url, arn = _ensure_queue(sqs, res.names["subscription"], attrs, fifo)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sns = session.aws("sns")
    existing = [
        s["SubscriptionArn"] for s in _subscriptions(sns, topic_arn) if s["Protocol"] == "sqs" and s["Endpoint"] == arn
    ]
    if existing:
        sns.set_subscription_attributes(
            SubscriptionArn=existing[0], AttributeName="RawMessageDelivery", AttributeValue="false"
        )
    else:
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "false"},
            ReturnSubscriptionArn=True,
        )
    session.record(res.key).update(url=url, dlq_url=dlq_url, server=servers.EMULATOR.name)
    entry = {"topic": sub.topic, "encore_name": sub.name, "cloud_name": url, "topic_cloud_name": topic_arn}
    return Deployed(provisioned={"pubsub": {"provider": "aws", "subscriptions": [entry]}}, grants_target={"*": arn})


def _ensure_queue(sqs: Any, name: str, attrs: dict[str, str], fifo: bool) -> tuple[str, str]:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attrs)
    except sqs.exceptions.QueueDoesNotExist:
        create = {**attrs, **({"FifoQueue": "true"} if fifo else {})}
        url = sqs.create_queue(QueueName=name, Attributes=create)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _subscriptions(sns: Any, topic_arn: str) -> list[dict[str, Any]]:
    return [
        s
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn)
        for s in page["Subscriptions"]
    ]


def remove_topic(session: Session, key: str, rec: dict[str, Any]) -> None:
    sns = session.aws("sns")
    arn = rec.get("arn")
    if arn:
        for s in _subscriptions_or_none(sns, arn):
            sns.unsubscribe(SubscriptionArn=s["SubscriptionArn"])
        sns.delete_topic(TopicArn=arn)


def _subscriptions_or_none(sns: Any, arn: str) -> list[dict[str, Any]]:
    try:
        return _subscriptions(sns, arn)
    except sns.exceptions.NotFoundException:
        return []


def remove_subscription(session: Session, key: str, rec: dict[str, Any]) -> None:
    """Its topic's SNS subscription first (left behind, every publish to the topic would fail), then the queues."""
    sqs, sns = session.aws("sqs"), session.aws("sns")
    name = rec.get("names", {}).get("subscription")
    if name:
        with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            for page in sns.get_paginator("list_subscriptions").paginate():
                for sub in page["Subscriptions"]:
                    if sub["Protocol"] == "sqs" and sub["Endpoint"] == arn:
                        sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
    for role in ("subscription", "dead_letter"):
        name = rec.get("names", {}).get(role)
        if name:
            _delete_queue(sqs, name)


def _delete_queue(sqs: Any, name: str) -> None:
    with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])


def sweep(session: Session, prefix: str, keep: set[str]) -> list[str]:
    """Delete topics and queues named with this env's prefix that the plan does not have."""
    sns, sqs = session.aws("sns"), session.aws("sqs")
    dropped = []
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            name = topic["TopicArn"].rsplit(":", 1)[1]
            if name.lower().startswith(prefix) and name not in keep:
                remove_topic(session, name, {"arn": topic["TopicArn"]})
                dropped.append(f"topic {name}")
    for url in sqs.list_queues().get("QueueUrls", []):
        name = url.rsplit("/", 1)[1]
        if name.lower().startswith(prefix) and name not in keep:
            sqs.delete_queue(QueueUrl=url)
            dropped.append(f"queue {name}")
    return dropped

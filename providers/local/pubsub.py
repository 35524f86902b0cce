"""Pub/Sub on the local target: SNS topics and SQS queues on the AWS-API emulator, as a real AWS deploy makes them.

Topic -> SNS topic (FIFO when exactly-once or ordered). Subscription -> SQS queue subscribed
to the topic with raw delivery off, a dead-letter queue (maxReceiveCount = max_retries + 1),
visibility timeout from the ack deadline and retention from message_retention.

Every topic and queue carries the tag `orchestrator-owner` = this env's ownership mark (providers/local/ownership.py);
one with another mark, or none, is never altered or deleted (NotOwned, naming it).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from orchestrator.core.errors import BadInput
from orchestrator.core.model import DeliveryGuarantee, Kind, Subscription, Topic
from providers.base import Context, Deployed
from providers.local import ownership, servers
from providers.local.parallel import side_by_side
from providers.local.servers.emulator import emulator_list

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
    sns, name, owner = session.aws("sns"), res.names["topic"], ownership.claim(session.dir)
    arn = _topics(sns).get(name)
    if arn is not None:
        ownership.check(_topic_mark(sns, arn), owner, f"topic {name}")
    else:
        arn = sns.create_topic(Name=name, Attributes=attrs, Tags=[{"Key": ownership.TAG_KEY, "Value": owner.mark}])[
            "TopicArn"
        ]
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
    sqs, owner = session.aws("sqs"), ownership.claim(session.dir)
    dlq_url, dlq_arn = _ensure_queue(
        sqs, res.names["dead_letter"], {"MessageRetentionPeriod": str(MAX_RETENTION)}, fifo, owner
    )
    attrs = queue_attributes(sub, dlq_arn=dlq_arn)
    url, arn = _ensure_queue(sqs, res.names["subscription"], attrs, fifo, owner)
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


def _ensure_queue(sqs: Any, name: str, attrs: dict[str, str], fifo: bool, owner: ownership.Owner) -> tuple[str, str]:
    url = _check_queue(sqs, name, owner)
    if url is not None:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attrs)
    else:
        create = {**attrs, **({"FifoQueue": "true"} if fifo else {})}
        url = sqs.create_queue(QueueName=name, Attributes=create, tags={ownership.TAG_KEY: owner.mark})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _subscriptions(sns: Any, topic_arn: str) -> list[dict[str, Any]]:
    return [
        s
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn)
        for s in page["Subscriptions"]
    ]


def _topics(sns: Any) -> dict[str, str]:
    """Name -> ARN of every topic on the emulator."""
    return {
        t["TopicArn"].rsplit(":", 1)[1]: t["TopicArn"]
        for page in sns.get_paginator("list_topics").paginate()
        for t in page["Topics"]
    }


def _topic_mark(sns: Any, arn: str) -> str | None:
    tags = sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
    return next((t["Value"] for t in tags if t["Key"] == ownership.TAG_KEY), None)


def _queues(sqs: Any) -> dict[str, str]:
    """Name -> URL of every queue on the emulator."""
    return {
        url.rsplit("/", 1)[1]: url
        for page in sqs.get_paginator("list_queues").paginate()
        for url in page.get("QueueUrls", [])
    }


def _queue_url(sqs: Any, name: str) -> str | None:
    try:
        return sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        return None


def _queue_mark(sqs: Any, url: str) -> str | None:
    return sqs.list_queue_tags(QueueUrl=url).get("Tags", {}).get(ownership.TAG_KEY)


def _check_queue(sqs: Any, name: str, owner: ownership.Owner) -> str | None:
    """The URL of queue `name` when it exists and is ours (NotOwned when it is not), None when it does not exist."""
    url = _queue_url(sqs, name)
    if url is not None:
        ownership.check(_queue_mark(sqs, url), owner, f"queue {name}")
    return url


def _messages(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return sum(int(attrs.get(f"ApproximateNumberOfMessages{part}", 0)) for part in ("", "NotVisible", "Delayed"))


def remove_topic(session: Session, key: str, rec: dict[str, Any]) -> None:
    """Its subscriptions, then the topic; a topic that is not ours is left alone (NotOwned)."""
    sns = session.aws("sns")
    name = rec.get("names", {}).get("topic")
    arn = _topics(sns).get(name) if name else None
    if arn is None:
        return
    ownership.check(_topic_mark(sns, arn), ownership.claim(session.dir), f"topic {name}")
    _delete_topic(sns, arn)


def _delete_topic(sns: Any, arn: str) -> None:
    for s in _subscriptions(sns, arn):
        sns.unsubscribe(SubscriptionArn=s["SubscriptionArn"])
    sns.delete_topic(TopicArn=arn)


def remove_subscription(session: Session, key: str, rec: dict[str, Any]) -> None:
    """Its topic's SNS subscription first (left behind, every publish to the topic would fail), then the queues;
    both queues are checked to be ours before anything is touched."""
    sqs, sns, owner = session.aws("sqs"), session.aws("sns"), ownership.claim(session.dir)
    names = rec.get("names", {})
    urls = [url for role in ("subscription", "dead_letter") if names.get(role)
            and (url := _check_queue(sqs, names[role], owner)) is not None]
    for url in urls:
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        _unsubscribe_queue(sns, arn)
        sqs.delete_queue(QueueUrl=url)


def _unsubscribe_queue(sns: Any, queue_arn: str) -> None:
    for page in sns.get_paginator("list_subscriptions").paginate():
        for sub in page["Subscriptions"]:
            if sub["Protocol"] == "sqs" and sub["Endpoint"] == queue_arn:
                sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])


def sweep(session: Session, keep: set[str], *, allow_destroy: bool) -> list[str]:
    """Delete the topics and queues tagged with this env's mark that the plan does not name (left by a run whose
    record was lost, e.g. an older state.json restored). Names are never trusted: only the tag says what is ours.
    A leftover queue holding messages is removed only with --allow-destroy (else BadInput, listing them, before
    anything is deleted)."""
    sns, sqs, owner = session.aws("sns"), session.aws("sqs"), ownership.claim(session.dir)
    topics = {n: a for n, a in _topics(sns).items() if n not in keep}
    queues = {n: u for n, u in _queues(sqs).items() if n not in keep}
    topic_marks = side_by_side(lambda arn: _topic_mark(sns, arn), list(topics.values()))
    queue_marks = side_by_side(lambda url: _queue_mark(sqs, url), list(queues.values()))
    topics = {n: a for (n, a), mark in zip(topics.items(), topic_marks, strict=True) if mark == owner.mark}
    queues = {n: u for (n, u), mark in zip(queues.items(), queue_marks, strict=True) if mark == owner.mark}
    if not allow_destroy:
        counts = side_by_side(lambda url: _messages(sqs, url), list(queues.values()))
        full = {n: count for n, count in zip(queues, counts, strict=True) if count}
        if full:
            raise BadInput(
                f"{len(full)} queue(s) this env made but no longer records hold messages: "
                f"{', '.join(f'{n} ({c})' for n, c in sorted(full.items()))}; nothing was removed; "
                "rerun with --allow-destroy to remove them",
                where=f"emulator {session.emulator_url}",
            )
    side_by_side(lambda arn: _delete_topic(sns, arn), list(topics.values()))
    if queues:
        subscribed: dict[str, list[str]] = {}
        for page in sns.get_paginator("list_subscriptions").paginate():
            for sub in page["Subscriptions"]:
                if sub["Protocol"] == "sqs":
                    subscribed.setdefault(sub["Endpoint"], []).append(sub["SubscriptionArn"])

        def remove(url: str) -> None:
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            for sub_arn in subscribed.get(arn, []):
                sns.unsubscribe(SubscriptionArn=sub_arn)
            sqs.delete_queue(QueueUrl=url)

        side_by_side(remove, list(queues.values()))
    return [f"topic {n}" for n in sorted(topics)] + [f"queue {n}" for n in sorted(queues)]


def retag(session: Session, previous: ownership.Owner, owner: ownership.Owner) -> list[str]:
    """For `takeover`: every topic and queue carrying `previous`'s mark gets `owner`'s; returns what was retagged."""
    sns, sqs = session.aws("sns"), session.aws("sqs")
    tag = {"Key": ownership.TAG_KEY, "Value": owner.mark}
    done = []
    for name, arn in sorted(_topics(sns).items()):
        if _topic_mark(sns, arn) == previous.mark:
            sns.tag_resource(ResourceArn=arn, Tags=[tag])
            done.append(f"topic {name}")
    for name, url in sorted(_queues(sqs).items()):
        if _queue_mark(sqs, url) == previous.mark:
            sqs.tag_queue(QueueUrl=url, Tags={ownership.TAG_KEY: owner.mark})
            done.append(f"queue {name}")
    return done


def missing(port: int, records: dict[str, dict[str, Any]]) -> list[str]:
    """The topics and queues `records` (the state's resources) hold as made that the emulator on `port` does not
    (it was reset or restarted: it keeps nothing on disk and has no authentication), as `topic <name>` /
    `queue <name>`."""
    wanted = [
        (kind, name)
        for key, rec in records.items()
        if rec.get("status") == "ready" and key.split(":", 1)[0] in (Kind.TOPIC.value, Kind.SUBSCRIPTION.value)
        for role, name in sorted(rec.get("names", {}).items())
        if (kind := {"topic": "topic", "subscription": "queue", "dead_letter": "queue"}.get(role))
    ]
    if not wanted:
        return []
    held = {arn.rsplit(":", 1)[1] for arn in emulator_list(port, "sns", "ListTopics")}
    held |= {url.rsplit("/", 1)[1] for url in emulator_list(port, "sqs", "ListQueues")}
    return [f"{kind} {name}" for kind, name in wanted if name not in held]

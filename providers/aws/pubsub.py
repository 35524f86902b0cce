"""Pub/Sub: an SNS topic per topic; per subscription an SQS queue (+ dead-letter queue) subscribed
to it with raw delivery off, as the runtime parses the SNS envelope.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from orchestrator.core.model import Subscription, Topic
from orchestrator.core.plan import PlannedResource
from providers.aws import args
from providers.aws.session import AwsSession, Component
from providers.base import Context, Deployed


class TopicComponent(Component):
    def __init__(self, session: AwsSession, res: PlannedResource) -> None:
        super().__init__("Topic", res.key, session)
        assert isinstance(res.spec, Topic)
        self.spec = res.spec
        topic_args = args.topic_args(res.names["topic"], res.spec)
        self.topic = aws.sns.Topic(f"{res.key}/topic", **topic_args, opts=self.child())
        self.register_outputs({"arn": self.topic.arn})


def deploy_topic(ctx: Context, res: PlannedResource) -> Deployed:
    comp = TopicComponent(ctx.target, res)
    spec = comp.spec
    record = {
        "encore_name": res.name,
        "cloud_name": comp.topic.arn,
        "exactly_once": spec.delivery_guarantee.value == "exactly-once",
        "ordering_attr": spec.ordering_key or None,
    }
    fragment = {"pubsub": {"provider": "aws", "topics": [record]}}
    return Deployed(provisioned=fragment, grants_target={"publish": comp.topic.arn}, resource=comp)


class SubscriptionComponent(Component):
    def __init__(self, session: AwsSession, res: PlannedResource, topic: TopicComponent) -> None:
        super().__init__("Subscription", res.key, session)
        assert isinstance(res.spec, Subscription)
        sizing, fifo = res.settings, topic.spec.fifo
        dead_letter = aws.sqs.Queue(
            f"{res.key}/dead-letter",
            **args.dead_letter_args(res.names["dead_letter"], fifo=fifo),
            opts=self.child(sizing, stateful=True),
        )
        count = args.max_receive_count(res.spec.retry.max_retries)
        self.queue = aws.sqs.Queue(
            f"{res.key}/queue",
            **args.queue_args(res.names["subscription"], res.spec, fifo=fifo),
            redrive_policy=dead_letter.arn.apply(lambda arn: json.dumps(args.redrive_policy(arn, count))),
            opts=self.child(sizing, stateful=True),
        )
        aws.sqs.RedriveAllowPolicy(
            f"{res.key}/dead-letter-sources",
            queue_url=dead_letter.url,
            redrive_allow_policy=self.queue.arn.apply(lambda arn: json.dumps(args.redrive_allow_policy(arn))),
            opts=self.child(),
        )
        policy = aws.sqs.QueuePolicy(
            f"{res.key}/queue-policy",
            queue_url=self.queue.url,
            policy=pulumi.Output.all(self.queue.arn, topic.topic.arn).apply(
                lambda arns: json.dumps(args.queue_policy(arns[0], arns[1]))
            ),
            opts=self.child(),
        )
        aws.sns.TopicSubscription(
            f"{res.key}/subscription",
            topic=topic.topic.arn,
            protocol="sqs",
            endpoint=self.queue.arn,
            raw_message_delivery=False,
            opts=self.child(depends_on=[policy]),
        )
        self.register_outputs({"url": self.queue.url, "arn": self.queue.arn})


def deploy_subscription(ctx: Context, res: PlannedResource) -> Deployed:
    (topic_key,) = res.depends_on
    topic = ctx.deployed[topic_key].resource
    assert isinstance(topic, TopicComponent)
    comp = SubscriptionComponent(ctx.target, res, topic)
    topic_name, _, sub_name = res.name.partition("/")
    record = {
        "topic": topic_name,
        "encore_name": sub_name,
        "cloud_name": comp.queue.url,
        "topic_cloud_name": topic.topic.arn,
    }
    fragment = {"pubsub": {"provider": "aws", "subscriptions": [record]}}
    return Deployed(provisioned=fragment, grants_target={"consume": comp.queue.arn}, resource=comp)

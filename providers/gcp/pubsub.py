"""Pub/Sub: a topic per topic; per subscription a pull subscription with the metadata's ack deadline, retention and
backoff, exactly-once and ordering when the topic declares them, never expiring, dead-lettering after
`max_retries + 1` deliveries (clamped to 5..100) to a dead-letter topic whose messages a sink subscription keeps.
The Pub/Sub service agent may publish to the dead-letter topic and ack on the subscription, nothing else.

Subscriptions are pulled; push (for serverless compute) is a `PushTarget` handed to `SubscriptionComponent`
(`push_config` + the runtime config's push fields) once compute exists to receive it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from orchestrator.core.model import Subscription, Topic
from orchestrator.core.plan import PlannedResource
from providers.base import Context, Deployed
from providers.gcp import args
from providers.gcp.iam import Binding
from providers.gcp.session import Component, GcpSession


@dataclass(frozen=True)
class PushTarget:
    """Where a push subscription delivers and the identity Pub/Sub signs its OIDC token as."""

    endpoint: pulumi.Input[str]
    service_account: pulumi.Input[str]
    audience: str


class TopicComponent(Component):
    def __init__(self, session: GcpSession, res: PlannedResource) -> None:
        super().__init__("Topic", res.key, session)
        assert isinstance(res.spec, Topic)
        self.spec = res.spec
        self.topic = gcp.pubsub.Topic(f"{res.key}/topic", **args.topic_args(res.names["topic"]),
                                      opts=self.child(res.settings, stateful=True))
        self.register_outputs({"name": self.topic.name})


def deploy_topic(ctx: Context, res: PlannedResource) -> Deployed:
    session: GcpSession = ctx.target
    comp = TopicComponent(session, res)
    spec = comp.spec
    record = {
        "encore_name": res.name,
        "cloud_name": comp.topic.name,
        "project_id": session.project,
        "exactly_once": spec.delivery_guarantee.value == "exactly-once",
        "ordering_attr": spec.ordering_key or None,
    }
    fragment = {"pubsub": {"provider": "gcp", "topics": [record]}}
    return Deployed(provisioned=fragment, grants_target={"publish": Binding("topic", comp.topic.name)}, resource=comp)


class SubscriptionComponent(Component):
    def __init__(self, session: GcpSession, res: PlannedResource, topic: TopicComponent,
                 push: PushTarget | None = None) -> None:
        super().__init__("Subscription", res.key, session)
        assert isinstance(res.spec, Subscription)
        sizing, dead_letter_name = res.settings, res.names["dead_letter"]
        dead_letter = gcp.pubsub.Topic(
            f"{res.key}/dead-letter", **args.topic_args(dead_letter_name), opts=self.child(sizing, stateful=True)
        )
        gcp.pubsub.Subscription(
            f"{res.key}/dead-letter-sink",
            topic=dead_letter.id,
            **args.dead_letter_sink_args(dead_letter_name),
            opts=self.child(sizing, stateful=True),
        )
        attempts = args.max_delivery_attempts(res.spec.retry.max_retries)
        push_config: gcp.pubsub.SubscriptionPushConfigArgsDict | None = None
        if push is not None:
            push_config = {"push_endpoint": push.endpoint,
                           "oidc_token": {"service_account_email": push.service_account, "audience": push.audience}}
        self.subscription = gcp.pubsub.Subscription(
            f"{res.key}/subscription",
            topic=topic.topic.id,
            **args.subscription_args(res.names["subscription"], res.spec, topic.spec),
            dead_letter_policy=args.dead_letter_policy_of(dead_letter.id, attempts),
            push_config=push_config,
            opts=self.child(sizing, stateful=True),
        )
        agent = session.project_number.apply(args.pubsub_service_agent)
        gcp.pubsub.TopicIAMMember(
            f"{res.key}/dead-letter-publisher", topic=dead_letter.name, role=args.PUBLISHER, member=agent,
            opts=self.child(),
        )
        gcp.pubsub.SubscriptionIAMMember(
            f"{res.key}/dead-letter-subscriber", subscription=self.subscription.name, role=args.SUBSCRIBER,
            member=agent, opts=self.child(),
        )
        self.register_outputs({"name": self.subscription.name})


def deploy_subscription(ctx: Context, res: PlannedResource) -> Deployed:
    session: GcpSession = ctx.target
    (topic_key,) = res.depends_on
    topic = ctx.deployed[topic_key].resource
    assert isinstance(topic, TopicComponent)
    comp = SubscriptionComponent(session, res, topic)
    topic_name, _, sub_name = res.name.partition("/")
    record = {
        "topic": topic_name,
        "encore_name": sub_name,
        "cloud_name": comp.subscription.name,
        "topic_cloud_name": topic.topic.name,
        "project_id": session.project,
    }
    fragment = {"pubsub": {"provider": "gcp", "subscriptions": [record]}}
    binding = Binding("subscription", comp.subscription.name)
    return Deployed(provisioned=fragment, grants_target={"consume": binding}, resource=comp)

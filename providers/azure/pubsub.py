"""Pub/Sub for Go apps: one Service Bus namespace per env (local auth off, TLS 1.2), a topic per topic with
duplicate detection off (the Go runtime re-publishes a retry with the original message id), a subscription per
subscription (delivery count from max_retries, lock from the ack deadline capped at 5 minutes, TTL from retention,
dead-lettering on expiry) whose `$Default` rule is replaced by a filter on `encore-target-sub`: the Go runtime
re-publishes retries to the topic with that property set to the subscription's own name
(runtimes/go/pubsub/internal/azure/topic.go), so without it a retry would reach every subscriber.
TypeScript apps never get here: the table refuses their topics (providers/azure/__init__.py). A shared preview env
makes its own topics and subscriptions in its base's namespace (`session.namespace` is then the borrowed one).
"""

from __future__ import annotations

from pulumi_azure_native import servicebus

from orchestrator.core.model import Subscription, Topic
from orchestrator.core.plan import PlannedResource
from providers.azure import args
from providers.azure.session import AzureSession, Component
from providers.base import Context, Deployed


class Namespace(Component):
    def __init__(self, session: AzureSession) -> None:
        super().__init__("ServiceBus", "servicebus", session)
        settings = session.settings
        sku, capacity = args.namespace_sku(settings)
        self.namespace = servicebus.Namespace(
            "servicebus/namespace",
            resource_group_name=session.resource_group,
            location=session.location,
            sku=servicebus.SBSkuArgs(name=servicebus.SkuName(sku), tier=servicebus.SkuTier(sku), capacity=capacity),
            identity=servicebus.IdentityArgs(type=servicebus.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
            tags=session.tags,
            **args.namespace_args(session.physical("azure.servicebus.namespace", "bus"), session.plan.env.sizing,
                                  settings),
            opts=self.child(),
        )
        if settings.service_bus_sku == "Premium":
            session.network.private_endpoint(self, "servicebus", self.namespace.id, "namespace",
                                             args.SERVICEBUS_DNS_ZONE)
        self.namespace_name, self.namespace_id = self.namespace.name, self.namespace.id
        self.register_outputs({"name": self.namespace.name})


class TopicComponent(Component):
    def __init__(self, session: AzureSession, res: PlannedResource) -> None:
        super().__init__("Topic", res.key, session)
        assert isinstance(res.spec, Topic)
        self.namespace = session.namespace
        self.topic = servicebus.Topic(
            f"{res.key}/topic",
            resource_group_name=session.resource_group,
            namespace_name=self.namespace.namespace_name,
            **args.topic_args(res.names["topic"], res.spec),
            opts=self.child(),
        )
        self.register_outputs({"id": self.topic.id})


def deploy_topic(ctx: Context, res: PlannedResource) -> Deployed:
    comp = TopicComponent(ctx.target, res)
    record = {"encore_name": res.name, "cloud_name": comp.topic.name}
    fragment = {"pubsub": {"provider": "azure", "namespace": comp.namespace.namespace_name, "topics": [record]}}
    return Deployed(provisioned=fragment, grants_target={"publish": comp.topic.id}, resource=comp)


class SubscriptionComponent(Component):
    def __init__(self, session: AzureSession, res: PlannedResource, topic: TopicComponent) -> None:
        super().__init__("Subscription", res.key, session)
        assert isinstance(res.spec, Subscription)
        name = res.names["subscription"]
        self.subscription = servicebus.Subscription(
            f"{res.key}/subscription",
            resource_group_name=session.resource_group,
            namespace_name=topic.namespace.namespace_name,
            topic_name=topic.topic.name,
            **args.subscription_args(name, res.spec),
            opts=self.child(res.settings, stateful=True),
        )
        servicebus.DefaultRule(
            f"{res.key}/default-rule",
            resource_group_name=session.resource_group,
            namespace_name=topic.namespace.namespace_name,
            topic_name=topic.topic.name,
            subscription_name=self.subscription.name,
            filter_type=servicebus.FilterType.SQL_FILTER,
            sql_filter=args.target_filter(name),
            opts=self.child(),
        )
        self.register_outputs({"id": self.subscription.id})


def deploy_subscription(ctx: Context, res: PlannedResource) -> Deployed:
    (topic_key,) = res.depends_on
    topic = ctx.deployed[topic_key].resource
    assert isinstance(topic, TopicComponent)
    comp = SubscriptionComponent(ctx.target, res, topic)
    topic_name, _, sub_name = res.name.partition("/")
    record = {"topic": topic_name, "encore_name": sub_name, "cloud_name": comp.subscription.name,
              "topic_cloud_name": topic.topic.name}
    fragment = {"pubsub": {"provider": "azure", "namespace": topic.namespace.namespace_name, "subscriptions": [record]}}
    return Deployed(provisioned=fragment, grants_target={"consume": comp.subscription.id, "retry": topic.topic.id},
                    resource=comp)

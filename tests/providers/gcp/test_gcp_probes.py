"""verify's GCP probes against in-memory fakes of Pub/Sub's REST API and a GCS client: the paths the runtime uses
(projects/<project_id>/topics|subscriptions/<short id>), ack of the marker only, and failures as one line."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from providers.gcp import probes
from providers.probing import Fail
from runtime_config.schema import infra_pb2, runtime_pb2


class FakePubSub:
    """Topics fan out to their subscriptions; pull returns what is outstanding; ack removes."""

    def __init__(self, topics: dict[str, list[str]], status: int = 200) -> None:
        self.subs = {sub: topic for topic, subs in topics.items() for sub in subs}
        self.queues: dict[str, list[tuple[str, dict[str, Any]]]] = {sub: [] for sub in self.subs}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.acked: list[str] = []
        self.nacked: list[str] = []
        self.status = status

    def post(self, url: str, *, json: dict[str, Any], timeout: float) -> Any:
        self.calls.append((url, json))
        path, _, verb = url.removeprefix(probes.PUBSUB_API + "/").partition(":")
        body: dict[str, Any] = {}
        if self.status == 200 and verb == "publish":
            for sub, topic in self.subs.items():
                if topic == path:
                    self.queues[sub] += [(f"{sub}-{len(self.queues[sub])}", m) for m in json["messages"]]
        elif self.status == 200 and verb == "pull":
            body = {"receivedMessages": [{"ackId": a, "message": m} for a, m in self.queues[path]]}
        elif verb == "acknowledge":
            self.acked += json["ackIds"]
            self.queues[path] = [(a, m) for a, m in self.queues[path] if a not in json["ackIds"]]
        elif verb == "modifyAckDeadline":
            self.nacked += json["ackIds"]
        return _Reply(self.status, body)


class _Reply:
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status_code, self.body, self.reason = status, body, "Forbidden"
        self.content = b"{}"

    def json(self) -> dict[str, Any]:
        return self.body if self.status_code < 300 else {"error": {"message": "permission denied"}}


def _cluster() -> infra_pb2.PubSubCluster:
    cluster = infra_pb2.PubSubCluster(rid="c")
    cluster.gcp.SetInParent()
    topic = cluster.topics.add(rid="t", encore_name="orders", cloud_name="shop-prod-orders", ordering_attr="customer")
    topic.gcp_config.project_id = "acme"
    sub = cluster.subscriptions.add(rid="s", topic_encore_name="orders", subscription_encore_name="ship",
                                    topic_cloud_name="shop-prod-orders", subscription_cloud_name="shop-prod-ship")
    sub.gcp_config.project_id = "acme"
    return cluster


def test_publish_then_receive_and_ack_only_the_marker() -> None:
    fake = FakePubSub({"projects/acme/topics/shop-prod-orders": ["projects/acme/subscriptions/shop-prod-ship"]})
    fake.queues["projects/acme/subscriptions/shop-prod-ship"].append(
        ("app-1", {"data": base64.b64encode(b'{"order": 1}').decode()}))  # the app's own message
    session = probes._Session(lambda: fake)
    checks = list(probes.pubsub_checks(_cluster(), session))
    assert [(c.resource, c.name) for c in checks] == [("topic:orders", "publish"),
                                                      ("subscription:orders/ship", "receive")]
    assert checks[0].func().startswith("published ") and "projects/acme/topics/shop-prod-orders" in checks[0].func()
    assert "from projects/acme/subscriptions/shop-prod-ship" in checks[1].func()
    (published,) = [body for url, body in fake.calls if url.endswith(":publish")][-1:]
    assert published["messages"][0]["orderingKey"]  # ordered topics need an ordering key
    assert all(a.startswith("projects/acme/subscriptions/shop-prod-ship-") for a in fake.acked)
    assert "app-1" not in fake.acked and "app-1" in fake.nacked


def test_errors_are_one_line() -> None:
    fake = FakePubSub({"projects/acme/topics/shop-prod-orders": []}, status=403)
    (check,) = [c for c in probes.pubsub_checks(_cluster(), probes._Session(lambda: fake)) if c.name == "publish"]
    with pytest.raises(Fail) as info:
        check.func()
    assert str(info.value) == "HTTP 403 from shop-prod-orders:publish: permission denied"


class FakeGcs:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.deleted: list[str] = []

    def bucket(self, name: str) -> Any:
        gcs = self

        class Blob:
            def __init__(self, key: str) -> None:
                self.key = f"{name}/{key}"

            def upload_from_string(self, data: bytes, timeout: float) -> None:
                gcs.objects[self.key] = data

            def download_as_bytes(self, timeout: float) -> bytes:
                return gcs.objects[self.key]

            def delete(self, timeout: float) -> None:
                gcs.deleted.append(self.key)
                del gcs.objects[self.key]

        class Bucket:
            def blob(self, key: str) -> Blob:
                return Blob(key)

        return Bucket()


def test_bucket_roundtrip_under_the_key_prefix() -> None:
    cluster = infra_pb2.BucketCluster(rid="b")
    cluster.gcs.SetInParent()
    cluster.buckets.add(rid="x", encore_name="uploads", cloud_name="shop-prod-uploads", key_prefix="app/")
    fake = FakeGcs()
    (check,) = probes.bucket_checks(cluster, runtime_pb2.RuntimeConfig(), {}, client=fake)
    detail = check.func()
    assert detail.startswith("gs://shop-prod-uploads/app/orchestrator-verify/")
    assert fake.objects == {} and len(fake.deleted) == 1


def test_tables() -> None:
    assert set(probes.PUBSUB) == {"gcp"} and set(probes.BUCKET) == {"gcs"}
    assert set(probes.CONFIG_FETCH) == {"gs"} and set(probes.SECRET_PROVIDERS) == {"gcp_sm"}

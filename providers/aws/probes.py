"""How `orchestrator verify` talks to the AWS-API runtime-config providers (the `probes` part).

`PUBSUB` and `BUCKET` map the provider a runtime config names (`aws` pub/sub, `s3` buckets) to
a function yielding verify's checks for one cluster. The local target writes these providers too
(it runs an AWS-API emulator), so these probes serve it as well. boto3 is imported on first use.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from providers.probing import CHECK_TIMEOUT, MARKER, RECEIVE_WINDOW, Check, Fail, bind
from runtime_config.schema import infra_pb2, runtime_pb2
from runtime_config.secrets import resolve


def pubsub_checks(cluster: infra_pb2.PubSubCluster) -> Iterator[Check]:
    """Publish a marker to every SNS topic, then receive it on every SQS subscription of that topic."""
    aws = _Aws()
    published: dict[str, str] = {}
    for topic in cluster.topics:
        yield Check(f"topic:{topic.encore_name}", "publish", bind(_publish, aws, topic, published))
        for sub in cluster.subscriptions:
            if sub.topic_encore_name == topic.encore_name:
                resource = f"subscription:{topic.encore_name}/{sub.subscription_encore_name}"
                yield Check(resource, "receive", bind(_receive, aws, topic, sub, published))


def bucket_checks(cluster: infra_pb2.BucketCluster, config: runtime_pb2.RuntimeConfig,
                  environ: Mapping[str, str]) -> Iterator[Check]:
    """Put, get and delete one object in every S3 bucket."""
    aws = _Aws()
    for bucket in cluster.buckets:
        yield Check(f"bucket:{bucket.encore_name}", "put/get/delete",
                    bind(_bucket_roundtrip, aws, cluster.s3, bucket, config, environ))


def fetch_s3(location: str) -> bytes:
    """The runtime config at ENCORE_RUNTIME_CONFIG_PATH=s3://bucket/key, read with the process's credentials."""
    import boto3

    bucket, _, key = location.removeprefix("s3://").partition("/")
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


PUBSUB = {"aws": pubsub_checks}
BUCKET = {"s3": bucket_checks}
CONFIG_FETCH = {"s3": fetch_s3}
SECRET_PROVIDERS: dict[str, Any] = {}


class _Aws:
    """The run's boto3 clients, one per distinct setting, made under a lock (sessions are not thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[str, Any] = {}

    def client(self, service: str, region: str | None, *, endpoint: str | None = None,
               creds: Mapping[str, str] | None = None, **config: Any) -> Any:
        import boto3
        from botocore.config import Config

        key = repr((service, region, endpoint, sorted((creds or {}).items()), sorted(config.items())))
        with self._lock:
            if key not in self._clients:
                self._session = self._session or boto3.Session()
                settings = Config(connect_timeout=5, read_timeout=CHECK_TIMEOUT, retries={"max_attempts": 2}, **config)
                self._clients[key] = self._session.client(  # type: ignore[call-overload]
                    service, region_name=region or None, endpoint_url=endpoint, config=settings, **(creds or {})
                )
            return self._clients[key]


def _arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" else None


def _publish(aws: _Aws, topic: infra_pb2.PubSubTopic, published: dict[str, str]) -> str:
    uid = uuid.uuid4().hex
    kw: dict[str, Any] = {"TopicArn": topic.cloud_name, "Message": json.dumps({MARKER: uid})}
    if topic.cloud_name.endswith(".fifo"):
        kw.update(MessageGroupId=uid, MessageDeduplicationId=uid)
    sns = aws.client("sns", _arn_region(topic.cloud_name))
    sns.publish(**kw)
    published[topic.encore_name] = uid
    return f"published {uid[:8]} to {topic.cloud_name}"


def _receive(aws: _Aws, topic: infra_pb2.PubSubTopic, sub: infra_pb2.PubSubSubscription,
             published: dict[str, str]) -> str:
    uid = published.get(topic.encore_name)
    if uid is None:
        raise Fail("nothing was published to its topic")
    sqs = aws.client("sqs", _arn_region(topic.cloud_name))
    queue = sub.subscription_cloud_name
    start = time.monotonic()
    while time.monotonic() - start < RECEIVE_WINDOW:
        reply = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for msg in reply.get("Messages", []):
            if _payload(msg.get("Body", "")) == uid:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=msg["ReceiptHandle"])
                return f"received {uid[:8]} after {time.monotonic() - start:.1f} s from {queue}"
            sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=0)
    raise Fail(f"message {uid[:8]} did not arrive on {queue} within {RECEIVE_WINDOW:g} s")


def _payload(body: str) -> str | None:
    """Our marker from an SQS body: the SNS envelope (raw delivery off) or, failing that, the raw message."""
    try:
        doc = json.loads(body)
        if isinstance(doc, dict) and doc.get("Type") == "Notification":
            doc = json.loads(doc.get("Message", ""))
    except ValueError:
        return None
    return doc.get(MARKER) if isinstance(doc, dict) else None


def _bucket_roundtrip(aws: _Aws, s3cfg: infra_pb2.BucketCluster.S3, bucket: infra_pb2.Bucket,
                      config: runtime_pb2.RuntimeConfig, environ: Mapping[str, str]) -> str:
    """Region, endpoint and static credentials from the config; the default AWS chain when it has none."""
    creds: dict[str, str] = {}
    if s3cfg.HasField("access_key_id") and s3cfg.HasField("secret_access_key"):
        creds = {
            "aws_access_key_id": s3cfg.access_key_id,
            "aws_secret_access_key": resolve(s3cfg.secret_access_key, environ, config).decode(),
        }
    endpoint = s3cfg.endpoint if s3cfg.HasField("endpoint") else None
    style = {"s3": {"addressing_style": "path"}} if endpoint else {}
    s3 = aws.client("s3", s3cfg.region, endpoint=endpoint, creds=creds, **style)
    key = f"{bucket.key_prefix}{MARKER}/{uuid.uuid4().hex}"
    body = uuid.uuid4().bytes
    s3.put_object(Bucket=bucket.cloud_name, Key=key, Body=body)
    try:
        got = s3.get_object(Bucket=bucket.cloud_name, Key=key)["Body"].read()
    finally:
        s3.delete_object(Bucket=bucket.cloud_name, Key=key)
    if got != body:
        raise Fail(f"read back {len(got)} bytes that differ from the {len(body)} written")
    return f"s3://{bucket.cloud_name}/{key}"

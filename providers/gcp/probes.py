"""How `orchestrator verify` talks to what a GCP runtime config names (the `probes` part): Pub/Sub (REST, with the
process's Application Default Credentials), GCS buckets, the config at a gs:// URL and Secret Manager provider
secrets. google-auth and google-cloud-storage are imported on use.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from providers.probing import CHECK_TIMEOUT, MARKER, RECEIVE_WINDOW, Check, Fail, bind
from runtime_config.schema import infra_pb2, runtime_pb2
from runtime_config.secrets import SecretData, SecretError

PUBSUB_API = "https://pubsub.googleapis.com/v1"


class _Session:
    """One authorized HTTP session for the run, made on first use under a lock."""

    def __init__(self, factory: Callable[[], Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._session: Any = None
        self._factory = factory or _default_session

    def post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._session = self._session or self._factory()
        reply = self._session.post(url, json=body, timeout=CHECK_TIMEOUT)
        if reply.status_code >= 300:
            raise Fail(f"HTTP {reply.status_code} from {url.rsplit('/', 1)[-1]}: {_message(reply)}")
        return reply.json() if reply.content else {}


def _default_session() -> Any:
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/pubsub"])
    return AuthorizedSession(credentials)


def _message(reply: Any) -> str:
    try:
        return str(reply.json().get("error", {}).get("message", "")) or str(reply.reason)
    except ValueError:
        return str(reply.reason)


def pubsub_checks(cluster: infra_pb2.PubSubCluster, session: _Session | None = None) -> Iterator[Check]:
    """Publish a marker to every topic, then pull it from every subscription of that topic."""
    gcp = session or _Session()
    published: dict[str, str] = {}
    for topic in cluster.topics:
        yield Check(f"topic:{topic.encore_name}", "publish", bind(_publish, gcp, topic, published))
        for sub in cluster.subscriptions:
            if sub.topic_encore_name == topic.encore_name:
                resource = f"subscription:{topic.encore_name}/{sub.subscription_encore_name}"
                yield Check(resource, "receive", bind(_receive, gcp, topic, sub, published))


def _publish(gcp: _Session, topic: infra_pb2.PubSubTopic, published: dict[str, str]) -> str:
    """The runtime's path: projects/<gcp_config.project_id>/topics/<cloud_name> (runtimes/core/src/pubsub/gcp)."""
    uid = uuid.uuid4().hex
    message: dict[str, Any] = {"data": base64.b64encode(json.dumps({MARKER: uid}).encode()).decode()}
    if topic.HasField("ordering_attr"):
        message["orderingKey"] = uid
    path = f"projects/{topic.gcp_config.project_id}/topics/{topic.cloud_name}"
    gcp.post(f"{PUBSUB_API}/{path}:publish", {"messages": [message]})
    published[topic.encore_name] = uid
    return f"published {uid[:8]} to {path}"


def _receive(gcp: _Session, topic: infra_pb2.PubSubTopic, sub: infra_pb2.PubSubSubscription,
             published: dict[str, str]) -> str:
    uid = published.get(topic.encore_name)
    if uid is None:
        raise Fail("nothing was published to its topic")
    path = f"projects/{sub.gcp_config.project_id}/subscriptions/{sub.subscription_cloud_name}"
    start = time.monotonic()
    while time.monotonic() - start < RECEIVE_WINDOW:
        reply = gcp.post(f"{PUBSUB_API}/{path}:pull", {"maxMessages": 10})
        others = []
        for received in reply.get("receivedMessages", []):
            if _payload(received.get("message", {}).get("data", "")) == uid:
                gcp.post(f"{PUBSUB_API}/{path}:acknowledge", {"ackIds": [received["ackId"]]})
                if others:
                    gcp.post(f"{PUBSUB_API}/{path}:modifyAckDeadline", {"ackIds": others, "ackDeadlineSeconds": 0})
                return f"received {uid[:8]} after {time.monotonic() - start:.1f} s from {path}"
            others.append(received["ackId"])
        if others:  # not ours: back to the app at once
            gcp.post(f"{PUBSUB_API}/{path}:modifyAckDeadline", {"ackIds": others, "ackDeadlineSeconds": 0})
        time.sleep(0.5)
    raise Fail(f"message {uid[:8]} did not arrive on {path} within {RECEIVE_WINDOW:g} s")


def _payload(data: str) -> str | None:
    try:
        doc = json.loads(base64.b64decode(data))
    except ValueError:
        return None
    return doc.get(MARKER) if isinstance(doc, dict) else None


def bucket_checks(cluster: infra_pb2.BucketCluster, config: runtime_pb2.RuntimeConfig,
                  environ: Mapping[str, str], client: Any = None) -> Iterator[Check]:
    """Put, get and delete one object in every GCS bucket."""
    for bucket in cluster.buckets:
        yield Check(f"bucket:{bucket.encore_name}", "put/get/delete", bind(_bucket_roundtrip, bucket, client))


def _bucket_roundtrip(bucket: infra_pb2.Bucket, client: Any) -> str:
    if client is None:
        from google.cloud import storage  # type: ignore[import-not-found]

        client = storage.Client()
    key = f"{bucket.key_prefix}{MARKER}/{uuid.uuid4().hex}"
    body = uuid.uuid4().bytes
    blob = client.bucket(bucket.cloud_name).blob(key)
    blob.upload_from_string(body, timeout=CHECK_TIMEOUT)
    try:
        got = blob.download_as_bytes(timeout=CHECK_TIMEOUT)
    finally:
        blob.delete(timeout=CHECK_TIMEOUT)
    if got != body:
        raise Fail(f"read back {len(got)} bytes that differ from the {len(body)} written")
    return f"gs://{bucket.cloud_name}/{key}"


def fetch_gs(location: str) -> bytes:
    try:
        from google.cloud import storage  # type: ignore[import-not-found]
    except ImportError:
        raise SecretError("reading gs:// needs google-cloud-storage (not installed)") from None
    bucket, _, key = location.removeprefix("gs://").partition("/")
    return storage.Client().bucket(bucket).blob(key).download_as_bytes()


def secret_manager_value(ref: SecretData.ProviderRef, provider: Any) -> bytes:
    """A `gcp_sm` provider secret, read the way the core reads it (projects/<p>/secrets/<id>/versions/<v>)."""
    try:
        from google.cloud import secretmanager  # type: ignore[import-not-found]
    except ImportError:
        raise SecretError("cannot resolve provider secret here (google-cloud-secret-manager not installed)") from None
    name = ref.id
    if not name.startswith("projects/"):
        name = f"projects/{provider.project_id}/secrets/{name}"
    if "/versions/" not in name:
        name += f"/versions/{ref.version or 'latest'}"
    client = secretmanager.SecretManagerServiceClient()
    return client.access_secret_version(name=name).payload.data


PUBSUB: dict[str, Callable[..., Iterator[Check]]] = {"gcp": pubsub_checks}
BUCKET: dict[str, Callable[..., Iterator[Check]]] = {"gcs": bucket_checks}
CONFIG_FETCH: dict[str, Callable[[str], bytes]] = {"gs": fetch_gs}
SECRET_PROVIDERS: dict[str, Callable[[SecretData.ProviderRef, Any], bytes]] = {"gcp_sm": secret_manager_value}

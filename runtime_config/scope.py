"""Plan + Provisioned -> what one process needs (`scope`), checked against the plan and the runtime's traps.

Shared by the protobuf builder (`build.py`) and the JSON infra config (`infra_json.py`): it picks the
slice of the Provisioned record the hosted services use, checks it against the plan and against the
runtime's traps (runtime-expectations.md §11), and normalises provider names.

Trimming for a process that hosts a subset of the services: topics, subscriptions, caches,
buckets, secrets, metrics *and SQL databases* are limited to what the hosted services use (the
plan's grants), because the runtime resolves every configured database password at startup
(trap 28). Push subscriptions are always included while a gateway is hosted, since the gateway
receives the pushes. When every service is hosted nothing is trimmed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from orchestrator.core.errors import BadInput, OrchestratorError, PolicyViolation, Unsupported
from orchestrator.core.model import Bucket, Gateway, Kind, Service, Subscription, Topic
from orchestrator.core.plan import Plan
from runtime_config.infra import (
    AppSecret,
    AuthKey,
    BucketRecord,
    CacheRecord,
    GatewayRecord,
    Metrics,
    ObjectStorage,
    Provisioned,
    PubSub,
    PubSubSubscription,
    PubSubTopic,
    SecretRef,
    SqlDatabase,
    SqlServer,
)

GRACEFUL_SHUTDOWN_SECONDS = 10
PUBLIC_GATEWAY = "api-gateway"
RID_HASH_LEN = 20
AZURE_PUBSUB = ("the native core has no Azure Service Bus support (its azure pub/sub is a no-op) and the JSON infra "
                "config has no Azure variant; only the Go runtime's legacy runtime config can name Service Bus")

NSQ_NAME = re.compile(r"^[.a-zA-Z0-9_-]{1,64}(#ephemeral)?$")
GCP_PATH = re.compile(r"^projects/(?P<project>[^/]+)/(topics|subscriptions)/(?P<id>[^/]+)$")

Used = Callable[[str], bool]
R = TypeVar("R")
K = TypeVar("K")


def rid(env: str, kind: str, name: str) -> str:
    """A resource id that depends only on env, kind and name, so push URLs survive redeploys."""
    digest = hashlib.sha256(f"{env}\0{kind}\0{name}".encode()).hexdigest()
    return "res_" + digest[:RID_HASH_LEN]


@dataclass(frozen=True)
class Scope:
    """The part of a Provisioned record one process needs, checked and normalised."""

    plan: Plan
    cloud: str
    services: tuple[str, ...]
    gateways: tuple[GatewayRecord, ...]
    """Every gateway of the plan (all are hosted), the public one first (trap 27)."""
    discovery: dict[str, str]
    auth_keys: tuple[AuthKey, ...]
    """Highest id (the signing key) first."""
    sql: tuple[tuple[SqlServer, tuple[SqlDatabase, ...]], ...]
    caches: tuple[CacheRecord, ...]
    pubsub: PubSub | None
    topic_specs: dict[str, Topic]
    object_storage: ObjectStorage | None
    secrets: tuple[AppSecret, ...]
    metrics: tuple[tuple[str, tuple[str, ...]], ...]
    """(metric name, hosted services that write it)."""
    metrics_provider: Metrics | None

    @property
    def uses_secret_provider(self) -> bool:
        return any(s.ref.provider is not None for s in self.secrets)


def scope(plan: Plan, provisioned: Provisioned, hosted_services: Sequence[str] | None = None) -> Scope:
    env = plan.env
    if provisioned.cloud != env.cloud or provisioned.env != env.name:
        raise OrchestratorError(
            f"the provisioned record is for {provisioned.cloud}/{provisioned.env}, not {env.cloud}/{env.name}"
        )
    services = {r.name: r.spec for r in plan.of_kind(Kind.SERVICE) if isinstance(r.spec, Service)}
    hosted = tuple(services) if hosted_services is None else tuple(dict.fromkeys(hosted_services))
    unknown = sorted(set(hosted) - set(services))
    if unknown:
        raise BadInput(f"unknown service(s) {', '.join(unknown)} (the app has {', '.join(services) or 'none'})",
                       where="hosted services")
    everything = set(hosted) == set(services)

    def used(key: str) -> bool:
        return everything or any(g.service in hosted for g in plan.grants_on(key))

    gateways = _gateways(plan, provisioned)
    sql = _sql(plan, provisioned, used)
    caches = _caches(plan, provisioned, used)
    pubsub, topic_specs = _pubsub(plan, provisioned, used, gateway_hosted=bool(gateways))
    object_storage = _object_storage(plan, provisioned, used)
    secret_records = _index(provisioned.secrets, lambda s: s.encore_name, "secret")
    # A secret without a record is left out: the runtime reports it when the app reads it.
    secrets = tuple(secret_records[r.name] for r in plan.of_kind(Kind.SECRET)
                    if used(r.key) and r.name in secret_records)
    auth_keys = _auth_keys(provisioned)
    result = Scope(
        plan=plan,
        cloud=provisioned.cloud,
        services=hosted,
        gateways=gateways,
        discovery=_discovery(services, hosted, provisioned, gateway_hosted=bool(gateways)),
        auth_keys=auth_keys,
        sql=sql,
        caches=caches,
        pubsub=pubsub,
        topic_specs=topic_specs,
        object_storage=object_storage,
        secrets=secrets,
        metrics=_metrics(services[name] for name in hosted),
        metrics_provider=provisioned.metrics,
    )
    _check_secret_refs(result)
    return result


def _gateways(plan: Plan, provisioned: Provisioned) -> tuple[GatewayRecord, ...]:
    records = _index(provisioned.gateways, lambda g: g.encore_name, "gateway")
    names = sorted((r.name for r in plan.of_kind(Kind.GATEWAY) if isinstance(r.spec, Gateway)),
                   key=lambda n: (n != PUBLIC_GATEWAY, n))
    # A gateway without a record still serves requests; only its reported base URL is empty.
    return tuple(records.get(name, GatewayRecord(encore_name=name, base_url="")) for name in names)


def _discovery(services: dict[str, Service], hosted: tuple[str, ...], provisioned: Provisioned, *,
               gateway_hosted: bool) -> dict[str, str]:
    others = [name for name in services if name not in hosted]
    found = {name: provisioned.service_discovery[name] for name in others if name in provisioned.service_discovery}
    # A hosted gateway routes to every service; otherwise only the callees of hosted services are needed.
    needed = set(others) if gateway_hosted else {c for name in hosted for c in services[name].calls} - set(hosted)
    missing = sorted(needed - set(found))
    if missing:
        raise OrchestratorError(f"no service-discovery URL for {', '.join(missing)}, which this process calls "
                                "but does not host", where="provisioned service_discovery")
    return dict(sorted(found.items()))


def _auth_keys(provisioned: Provisioned) -> tuple[AuthKey, ...]:
    keys = sorted(_index(provisioned.service_auth_keys, lambda k: k.id, "service auth key").values(),
                  key=lambda k: -k.id)
    for k in keys:
        if not 0 <= k.id < 2**31:
            raise BadInput(f"key id {k.id} must be between 0 and 2^31-1", where="provisioned service_auth_keys")
    return tuple(keys)


def _index(records: Iterable[R], key: Callable[[R], K], what: str) -> dict[K, R]:
    """Records by key; identical duplicates (from merged fragments) collapse, different ones are an error."""
    out: dict[K, R] = {}
    for record in records:
        k = key(record)
        if out.get(k, record) != record:
            raise OrchestratorError(f"two different {what} records for {k!r}", where="provisioned record")
        out[k] = record
    return out


def _need(record: R | None, what: str, key: str) -> R:
    if record is None:
        raise OrchestratorError(f"the provisioned record has no {what} for this planned resource", where=key)
    return record


def _sql(plan: Plan, provisioned: Provisioned, used: Used) -> tuple[tuple[SqlServer, tuple[SqlDatabase, ...]], ...]:
    records = _index(provisioned.sql_databases, lambda d: d.encore_name, "sql database")
    servers = _index(provisioned.sql_servers, lambda s: s.name, "sql server")
    chosen: list[SqlDatabase] = []
    for res in plan.of_kind(Kind.SQL):
        if not used(res.key):
            continue
        db = _need(records.get(res.name), "database", res.key)
        if db.server not in servers:
            raise OrchestratorError(f"database is on server {db.server!r}, which the record does not have",
                                    where=res.key)
        if db.password.value is not None and db.password.value != db.password.value.strip():
            # Trap 14: the runtime uses SQL passwords verbatim, so a stray newline would break login.
            raise BadInput("the password has leading or trailing whitespace", where=f"{res.key} password")
        chosen.append(db)
    groups = []
    for name in sorted(servers):
        members = tuple(sorted((d for d in chosen if d.server == name), key=lambda d: d.encore_name))
        if members:
            _check_host(servers[name].host, where=f"sql server {name}")
            groups.append((servers[name], members))
    return tuple(groups)


def _caches(plan: Plan, provisioned: Provisioned, used: Used) -> tuple[CacheRecord, ...]:
    records = _index(provisioned.caches, lambda c: c.encore_name, "cache")
    chosen = []
    for res in plan.of_kind(Kind.CACHE):
        if used(res.key):
            cache = _need(records.get(res.name), "cache", res.key)
            if cache.host and not cache.in_memory:
                _check_host(cache.host, where=res.key)
            chosen.append(cache)
    return tuple(chosen)


def _pubsub(
    plan: Plan, provisioned: Provisioned, used: Used, *, gateway_hosted: bool
) -> tuple[PubSub | None, dict[str, Topic]]:
    ps = provisioned.pubsub
    topic_records = _index(ps.topics if ps else (), lambda t: t.encore_name, "topic")
    sub_records = _index(ps.subscriptions if ps else (), lambda s: (s.topic, s.encore_name), "subscription")
    subs: list[PubSubSubscription] = []
    for res in plan.of_kind(Kind.SUBSCRIPTION):
        assert isinstance(res.spec, Subscription)
        record = sub_records.get((res.spec.topic, res.spec.name))
        pushed_to_gateway = gateway_hosted and record is not None and record.push_service_account is not None
        if used(res.key) or pushed_to_gateway:
            subs.append(_need(record, "subscription", res.key))
    topics: list[PubSubTopic] = []
    specs: dict[str, Topic] = {}
    for res in plan.of_kind(Kind.TOPIC):
        assert isinstance(res.spec, Topic)
        if used(res.key) or any(s.topic == res.name for s in subs):
            topics.append(_need(topic_records.get(res.name), "topic", res.key))
            specs[res.name] = res.spec
    # Trap 7: only the plan's topics are configured; stale records from older deploys are dropped.
    if ps is None or not (topics or subs):
        return None, {}
    normalise = {"aws": _aws_names, "gcp": _gcp_names, "nsq": _nsq_names, "azure": _azure_names}[ps.provider]
    topics, subs = normalise(plan, ps, topics, subs, specs)
    return ps.model_copy(update={"topics": tuple(topics), "subscriptions": tuple(subs)}), specs


def _aws_names(plan: Plan, ps: PubSub, topics: list[PubSubTopic], subs: list[PubSubSubscription],
               specs: dict[str, Topic]) -> tuple[list[PubSubTopic], list[PubSubSubscription]]:
    """Trap 6: topics are SNS ARNs (FIFO ones for exactly-once/ordered), subscriptions SQS queue URLs."""
    for t in topics:
        if not (t.cloud_name.startswith("arn:") and ":sns:" in t.cloud_name):
            raise OrchestratorError(f"cloud name {t.cloud_name!r} is not an SNS topic ARN",
                                    where=f"topic:{t.encore_name}")
        if specs[t.encore_name].fifo and not t.cloud_name.endswith(".fifo"):
            raise OrchestratorError("exactly-once or ordered topics need a FIFO SNS topic (.fifo)",
                                    where=f"topic:{t.encore_name}")
    for s in subs:
        if not s.cloud_name.startswith(("https://", "http://")):
            raise OrchestratorError(f"cloud name {s.cloud_name!r} is not an SQS queue URL",
                                    where=f"subscription:{s.topic}/{s.encore_name}")
    return topics, subs


def _gcp_names(plan: Plan, ps: PubSub, topics: list[PubSubTopic], subs: list[PubSubSubscription],
               specs: dict[str, Topic]) -> tuple[list[PubSubTopic], list[PubSubSubscription]]:
    """Trap 5: short ids and a project on every topic and subscription (the runtime panics without)."""

    def split(cloud_name: str, project: str | None, where: str) -> tuple[str, str]:
        m = GCP_PATH.match(cloud_name)
        short, path_project = (m["id"], m["project"]) if m else (cloud_name, None)
        project = project or path_project or plan.env.project
        if not project:
            raise BadInput("no GCP project for this topic or subscription (set gcp:project)", where=where)
        return short, project

    out_topics = []
    for t in topics:
        name, project = split(t.cloud_name, t.project_id, f"topic:{t.encore_name}")
        out_topics.append(t.model_copy(update={"cloud_name": name, "project_id": project}))
    out_subs = []
    for s in subs:
        where = f"subscription:{s.topic}/{s.encore_name}"
        name, project = split(s.cloud_name, s.project_id, where)
        topic_name, _ = split(s.topic_cloud_name, project, where)
        if s.push_service_account is not None and not s.push_jwt_audience:
            raise BadInput("a push subscription needs a JWT audience", where=where)
        update = {"cloud_name": name, "project_id": project, "topic_cloud_name": topic_name}
        out_subs.append(s.model_copy(update=update))
    return out_topics, out_subs


AZURE_ENTITY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")


def _azure_names(plan: Plan, ps: PubSub, topics: list[PubSubTopic], subs: list[PubSubSubscription],
                 specs: dict[str, Topic]) -> tuple[list[PubSubTopic], list[PubSubSubscription]]:
    """Service Bus: a namespace short name, topic and subscription entity names (only the Go legacy config takes
    them: runtimes/go/pubsub/internal/azure/clients.go connects to `<namespace>.servicebus.windows.net`)."""
    if not ps.namespace or "." in ps.namespace:
        raise BadInput("Azure Service Bus needs the namespace's short name", where="provisioned pubsub.namespace")
    for name in [t.cloud_name for t in topics] + [s.cloud_name for s in subs]:
        if not AZURE_ENTITY.match(name):
            raise BadInput(f"{name!r} is not a Service Bus entity name", where="provisioned pubsub")
    return topics, subs


def _nsq_names(plan: Plan, ps: PubSub, topics: list[PubSubTopic], subs: list[PubSubSubscription],
               specs: dict[str, Topic]) -> tuple[list[PubSubTopic], list[PubSubSubscription]]:
    """Trap 8: the runtime reads hosts[0] unconditionally and panics on invalid NSQ names."""
    if not ps.hosts:
        raise BadInput("NSQ needs at least one nsqd host", where="provisioned pubsub.hosts")
    for name in [t.cloud_name for t in topics] + [s.cloud_name for s in subs] + [s.topic_cloud_name for s in subs]:
        if not NSQ_NAME.match(name):
            raise BadInput(f"{name!r} is not a valid NSQ topic/channel name", where="provisioned pubsub")
    return topics, subs


def _object_storage(plan: Plan, provisioned: Provisioned, used: Used) -> ObjectStorage | None:
    storage = provisioned.object_storage
    records = _index(storage.buckets if storage else (), lambda b: b.encore_name, "bucket")
    chosen: list[BucketRecord] = []
    for res in plan.of_kind(Kind.BUCKET):
        if not used(res.key):
            continue
        record = _need(records.get(res.name), "bucket", res.key)
        public = isinstance(res.spec, Bucket) and res.spec.public
        base_url = _public_base_url(record, storage, provisioned, public, where=res.key)
        chosen.append(record.model_copy(update={"public_base_url": base_url}))
    if storage is None or not chosen:
        return None
    if storage.provider == "s3" and not (storage.region or provisioned.region):
        raise BadInput("S3 buckets need a region", where="provisioned object_storage")
    return storage.model_copy(update={"buckets": tuple(chosen), "region": storage.region or provisioned.region})


def _public_base_url(bucket: BucketRecord, storage: ObjectStorage | None, provisioned: Provisioned, public: bool, *,
                     where: str) -> str | None:
    """Trap 18: public URLs are base + object name, without the key prefix, so the base must carry it."""
    base = bucket.public_base_url
    if base is None and public and storage is not None and storage.endpoint is None:
        region = storage.region or provisioned.region
        if storage.provider == "gcs":
            base = f"https://storage.googleapis.com/{bucket.cloud_name}"
        elif region:
            base = f"https://{bucket.cloud_name}.s3.{region}.amazonaws.com"
    if base is None:
        if public:
            raise OrchestratorError("a public bucket needs a public base URL", where=where)
        return None
    prefix = bucket.key_prefix
    if not prefix:
        return base
    if not prefix.endswith("/"):
        raise BadInput(f"key prefix {prefix!r} must end with '/' for public URLs to work", where=where)
    tail = "/" + prefix.strip("/")
    return base if base.rstrip("/").endswith(tail) else base.rstrip("/") + tail


def _metrics(services: Iterable[Service]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    users: dict[str, set[str]] = {}
    for svc in services:
        for metric in svc.metrics:
            users.setdefault(metric, set()).add(svc.name)
    return tuple((name, tuple(sorted(users[name]))) for name in sorted(users))


def _secret_refs(s: Scope) -> Iterator[tuple[str, SecretRef, bool]]:
    """(where, ref, is an app secret) for every secret reference the process gets."""
    for _, dbs in s.sql:
        for db in dbs:
            yield f"sql:{db.encore_name} password", db.password, False
    for cache in s.caches:
        if cache.auth is not None and not cache.in_memory:
            yield f"cache:{cache.encore_name} auth", cache.auth, False
    if s.object_storage and s.object_storage.secret_access_key:
        yield "object storage secret_access_key", s.object_storage.secret_access_key, False
    for key in s.auth_keys:
        yield f"service auth key {key.id}", key.key, False
    for secret in s.secrets:
        yield f"secret:{secret.encore_name}", secret.ref, True


def _check_secret_refs(s: Scope) -> None:
    for where, ref, app_secret in _secret_refs(s):
        if ref.value is not None and s.cloud != "local":
            raise PolicyViolation("plaintext secret values are only allowed for the local cloud", where=where)
        if ref.provider is not None and not app_secret:
            # Trap 13: the runtime pre-resolves provider secrets for app secrets only.
            raise Unsupported("secret-manager references work only for app secrets; inject this one as an env var",
                              where=where)
        if ref.provider is not None and not s.plan.env.project:
            raise BadInput("secret-manager references need gcp:project", where=where)


def _check_host(host: str, *, where: str) -> None:
    """Trap 16: the runtime splits `host:port` at the first colon, so IPv6 literals cannot work."""
    if host.startswith("/"):
        return
    name, sep, port = host.partition(":")
    if ":" in port or name.startswith("["):
        raise BadInput(f"host {host!r} is an IPv6 literal; use a DNS name or an IPv4 address", where=where)
    if not name or (sep and not (port.isdigit() and 0 < int(port) < 65536)):
        raise BadInput(f"host {host!r} must be 'name', 'name:port' or an absolute socket path", where=where)


# --- protobuf ------------------------------------------------------------------------------------

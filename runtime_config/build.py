"""Plan + Provisioned -> what one process needs (`scope`) and its RuntimeConfig protobuf (`build`).

`scope` is shared with the JSON infra config: it picks the slice of the Provisioned record the
hosted services use, checks it against the plan and against the runtime's traps
(runtime-expectations.md §11), and normalises provider names. `build` only formats that slice.

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
from datetime import datetime
from typing import TypeVar

from orchestrator.envs import EnvType
from orchestrator.errors import BadInput, OrchestratorError, PolicyViolation, Unsupported
from orchestrator.model import Bucket, DeliveryGuarantee, Gateway, Kind, Service, Subscription, Topic
from orchestrator.plan import Plan
from runtime_config.infra import (
    AppSecret,
    AuthKey,
    BucketRecord,
    CacheRecord,
    GatewayRecord,
    ObjectStorage,
    Provisioned,
    PubSub,
    PubSubSubscription,
    PubSubTopic,
    SecretRef,
    SqlDatabase,
    SqlServer,
    Tls,
)
from runtime_config.schema import infra_pb2, runtime_pb2, secretdata_pb2

GRACEFUL_SHUTDOWN_SECONDS = 10
PUBLIC_GATEWAY = "api-gateway"
SECRET_PROVIDER = "gcp-secret-manager"
RID_HASH_LEN = 20

NSQ_NAME = re.compile(r"^[.a-zA-Z0-9_-]{1,64}(#ephemeral)?$")
GCP_PATH = re.compile(r"^projects/(?P<project>[^/]+)/(topics|subscriptions)/(?P<id>[^/]+)$")

SecretData = secretdata_pb2.SecretData
Environment = runtime_pb2.Environment
Used = Callable[[str], bool]
Rids = Callable[[str, str], str]
R = TypeVar("R")
K = TypeVar("K")

_ENV_TYPE = {
    EnvType.DEVELOPMENT: Environment.TYPE_DEVELOPMENT,
    EnvType.PRODUCTION: Environment.TYPE_PRODUCTION,
    EnvType.EPHEMERAL: Environment.TYPE_EPHEMERAL,
    EnvType.TEST: Environment.TYPE_TEST,
}
_CLOUD = {
    "local": Environment.CLOUD_LOCAL,
    "aws": Environment.CLOUD_AWS,
    "gcp": Environment.CLOUD_GCP,
    "azure": Environment.CLOUD_AZURE,
}
_DELIVERY = {
    DeliveryGuarantee.AT_LEAST_ONCE: infra_pb2.PubSubTopic.DELIVERY_GUARANTEE_AT_LEAST_ONCE,
    DeliveryGuarantee.EXACTLY_ONCE: infra_pb2.PubSubTopic.DELIVERY_GUARANTEE_EXACTLY_ONCE,
}


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
    if ps.provider == "azure":
        raise Unsupported("the native core has no Azure Service Bus support (its azure pub/sub is a no-op)",
                          where="provisioned pubsub")
    normalise = {"aws": _aws_names, "gcp": _gcp_names, "nsq": _nsq_names}[ps.provider]
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


def build(
    plan: Plan,
    provisioned: Provisioned,
    *,
    hosted_services: Sequence[str] | None = None,
    deploy_id: str = "",
    deployed_at: datetime | None = None,
) -> runtime_pb2.RuntimeConfig:
    """The RuntimeConfig for a process hosting `hosted_services` (default: all) and every gateway."""
    s = scope(plan, provisioned, hosted_services)

    def rids(kind: str, name: str) -> str:
        return rid(plan.env.name, kind, name)

    cfg = runtime_pb2.RuntimeConfig()
    cfg.environment.CopyFrom(Environment(
        app_slug=plan.app, env_name=plan.env.name, env_type=_ENV_TYPE[plan.env.env_type], cloud=_CLOUD[s.cloud]
    ))
    resources, credentials = cfg.infra.resources, cfg.infra.credentials
    provider_rid = rids("secret-provider", SECRET_PROVIDER) if s.uses_secret_provider else ""
    if provider_rid:
        resources.secret_providers.add(
            rid=provider_rid, encore_name=SECRET_PROVIDER,
            gcp_sm=infra_pb2.SecretProvider.GCPSecretManager(project_id=plan.env.project),
        )
    for gw in s.gateways:
        resources.gateways.add(rid=rids("gateway", gw.encore_name), encore_name=gw.encore_name, base_url=gw.base_url,
                               hostnames=gw.hostnames, cors=gateway_cors())
    _sql_pb(s, rids, resources, credentials)
    _redis_pb(s, rids, resources, credentials)
    if s.pubsub is not None:
        resources.pubsub_clusters.append(_pubsub_pb(s, s.pubsub, rids))
    if s.object_storage is not None:
        resources.bucket_clusters.append(_buckets_pb(s.object_storage, rids))
    for secret in s.secrets:
        resources.app_secrets.add(rid=rids("secret", secret.encore_name), encore_name=secret.encore_name,
                                  data=_secret(secret.ref, provider_rid))
    _deployment_pb(s, cfg.deployment, [g.rid for g in resources.gateways], deploy_id, deployed_at)
    return cfg


def gateway_cors() -> infra_pb2.Gateway.CORS:
    """What the JSON infra config's `"cors": {}` gives: no credentialed origins, any uncredentialed one.

    The app's own CORS settings live in encore.app, which is not part of the metadata.
    """
    return infra_pb2.Gateway.CORS(allow_private_network_access=True)


def _tls_pb(tls: Tls) -> infra_pb2.TLSConfig:
    msg = infra_pb2.TLSConfig(disable_tls_hostname_verification=tls.disable_hostname_verification,
                              disable_ca_validation=tls.disable_ca_validation)
    if tls.ca_cert is not None:
        msg.server_ca_cert = tls.ca_cert
    return msg


def _secret(ref: SecretRef, provider_rid: str = "") -> secretdata_pb2.SecretData:
    data = SecretData()
    if ref.value is not None:
        data.embedded = ref.value.encode()
    elif ref.env is not None:
        data.env = ref.env
    else:
        data.provider.CopyFrom(SecretData.ProviderRef(provider_rid=provider_rid, id=ref.provider))
    if ref.json_key is not None:
        data.json_key = ref.json_key
    return data


def _sql_pb(s: Scope, rids: Rids, resources: infra_pb2.Infrastructure.Resources,
            credentials: infra_pb2.Infrastructure.Credentials) -> None:
    for server, dbs in s.sql:
        cluster = resources.sql_clusters.add(rid=rids("sql-cluster", server.name))
        srv = cluster.servers.add(rid=rids("sql-server", server.name), host=server.host,
                                  kind=infra_pb2.SERVER_KIND_PRIMARY)
        if server.tls is not None:
            srv.tls_config.CopyFrom(_tls_pb(server.tls))
        for db in dbs:
            role_rid = rids("sql-role", db.encore_name)
            credentials.sql_roles.add(rid=role_rid, username=db.username, password=_secret(db.password))
            database = cluster.databases.add(rid=rids("sql-database", db.encore_name), encore_name=db.encore_name,
                                             cloud_name=db.cloud_name)
            database.conn_pools.add(is_readonly=False, role_rid=role_rid, min_connections=db.min_connections,
                                    max_connections=db.max_connections)


def _redis_pb(s: Scope, rids: Rids, resources: infra_pb2.Infrastructure.Resources,
              credentials: infra_pb2.Infrastructure.Credentials) -> None:
    for cache in s.caches:
        cluster = resources.redis_clusters.add(rid=rids("redis-cluster", cache.encore_name))
        if cache.in_memory:
            cluster.in_memory = True
            continue
        assert cache.host is not None
        srv = cluster.servers.add(rid=rids("redis-server", cache.encore_name), host=cache.host,
                                  kind=infra_pb2.SERVER_KIND_PRIMARY)
        if cache.tls is not None:
            srv.tls_config.CopyFrom(_tls_pb(cache.tls))
        role = credentials.redis_roles.add(rid=rids("redis-role", cache.encore_name))
        if cache.auth is not None and cache.auth_username is not None:
            role.acl.CopyFrom(infra_pb2.RedisRole.AuthACL(username=cache.auth_username, password=_secret(cache.auth)))
        elif cache.auth is not None:
            role.auth_string.CopyFrom(_secret(cache.auth))
        database = cluster.databases.add(rid=rids("redis-database", cache.encore_name), encore_name=cache.encore_name,
                                         database_idx=cache.database_index)
        if cache.key_prefix is not None:
            database.key_prefix = cache.key_prefix
        database.conn_pools.add(is_readonly=False, role_rid=role.rid)


def _pubsub_pb(s: Scope, ps: PubSub, rids: Rids) -> infra_pb2.PubSubCluster:
    cluster = infra_pb2.PubSubCluster(rid=rids("pubsub-cluster", ps.provider))
    if ps.provider == "aws":
        cluster.aws.SetInParent()
    elif ps.provider == "gcp":
        cluster.gcp.SetInParent()
    else:
        cluster.nsq.hosts.extend(ps.hosts)
    for t in ps.topics:
        spec = s.topic_specs[t.encore_name]
        topic = cluster.topics.add(rid=rids("topic", t.encore_name), encore_name=t.encore_name, cloud_name=t.cloud_name,
                                   delivery_guarantee=_DELIVERY[spec.delivery_guarantee])
        if spec.ordering_key:
            topic.ordering_attr = spec.ordering_key
        if ps.provider == "gcp":
            topic.gcp_config.project_id = t.project_id or ""
    for sub in ps.subscriptions:
        msg = cluster.subscriptions.add(
            rid=rids("subscription", f"{sub.topic}/{sub.encore_name}"), topic_encore_name=sub.topic,
            subscription_encore_name=sub.encore_name, topic_cloud_name=sub.topic_cloud_name,
            subscription_cloud_name=sub.cloud_name, push_only=sub.push_service_account is not None,
        )
        if ps.provider == "gcp":
            msg.gcp_config.project_id = sub.project_id or ""
            if sub.push_service_account is not None:
                msg.gcp_config.push_service_account = sub.push_service_account
                msg.gcp_config.push_jwt_audience = sub.push_jwt_audience or ""
    return cluster


def _buckets_pb(storage: ObjectStorage, rids: Rids) -> infra_pb2.BucketCluster:
    cluster = infra_pb2.BucketCluster(rid=rids("bucket-cluster", storage.provider))
    if storage.provider == "s3":
        cluster.s3.region = storage.region or ""
        if storage.endpoint is not None:
            cluster.s3.endpoint = storage.endpoint
        if storage.access_key_id is not None:
            cluster.s3.access_key_id = storage.access_key_id
        if storage.secret_access_key is not None:
            cluster.s3.secret_access_key.CopyFrom(_secret(storage.secret_access_key))
    else:
        cluster.gcs.anonymous = storage.anonymous
        if storage.endpoint is not None:
            cluster.gcs.endpoint = storage.endpoint
    for b in storage.buckets:
        bucket = cluster.buckets.add(rid=rids("bucket", b.encore_name), encore_name=b.encore_name,
                                     cloud_name=b.cloud_name)
        if b.key_prefix is not None:
            bucket.key_prefix = b.key_prefix
        if b.public_base_url is not None:
            bucket.public_base_url = b.public_base_url
    return cluster


def _service_auth(s: Scope) -> runtime_pb2.ServiceAuth:
    if not s.auth_keys:
        return runtime_pb2.ServiceAuth(noop=runtime_pb2.ServiceAuth.NoopAuth())
    keys = [runtime_pb2.EncoreAuthKey(id=k.id, data=_secret(k.key)) for k in s.auth_keys]
    return runtime_pb2.ServiceAuth(encore_auth=runtime_pb2.ServiceAuth.EncoreAuth(auth_keys=keys))


def _deployment_pb(s: Scope, deployment: runtime_pb2.Deployment, gateway_rids: list[str], deploy_id: str,
                   deployed_at: datetime | None) -> None:
    deployment.deploy_id = deploy_id
    if deployed_at is not None:
        deployment.deployed_at.FromDatetime(deployed_at)
    deployment.hosted_gateways.extend(gateway_rids)
    deployment.hosted_services.extend(runtime_pb2.HostedService(name=name) for name in s.services)
    auth = _service_auth(s)
    deployment.auth_methods.append(auth)
    for name, base_url in s.discovery.items():
        deployment.service_discovery.services[name].base_url = base_url
        deployment.service_discovery.services[name].auth_methods.append(auth)
    deployment.graceful_shutdown.total.seconds = GRACEFUL_SHUTDOWN_SECONDS
    deployment.metrics.extend(runtime_pb2.Metric(encore_name=name, services=users) for name, users in s.metrics)

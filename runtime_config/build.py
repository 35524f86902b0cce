"""Plan + Provisioned -> the RuntimeConfig protobuf the native core reads: `scope` formatted as messages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from orchestrator.core.envs import EnvType
from orchestrator.core.errors import Unsupported
from orchestrator.core.model import DeliveryGuarantee
from orchestrator.core.plan import Plan
from runtime_config.infra import (
    ObjectStorage,
    Provisioned,
    PubSub,
    SecretRef,
    Tls,
)
from runtime_config.schema import infra_pb2, runtime_pb2, secretdata_pb2
from runtime_config.scope import AZURE_PUBSUB, GRACEFUL_SHUTDOWN_SECONDS, Scope, rid, scope

SECRET_PROVIDER = "gcp-secret-manager"

SecretData = secretdata_pb2.SecretData
Environment = runtime_pb2.Environment
Rids = Callable[[str, str], str]

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


def build(
    plan: Plan,
    provisioned: Provisioned,
    *,
    hosted_services: Sequence[str] | None = None,
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
    _deployment_pb(s, cfg.deployment, [g.rid for g in resources.gateways], provisioned.deploy_id or "",
                   deployed_at)
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
    if ps.provider == "azure":
        raise Unsupported(AZURE_PUBSUB, where="provisioned pubsub")
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
    if s.metrics_provider is not None:
        # The one provider the core supports on AWS (runtimes/core/src/metrics/exporter/aws.rs: PutMetricData into
        # the namespace); collection_interval left unset is 60 s.
        deployment.observability.metrics.add(
            rid=rid(s.plan.env.name, "metrics", s.metrics_provider.provider),
            aws=runtime_pb2.MetricsProvider.AWSCloudWatch(namespace=s.metrics_provider.namespace),
        )

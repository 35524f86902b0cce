import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from runtime_config.schema import infra_pb2 as _infra_pb2
from runtime_config.schema import secretdata_pb2 as _secretdata_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RuntimeConfig(_message.Message):
    __slots__ = ("environment", "infra", "deployment", "encore_platform")
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    INFRA_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    ENCORE_PLATFORM_FIELD_NUMBER: _ClassVar[int]
    environment: Environment
    infra: _infra_pb2.Infrastructure
    deployment: Deployment
    encore_platform: EncorePlatform
    def __init__(self, environment: _Optional[_Union[Environment, _Mapping]] = ..., infra: _Optional[_Union[_infra_pb2.Infrastructure, _Mapping]] = ..., deployment: _Optional[_Union[Deployment, _Mapping]] = ..., encore_platform: _Optional[_Union[EncorePlatform, _Mapping]] = ...) -> None: ...

class Environment(_message.Message):
    __slots__ = ("app_id", "app_slug", "env_id", "env_name", "env_type", "cloud")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TYPE_UNSPECIFIED: _ClassVar[Environment.Type]
        TYPE_DEVELOPMENT: _ClassVar[Environment.Type]
        TYPE_PRODUCTION: _ClassVar[Environment.Type]
        TYPE_EPHEMERAL: _ClassVar[Environment.Type]
        TYPE_TEST: _ClassVar[Environment.Type]
    TYPE_UNSPECIFIED: Environment.Type
    TYPE_DEVELOPMENT: Environment.Type
    TYPE_PRODUCTION: Environment.Type
    TYPE_EPHEMERAL: Environment.Type
    TYPE_TEST: Environment.Type
    class Cloud(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CLOUD_UNSPECIFIED: _ClassVar[Environment.Cloud]
        CLOUD_LOCAL: _ClassVar[Environment.Cloud]
        CLOUD_ENCORE: _ClassVar[Environment.Cloud]
        CLOUD_AWS: _ClassVar[Environment.Cloud]
        CLOUD_GCP: _ClassVar[Environment.Cloud]
        CLOUD_AZURE: _ClassVar[Environment.Cloud]
    CLOUD_UNSPECIFIED: Environment.Cloud
    CLOUD_LOCAL: Environment.Cloud
    CLOUD_ENCORE: Environment.Cloud
    CLOUD_AWS: Environment.Cloud
    CLOUD_GCP: Environment.Cloud
    CLOUD_AZURE: Environment.Cloud
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    APP_SLUG_FIELD_NUMBER: _ClassVar[int]
    ENV_ID_FIELD_NUMBER: _ClassVar[int]
    ENV_NAME_FIELD_NUMBER: _ClassVar[int]
    ENV_TYPE_FIELD_NUMBER: _ClassVar[int]
    CLOUD_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    app_slug: str
    env_id: str
    env_name: str
    env_type: Environment.Type
    cloud: Environment.Cloud
    def __init__(self, app_id: _Optional[str] = ..., app_slug: _Optional[str] = ..., env_id: _Optional[str] = ..., env_name: _Optional[str] = ..., env_type: _Optional[_Union[Environment.Type, str]] = ..., cloud: _Optional[_Union[Environment.Cloud, str]] = ...) -> None: ...

class Deployment(_message.Message):
    __slots__ = ("deploy_id", "deployed_at", "dynamic_experiments", "hosted_gateways", "hosted_services", "auth_methods", "observability", "service_discovery", "graceful_shutdown", "metrics")
    DEPLOY_ID_FIELD_NUMBER: _ClassVar[int]
    DEPLOYED_AT_FIELD_NUMBER: _ClassVar[int]
    DYNAMIC_EXPERIMENTS_FIELD_NUMBER: _ClassVar[int]
    HOSTED_GATEWAYS_FIELD_NUMBER: _ClassVar[int]
    HOSTED_SERVICES_FIELD_NUMBER: _ClassVar[int]
    AUTH_METHODS_FIELD_NUMBER: _ClassVar[int]
    OBSERVABILITY_FIELD_NUMBER: _ClassVar[int]
    SERVICE_DISCOVERY_FIELD_NUMBER: _ClassVar[int]
    GRACEFUL_SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    deploy_id: str
    deployed_at: _timestamp_pb2.Timestamp
    dynamic_experiments: _containers.RepeatedScalarFieldContainer[str]
    hosted_gateways: _containers.RepeatedScalarFieldContainer[str]
    hosted_services: _containers.RepeatedCompositeFieldContainer[HostedService]
    auth_methods: _containers.RepeatedCompositeFieldContainer[ServiceAuth]
    observability: Observability
    service_discovery: ServiceDiscovery
    graceful_shutdown: GracefulShutdown
    metrics: _containers.RepeatedCompositeFieldContainer[Metric]
    def __init__(self, deploy_id: _Optional[str] = ..., deployed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., dynamic_experiments: _Optional[_Iterable[str]] = ..., hosted_gateways: _Optional[_Iterable[str]] = ..., hosted_services: _Optional[_Iterable[_Union[HostedService, _Mapping]]] = ..., auth_methods: _Optional[_Iterable[_Union[ServiceAuth, _Mapping]]] = ..., observability: _Optional[_Union[Observability, _Mapping]] = ..., service_discovery: _Optional[_Union[ServiceDiscovery, _Mapping]] = ..., graceful_shutdown: _Optional[_Union[GracefulShutdown, _Mapping]] = ..., metrics: _Optional[_Iterable[_Union[Metric, _Mapping]]] = ...) -> None: ...

class HostedService(_message.Message):
    __slots__ = ("name", "worker_threads", "log_config")
    NAME_FIELD_NUMBER: _ClassVar[int]
    WORKER_THREADS_FIELD_NUMBER: _ClassVar[int]
    LOG_CONFIG_FIELD_NUMBER: _ClassVar[int]
    name: str
    worker_threads: int
    log_config: str
    def __init__(self, name: _Optional[str] = ..., worker_threads: _Optional[int] = ..., log_config: _Optional[str] = ...) -> None: ...

class ServiceAuth(_message.Message):
    __slots__ = ("noop", "encore_auth")
    class NoopAuth(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
    class EncoreAuth(_message.Message):
        __slots__ = ("auth_keys",)
        AUTH_KEYS_FIELD_NUMBER: _ClassVar[int]
        auth_keys: _containers.RepeatedCompositeFieldContainer[EncoreAuthKey]
        def __init__(self, auth_keys: _Optional[_Iterable[_Union[EncoreAuthKey, _Mapping]]] = ...) -> None: ...
    NOOP_FIELD_NUMBER: _ClassVar[int]
    ENCORE_AUTH_FIELD_NUMBER: _ClassVar[int]
    noop: ServiceAuth.NoopAuth
    encore_auth: ServiceAuth.EncoreAuth
    def __init__(self, noop: _Optional[_Union[ServiceAuth.NoopAuth, _Mapping]] = ..., encore_auth: _Optional[_Union[ServiceAuth.EncoreAuth, _Mapping]] = ...) -> None: ...

class EncoreAuthKey(_message.Message):
    __slots__ = ("id", "data")
    ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    id: int
    data: _secretdata_pb2.SecretData
    def __init__(self, id: _Optional[int] = ..., data: _Optional[_Union[_secretdata_pb2.SecretData, _Mapping]] = ...) -> None: ...

class ServiceDiscovery(_message.Message):
    __slots__ = ("services",)
    class Location(_message.Message):
        __slots__ = ("base_url", "auth_methods")
        BASE_URL_FIELD_NUMBER: _ClassVar[int]
        AUTH_METHODS_FIELD_NUMBER: _ClassVar[int]
        base_url: str
        auth_methods: _containers.RepeatedCompositeFieldContainer[ServiceAuth]
        def __init__(self, base_url: _Optional[str] = ..., auth_methods: _Optional[_Iterable[_Union[ServiceAuth, _Mapping]]] = ...) -> None: ...
    class ServicesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ServiceDiscovery.Location
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ServiceDiscovery.Location, _Mapping]] = ...) -> None: ...
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    services: _containers.MessageMap[str, ServiceDiscovery.Location]
    def __init__(self, services: _Optional[_Mapping[str, ServiceDiscovery.Location]] = ...) -> None: ...

class GracefulShutdown(_message.Message):
    __slots__ = ("total", "shutdown_hooks", "handlers")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_HOOKS_FIELD_NUMBER: _ClassVar[int]
    HANDLERS_FIELD_NUMBER: _ClassVar[int]
    total: _duration_pb2.Duration
    shutdown_hooks: _duration_pb2.Duration
    handlers: _duration_pb2.Duration
    def __init__(self, total: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., shutdown_hooks: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., handlers: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class Metric(_message.Message):
    __slots__ = ("encore_name", "services")
    ENCORE_NAME_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    encore_name: str
    services: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, encore_name: _Optional[str] = ..., services: _Optional[_Iterable[str]] = ...) -> None: ...

class Observability(_message.Message):
    __slots__ = ("tracing", "metrics", "logs")
    TRACING_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    tracing: _containers.RepeatedCompositeFieldContainer[TracingProvider]
    metrics: _containers.RepeatedCompositeFieldContainer[MetricsProvider]
    logs: _containers.RepeatedCompositeFieldContainer[LogsProvider]
    def __init__(self, tracing: _Optional[_Iterable[_Union[TracingProvider, _Mapping]]] = ..., metrics: _Optional[_Iterable[_Union[MetricsProvider, _Mapping]]] = ..., logs: _Optional[_Iterable[_Union[LogsProvider, _Mapping]]] = ...) -> None: ...

class TracingProvider(_message.Message):
    __slots__ = ("rid", "encore")
    class EncoreTracingProvider(_message.Message):
        __slots__ = ("trace_endpoint", "sampling_rate", "sampling_config")
        TRACE_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
        SAMPLING_RATE_FIELD_NUMBER: _ClassVar[int]
        SAMPLING_CONFIG_FIELD_NUMBER: _ClassVar[int]
        trace_endpoint: str
        sampling_rate: float
        sampling_config: _containers.RepeatedCompositeFieldContainer[TracingProvider.SamplingConfig]
        def __init__(self, trace_endpoint: _Optional[str] = ..., sampling_rate: _Optional[float] = ..., sampling_config: _Optional[_Iterable[_Union[TracingProvider.SamplingConfig, _Mapping]]] = ...) -> None: ...
    class SamplingConfig(_message.Message):
        __slots__ = ("rate", "default", "service", "endpoint", "topic", "pubsub_subscription")
        class Endpoint(_message.Message):
            __slots__ = ("service", "endpoint")
            SERVICE_FIELD_NUMBER: _ClassVar[int]
            ENDPOINT_FIELD_NUMBER: _ClassVar[int]
            service: str
            endpoint: str
            def __init__(self, service: _Optional[str] = ..., endpoint: _Optional[str] = ...) -> None: ...
        class PubSubSubscription(_message.Message):
            __slots__ = ("topic", "subscription")
            TOPIC_FIELD_NUMBER: _ClassVar[int]
            SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
            topic: str
            subscription: str
            def __init__(self, topic: _Optional[str] = ..., subscription: _Optional[str] = ...) -> None: ...
        RATE_FIELD_NUMBER: _ClassVar[int]
        DEFAULT_FIELD_NUMBER: _ClassVar[int]
        SERVICE_FIELD_NUMBER: _ClassVar[int]
        ENDPOINT_FIELD_NUMBER: _ClassVar[int]
        TOPIC_FIELD_NUMBER: _ClassVar[int]
        PUBSUB_SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
        rate: float
        default: _empty_pb2.Empty
        service: str
        endpoint: TracingProvider.SamplingConfig.Endpoint
        topic: str
        pubsub_subscription: TracingProvider.SamplingConfig.PubSubSubscription
        def __init__(self, rate: _Optional[float] = ..., default: _Optional[_Union[_empty_pb2.Empty, _Mapping]] = ..., service: _Optional[str] = ..., endpoint: _Optional[_Union[TracingProvider.SamplingConfig.Endpoint, _Mapping]] = ..., topic: _Optional[str] = ..., pubsub_subscription: _Optional[_Union[TracingProvider.SamplingConfig.PubSubSubscription, _Mapping]] = ...) -> None: ...
    RID_FIELD_NUMBER: _ClassVar[int]
    ENCORE_FIELD_NUMBER: _ClassVar[int]
    rid: str
    encore: TracingProvider.EncoreTracingProvider
    def __init__(self, rid: _Optional[str] = ..., encore: _Optional[_Union[TracingProvider.EncoreTracingProvider, _Mapping]] = ...) -> None: ...

class MetricsProvider(_message.Message):
    __slots__ = ("rid", "collection_interval", "encore_cloud", "gcp", "aws", "prom_remote_write", "datadog")
    class GCPCloudMonitoring(_message.Message):
        __slots__ = ("project_id", "monitored_resource_type", "monitored_resource_labels", "metric_names")
        class MonitoredResourceLabelsEntry(_message.Message):
            __slots__ = ("key", "value")
            KEY_FIELD_NUMBER: _ClassVar[int]
            VALUE_FIELD_NUMBER: _ClassVar[int]
            key: str
            value: str
            def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
        class MetricNamesEntry(_message.Message):
            __slots__ = ("key", "value")
            KEY_FIELD_NUMBER: _ClassVar[int]
            VALUE_FIELD_NUMBER: _ClassVar[int]
            key: str
            value: str
            def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
        PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
        MONITORED_RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
        MONITORED_RESOURCE_LABELS_FIELD_NUMBER: _ClassVar[int]
        METRIC_NAMES_FIELD_NUMBER: _ClassVar[int]
        project_id: str
        monitored_resource_type: str
        monitored_resource_labels: _containers.ScalarMap[str, str]
        metric_names: _containers.ScalarMap[str, str]
        def __init__(self, project_id: _Optional[str] = ..., monitored_resource_type: _Optional[str] = ..., monitored_resource_labels: _Optional[_Mapping[str, str]] = ..., metric_names: _Optional[_Mapping[str, str]] = ...) -> None: ...
    class AWSCloudWatch(_message.Message):
        __slots__ = ("namespace",)
        NAMESPACE_FIELD_NUMBER: _ClassVar[int]
        namespace: str
        def __init__(self, namespace: _Optional[str] = ...) -> None: ...
    class PrometheusRemoteWrite(_message.Message):
        __slots__ = ("remote_write_url",)
        REMOTE_WRITE_URL_FIELD_NUMBER: _ClassVar[int]
        remote_write_url: _secretdata_pb2.SecretData
        def __init__(self, remote_write_url: _Optional[_Union[_secretdata_pb2.SecretData, _Mapping]] = ...) -> None: ...
    class Datadog(_message.Message):
        __slots__ = ("site", "api_key")
        SITE_FIELD_NUMBER: _ClassVar[int]
        API_KEY_FIELD_NUMBER: _ClassVar[int]
        site: str
        api_key: _secretdata_pb2.SecretData
        def __init__(self, site: _Optional[str] = ..., api_key: _Optional[_Union[_secretdata_pb2.SecretData, _Mapping]] = ...) -> None: ...
    RID_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    ENCORE_CLOUD_FIELD_NUMBER: _ClassVar[int]
    GCP_FIELD_NUMBER: _ClassVar[int]
    AWS_FIELD_NUMBER: _ClassVar[int]
    PROM_REMOTE_WRITE_FIELD_NUMBER: _ClassVar[int]
    DATADOG_FIELD_NUMBER: _ClassVar[int]
    rid: str
    collection_interval: _duration_pb2.Duration
    encore_cloud: MetricsProvider.GCPCloudMonitoring
    gcp: MetricsProvider.GCPCloudMonitoring
    aws: MetricsProvider.AWSCloudWatch
    prom_remote_write: MetricsProvider.PrometheusRemoteWrite
    datadog: MetricsProvider.Datadog
    def __init__(self, rid: _Optional[str] = ..., collection_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., encore_cloud: _Optional[_Union[MetricsProvider.GCPCloudMonitoring, _Mapping]] = ..., gcp: _Optional[_Union[MetricsProvider.GCPCloudMonitoring, _Mapping]] = ..., aws: _Optional[_Union[MetricsProvider.AWSCloudWatch, _Mapping]] = ..., prom_remote_write: _Optional[_Union[MetricsProvider.PrometheusRemoteWrite, _Mapping]] = ..., datadog: _Optional[_Union[MetricsProvider.Datadog, _Mapping]] = ...) -> None: ...

class LogsProvider(_message.Message):
    __slots__ = ("rid",)
    RID_FIELD_NUMBER: _ClassVar[int]
    rid: str
    def __init__(self, rid: _Optional[str] = ...) -> None: ...

class EncorePlatform(_message.Message):
    __slots__ = ("platform_signing_keys", "encore_cloud")
    PLATFORM_SIGNING_KEYS_FIELD_NUMBER: _ClassVar[int]
    ENCORE_CLOUD_FIELD_NUMBER: _ClassVar[int]
    platform_signing_keys: _containers.RepeatedCompositeFieldContainer[EncoreAuthKey]
    encore_cloud: EncoreCloudProvider
    def __init__(self, platform_signing_keys: _Optional[_Iterable[_Union[EncoreAuthKey, _Mapping]]] = ..., encore_cloud: _Optional[_Union[EncoreCloudProvider, _Mapping]] = ...) -> None: ...

class EncoreCloudProvider(_message.Message):
    __slots__ = ("rid", "server_url", "auth_keys")
    RID_FIELD_NUMBER: _ClassVar[int]
    SERVER_URL_FIELD_NUMBER: _ClassVar[int]
    AUTH_KEYS_FIELD_NUMBER: _ClassVar[int]
    rid: str
    server_url: str
    auth_keys: _containers.RepeatedCompositeFieldContainer[EncoreAuthKey]
    def __init__(self, rid: _Optional[str] = ..., server_url: _Optional[str] = ..., auth_keys: _Optional[_Iterable[_Union[EncoreAuthKey, _Mapping]]] = ...) -> None: ...

class RateLimiter(_message.Message):
    __slots__ = ("token_bucket",)
    class TokenBucket(_message.Message):
        __slots__ = ("rate", "burst")
        RATE_FIELD_NUMBER: _ClassVar[int]
        BURST_FIELD_NUMBER: _ClassVar[int]
        rate: float
        burst: int
        def __init__(self, rate: _Optional[float] = ..., burst: _Optional[int] = ...) -> None: ...
    TOKEN_BUCKET_FIELD_NUMBER: _ClassVar[int]
    token_bucket: RateLimiter.TokenBucket
    def __init__(self, token_bucket: _Optional[_Union[RateLimiter.TokenBucket, _Mapping]] = ...) -> None: ...

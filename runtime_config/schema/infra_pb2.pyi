from runtime_config.schema import secretdata_pb2 as _secretdata_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ServerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVER_KIND_UNSPECIFIED: _ClassVar[ServerKind]
    SERVER_KIND_PRIMARY: _ClassVar[ServerKind]
    SERVER_KIND_HOT_STANDBY: _ClassVar[ServerKind]
    SERVER_KIND_READ_REPLICA: _ClassVar[ServerKind]
SERVER_KIND_UNSPECIFIED: ServerKind
SERVER_KIND_PRIMARY: ServerKind
SERVER_KIND_HOT_STANDBY: ServerKind
SERVER_KIND_READ_REPLICA: ServerKind

class Infrastructure(_message.Message):
    __slots__ = ("resources", "credentials")
    class Resources(_message.Message):
        __slots__ = ("gateways", "sql_clusters", "pubsub_clusters", "redis_clusters", "app_secrets", "bucket_clusters", "secret_providers")
        GATEWAYS_FIELD_NUMBER: _ClassVar[int]
        SQL_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
        PUBSUB_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
        REDIS_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
        APP_SECRETS_FIELD_NUMBER: _ClassVar[int]
        BUCKET_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
        SECRET_PROVIDERS_FIELD_NUMBER: _ClassVar[int]
        gateways: _containers.RepeatedCompositeFieldContainer[Gateway]
        sql_clusters: _containers.RepeatedCompositeFieldContainer[SQLCluster]
        pubsub_clusters: _containers.RepeatedCompositeFieldContainer[PubSubCluster]
        redis_clusters: _containers.RepeatedCompositeFieldContainer[RedisCluster]
        app_secrets: _containers.RepeatedCompositeFieldContainer[AppSecret]
        bucket_clusters: _containers.RepeatedCompositeFieldContainer[BucketCluster]
        secret_providers: _containers.RepeatedCompositeFieldContainer[SecretProvider]
        def __init__(self, gateways: _Optional[_Iterable[_Union[Gateway, _Mapping]]] = ..., sql_clusters: _Optional[_Iterable[_Union[SQLCluster, _Mapping]]] = ..., pubsub_clusters: _Optional[_Iterable[_Union[PubSubCluster, _Mapping]]] = ..., redis_clusters: _Optional[_Iterable[_Union[RedisCluster, _Mapping]]] = ..., app_secrets: _Optional[_Iterable[_Union[AppSecret, _Mapping]]] = ..., bucket_clusters: _Optional[_Iterable[_Union[BucketCluster, _Mapping]]] = ..., secret_providers: _Optional[_Iterable[_Union[SecretProvider, _Mapping]]] = ...) -> None: ...
    class Credentials(_message.Message):
        __slots__ = ("client_certs", "sql_roles", "redis_roles")
        CLIENT_CERTS_FIELD_NUMBER: _ClassVar[int]
        SQL_ROLES_FIELD_NUMBER: _ClassVar[int]
        REDIS_ROLES_FIELD_NUMBER: _ClassVar[int]
        client_certs: _containers.RepeatedCompositeFieldContainer[ClientCert]
        sql_roles: _containers.RepeatedCompositeFieldContainer[SQLRole]
        redis_roles: _containers.RepeatedCompositeFieldContainer[RedisRole]
        def __init__(self, client_certs: _Optional[_Iterable[_Union[ClientCert, _Mapping]]] = ..., sql_roles: _Optional[_Iterable[_Union[SQLRole, _Mapping]]] = ..., redis_roles: _Optional[_Iterable[_Union[RedisRole, _Mapping]]] = ...) -> None: ...
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    resources: Infrastructure.Resources
    credentials: Infrastructure.Credentials
    def __init__(self, resources: _Optional[_Union[Infrastructure.Resources, _Mapping]] = ..., credentials: _Optional[_Union[Infrastructure.Credentials, _Mapping]] = ...) -> None: ...

class TLSConfig(_message.Message):
    __slots__ = ("server_ca_cert", "disable_tls_hostname_verification", "disable_ca_validation")
    SERVER_CA_CERT_FIELD_NUMBER: _ClassVar[int]
    DISABLE_TLS_HOSTNAME_VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    DISABLE_CA_VALIDATION_FIELD_NUMBER: _ClassVar[int]
    server_ca_cert: str
    disable_tls_hostname_verification: bool
    disable_ca_validation: bool
    def __init__(self, server_ca_cert: _Optional[str] = ..., disable_tls_hostname_verification: _Optional[bool] = ..., disable_ca_validation: _Optional[bool] = ...) -> None: ...

class SecretProvider(_message.Message):
    __slots__ = ("rid", "encore_name", "gcp_sm")
    class GCPSecretManager(_message.Message):
        __slots__ = ("project_id",)
        PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
        project_id: str
        def __init__(self, project_id: _Optional[str] = ...) -> None: ...
    RID_FIELD_NUMBER: _ClassVar[int]
    ENCORE_NAME_FIELD_NUMBER: _ClassVar[int]
    GCP_SM_FIELD_NUMBER: _ClassVar[int]
    rid: str
    encore_name: str
    gcp_sm: SecretProvider.GCPSecretManager
    def __init__(self, rid: _Optional[str] = ..., encore_name: _Optional[str] = ..., gcp_sm: _Optional[_Union[SecretProvider.GCPSecretManager, _Mapping]] = ...) -> None: ...

class SQLCluster(_message.Message):
    __slots__ = ("rid", "servers", "databases")
    RID_FIELD_NUMBER: _ClassVar[int]
    SERVERS_FIELD_NUMBER: _ClassVar[int]
    DATABASES_FIELD_NUMBER: _ClassVar[int]
    rid: str
    servers: _containers.RepeatedCompositeFieldContainer[SQLServer]
    databases: _containers.RepeatedCompositeFieldContainer[SQLDatabase]
    def __init__(self, rid: _Optional[str] = ..., servers: _Optional[_Iterable[_Union[SQLServer, _Mapping]]] = ..., databases: _Optional[_Iterable[_Union[SQLDatabase, _Mapping]]] = ...) -> None: ...

class SQLServer(_message.Message):
    __slots__ = ("rid", "host", "kind", "tls_config")
    RID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TLS_CONFIG_FIELD_NUMBER: _ClassVar[int]
    rid: str
    host: str
    kind: ServerKind
    tls_config: TLSConfig
    def __init__(self, rid: _Optional[str] = ..., host: _Optional[str] = ..., kind: _Optional[_Union[ServerKind, str]] = ..., tls_config: _Optional[_Union[TLSConfig, _Mapping]] = ...) -> None: ...

class ClientCert(_message.Message):
    __slots__ = ("rid", "cert", "key")
    RID_FIELD_NUMBER: _ClassVar[int]
    CERT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    rid: str
    cert: str
    key: _secretdata_pb2.SecretData
    def __init__(self, rid: _Optional[str] = ..., cert: _Optional[str] = ..., key: _Optional[_Union[_secretdata_pb2.SecretData, _Mapping]] = ...) -> None: ...

class SQLRole(_message.Message):
    __slots__ = ("rid", "username", "password", "client_cert_rid")
    RID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CLIENT_CERT_RID_FIELD_NUMBER: _ClassVar[int]
    rid: str
    username: str
    password: _secretdata_pb2.SecretData
    client_cert_rid: str
    def __init__(self, rid: _Optional[str] = ..., username: _Optional[str] = ..., password: _Optional[_Union[_secretdata_pb2.SecretData, _Mapping]] = ..., client_cert_rid: _Optional[str] = ...) -> None: ...

class SQLDatabase(_message.Message):
    __slots__ = ("rid", "encore_name", "cloud_name", "conn_pools")
    RID_FIELD_NUMBER: _ClassVar[int]
    ENCORE_NAME_FIELD_NUMBER: _ClassVar[int]
    CLOUD_NAME_FIELD_NUMBER: _ClassVar[int]
    CONN_POOLS_FIELD_NUMBER: _ClassVar[int]
    rid: str
    encore_name: str
    cloud_name: str
    conn_pools: _containers.RepeatedCompositeFieldContainer[SQLConnectionPool]
    def __init__(self, rid: _Optional[str] = ..., encore_name: _Optional[str] = ..., cloud_name: _Optional[str] = ..., conn_pools: _Optional[_Iterable[_Union[SQLConnectionPool, _Mapping]]] = ...) -> None: ...

class SQLConnectionPool(_message.Message):
    __slots__ = ("is_readonly", "role_rid", "min_connections", "max_connections")
    IS_READONLY_FIELD_NUMBER: _ClassVar[int]
    ROLE_RID_FIELD_NUMBER: _ClassVar[int]
    MIN_CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    is_readonly: bool
    role_rid: str
    min_connections: int
    max_connections: int
    def __init__(self, is_readonly: _Optional[bool] = ..., role_rid: _Optional[str] = ..., min_connections: _Optional[int] = ..., max_connections: _Optional[int] = ...) -> None: ...

class RedisCluster(_message.Message):
    __slots__ = ("rid", "servers", "databases", "in_memory")
    RID_FIELD_NUMBER: _ClassVar[int]
    SERVERS_FIELD_NUMBER: _ClassVar[int]
    DATABASES_FIELD_NUMBER: _ClassVar[int]
    IN_MEMORY_FIELD_NUMBER: _ClassVar[int]
    rid: str
    servers: _containers.RepeatedCompositeFieldContainer[RedisServer]
    databases: _containers.RepeatedCompositeFieldContainer[RedisDatabase]
    in_memory: bool
    def __init__(self, rid: _Optional[str] = ..., servers: _Optional[_Iterable[_Union[RedisServer, _Mapping]]] = ..., databases: _Optional[_Iterable[_Union[RedisDatabase, _Mapping]]] = ..., in_memory: _Optional[bool] = ...) -> None: ...

class RedisServer(_message.Message):
    __slots__ = ("rid", "host", "kind", "tls_config")
    RID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TLS_CONFIG_FIELD_NUMBER: _ClassVar[int]
    rid: str
    host: str
    kind: ServerKind
    tls_config: TLSConfig
    def __init__(self, rid: _Optional[str] = ..., host: _Optional[str] = ..., kind: _Optional[_Union[ServerKind, str]] = ..., tls_config: _Optional[_Union[TLSConfig, _Mapping]] = ...) -> None: ...

class RedisConnectionPool(_message.Message):
    __slots__ = ("is_readonly", "role_rid", "min_connections", "max_connections")
    IS_READONLY_FIELD_NUMBER: _ClassVar[int]
    ROLE_RID_FIELD_NUMBER: _ClassVar[int]
    MIN_CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    is_readonly: bool
    role_rid: str
    min_connections: int
    max_connections: int
    def __init__(self, is_readonly: _Optional[bool] = ..., role_rid: _Optional[str] = ..., min_connections: _Optional[int] = ..., max_connections: _Optional[int] = ...) -> None: ...

class RedisRole(_message.Message):
    __slots__ = ("rid", "client_cert_rid", "acl", "auth_string")
    class AuthACL(_message.Message):
        __slots__ = ("username", "password")
        USERNAME_FIELD_NUMBER: _ClassVar[int]
        PASSWORD_FIELD_NUMBER: _ClassVar[int]
        username: str
        password: _secretdata_pb2.SecretData
        def __init__(self, username: _Optional[str] = ..., password: _Optional[_Union[_secretdata_pb2.SecretData, _Mapping]] = ...) -> None: ...
    RID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_CERT_RID_FIELD_NUMBER: _ClassVar[int]
    ACL_FIELD_NUMBER: _ClassVar[int]
    AUTH_STRING_FIELD_NUMBER: _ClassVar[int]
    rid: str
    client_cert_rid: str
    acl: RedisRole.AuthACL
    auth_string: _secretdata_pb2.SecretData
    def __init__(self, rid: _Optional[str] = ..., client_cert_rid: _Optional[str] = ..., acl: _Optional[_Union[RedisRole.AuthACL, _Mapping]] = ..., auth_string: _Optional[_Union[_secretdata_pb2.SecretData, _Mapping]] = ...) -> None: ...

class RedisDatabase(_message.Message):
    __slots__ = ("rid", "encore_name", "database_idx", "key_prefix", "conn_pools")
    RID_FIELD_NUMBER: _ClassVar[int]
    ENCORE_NAME_FIELD_NUMBER: _ClassVar[int]
    DATABASE_IDX_FIELD_NUMBER: _ClassVar[int]
    KEY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    CONN_POOLS_FIELD_NUMBER: _ClassVar[int]
    rid: str
    encore_name: str
    database_idx: int
    key_prefix: str
    conn_pools: _containers.RepeatedCompositeFieldContainer[RedisConnectionPool]
    def __init__(self, rid: _Optional[str] = ..., encore_name: _Optional[str] = ..., database_idx: _Optional[int] = ..., key_prefix: _Optional[str] = ..., conn_pools: _Optional[_Iterable[_Union[RedisConnectionPool, _Mapping]]] = ...) -> None: ...

class AppSecret(_message.Message):
    __slots__ = ("rid", "encore_name", "data")
    RID_FIELD_NUMBER: _ClassVar[int]
    ENCORE_NAME_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    rid: str
    encore_name: str
    data: _secretdata_pb2.SecretData
    def __init__(self, rid: _Optional[str] = ..., encore_name: _Optional[str] = ..., data: _Optional[_Union[_secretdata_pb2.SecretData, _Mapping]] = ...) -> None: ...

class PubSubCluster(_message.Message):
    __slots__ = ("rid", "topics", "subscriptions", "encore", "aws", "gcp", "azure", "nsq")
    class EncoreCloud(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
    class AWSSqsSns(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
    class GCPPubSub(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
    class AzureServiceBus(_message.Message):
        __slots__ = ("namespace",)
        NAMESPACE_FIELD_NUMBER: _ClassVar[int]
        namespace: str
        def __init__(self, namespace: _Optional[str] = ...) -> None: ...
    class NSQ(_message.Message):
        __slots__ = ("hosts",)
        HOSTS_FIELD_NUMBER: _ClassVar[int]
        hosts: _containers.RepeatedScalarFieldContainer[str]
        def __init__(self, hosts: _Optional[_Iterable[str]] = ...) -> None: ...
    RID_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    ENCORE_FIELD_NUMBER: _ClassVar[int]
    AWS_FIELD_NUMBER: _ClassVar[int]
    GCP_FIELD_NUMBER: _ClassVar[int]
    AZURE_FIELD_NUMBER: _ClassVar[int]
    NSQ_FIELD_NUMBER: _ClassVar[int]
    rid: str
    topics: _containers.RepeatedCompositeFieldContainer[PubSubTopic]
    subscriptions: _containers.RepeatedCompositeFieldContainer[PubSubSubscription]
    encore: PubSubCluster.EncoreCloud
    aws: PubSubCluster.AWSSqsSns
    gcp: PubSubCluster.GCPPubSub
    azure: PubSubCluster.AzureServiceBus
    nsq: PubSubCluster.NSQ
    def __init__(self, rid: _Optional[str] = ..., topics: _Optional[_Iterable[_Union[PubSubTopic, _Mapping]]] = ..., subscriptions: _Optional[_Iterable[_Union[PubSubSubscription, _Mapping]]] = ..., encore: _Optional[_Union[PubSubCluster.EncoreCloud, _Mapping]] = ..., aws: _Optional[_Union[PubSubCluster.AWSSqsSns, _Mapping]] = ..., gcp: _Optional[_Union[PubSubCluster.GCPPubSub, _Mapping]] = ..., azure: _Optional[_Union[PubSubCluster.AzureServiceBus, _Mapping]] = ..., nsq: _Optional[_Union[PubSubCluster.NSQ, _Mapping]] = ...) -> None: ...

class PubSubTopic(_message.Message):
    __slots__ = ("rid", "encore_name", "cloud_name", "delivery_guarantee", "ordering_attr", "gcp_config")
    class DeliveryGuarantee(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        DELIVERY_GUARANTEE_UNSPECIFIED: _ClassVar[PubSubTopic.DeliveryGuarantee]
        DELIVERY_GUARANTEE_AT_LEAST_ONCE: _ClassVar[PubSubTopic.DeliveryGuarantee]
        DELIVERY_GUARANTEE_EXACTLY_ONCE: _ClassVar[PubSubTopic.DeliveryGuarantee]
    DELIVERY_GUARANTEE_UNSPECIFIED: PubSubTopic.DeliveryGuarantee
    DELIVERY_GUARANTEE_AT_LEAST_ONCE: PubSubTopic.DeliveryGuarantee
    DELIVERY_GUARANTEE_EXACTLY_ONCE: PubSubTopic.DeliveryGuarantee
    class GCPConfig(_message.Message):
        __slots__ = ("project_id",)
        PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
        project_id: str
        def __init__(self, project_id: _Optional[str] = ...) -> None: ...
    RID_FIELD_NUMBER: _ClassVar[int]
    ENCORE_NAME_FIELD_NUMBER: _ClassVar[int]
    CLOUD_NAME_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_GUARANTEE_FIELD_NUMBER: _ClassVar[int]
    ORDERING_ATTR_FIELD_NUMBER: _ClassVar[int]
    GCP_CONFIG_FIELD_NUMBER: _ClassVar[int]
    rid: str
    encore_name: str
    cloud_name: str
    delivery_guarantee: PubSubTopic.DeliveryGuarantee
    ordering_attr: str
    gcp_config: PubSubTopic.GCPConfig
    def __init__(self, rid: _Optional[str] = ..., encore_name: _Optional[str] = ..., cloud_name: _Optional[str] = ..., delivery_guarantee: _Optional[_Union[PubSubTopic.DeliveryGuarantee, str]] = ..., ordering_attr: _Optional[str] = ..., gcp_config: _Optional[_Union[PubSubTopic.GCPConfig, _Mapping]] = ...) -> None: ...

class PubSubSubscription(_message.Message):
    __slots__ = ("rid", "topic_encore_name", "subscription_encore_name", "topic_cloud_name", "subscription_cloud_name", "push_only", "gcp_config")
    class GCPConfig(_message.Message):
        __slots__ = ("project_id", "push_service_account", "push_jwt_audience")
        PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
        PUSH_SERVICE_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
        PUSH_JWT_AUDIENCE_FIELD_NUMBER: _ClassVar[int]
        project_id: str
        push_service_account: str
        push_jwt_audience: str
        def __init__(self, project_id: _Optional[str] = ..., push_service_account: _Optional[str] = ..., push_jwt_audience: _Optional[str] = ...) -> None: ...
    RID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_ENCORE_NAME_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_ENCORE_NAME_FIELD_NUMBER: _ClassVar[int]
    TOPIC_CLOUD_NAME_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_CLOUD_NAME_FIELD_NUMBER: _ClassVar[int]
    PUSH_ONLY_FIELD_NUMBER: _ClassVar[int]
    GCP_CONFIG_FIELD_NUMBER: _ClassVar[int]
    rid: str
    topic_encore_name: str
    subscription_encore_name: str
    topic_cloud_name: str
    subscription_cloud_name: str
    push_only: bool
    gcp_config: PubSubSubscription.GCPConfig
    def __init__(self, rid: _Optional[str] = ..., topic_encore_name: _Optional[str] = ..., subscription_encore_name: _Optional[str] = ..., topic_cloud_name: _Optional[str] = ..., subscription_cloud_name: _Optional[str] = ..., push_only: _Optional[bool] = ..., gcp_config: _Optional[_Union[PubSubSubscription.GCPConfig, _Mapping]] = ...) -> None: ...

class BucketCluster(_message.Message):
    __slots__ = ("rid", "buckets", "s3", "gcs")
    class S3(_message.Message):
        __slots__ = ("region", "endpoint", "access_key_id", "secret_access_key")
        REGION_FIELD_NUMBER: _ClassVar[int]
        ENDPOINT_FIELD_NUMBER: _ClassVar[int]
        ACCESS_KEY_ID_FIELD_NUMBER: _ClassVar[int]
        SECRET_ACCESS_KEY_FIELD_NUMBER: _ClassVar[int]
        region: str
        endpoint: str
        access_key_id: str
        secret_access_key: _secretdata_pb2.SecretData
        def __init__(self, region: _Optional[str] = ..., endpoint: _Optional[str] = ..., access_key_id: _Optional[str] = ..., secret_access_key: _Optional[_Union[_secretdata_pb2.SecretData, _Mapping]] = ...) -> None: ...
    class GCS(_message.Message):
        __slots__ = ("endpoint", "anonymous", "local_sign")
        class LocalSignOptions(_message.Message):
            __slots__ = ("base_url", "access_id", "private_key")
            BASE_URL_FIELD_NUMBER: _ClassVar[int]
            ACCESS_ID_FIELD_NUMBER: _ClassVar[int]
            PRIVATE_KEY_FIELD_NUMBER: _ClassVar[int]
            base_url: str
            access_id: str
            private_key: str
            def __init__(self, base_url: _Optional[str] = ..., access_id: _Optional[str] = ..., private_key: _Optional[str] = ...) -> None: ...
        ENDPOINT_FIELD_NUMBER: _ClassVar[int]
        ANONYMOUS_FIELD_NUMBER: _ClassVar[int]
        LOCAL_SIGN_FIELD_NUMBER: _ClassVar[int]
        endpoint: str
        anonymous: bool
        local_sign: BucketCluster.GCS.LocalSignOptions
        def __init__(self, endpoint: _Optional[str] = ..., anonymous: _Optional[bool] = ..., local_sign: _Optional[_Union[BucketCluster.GCS.LocalSignOptions, _Mapping]] = ...) -> None: ...
    RID_FIELD_NUMBER: _ClassVar[int]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    S3_FIELD_NUMBER: _ClassVar[int]
    GCS_FIELD_NUMBER: _ClassVar[int]
    rid: str
    buckets: _containers.RepeatedCompositeFieldContainer[Bucket]
    s3: BucketCluster.S3
    gcs: BucketCluster.GCS
    def __init__(self, rid: _Optional[str] = ..., buckets: _Optional[_Iterable[_Union[Bucket, _Mapping]]] = ..., s3: _Optional[_Union[BucketCluster.S3, _Mapping]] = ..., gcs: _Optional[_Union[BucketCluster.GCS, _Mapping]] = ...) -> None: ...

class Bucket(_message.Message):
    __slots__ = ("rid", "encore_name", "cloud_name", "key_prefix", "public_base_url")
    RID_FIELD_NUMBER: _ClassVar[int]
    ENCORE_NAME_FIELD_NUMBER: _ClassVar[int]
    CLOUD_NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_BASE_URL_FIELD_NUMBER: _ClassVar[int]
    rid: str
    encore_name: str
    cloud_name: str
    key_prefix: str
    public_base_url: str
    def __init__(self, rid: _Optional[str] = ..., encore_name: _Optional[str] = ..., cloud_name: _Optional[str] = ..., key_prefix: _Optional[str] = ..., public_base_url: _Optional[str] = ...) -> None: ...

class Gateway(_message.Message):
    __slots__ = ("rid", "encore_name", "base_url", "hostnames", "cors")
    class CORS(_message.Message):
        __slots__ = ("debug", "disable_credentials", "allowed_origins", "unsafe_allow_all_origins_with_credentials", "allowed_origins_without_credentials", "extra_allowed_headers", "extra_exposed_headers", "allow_private_network_access")
        DEBUG_FIELD_NUMBER: _ClassVar[int]
        DISABLE_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
        ALLOWED_ORIGINS_FIELD_NUMBER: _ClassVar[int]
        UNSAFE_ALLOW_ALL_ORIGINS_WITH_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
        ALLOWED_ORIGINS_WITHOUT_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
        EXTRA_ALLOWED_HEADERS_FIELD_NUMBER: _ClassVar[int]
        EXTRA_EXPOSED_HEADERS_FIELD_NUMBER: _ClassVar[int]
        ALLOW_PRIVATE_NETWORK_ACCESS_FIELD_NUMBER: _ClassVar[int]
        debug: bool
        disable_credentials: bool
        allowed_origins: Gateway.CORSAllowedOrigins
        unsafe_allow_all_origins_with_credentials: bool
        allowed_origins_without_credentials: Gateway.CORSAllowedOrigins
        extra_allowed_headers: _containers.RepeatedScalarFieldContainer[str]
        extra_exposed_headers: _containers.RepeatedScalarFieldContainer[str]
        allow_private_network_access: bool
        def __init__(self, debug: _Optional[bool] = ..., disable_credentials: _Optional[bool] = ..., allowed_origins: _Optional[_Union[Gateway.CORSAllowedOrigins, _Mapping]] = ..., unsafe_allow_all_origins_with_credentials: _Optional[bool] = ..., allowed_origins_without_credentials: _Optional[_Union[Gateway.CORSAllowedOrigins, _Mapping]] = ..., extra_allowed_headers: _Optional[_Iterable[str]] = ..., extra_exposed_headers: _Optional[_Iterable[str]] = ..., allow_private_network_access: _Optional[bool] = ...) -> None: ...
    class CORSAllowedOrigins(_message.Message):
        __slots__ = ("allowed_origins",)
        ALLOWED_ORIGINS_FIELD_NUMBER: _ClassVar[int]
        allowed_origins: _containers.RepeatedScalarFieldContainer[str]
        def __init__(self, allowed_origins: _Optional[_Iterable[str]] = ...) -> None: ...
    RID_FIELD_NUMBER: _ClassVar[int]
    ENCORE_NAME_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    HOSTNAMES_FIELD_NUMBER: _ClassVar[int]
    CORS_FIELD_NUMBER: _ClassVar[int]
    rid: str
    encore_name: str
    base_url: str
    hostnames: _containers.RepeatedScalarFieldContainer[str]
    cors: Gateway.CORS
    def __init__(self, rid: _Optional[str] = ..., encore_name: _Optional[str] = ..., base_url: _Optional[str] = ..., hostnames: _Optional[_Iterable[str]] = ..., cors: _Optional[_Union[Gateway.CORS, _Mapping]] = ...) -> None: ...

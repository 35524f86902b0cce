from orchestrator.core.schema import schema_pb2 as _schema_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Lang(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GO: _ClassVar[Lang]
    TYPESCRIPT: _ClassVar[Lang]
GO: Lang
TYPESCRIPT: Lang

class Data(_message.Message):
    __slots__ = ("module_path", "app_revision", "uncommitted_changes", "decls", "pkgs", "svcs", "auth_handler", "cron_jobs", "pubsub_topics", "middleware", "cache_clusters", "experiments", "metrics", "sql_databases", "gateways", "language", "buckets")
    MODULE_PATH_FIELD_NUMBER: _ClassVar[int]
    APP_REVISION_FIELD_NUMBER: _ClassVar[int]
    UNCOMMITTED_CHANGES_FIELD_NUMBER: _ClassVar[int]
    DECLS_FIELD_NUMBER: _ClassVar[int]
    PKGS_FIELD_NUMBER: _ClassVar[int]
    SVCS_FIELD_NUMBER: _ClassVar[int]
    AUTH_HANDLER_FIELD_NUMBER: _ClassVar[int]
    CRON_JOBS_FIELD_NUMBER: _ClassVar[int]
    PUBSUB_TOPICS_FIELD_NUMBER: _ClassVar[int]
    MIDDLEWARE_FIELD_NUMBER: _ClassVar[int]
    CACHE_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENTS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    SQL_DATABASES_FIELD_NUMBER: _ClassVar[int]
    GATEWAYS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    module_path: str
    app_revision: str
    uncommitted_changes: bool
    decls: _containers.RepeatedCompositeFieldContainer[_schema_pb2.Decl]
    pkgs: _containers.RepeatedCompositeFieldContainer[Package]
    svcs: _containers.RepeatedCompositeFieldContainer[Service]
    auth_handler: AuthHandler
    cron_jobs: _containers.RepeatedCompositeFieldContainer[CronJob]
    pubsub_topics: _containers.RepeatedCompositeFieldContainer[PubSubTopic]
    middleware: _containers.RepeatedCompositeFieldContainer[Middleware]
    cache_clusters: _containers.RepeatedCompositeFieldContainer[CacheCluster]
    experiments: _containers.RepeatedScalarFieldContainer[str]
    metrics: _containers.RepeatedCompositeFieldContainer[Metric]
    sql_databases: _containers.RepeatedCompositeFieldContainer[SQLDatabase]
    gateways: _containers.RepeatedCompositeFieldContainer[Gateway]
    language: Lang
    buckets: _containers.RepeatedCompositeFieldContainer[Bucket]
    def __init__(self, module_path: _Optional[str] = ..., app_revision: _Optional[str] = ..., uncommitted_changes: _Optional[bool] = ..., decls: _Optional[_Iterable[_Union[_schema_pb2.Decl, _Mapping]]] = ..., pkgs: _Optional[_Iterable[_Union[Package, _Mapping]]] = ..., svcs: _Optional[_Iterable[_Union[Service, _Mapping]]] = ..., auth_handler: _Optional[_Union[AuthHandler, _Mapping]] = ..., cron_jobs: _Optional[_Iterable[_Union[CronJob, _Mapping]]] = ..., pubsub_topics: _Optional[_Iterable[_Union[PubSubTopic, _Mapping]]] = ..., middleware: _Optional[_Iterable[_Union[Middleware, _Mapping]]] = ..., cache_clusters: _Optional[_Iterable[_Union[CacheCluster, _Mapping]]] = ..., experiments: _Optional[_Iterable[str]] = ..., metrics: _Optional[_Iterable[_Union[Metric, _Mapping]]] = ..., sql_databases: _Optional[_Iterable[_Union[SQLDatabase, _Mapping]]] = ..., gateways: _Optional[_Iterable[_Union[Gateway, _Mapping]]] = ..., language: _Optional[_Union[Lang, str]] = ..., buckets: _Optional[_Iterable[_Union[Bucket, _Mapping]]] = ...) -> None: ...

class QualifiedName(_message.Message):
    __slots__ = ("pkg", "name")
    PKG_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    pkg: str
    name: str
    def __init__(self, pkg: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class Package(_message.Message):
    __slots__ = ("rel_path", "name", "doc", "service_name", "secrets", "rpc_calls", "trace_nodes")
    REL_PATH_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    SECRETS_FIELD_NUMBER: _ClassVar[int]
    RPC_CALLS_FIELD_NUMBER: _ClassVar[int]
    TRACE_NODES_FIELD_NUMBER: _ClassVar[int]
    rel_path: str
    name: str
    doc: str
    service_name: str
    secrets: _containers.RepeatedScalarFieldContainer[str]
    rpc_calls: _containers.RepeatedCompositeFieldContainer[QualifiedName]
    trace_nodes: _containers.RepeatedCompositeFieldContainer[TraceNode]
    def __init__(self, rel_path: _Optional[str] = ..., name: _Optional[str] = ..., doc: _Optional[str] = ..., service_name: _Optional[str] = ..., secrets: _Optional[_Iterable[str]] = ..., rpc_calls: _Optional[_Iterable[_Union[QualifiedName, _Mapping]]] = ..., trace_nodes: _Optional[_Iterable[_Union[TraceNode, _Mapping]]] = ...) -> None: ...

class Service(_message.Message):
    __slots__ = ("name", "rel_path", "rpcs", "migrations", "databases", "has_config", "buckets", "metrics")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REL_PATH_FIELD_NUMBER: _ClassVar[int]
    RPCS_FIELD_NUMBER: _ClassVar[int]
    MIGRATIONS_FIELD_NUMBER: _ClassVar[int]
    DATABASES_FIELD_NUMBER: _ClassVar[int]
    HAS_CONFIG_FIELD_NUMBER: _ClassVar[int]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    name: str
    rel_path: str
    rpcs: _containers.RepeatedCompositeFieldContainer[RPC]
    migrations: _containers.RepeatedCompositeFieldContainer[DBMigration]
    databases: _containers.RepeatedScalarFieldContainer[str]
    has_config: bool
    buckets: _containers.RepeatedCompositeFieldContainer[BucketUsage]
    metrics: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., rel_path: _Optional[str] = ..., rpcs: _Optional[_Iterable[_Union[RPC, _Mapping]]] = ..., migrations: _Optional[_Iterable[_Union[DBMigration, _Mapping]]] = ..., databases: _Optional[_Iterable[str]] = ..., has_config: _Optional[bool] = ..., buckets: _Optional[_Iterable[_Union[BucketUsage, _Mapping]]] = ..., metrics: _Optional[_Iterable[str]] = ...) -> None: ...

class BucketUsage(_message.Message):
    __slots__ = ("bucket", "operations")
    class Operation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[BucketUsage.Operation]
        LIST_OBJECTS: _ClassVar[BucketUsage.Operation]
        READ_OBJECT_CONTENTS: _ClassVar[BucketUsage.Operation]
        WRITE_OBJECT: _ClassVar[BucketUsage.Operation]
        UPDATE_OBJECT_METADATA: _ClassVar[BucketUsage.Operation]
        GET_OBJECT_METADATA: _ClassVar[BucketUsage.Operation]
        DELETE_OBJECT: _ClassVar[BucketUsage.Operation]
        GET_PUBLIC_URL: _ClassVar[BucketUsage.Operation]
        SIGNED_UPLOAD_URL: _ClassVar[BucketUsage.Operation]
        SIGNED_DOWNLOAD_URL: _ClassVar[BucketUsage.Operation]
    UNKNOWN: BucketUsage.Operation
    LIST_OBJECTS: BucketUsage.Operation
    READ_OBJECT_CONTENTS: BucketUsage.Operation
    WRITE_OBJECT: BucketUsage.Operation
    UPDATE_OBJECT_METADATA: BucketUsage.Operation
    GET_OBJECT_METADATA: BucketUsage.Operation
    DELETE_OBJECT: BucketUsage.Operation
    GET_PUBLIC_URL: BucketUsage.Operation
    SIGNED_UPLOAD_URL: BucketUsage.Operation
    SIGNED_DOWNLOAD_URL: BucketUsage.Operation
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    operations: _containers.RepeatedScalarFieldContainer[BucketUsage.Operation]
    def __init__(self, bucket: _Optional[str] = ..., operations: _Optional[_Iterable[_Union[BucketUsage.Operation, str]]] = ...) -> None: ...

class Selector(_message.Message):
    __slots__ = ("type", "value")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[Selector.Type]
        ALL: _ClassVar[Selector.Type]
        TAG: _ClassVar[Selector.Type]
    UNKNOWN: Selector.Type
    ALL: Selector.Type
    TAG: Selector.Type
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    type: Selector.Type
    value: str
    def __init__(self, type: _Optional[_Union[Selector.Type, str]] = ..., value: _Optional[str] = ...) -> None: ...

class RPC(_message.Message):
    __slots__ = ("name", "doc", "service_name", "access_type", "request_schema", "response_schema", "proto", "loc", "path", "http_methods", "tags", "sensitive", "allow_unauthenticated", "expose", "body_limit", "streaming_request", "streaming_response", "handshake_schema", "static_assets")
    class AccessType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        PRIVATE: _ClassVar[RPC.AccessType]
        PUBLIC: _ClassVar[RPC.AccessType]
        AUTH: _ClassVar[RPC.AccessType]
    PRIVATE: RPC.AccessType
    PUBLIC: RPC.AccessType
    AUTH: RPC.AccessType
    class Protocol(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        REGULAR: _ClassVar[RPC.Protocol]
        RAW: _ClassVar[RPC.Protocol]
    REGULAR: RPC.Protocol
    RAW: RPC.Protocol
    class ExposeEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: RPC.ExposeOptions
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[RPC.ExposeOptions, _Mapping]] = ...) -> None: ...
    class ExposeOptions(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
    class StaticAssets(_message.Message):
        __slots__ = ("dir_rel_path", "not_found_rel_path", "not_found_status", "headers")
        class HeaderValues(_message.Message):
            __slots__ = ("values",)
            VALUES_FIELD_NUMBER: _ClassVar[int]
            values: _containers.RepeatedScalarFieldContainer[str]
            def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...
        class HeadersEntry(_message.Message):
            __slots__ = ("key", "value")
            KEY_FIELD_NUMBER: _ClassVar[int]
            VALUE_FIELD_NUMBER: _ClassVar[int]
            key: str
            value: RPC.StaticAssets.HeaderValues
            def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[RPC.StaticAssets.HeaderValues, _Mapping]] = ...) -> None: ...
        DIR_REL_PATH_FIELD_NUMBER: _ClassVar[int]
        NOT_FOUND_REL_PATH_FIELD_NUMBER: _ClassVar[int]
        NOT_FOUND_STATUS_FIELD_NUMBER: _ClassVar[int]
        HEADERS_FIELD_NUMBER: _ClassVar[int]
        dir_rel_path: str
        not_found_rel_path: str
        not_found_status: int
        headers: _containers.MessageMap[str, RPC.StaticAssets.HeaderValues]
        def __init__(self, dir_rel_path: _Optional[str] = ..., not_found_rel_path: _Optional[str] = ..., not_found_status: _Optional[int] = ..., headers: _Optional[_Mapping[str, RPC.StaticAssets.HeaderValues]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    PROTO_FIELD_NUMBER: _ClassVar[int]
    LOC_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    HTTP_METHODS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    SENSITIVE_FIELD_NUMBER: _ClassVar[int]
    ALLOW_UNAUTHENTICATED_FIELD_NUMBER: _ClassVar[int]
    EXPOSE_FIELD_NUMBER: _ClassVar[int]
    BODY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    STREAMING_REQUEST_FIELD_NUMBER: _ClassVar[int]
    STREAMING_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    HANDSHAKE_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    STATIC_ASSETS_FIELD_NUMBER: _ClassVar[int]
    name: str
    doc: str
    service_name: str
    access_type: RPC.AccessType
    request_schema: _schema_pb2.Type
    response_schema: _schema_pb2.Type
    proto: RPC.Protocol
    loc: _schema_pb2.Loc
    path: Path
    http_methods: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedCompositeFieldContainer[Selector]
    sensitive: bool
    allow_unauthenticated: bool
    expose: _containers.MessageMap[str, RPC.ExposeOptions]
    body_limit: int
    streaming_request: bool
    streaming_response: bool
    handshake_schema: _schema_pb2.Type
    static_assets: RPC.StaticAssets
    def __init__(self, name: _Optional[str] = ..., doc: _Optional[str] = ..., service_name: _Optional[str] = ..., access_type: _Optional[_Union[RPC.AccessType, str]] = ..., request_schema: _Optional[_Union[_schema_pb2.Type, _Mapping]] = ..., response_schema: _Optional[_Union[_schema_pb2.Type, _Mapping]] = ..., proto: _Optional[_Union[RPC.Protocol, str]] = ..., loc: _Optional[_Union[_schema_pb2.Loc, _Mapping]] = ..., path: _Optional[_Union[Path, _Mapping]] = ..., http_methods: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[_Union[Selector, _Mapping]]] = ..., sensitive: _Optional[bool] = ..., allow_unauthenticated: _Optional[bool] = ..., expose: _Optional[_Mapping[str, RPC.ExposeOptions]] = ..., body_limit: _Optional[int] = ..., streaming_request: _Optional[bool] = ..., streaming_response: _Optional[bool] = ..., handshake_schema: _Optional[_Union[_schema_pb2.Type, _Mapping]] = ..., static_assets: _Optional[_Union[RPC.StaticAssets, _Mapping]] = ...) -> None: ...

class AuthHandler(_message.Message):
    __slots__ = ("name", "doc", "pkg_path", "pkg_name", "loc", "auth_data", "params", "service_name")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    PKG_PATH_FIELD_NUMBER: _ClassVar[int]
    PKG_NAME_FIELD_NUMBER: _ClassVar[int]
    LOC_FIELD_NUMBER: _ClassVar[int]
    AUTH_DATA_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    doc: str
    pkg_path: str
    pkg_name: str
    loc: _schema_pb2.Loc
    auth_data: _schema_pb2.Type
    params: _schema_pb2.Type
    service_name: str
    def __init__(self, name: _Optional[str] = ..., doc: _Optional[str] = ..., pkg_path: _Optional[str] = ..., pkg_name: _Optional[str] = ..., loc: _Optional[_Union[_schema_pb2.Loc, _Mapping]] = ..., auth_data: _Optional[_Union[_schema_pb2.Type, _Mapping]] = ..., params: _Optional[_Union[_schema_pb2.Type, _Mapping]] = ..., service_name: _Optional[str] = ...) -> None: ...

class Middleware(_message.Message):
    __slots__ = ("name", "doc", "loc", "service_name", "target")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    LOC_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    name: QualifiedName
    doc: str
    loc: _schema_pb2.Loc
    service_name: str
    target: _containers.RepeatedCompositeFieldContainer[Selector]
    def __init__(self, name: _Optional[_Union[QualifiedName, _Mapping]] = ..., doc: _Optional[str] = ..., loc: _Optional[_Union[_schema_pb2.Loc, _Mapping]] = ..., service_name: _Optional[str] = ..., target: _Optional[_Iterable[_Union[Selector, _Mapping]]] = ..., **kwargs) -> None: ...

class TraceNode(_message.Message):
    __slots__ = ("id", "filepath", "start_pos", "end_pos", "src_line_start", "src_line_end", "src_col_start", "src_col_end", "rpc_def", "rpc_call", "static_call", "auth_handler_def", "pubsub_topic_def", "pubsub_publish", "pubsub_subscriber", "service_init", "middleware_def", "cache_keyspace")
    ID_FIELD_NUMBER: _ClassVar[int]
    FILEPATH_FIELD_NUMBER: _ClassVar[int]
    START_POS_FIELD_NUMBER: _ClassVar[int]
    END_POS_FIELD_NUMBER: _ClassVar[int]
    SRC_LINE_START_FIELD_NUMBER: _ClassVar[int]
    SRC_LINE_END_FIELD_NUMBER: _ClassVar[int]
    SRC_COL_START_FIELD_NUMBER: _ClassVar[int]
    SRC_COL_END_FIELD_NUMBER: _ClassVar[int]
    RPC_DEF_FIELD_NUMBER: _ClassVar[int]
    RPC_CALL_FIELD_NUMBER: _ClassVar[int]
    STATIC_CALL_FIELD_NUMBER: _ClassVar[int]
    AUTH_HANDLER_DEF_FIELD_NUMBER: _ClassVar[int]
    PUBSUB_TOPIC_DEF_FIELD_NUMBER: _ClassVar[int]
    PUBSUB_PUBLISH_FIELD_NUMBER: _ClassVar[int]
    PUBSUB_SUBSCRIBER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_INIT_FIELD_NUMBER: _ClassVar[int]
    MIDDLEWARE_DEF_FIELD_NUMBER: _ClassVar[int]
    CACHE_KEYSPACE_FIELD_NUMBER: _ClassVar[int]
    id: int
    filepath: str
    start_pos: int
    end_pos: int
    src_line_start: int
    src_line_end: int
    src_col_start: int
    src_col_end: int
    rpc_def: RPCDefNode
    rpc_call: RPCCallNode
    static_call: StaticCallNode
    auth_handler_def: AuthHandlerDefNode
    pubsub_topic_def: PubSubTopicDefNode
    pubsub_publish: PubSubPublishNode
    pubsub_subscriber: PubSubSubscriberNode
    service_init: ServiceInitNode
    middleware_def: MiddlewareDefNode
    cache_keyspace: CacheKeyspaceDefNode
    def __init__(self, id: _Optional[int] = ..., filepath: _Optional[str] = ..., start_pos: _Optional[int] = ..., end_pos: _Optional[int] = ..., src_line_start: _Optional[int] = ..., src_line_end: _Optional[int] = ..., src_col_start: _Optional[int] = ..., src_col_end: _Optional[int] = ..., rpc_def: _Optional[_Union[RPCDefNode, _Mapping]] = ..., rpc_call: _Optional[_Union[RPCCallNode, _Mapping]] = ..., static_call: _Optional[_Union[StaticCallNode, _Mapping]] = ..., auth_handler_def: _Optional[_Union[AuthHandlerDefNode, _Mapping]] = ..., pubsub_topic_def: _Optional[_Union[PubSubTopicDefNode, _Mapping]] = ..., pubsub_publish: _Optional[_Union[PubSubPublishNode, _Mapping]] = ..., pubsub_subscriber: _Optional[_Union[PubSubSubscriberNode, _Mapping]] = ..., service_init: _Optional[_Union[ServiceInitNode, _Mapping]] = ..., middleware_def: _Optional[_Union[MiddlewareDefNode, _Mapping]] = ..., cache_keyspace: _Optional[_Union[CacheKeyspaceDefNode, _Mapping]] = ...) -> None: ...

class RPCDefNode(_message.Message):
    __slots__ = ("service_name", "rpc_name", "context")
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    RPC_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    service_name: str
    rpc_name: str
    context: str
    def __init__(self, service_name: _Optional[str] = ..., rpc_name: _Optional[str] = ..., context: _Optional[str] = ...) -> None: ...

class RPCCallNode(_message.Message):
    __slots__ = ("service_name", "rpc_name", "context")
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    RPC_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    service_name: str
    rpc_name: str
    context: str
    def __init__(self, service_name: _Optional[str] = ..., rpc_name: _Optional[str] = ..., context: _Optional[str] = ...) -> None: ...

class StaticCallNode(_message.Message):
    __slots__ = ("package", "func", "context")
    class Package(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[StaticCallNode.Package]
        SQLDB: _ClassVar[StaticCallNode.Package]
        RLOG: _ClassVar[StaticCallNode.Package]
    UNKNOWN: StaticCallNode.Package
    SQLDB: StaticCallNode.Package
    RLOG: StaticCallNode.Package
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    FUNC_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    package: StaticCallNode.Package
    func: str
    context: str
    def __init__(self, package: _Optional[_Union[StaticCallNode.Package, str]] = ..., func: _Optional[str] = ..., context: _Optional[str] = ...) -> None: ...

class AuthHandlerDefNode(_message.Message):
    __slots__ = ("service_name", "name", "context")
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    service_name: str
    name: str
    context: str
    def __init__(self, service_name: _Optional[str] = ..., name: _Optional[str] = ..., context: _Optional[str] = ...) -> None: ...

class PubSubTopicDefNode(_message.Message):
    __slots__ = ("topic_name", "context")
    TOPIC_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    topic_name: str
    context: str
    def __init__(self, topic_name: _Optional[str] = ..., context: _Optional[str] = ...) -> None: ...

class PubSubPublishNode(_message.Message):
    __slots__ = ("topic_name", "context")
    TOPIC_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    topic_name: str
    context: str
    def __init__(self, topic_name: _Optional[str] = ..., context: _Optional[str] = ...) -> None: ...

class PubSubSubscriberNode(_message.Message):
    __slots__ = ("topic_name", "subscriber_name", "service_name", "context")
    TOPIC_NAME_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBER_NAME_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    topic_name: str
    subscriber_name: str
    service_name: str
    context: str
    def __init__(self, topic_name: _Optional[str] = ..., subscriber_name: _Optional[str] = ..., service_name: _Optional[str] = ..., context: _Optional[str] = ...) -> None: ...

class ServiceInitNode(_message.Message):
    __slots__ = ("service_name", "setup_func_name", "context")
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    SETUP_FUNC_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    service_name: str
    setup_func_name: str
    context: str
    def __init__(self, service_name: _Optional[str] = ..., setup_func_name: _Optional[str] = ..., context: _Optional[str] = ...) -> None: ...

class MiddlewareDefNode(_message.Message):
    __slots__ = ("pkg_rel_path", "name", "context", "target")
    PKG_REL_PATH_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    pkg_rel_path: str
    name: str
    context: str
    target: _containers.RepeatedCompositeFieldContainer[Selector]
    def __init__(self, pkg_rel_path: _Optional[str] = ..., name: _Optional[str] = ..., context: _Optional[str] = ..., target: _Optional[_Iterable[_Union[Selector, _Mapping]]] = ...) -> None: ...

class CacheKeyspaceDefNode(_message.Message):
    __slots__ = ("pkg_rel_path", "var_name", "cluster_name", "context")
    PKG_REL_PATH_FIELD_NUMBER: _ClassVar[int]
    VAR_NAME_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    pkg_rel_path: str
    var_name: str
    cluster_name: str
    context: str
    def __init__(self, pkg_rel_path: _Optional[str] = ..., var_name: _Optional[str] = ..., cluster_name: _Optional[str] = ..., context: _Optional[str] = ...) -> None: ...

class Path(_message.Message):
    __slots__ = ("segments", "type")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        URL: _ClassVar[Path.Type]
        CACHE_KEYSPACE: _ClassVar[Path.Type]
    URL: Path.Type
    CACHE_KEYSPACE: Path.Type
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    segments: _containers.RepeatedCompositeFieldContainer[PathSegment]
    type: Path.Type
    def __init__(self, segments: _Optional[_Iterable[_Union[PathSegment, _Mapping]]] = ..., type: _Optional[_Union[Path.Type, str]] = ...) -> None: ...

class PathSegment(_message.Message):
    __slots__ = ("type", "value", "value_type", "validation")
    class SegmentType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        LITERAL: _ClassVar[PathSegment.SegmentType]
        PARAM: _ClassVar[PathSegment.SegmentType]
        WILDCARD: _ClassVar[PathSegment.SegmentType]
        FALLBACK: _ClassVar[PathSegment.SegmentType]
    LITERAL: PathSegment.SegmentType
    PARAM: PathSegment.SegmentType
    WILDCARD: PathSegment.SegmentType
    FALLBACK: PathSegment.SegmentType
    class ParamType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STRING: _ClassVar[PathSegment.ParamType]
        BOOL: _ClassVar[PathSegment.ParamType]
        INT8: _ClassVar[PathSegment.ParamType]
        INT16: _ClassVar[PathSegment.ParamType]
        INT32: _ClassVar[PathSegment.ParamType]
        INT64: _ClassVar[PathSegment.ParamType]
        INT: _ClassVar[PathSegment.ParamType]
        UINT8: _ClassVar[PathSegment.ParamType]
        UINT16: _ClassVar[PathSegment.ParamType]
        UINT32: _ClassVar[PathSegment.ParamType]
        UINT64: _ClassVar[PathSegment.ParamType]
        UINT: _ClassVar[PathSegment.ParamType]
        UUID: _ClassVar[PathSegment.ParamType]
    STRING: PathSegment.ParamType
    BOOL: PathSegment.ParamType
    INT8: PathSegment.ParamType
    INT16: PathSegment.ParamType
    INT32: PathSegment.ParamType
    INT64: PathSegment.ParamType
    INT: PathSegment.ParamType
    UINT8: PathSegment.ParamType
    UINT16: PathSegment.ParamType
    UINT32: PathSegment.ParamType
    UINT64: PathSegment.ParamType
    UINT: PathSegment.ParamType
    UUID: PathSegment.ParamType
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VALUE_TYPE_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_FIELD_NUMBER: _ClassVar[int]
    type: PathSegment.SegmentType
    value: str
    value_type: PathSegment.ParamType
    validation: _schema_pb2.ValidationExpr
    def __init__(self, type: _Optional[_Union[PathSegment.SegmentType, str]] = ..., value: _Optional[str] = ..., value_type: _Optional[_Union[PathSegment.ParamType, str]] = ..., validation: _Optional[_Union[_schema_pb2.ValidationExpr, _Mapping]] = ...) -> None: ...

class Gateway(_message.Message):
    __slots__ = ("encore_name", "explicit")
    class Explicit(_message.Message):
        __slots__ = ("service_name", "auth_handler")
        SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
        AUTH_HANDLER_FIELD_NUMBER: _ClassVar[int]
        service_name: str
        auth_handler: AuthHandler
        def __init__(self, service_name: _Optional[str] = ..., auth_handler: _Optional[_Union[AuthHandler, _Mapping]] = ...) -> None: ...
    ENCORE_NAME_FIELD_NUMBER: _ClassVar[int]
    EXPLICIT_FIELD_NUMBER: _ClassVar[int]
    encore_name: str
    explicit: Gateway.Explicit
    def __init__(self, encore_name: _Optional[str] = ..., explicit: _Optional[_Union[Gateway.Explicit, _Mapping]] = ...) -> None: ...

class CronJob(_message.Message):
    __slots__ = ("id", "title", "doc", "schedule", "endpoint")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    doc: str
    schedule: str
    endpoint: QualifiedName
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., doc: _Optional[str] = ..., schedule: _Optional[str] = ..., endpoint: _Optional[_Union[QualifiedName, _Mapping]] = ...) -> None: ...

class SQLDatabase(_message.Message):
    __slots__ = ("name", "doc", "migration_rel_path", "migrations", "allow_non_sequential_migrations")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_REL_PATH_FIELD_NUMBER: _ClassVar[int]
    MIGRATIONS_FIELD_NUMBER: _ClassVar[int]
    ALLOW_NON_SEQUENTIAL_MIGRATIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    doc: str
    migration_rel_path: str
    migrations: _containers.RepeatedCompositeFieldContainer[DBMigration]
    allow_non_sequential_migrations: bool
    def __init__(self, name: _Optional[str] = ..., doc: _Optional[str] = ..., migration_rel_path: _Optional[str] = ..., migrations: _Optional[_Iterable[_Union[DBMigration, _Mapping]]] = ..., allow_non_sequential_migrations: _Optional[bool] = ...) -> None: ...

class DBMigration(_message.Message):
    __slots__ = ("filename", "number", "description")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    filename: str
    number: int
    description: str
    def __init__(self, filename: _Optional[str] = ..., number: _Optional[int] = ..., description: _Optional[str] = ...) -> None: ...

class Bucket(_message.Message):
    __slots__ = ("name", "doc", "versioned", "public")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    VERSIONED_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    name: str
    doc: str
    versioned: bool
    public: bool
    def __init__(self, name: _Optional[str] = ..., doc: _Optional[str] = ..., versioned: _Optional[bool] = ..., public: _Optional[bool] = ...) -> None: ...

class PubSubTopic(_message.Message):
    __slots__ = ("name", "doc", "message_type", "delivery_guarantee", "ordering_key", "publishers", "subscriptions")
    class DeliveryGuarantee(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        AT_LEAST_ONCE: _ClassVar[PubSubTopic.DeliveryGuarantee]
        EXACTLY_ONCE: _ClassVar[PubSubTopic.DeliveryGuarantee]
    AT_LEAST_ONCE: PubSubTopic.DeliveryGuarantee
    EXACTLY_ONCE: PubSubTopic.DeliveryGuarantee
    class Publisher(_message.Message):
        __slots__ = ("service_name",)
        SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
        service_name: str
        def __init__(self, service_name: _Optional[str] = ...) -> None: ...
    class Subscription(_message.Message):
        __slots__ = ("name", "service_name", "ack_deadline", "message_retention", "retry_policy", "max_concurrency")
        NAME_FIELD_NUMBER: _ClassVar[int]
        SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
        ACK_DEADLINE_FIELD_NUMBER: _ClassVar[int]
        MESSAGE_RETENTION_FIELD_NUMBER: _ClassVar[int]
        RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
        MAX_CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
        name: str
        service_name: str
        ack_deadline: int
        message_retention: int
        retry_policy: PubSubTopic.RetryPolicy
        max_concurrency: int
        def __init__(self, name: _Optional[str] = ..., service_name: _Optional[str] = ..., ack_deadline: _Optional[int] = ..., message_retention: _Optional[int] = ..., retry_policy: _Optional[_Union[PubSubTopic.RetryPolicy, _Mapping]] = ..., max_concurrency: _Optional[int] = ...) -> None: ...
    class RetryPolicy(_message.Message):
        __slots__ = ("min_backoff", "max_backoff", "max_retries")
        MIN_BACKOFF_FIELD_NUMBER: _ClassVar[int]
        MAX_BACKOFF_FIELD_NUMBER: _ClassVar[int]
        MAX_RETRIES_FIELD_NUMBER: _ClassVar[int]
        min_backoff: int
        max_backoff: int
        max_retries: int
        def __init__(self, min_backoff: _Optional[int] = ..., max_backoff: _Optional[int] = ..., max_retries: _Optional[int] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_GUARANTEE_FIELD_NUMBER: _ClassVar[int]
    ORDERING_KEY_FIELD_NUMBER: _ClassVar[int]
    PUBLISHERS_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    doc: str
    message_type: _schema_pb2.Type
    delivery_guarantee: PubSubTopic.DeliveryGuarantee
    ordering_key: str
    publishers: _containers.RepeatedCompositeFieldContainer[PubSubTopic.Publisher]
    subscriptions: _containers.RepeatedCompositeFieldContainer[PubSubTopic.Subscription]
    def __init__(self, name: _Optional[str] = ..., doc: _Optional[str] = ..., message_type: _Optional[_Union[_schema_pb2.Type, _Mapping]] = ..., delivery_guarantee: _Optional[_Union[PubSubTopic.DeliveryGuarantee, str]] = ..., ordering_key: _Optional[str] = ..., publishers: _Optional[_Iterable[_Union[PubSubTopic.Publisher, _Mapping]]] = ..., subscriptions: _Optional[_Iterable[_Union[PubSubTopic.Subscription, _Mapping]]] = ...) -> None: ...

class CacheCluster(_message.Message):
    __slots__ = ("name", "doc", "keyspaces", "eviction_policy")
    class Keyspace(_message.Message):
        __slots__ = ("key_type", "value_type", "service", "doc", "path_pattern")
        KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
        VALUE_TYPE_FIELD_NUMBER: _ClassVar[int]
        SERVICE_FIELD_NUMBER: _ClassVar[int]
        DOC_FIELD_NUMBER: _ClassVar[int]
        PATH_PATTERN_FIELD_NUMBER: _ClassVar[int]
        key_type: _schema_pb2.Type
        value_type: _schema_pb2.Type
        service: str
        doc: str
        path_pattern: Path
        def __init__(self, key_type: _Optional[_Union[_schema_pb2.Type, _Mapping]] = ..., value_type: _Optional[_Union[_schema_pb2.Type, _Mapping]] = ..., service: _Optional[str] = ..., doc: _Optional[str] = ..., path_pattern: _Optional[_Union[Path, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    KEYSPACES_FIELD_NUMBER: _ClassVar[int]
    EVICTION_POLICY_FIELD_NUMBER: _ClassVar[int]
    name: str
    doc: str
    keyspaces: _containers.RepeatedCompositeFieldContainer[CacheCluster.Keyspace]
    eviction_policy: str
    def __init__(self, name: _Optional[str] = ..., doc: _Optional[str] = ..., keyspaces: _Optional[_Iterable[_Union[CacheCluster.Keyspace, _Mapping]]] = ..., eviction_policy: _Optional[str] = ...) -> None: ...

class Metric(_message.Message):
    __slots__ = ("name", "value_type", "doc", "kind", "service_name", "labels")
    class MetricKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        COUNTER: _ClassVar[Metric.MetricKind]
        GAUGE: _ClassVar[Metric.MetricKind]
        HISTOGRAM: _ClassVar[Metric.MetricKind]
    COUNTER: Metric.MetricKind
    GAUGE: Metric.MetricKind
    HISTOGRAM: Metric.MetricKind
    class Label(_message.Message):
        __slots__ = ("key", "type", "doc")
        KEY_FIELD_NUMBER: _ClassVar[int]
        TYPE_FIELD_NUMBER: _ClassVar[int]
        DOC_FIELD_NUMBER: _ClassVar[int]
        key: str
        type: _schema_pb2.Builtin
        doc: str
        def __init__(self, key: _Optional[str] = ..., type: _Optional[_Union[_schema_pb2.Builtin, str]] = ..., doc: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_TYPE_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    name: str
    value_type: _schema_pb2.Builtin
    doc: str
    kind: Metric.MetricKind
    service_name: str
    labels: _containers.RepeatedCompositeFieldContainer[Metric.Label]
    def __init__(self, name: _Optional[str] = ..., value_type: _Optional[_Union[_schema_pb2.Builtin, str]] = ..., doc: _Optional[str] = ..., kind: _Optional[_Union[Metric.MetricKind, str]] = ..., service_name: _Optional[str] = ..., labels: _Optional[_Iterable[_Union[Metric.Label, _Mapping]]] = ...) -> None: ...

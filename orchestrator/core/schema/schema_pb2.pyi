from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Builtin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ANY: _ClassVar[Builtin]
    BOOL: _ClassVar[Builtin]
    INT8: _ClassVar[Builtin]
    INT16: _ClassVar[Builtin]
    INT32: _ClassVar[Builtin]
    INT64: _ClassVar[Builtin]
    UINT8: _ClassVar[Builtin]
    UINT16: _ClassVar[Builtin]
    UINT32: _ClassVar[Builtin]
    UINT64: _ClassVar[Builtin]
    FLOAT32: _ClassVar[Builtin]
    FLOAT64: _ClassVar[Builtin]
    STRING: _ClassVar[Builtin]
    BYTES: _ClassVar[Builtin]
    TIME: _ClassVar[Builtin]
    UUID: _ClassVar[Builtin]
    JSON: _ClassVar[Builtin]
    USER_ID: _ClassVar[Builtin]
    INT: _ClassVar[Builtin]
    UINT: _ClassVar[Builtin]
    DECIMAL: _ClassVar[Builtin]
ANY: Builtin
BOOL: Builtin
INT8: Builtin
INT16: Builtin
INT32: Builtin
INT64: Builtin
UINT8: Builtin
UINT16: Builtin
UINT32: Builtin
UINT64: Builtin
FLOAT32: Builtin
FLOAT64: Builtin
STRING: Builtin
BYTES: Builtin
TIME: Builtin
UUID: Builtin
JSON: Builtin
USER_ID: Builtin
INT: Builtin
UINT: Builtin
DECIMAL: Builtin

class Type(_message.Message):
    __slots__ = ("named", "struct", "map", "list", "builtin", "pointer", "union", "literal", "option", "type_parameter", "config", "validation")
    NAMED_FIELD_NUMBER: _ClassVar[int]
    STRUCT_FIELD_NUMBER: _ClassVar[int]
    MAP_FIELD_NUMBER: _ClassVar[int]
    LIST_FIELD_NUMBER: _ClassVar[int]
    BUILTIN_FIELD_NUMBER: _ClassVar[int]
    POINTER_FIELD_NUMBER: _ClassVar[int]
    UNION_FIELD_NUMBER: _ClassVar[int]
    LITERAL_FIELD_NUMBER: _ClassVar[int]
    OPTION_FIELD_NUMBER: _ClassVar[int]
    TYPE_PARAMETER_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_FIELD_NUMBER: _ClassVar[int]
    named: Named
    struct: Struct
    map: Map
    list: List
    builtin: Builtin
    pointer: Pointer
    union: Union
    literal: Literal
    option: Option
    type_parameter: TypeParameterRef
    config: ConfigValue
    validation: ValidationExpr
    def __init__(self, named: _Optional[_Union[Named, _Mapping]] = ..., struct: _Optional[_Union[Struct, _Mapping]] = ..., map: _Optional[_Union[Map, _Mapping]] = ..., list: _Optional[_Union[List, _Mapping]] = ..., builtin: _Optional[_Union[Builtin, str]] = ..., pointer: _Optional[_Union[Pointer, _Mapping]] = ..., union: _Optional[_Union[Union, _Mapping]] = ..., literal: _Optional[_Union[Literal, _Mapping]] = ..., option: _Optional[_Union[Option, _Mapping]] = ..., type_parameter: _Optional[_Union[TypeParameterRef, _Mapping]] = ..., config: _Optional[_Union[ConfigValue, _Mapping]] = ..., validation: _Optional[_Union[ValidationExpr, _Mapping]] = ...) -> None: ...

class ValidationRule(_message.Message):
    __slots__ = ("min_len", "max_len", "min_val", "max_val", "starts_with", "ends_with", "matches_regexp")
    class Is(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[ValidationRule.Is]
        EMAIL: _ClassVar[ValidationRule.Is]
        URL: _ClassVar[ValidationRule.Is]
    UNKNOWN: ValidationRule.Is
    EMAIL: ValidationRule.Is
    URL: ValidationRule.Is
    MIN_LEN_FIELD_NUMBER: _ClassVar[int]
    MAX_LEN_FIELD_NUMBER: _ClassVar[int]
    MIN_VAL_FIELD_NUMBER: _ClassVar[int]
    MAX_VAL_FIELD_NUMBER: _ClassVar[int]
    STARTS_WITH_FIELD_NUMBER: _ClassVar[int]
    ENDS_WITH_FIELD_NUMBER: _ClassVar[int]
    MATCHES_REGEXP_FIELD_NUMBER: _ClassVar[int]
    IS_FIELD_NUMBER: _ClassVar[int]
    min_len: int
    max_len: int
    min_val: float
    max_val: float
    starts_with: str
    ends_with: str
    matches_regexp: str
    def __init__(self, min_len: _Optional[int] = ..., max_len: _Optional[int] = ..., min_val: _Optional[float] = ..., max_val: _Optional[float] = ..., starts_with: _Optional[str] = ..., ends_with: _Optional[str] = ..., matches_regexp: _Optional[str] = ..., **kwargs) -> None: ...

class ValidationExpr(_message.Message):
    __slots__ = ("rule",)
    class And(_message.Message):
        __slots__ = ("exprs",)
        EXPRS_FIELD_NUMBER: _ClassVar[int]
        exprs: _containers.RepeatedCompositeFieldContainer[ValidationExpr]
        def __init__(self, exprs: _Optional[_Iterable[_Union[ValidationExpr, _Mapping]]] = ...) -> None: ...
    class Or(_message.Message):
        __slots__ = ("exprs",)
        EXPRS_FIELD_NUMBER: _ClassVar[int]
        exprs: _containers.RepeatedCompositeFieldContainer[ValidationExpr]
        def __init__(self, exprs: _Optional[_Iterable[_Union[ValidationExpr, _Mapping]]] = ...) -> None: ...
    RULE_FIELD_NUMBER: _ClassVar[int]
    AND_FIELD_NUMBER: _ClassVar[int]
    OR_FIELD_NUMBER: _ClassVar[int]
    rule: ValidationRule
    def __init__(self, rule: _Optional[_Union[ValidationRule, _Mapping]] = ..., **kwargs) -> None: ...

class TypeParameterRef(_message.Message):
    __slots__ = ("decl_id", "param_idx")
    DECL_ID_FIELD_NUMBER: _ClassVar[int]
    PARAM_IDX_FIELD_NUMBER: _ClassVar[int]
    decl_id: int
    param_idx: int
    def __init__(self, decl_id: _Optional[int] = ..., param_idx: _Optional[int] = ...) -> None: ...

class Decl(_message.Message):
    __slots__ = ("id", "name", "type", "type_params", "doc", "loc")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_PARAMS_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    LOC_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    type: Type
    type_params: _containers.RepeatedCompositeFieldContainer[TypeParameter]
    doc: str
    loc: Loc
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., type: _Optional[_Union[Type, _Mapping]] = ..., type_params: _Optional[_Iterable[_Union[TypeParameter, _Mapping]]] = ..., doc: _Optional[str] = ..., loc: _Optional[_Union[Loc, _Mapping]] = ...) -> None: ...

class TypeParameter(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class Loc(_message.Message):
    __slots__ = ("pkg_path", "pkg_name", "filename", "start_pos", "end_pos", "src_line_start", "src_line_end", "src_col_start", "src_col_end")
    PKG_PATH_FIELD_NUMBER: _ClassVar[int]
    PKG_NAME_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    START_POS_FIELD_NUMBER: _ClassVar[int]
    END_POS_FIELD_NUMBER: _ClassVar[int]
    SRC_LINE_START_FIELD_NUMBER: _ClassVar[int]
    SRC_LINE_END_FIELD_NUMBER: _ClassVar[int]
    SRC_COL_START_FIELD_NUMBER: _ClassVar[int]
    SRC_COL_END_FIELD_NUMBER: _ClassVar[int]
    pkg_path: str
    pkg_name: str
    filename: str
    start_pos: int
    end_pos: int
    src_line_start: int
    src_line_end: int
    src_col_start: int
    src_col_end: int
    def __init__(self, pkg_path: _Optional[str] = ..., pkg_name: _Optional[str] = ..., filename: _Optional[str] = ..., start_pos: _Optional[int] = ..., end_pos: _Optional[int] = ..., src_line_start: _Optional[int] = ..., src_line_end: _Optional[int] = ..., src_col_start: _Optional[int] = ..., src_col_end: _Optional[int] = ...) -> None: ...

class Named(_message.Message):
    __slots__ = ("id", "type_arguments")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    id: int
    type_arguments: _containers.RepeatedCompositeFieldContainer[Type]
    def __init__(self, id: _Optional[int] = ..., type_arguments: _Optional[_Iterable[_Union[Type, _Mapping]]] = ...) -> None: ...

class Struct(_message.Message):
    __slots__ = ("fields",)
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    fields: _containers.RepeatedCompositeFieldContainer[Field]
    def __init__(self, fields: _Optional[_Iterable[_Union[Field, _Mapping]]] = ...) -> None: ...

class Field(_message.Message):
    __slots__ = ("typ", "name", "doc", "json_name", "optional", "query_string_name", "raw_tag", "tags", "wire")
    TYP_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    JSON_NAME_FIELD_NUMBER: _ClassVar[int]
    OPTIONAL_FIELD_NUMBER: _ClassVar[int]
    QUERY_STRING_NAME_FIELD_NUMBER: _ClassVar[int]
    RAW_TAG_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    WIRE_FIELD_NUMBER: _ClassVar[int]
    typ: Type
    name: str
    doc: str
    json_name: str
    optional: bool
    query_string_name: str
    raw_tag: str
    tags: _containers.RepeatedCompositeFieldContainer[Tag]
    wire: WireSpec
    def __init__(self, typ: _Optional[_Union[Type, _Mapping]] = ..., name: _Optional[str] = ..., doc: _Optional[str] = ..., json_name: _Optional[str] = ..., optional: _Optional[bool] = ..., query_string_name: _Optional[str] = ..., raw_tag: _Optional[str] = ..., tags: _Optional[_Iterable[_Union[Tag, _Mapping]]] = ..., wire: _Optional[_Union[WireSpec, _Mapping]] = ...) -> None: ...

class WireSpec(_message.Message):
    __slots__ = ("header", "query", "cookie", "http_status")
    class Header(_message.Message):
        __slots__ = ("name",)
        NAME_FIELD_NUMBER: _ClassVar[int]
        name: str
        def __init__(self, name: _Optional[str] = ...) -> None: ...
    class Query(_message.Message):
        __slots__ = ("name",)
        NAME_FIELD_NUMBER: _ClassVar[int]
        name: str
        def __init__(self, name: _Optional[str] = ...) -> None: ...
    class Cookie(_message.Message):
        __slots__ = ("name",)
        NAME_FIELD_NUMBER: _ClassVar[int]
        name: str
        def __init__(self, name: _Optional[str] = ...) -> None: ...
    class HttpStatus(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
    HEADER_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    COOKIE_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    header: WireSpec.Header
    query: WireSpec.Query
    cookie: WireSpec.Cookie
    http_status: WireSpec.HttpStatus
    def __init__(self, header: _Optional[_Union[WireSpec.Header, _Mapping]] = ..., query: _Optional[_Union[WireSpec.Query, _Mapping]] = ..., cookie: _Optional[_Union[WireSpec.Cookie, _Mapping]] = ..., http_status: _Optional[_Union[WireSpec.HttpStatus, _Mapping]] = ...) -> None: ...

class Tag(_message.Message):
    __slots__ = ("key", "name", "options")
    KEY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    key: str
    name: str
    options: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, key: _Optional[str] = ..., name: _Optional[str] = ..., options: _Optional[_Iterable[str]] = ...) -> None: ...

class Map(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: Type
    value: Type
    def __init__(self, key: _Optional[_Union[Type, _Mapping]] = ..., value: _Optional[_Union[Type, _Mapping]] = ...) -> None: ...

class List(_message.Message):
    __slots__ = ("elem",)
    ELEM_FIELD_NUMBER: _ClassVar[int]
    elem: Type
    def __init__(self, elem: _Optional[_Union[Type, _Mapping]] = ...) -> None: ...

class Pointer(_message.Message):
    __slots__ = ("base",)
    BASE_FIELD_NUMBER: _ClassVar[int]
    base: Type
    def __init__(self, base: _Optional[_Union[Type, _Mapping]] = ...) -> None: ...

class Option(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: Type
    def __init__(self, value: _Optional[_Union[Type, _Mapping]] = ...) -> None: ...

class Union(_message.Message):
    __slots__ = ("types",)
    TYPES_FIELD_NUMBER: _ClassVar[int]
    types: _containers.RepeatedCompositeFieldContainer[Type]
    def __init__(self, types: _Optional[_Iterable[_Union[Type, _Mapping]]] = ...) -> None: ...

class Literal(_message.Message):
    __slots__ = ("str", "boolean", "int", "float", "null")
    STR_FIELD_NUMBER: _ClassVar[int]
    BOOLEAN_FIELD_NUMBER: _ClassVar[int]
    INT_FIELD_NUMBER: _ClassVar[int]
    FLOAT_FIELD_NUMBER: _ClassVar[int]
    NULL_FIELD_NUMBER: _ClassVar[int]
    str: str
    boolean: bool
    int: int
    float: float
    null: bool
    def __init__(self, str: _Optional[str] = ..., boolean: _Optional[bool] = ..., int: _Optional[int] = ..., float: _Optional[float] = ..., null: _Optional[bool] = ...) -> None: ...

class ConfigValue(_message.Message):
    __slots__ = ("elem", "IsValuesList")
    ELEM_FIELD_NUMBER: _ClassVar[int]
    ISVALUESLIST_FIELD_NUMBER: _ClassVar[int]
    elem: Type
    IsValuesList: bool
    def __init__(self, elem: _Optional[_Union[Type, _Mapping]] = ..., IsValuesList: _Optional[bool] = ...) -> None: ...

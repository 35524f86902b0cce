from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SecretData(_message.Message):
    __slots__ = ("embedded", "env", "provider", "json_key", "encoding")
    class Encoding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ENCODING_NONE: _ClassVar[SecretData.Encoding]
        ENCODING_BASE64: _ClassVar[SecretData.Encoding]
        ENCODING_GZIP: _ClassVar[SecretData.Encoding]
    ENCODING_NONE: SecretData.Encoding
    ENCODING_BASE64: SecretData.Encoding
    ENCODING_GZIP: SecretData.Encoding
    class ProviderRef(_message.Message):
        __slots__ = ("provider_rid", "id", "version")
        PROVIDER_RID_FIELD_NUMBER: _ClassVar[int]
        ID_FIELD_NUMBER: _ClassVar[int]
        VERSION_FIELD_NUMBER: _ClassVar[int]
        provider_rid: str
        id: str
        version: str
        def __init__(self, provider_rid: _Optional[str] = ..., id: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...
    EMBEDDED_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    JSON_KEY_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    embedded: bytes
    env: str
    provider: SecretData.ProviderRef
    json_key: str
    encoding: SecretData.Encoding
    def __init__(self, embedded: _Optional[bytes] = ..., env: _Optional[str] = ..., provider: _Optional[_Union[SecretData.ProviderRef, _Mapping]] = ..., json_key: _Optional[str] = ..., encoding: _Optional[_Union[SecretData.Encoding, str]] = ...) -> None: ...

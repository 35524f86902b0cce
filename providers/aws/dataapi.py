"""`providers.sqladmin.Executor` over the RDS Data API (Aurora PostgreSQL), for databases,
roles and migrations without network access to the cluster.

Every call carries the cluster ARN and the ARN of its master-user secret. `%s` placeholders
become named parameters (`:p1`, `:p2`, ...) sent as typed `SqlParameter`s; results come back
as tuples of Python values. The Data API takes one statement per call, so migration text is
split with `split_statements` inside a Data API transaction, which is rolled back on any error.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from providers.sqladmin import split_statements

MAINTENANCE_DATABASE = "postgres"
_PLACEHOLDER = re.compile(r"%%|%s|%")


class DataApiError(RuntimeError):
    """A Data API call failed; the first line is the service's (usually PostgreSQL's) message."""


def to_named(sql: str, params: Sequence[Any]) -> tuple[str, list[dict[str, Any]]]:
    """`%s` placeholders -> `:pN` and typed parameters; `%%` -> `%`. Without params the SQL is unchanged."""
    if not params:
        return sql, []
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        token = match.group()
        if token == "%%":
            return "%"
        if token == "%":
            raise ValueError(f"a lone '%' in SQL with parameters must be written '%%': {sql[:80]!r}")
        count += 1
        return f":p{count}"

    named = _PLACEHOLDER.sub(replace, sql)
    if count != len(params):
        raise ValueError(f"the SQL has {count} placeholder(s) for {len(params)} parameter(s): {sql[:80]!r}")
    return named, [{"name": f"p{i}", **sql_value(v)} for i, v in enumerate(params, 1)]


def sql_value(value: Any) -> dict[str, Any]:
    """A Python value as a Data API `SqlParameter` body: its `value` and, where needed, a `typeHint`."""
    if value is None:
        return {"value": {"isNull": True}}
    if isinstance(value, bool):
        return {"value": {"booleanValue": value}}
    if isinstance(value, int):
        return {"value": {"longValue": value}}
    if isinstance(value, float):
        return {"value": {"doubleValue": value}}
    if isinstance(value, str):
        return {"value": {"stringValue": value}}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"value": {"blobValue": bytes(value)}}
    if isinstance(value, Decimal):
        return {"value": {"stringValue": str(value)}, "typeHint": "DECIMAL"}
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return {"value": {"stringValue": value.isoformat(sep=" ", timespec="microseconds")}, "typeHint": "TIMESTAMP"}
    if isinstance(value, date):
        return {"value": {"stringValue": value.isoformat()}, "typeHint": "DATE"}
    if isinstance(value, time):
        return {"value": {"stringValue": value.isoformat(timespec="microseconds")}, "typeHint": "TIME"}
    if isinstance(value, uuid.UUID):
        return {"value": {"stringValue": str(value)}, "typeHint": "UUID"}
    if isinstance(value, (dict, list)):
        return {"value": {"stringValue": json.dumps(value)}, "typeHint": "JSON"}
    raise TypeError(f"no Data API parameter type for {type(value).__name__}")


def field_value(field: dict[str, Any]) -> Any:
    """A Data API result `Field` as a Python value (numeric, date and time columns arrive as strings)."""
    if field.get("isNull"):
        return None
    for key in ("booleanValue", "longValue", "doubleValue", "stringValue"):
        if key in field:
            return field[key]
    if "blobValue" in field:
        blob = field["blobValue"]
        return blob if isinstance(blob, bytes) else base64.b64decode(blob)
    if "arrayValue" in field:
        return _array(field["arrayValue"])
    raise ValueError(f"unknown Data API field {sorted(field)}")


def _array(value: dict[str, Any]) -> list[Any]:
    if "arrayValues" in value:
        return [_array(v) for v in value["arrayValues"]]
    for key in ("booleanValues", "longValues", "doubleValues", "stringValues"):
        if key in value:
            return list(value[key])
    return []


class RdsDataApiExecutor:
    """Runs SQL on an Aurora cluster through the Data API as the cluster's master user."""

    def __init__(self, *, resource_arn: str, secret_arn: str, region: str | None = None, client: Any = None) -> None:
        if client is None:
            import boto3

            client = boto3.client("rds-data", region_name=region)
        self.client = client
        self.resource_arn = resource_arn
        self.secret_arn = secret_arn

    def query(self, sql: str, params: Sequence[Any] = (), *, database: str | None = None) -> list[tuple[Any, ...]]:
        return self._execute(sql, params, database=database or MAINTENANCE_DATABASE)

    def transaction(self, statements: Sequence[tuple[str, Sequence[Any]]], *, database: str) -> None:
        tx = self._call("begin_transaction", database=database)["transactionId"]
        try:
            for sql, params in statements:
                for one in split_statements(sql) if not params else [sql]:
                    self._execute(one, params, database=database, transaction_id=tx)
        except BaseException:
            # The statement's error is the one to report; a transaction left open expires on its own.
            with contextlib.suppress(DataApiError):
                self._call("rollback_transaction", transactionId=tx)
            raise
        self._call("commit_transaction", transactionId=tx)

    def _execute(self, sql: str, params: Sequence[Any], *, database: str,
                 transaction_id: str | None = None) -> list[tuple[Any, ...]]:
        named, parameters = to_named(sql, params)
        extra: dict[str, Any] = {"transactionId": transaction_id} if transaction_id else {}
        if parameters:
            extra["parameters"] = parameters
        response = self._call("execute_statement", sql=named, database=database, **extra)
        return [tuple(field_value(f) for f in record) for record in response.get("records") or ()]

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(resourceArn=self.resource_arn, secretArn=self.secret_arn, **kwargs)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            raise DataApiError(f"{err.get('Message') or err.get('Code')} ({operation})") from None
        except BotoCoreError as exc:
            raise DataApiError(f"{exc} ({operation})") from None

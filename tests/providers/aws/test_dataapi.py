"""The RDS Data API executor against a real moto server, and where moto stops, botocore's Stubber.

What moto proves: ExecuteStatement requests as they go over the wire (ARNs, database, the
rewritten SQL, typed parameters, read back from moto's request recorder) and the decoding of
result records. moto's rds-data executes no SQL (results are canned) and does not implement
BeginTransaction/CommitTransaction/RollbackTransaction (404). The transaction flow is therefore
checked with botocore's Stubber, which validates every request against the real rds-data API
model but answers with what the test says. Neither proves PostgreSQL accepts the SQL: that is
the job of the sqladmin tests against a real server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from botocore.stub import ANY, Stubber
from motoserver import REGION, Moto, server

from providers import sqladmin
from providers.aws.dataapi import DataApiError, RdsDataApiExecutor, to_named

pytestmark = pytest.mark.local

CLUSTER = f"arn:aws:rds:{REGION}:123456789012:cluster:shop-prod-sql"
SECRET = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:shop-prod-sql-master-AbCdEf"


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    yield from server(tmp_path_factory.mktemp("moto"))


def executor(client: object) -> RdsDataApiExecutor:
    return RdsDataApiExecutor(resource_arn=CLUSTER, secret_arn=SECRET, client=client)


# ---------------------------------------------------------------------------- against moto


def test_parameters_reach_the_service_typed_and_named(moto: Moto) -> None:
    moto.start_recording()
    when = datetime(2026, 3, 1, 12, 30, 5, 250000, tzinfo=timezone(timedelta(hours=2)))
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    params = (None, True, 7, 1.5, "it's 100%", b"\x00\xff", Decimal("12.50"), when, date(2026, 3, 1),
              time(8, 15), ident, {"a": [1, 2]})
    sql = "SELECT " + ", ".join(["%s"] * len(params)) + " WHERE name LIKE 'x%%'"

    executor(moto.client("rds-data")).query(sql, params)

    [body] = moto.recorded("/Execute")
    assert body["resourceArn"] == CLUSTER
    assert body["secretArn"] == SECRET
    assert body["database"] == "postgres"
    assert "transactionId" not in body
    assert body["sql"] == "SELECT :p1, :p2, :p3, :p4, :p5, :p6, :p7, :p8, :p9, :p10, :p11, :p12 WHERE name LIKE 'x%'"
    by_name = {p["name"]: p for p in body["parameters"]}
    assert by_name["p1"] == {"name": "p1", "value": {"isNull": True}}
    assert by_name["p2"]["value"] == {"booleanValue": True}
    assert by_name["p3"]["value"] == {"longValue": 7}
    assert by_name["p4"]["value"] == {"doubleValue": 1.5}
    assert by_name["p5"]["value"] == {"stringValue": "it's 100%"}
    assert by_name["p6"]["value"] == {"blobValue": "AP8="}
    assert by_name["p7"] == {"name": "p7", "value": {"stringValue": "12.50"}, "typeHint": "DECIMAL"}
    assert by_name["p8"] == {"name": "p8", "value": {"stringValue": "2026-03-01 10:30:05.250000"},
                             "typeHint": "TIMESTAMP"}
    assert by_name["p9"] == {"name": "p9", "value": {"stringValue": "2026-03-01"}, "typeHint": "DATE"}
    assert by_name["p10"] == {"name": "p10", "value": {"stringValue": "08:15:00.000000"}, "typeHint": "TIME"}
    assert by_name["p11"] == {"name": "p11", "value": {"stringValue": str(ident)}, "typeHint": "UUID"}
    assert by_name["p12"] == {"name": "p12", "value": {"stringValue": '{"a": [1, 2]}'}, "typeHint": "JSON"}


def test_sql_without_parameters_is_sent_verbatim_to_the_named_database(moto: Moto) -> None:
    moto.start_recording()
    executor(moto.client("rds-data")).query("SELECT '100%' AS pct", database="shop_orders")
    [body] = moto.recorded("/Execute")
    assert body["sql"] == "SELECT '100%' AS pct"
    assert body["database"] == "shop_orders"
    assert "parameters" not in body


def test_result_records_decode_to_python_values(moto: Moto) -> None:
    moto.queue_rds_data_results({
        "records": [
            [{"longValue": 3}, {"booleanValue": False}, {"stringValue": "orders"}, {"isNull": True}],
            [{"doubleValue": 0.5}, {"blobValue": "AP8="}, {"arrayValue": {"stringValues": ["a", "b"]}},
             {"arrayValue": {"arrayValues": [{"longValues": [1, 2]}, {"longValues": [3]}]}}],
        ],
    })
    rows = executor(moto.client("rds-data")).query("SELECT version, dirty FROM public.schema_migrations -- decode")
    assert rows == [(3, False, "orders", None), (0.5, b"\x00\xff", ["a", "b"], [[1, 2], [3]])]


def test_no_records_is_an_empty_result(moto: Moto) -> None:
    assert executor(moto.client("rds-data")).query("CREATE ROLE nobody -- empty") == []


def test_a_failed_begin_runs_no_statement_outside_a_transaction(moto: Moto) -> None:
    """moto has no BeginTransaction (404): the executor must stop there, not run the statements bare."""
    moto.start_recording()
    with pytest.raises(DataApiError, match=r"\(begin_transaction\)"):
        executor(moto.client("rds-data")).transaction([("CREATE TABLE t (id int); INSERT INTO t VALUES (1)", ())],
                                                     database="shop_orders")
    assert moto.recorded("/Execute") == []


# ---------------------------------------------------------------------------- transactions (Stubber)


@pytest.fixture
def stubbed() -> Iterator[tuple[RdsDataApiExecutor, Stubber]]:
    import boto3

    client = boto3.client("rds-data", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield executor(client), stub
        stub.assert_no_pending_responses()


def _expect_execute(stub: Stubber, sql: str, tx: str, **extra: object) -> None:
    stub.add_response("execute_statement", {"records": []}, {
        "resourceArn": CLUSTER, "secretArn": SECRET, "sql": sql, "database": "shop_orders", "transactionId": tx,
        **extra,
    })


def test_migration_text_is_split_and_committed_in_one_transaction(stubbed: tuple[RdsDataApiExecutor, Stubber]) -> None:
    ex, stub = stubbed
    stub.add_response("begin_transaction", {"transactionId": "tx-1"},
                      {"resourceArn": CLUSTER, "secretArn": SECRET, "database": "shop_orders"})
    _expect_execute(stub, 'SET LOCAL ROLE "shop-orders-user"', "tx-1")
    _expect_execute(stub, "CREATE TABLE t (id int, note text DEFAULT 'a;b')", "tx-1")
    _expect_execute(stub, "-- comment;\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", "tx-1")
    _expect_execute(stub, "INSERT INTO public.schema_migrations (version, dirty) VALUES (:p1, false)", "tx-1",
                    parameters=[{"name": "p1", "value": {"longValue": 3}}])
    stub.add_response("commit_transaction", {"transactionStatus": "Transaction Committed"},
                      {"resourceArn": CLUSTER, "secretArn": SECRET, "transactionId": "tx-1"})

    ex.transaction([
        ('SET LOCAL ROLE "shop-orders-user"', ()),
        ("CREATE TABLE t (id int, note text DEFAULT 'a;b');\n-- comment;\n"
         "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n", ()),
        ("INSERT INTO public.schema_migrations (version, dirty) VALUES (%s, false)", (3,)),
    ], database="shop_orders")


def test_a_failing_statement_rolls_back_and_reports_the_server_message(
    stubbed: tuple[RdsDataApiExecutor, Stubber],
) -> None:
    ex, stub = stubbed
    stub.add_response("begin_transaction", {"transactionId": "tx-2"}, {"resourceArn": CLUSTER, "secretArn": SECRET,
                                                                         "database": "shop_orders"})
    _expect_execute(stub, "CREATE TABLE a (id int)", "tx-2")
    stub.add_client_error("execute_statement", service_error_code="BadRequestException", http_status_code=400,
                          service_message='ERROR: relation "missing" does not exist\n  Position: 15; SQLState: 42P01',
                          expected_params={"resourceArn": CLUSTER, "secretArn": SECRET, "sql": ANY,
                                           "database": "shop_orders", "transactionId": "tx-2"})
    stub.add_response("rollback_transaction", {"transactionStatus": "Rollback Complete"},
                      {"resourceArn": CLUSTER, "secretArn": SECRET, "transactionId": "tx-2"})

    with pytest.raises(DataApiError) as info:
        ex.transaction([("CREATE TABLE a (id int); SELECT * FROM missing", ())], database="shop_orders")
    assert str(info.value).splitlines()[0] == 'ERROR: relation "missing" does not exist'


def test_a_failed_migration_surfaces_as_migration_failed(stubbed: tuple[RdsDataApiExecutor, Stubber]) -> None:
    """sqladmin.apply_migrations over this executor: the Data API error becomes MigrationFailed."""
    ex, stub = stubbed
    arns = {"resourceArn": CLUSTER, "secretArn": SECRET}
    any_sql = {**arns, "sql": ANY, "database": "shop_orders"}
    role = [{"stringValue": "shop-orders-user"}]
    stub.add_response("execute_statement", {"records": [[*role, *role, {"booleanValue": False}]]}, any_sql)  # login
    stub.add_response("begin_transaction", {"transactionId": "tx-a"}, {**arns, "database": "shop_orders"})
    stub.add_response("execute_statement", {"records": []}, {**any_sql, "transactionId": "tx-a"})
    stub.add_response("commit_transaction", {}, {**arns, "transactionId": "tx-a"})
    stub.add_response("execute_statement", {"records": []}, any_sql)  # no versions recorded yet
    stub.add_response("begin_transaction", {"transactionId": "tx-b"}, {**arns, "database": "shop_orders"})
    stub.add_client_error("execute_statement", service_error_code="BadRequestException", http_status_code=400,
                          service_message='ERROR: syntax error at or near "TABLEE"; SQLState: 42601')
    stub.add_response("rollback_transaction", {}, {**arns, "transactionId": "tx-b"})

    with pytest.raises(sqladmin.MigrationFailed) as info:
        sqladmin.apply_migrations(ex, database="shop_orders", role="shop-orders-user", non_sequential=False,
                                  migrations=[sqladmin.MigrationFile(1, "1_init.up.sql", "CREATE TABLEE x (id int)")])
    assert 'syntax error at or near "TABLEE"' in str(info.value)
    assert "1_init.up.sql" in str(info.value)


# ---------------------------------------------------------------------------- placeholder rewriting


def test_placeholders() -> None:
    assert to_named("SELECT 1 WHERE a LIKE '5%'", ()) == ("SELECT 1 WHERE a LIKE '5%'", [])
    sql, params = to_named("SELECT %s, '%%', %s", ("a", 2))
    assert sql == "SELECT :p1, '%', :p2"
    assert [p["name"] for p in params] == ["p1", "p2"]
    with pytest.raises(ValueError, match="2 placeholder"):
        to_named("SELECT %s, %s", (1,))
    with pytest.raises(ValueError, match="lone"):
        to_named("SELECT %s WHERE a LIKE '5%'", (1,))
    with pytest.raises(TypeError, match="object"):
        to_named("SELECT %s", (object(),))


def test_aware_timestamps_are_sent_in_utc() -> None:
    _, [param] = to_named("SELECT %s", (datetime(2026, 1, 1, 0, 0, tzinfo=UTC),))
    assert param["value"] == {"stringValue": "2026-01-01 00:00:00.000000"}


"""providers/sqladmin.py against a real PostgreSQL (one server for the module), plus split_statements."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standalone_postgres import standalone_postgres

from orchestrator.core.errors import BadInput
from providers import sqladmin
from providers.local import servers
from providers.local.servers import postgres
from providers.local.session import PgEndpoint
from providers.local.sql import PgExecutor
from providers.sqladmin import MigrationFile

pytestmark = pytest.mark.local

ADMIN_PASSWORD = "admin-pw"


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgEndpoint]:
    with standalone_postgres(tmp_path_factory.mktemp("sqladmin"), password=ADMIN_PASSWORD) as port:
        yield PgEndpoint(servers.LOOPBACK, port, postgres.PG_ADMIN, ADMIN_PASSWORD, "postgres", embedded=True)


@pytest.fixture
def ex(pg: PgEndpoint) -> Iterator[PgExecutor]:
    executor = PgExecutor(pg)
    yield executor
    executor.close()


def login(pg: PgEndpoint, user: str, password: str, dbname: str) -> psycopg.Connection:
    return psycopg.connect(
        host=pg.host, port=pg.port, user=user, password=password, dbname=dbname, autocommit=True, connect_timeout=5
    )


HOSTILE = [
    "",
    "'",
    "''",
    "\\",
    "\\'",
    "'; DROP TABLE x; --",
    "E'\\x41'",
    "$$",
    "$tag$ x $tag$",
    '"',
    "\n\r\t",
    "ünïcødé ✓ 日本",
    "%s %% %(x)s",
    "\\\\'\\'",
    "a'b\\c\"d",
    "-- comment",
    "/* c */",
    "\x01\x7f",
]


@pytest.mark.parametrize("conforming", ["on", "off"])
def test_quote_literal_round_trips_hostile_strings(ex: PgExecutor, conforming: str) -> None:
    ex.query(f"SET standard_conforming_strings = {conforming}")
    try:
        for value in HOSTILE:
            assert ex.query(f"SELECT {sqladmin.quote_literal(value)}")[0][0] == value
    finally:
        ex.query("RESET standard_conforming_strings")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))))
def test_quote_literal_property(ex: PgExecutor, value: str) -> None:
    assert ex.query(f"SELECT {sqladmin.quote_literal(value)}")[0][0] == value


def test_quote_rejects_nul() -> None:
    with pytest.raises(ValueError):
        sqladmin.quote_literal("a\x00b")
    with pytest.raises(ValueError):
        sqladmin.quote_ident("")


def test_quote_ident_round_trips(ex: PgExecutor) -> None:
    for name in ['weird "name"', "Upper", "semi;colon", "sp ace", "ünï", "x" * 63]:
        ex.query(f"CREATE TABLE {sqladmin.quote_ident(name)} (id int)")
        assert ex.query("SELECT count(*) FROM pg_class WHERE relname = %s", (name,))[0][0] == 1
        ex.query(f"DROP TABLE {sqladmin.quote_ident(name)}")


@pytest.mark.parametrize("password", ["simple", 'it\'s \\ "hostile" $$ --', "ünïcødé ✓", "%s%%"])
def test_ensure_database_login_and_isolation(pg: PgEndpoint, ex: PgExecutor, password: str) -> None:
    sqladmin.ensure_database(ex, database="iso_a", role="iso_a_user", password=password)
    sqladmin.ensure_database(ex, database="iso_a", role="iso_a_user", password=password)  # idempotent
    sqladmin.ensure_database(ex, database="iso_b", role="iso_b_user", password="other")
    with login(pg, "iso_a_user", password, "iso_a") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS mine (id int)")
        assert conn.execute("SELECT current_user").fetchone() == ("iso_a_user",)
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        login(pg, "iso_a_user", password, "iso_b")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        login(pg, "iso_a_user", password + "x", "iso_a")
    owner = ex.query("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'iso_a'")[0][0]
    assert owner == "iso_a_user"
    assert ex.query("SELECT rolpassword LIKE 'SCRAM-SHA-256$%%' FROM pg_authid WHERE rolname = %s", ("iso_a_user",))[0][
        0
    ]
    sqladmin.drop_database(ex, database="iso_a", role="iso_a_user")
    sqladmin.drop_database(ex, database="iso_b", role="iso_b_user")


def test_drop_database_is_idempotent_and_cuts_sessions(pg: PgEndpoint, ex: PgExecutor) -> None:
    sqladmin.ensure_database(ex, database="gone", role="gone_user", password="pw")
    held = login(pg, "gone_user", "pw", "gone")
    sqladmin.drop_database(ex, database="gone", role="gone_user")
    sqladmin.drop_database(ex, database="gone", role="gone_user")
    assert not ex.query("SELECT 1 FROM pg_database WHERE datname = 'gone'")
    assert not ex.query("SELECT 1 FROM pg_roles WHERE rolname = 'gone_user'")
    held.close()


@pytest.fixture
def db(ex: PgExecutor, request: pytest.FixtureRequest) -> Iterator[str]:
    name = "mig_" + request.node.name.split("[")[0][-40:].lower()
    sqladmin.ensure_database(ex, database=name, role=name + "_u", password="pw")
    yield name
    ex.forget(name)
    sqladmin.drop_database(ex, database=name, role=name + "_u")


def m(number: int, sql: str) -> MigrationFile:
    return MigrationFile(number, f"migrations/{number}_m.up.sql", sql)


@pytest.fixture
def app(pg: PgEndpoint, db: str) -> Iterator[PgExecutor]:
    """Logged in as the database's own role, as migrations run."""
    executor = PgExecutor(PgEndpoint(pg.host, pg.port, db + "_u", "pw", db, embedded=True))
    yield executor
    executor.close()


def rows(ex: PgExecutor, db: str) -> list[tuple[int, bool]]:
    return [
        (int(v), bool(d))
        for v, d in ex.query("SELECT version, dirty FROM schema_migrations ORDER BY version", database=db)
    ]


def test_sequential_migrations(ex: PgExecutor, app: PgExecutor, db: str) -> None:
    assert sqladmin.migration_state(ex, database=db) == (None, False)
    first = [m(1, "CREATE TABLE a (id int); INSERT INTO a VALUES (1);"), m(2, "CREATE TABLE b (pct text DEFAULT '%');")]
    assert sqladmin.apply_migrations(app, database=db, role=db + "_u", migrations=first, non_sequential=False) == [1, 2]
    assert rows(ex, db) == [(2, False)]
    assert sqladmin.apply_migrations(app, database=db, role=db + "_u", migrations=first, non_sequential=False) == []
    more = [*first, m(3, "ALTER TABLE a ADD COLUMN note text;")]
    assert sqladmin.apply_migrations(app, database=db, role=db + "_u", migrations=more, non_sequential=False) == [3]
    assert sqladmin.migration_state(ex, database=db) == (3, False)
    owners = {r[0] for r in ex.query("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'", database=db)}
    assert owners == {db + "_u"}


def test_failing_migration_keeps_previous_version(ex: PgExecutor, app: PgExecutor, db: str) -> None:
    good = m(1, "CREATE TABLE a (id int);")
    bad = m(2, "CREATE TABLE half (id int);\nSELECT * FROM no_such_table;")
    with pytest.raises(sqladmin.MigrationFailed) as info:
        sqladmin.apply_migrations(app, database=db, role=db + "_u", migrations=[good, bad], non_sequential=False)
    assert info.value.filename == bad.filename
    assert "no_such_table" in str(info.value) and bad.filename in str(info.value)
    assert "\n" not in str(info.value)
    assert rows(ex, db) == [(1, False)]
    assert not ex.query("SELECT to_regclass('public.half')", database=db)[0][0]
    fixed = m(2, "CREATE TABLE half (id int);")
    assert sqladmin.apply_migrations(
        app, database=db, role=db + "_u", migrations=[good, fixed], non_sequential=False
    ) == [2]


def test_non_sequential_migrations(ex: PgExecutor, app: PgExecutor, db: str) -> None:
    one, three = m(1, "CREATE TABLE a (id int);"), m(3, "CREATE TABLE c (id int);")
    applied = sqladmin.apply_migrations(app, database=db, role=db + "_u", migrations=[one, three], non_sequential=True)
    assert applied == [
        1,
        3,
    ]
    two = m(2, "CREATE TABLE b (id int);")
    assert sqladmin.apply_migrations(
        app, database=db, role=db + "_u", migrations=[one, two, three], non_sequential=True
    ) == [2]
    assert rows(ex, db) == [(1, False), (2, False), (3, False)]


def test_dirty_database_is_refused(ex: PgExecutor, app: PgExecutor, db: str) -> None:
    sqladmin.apply_migrations(app, database=db, role=db + "_u", migrations=[m(1, "SELECT 1;")], non_sequential=False)
    ex.query("UPDATE schema_migrations SET dirty = true", database=db)
    with pytest.raises(BadInput, match="dirty"):
        sqladmin.apply_migrations(app, database=db, role=db + "_u", migrations=[m(2, "SELECT 2;")],
                                  non_sequential=False)


def test_duplicate_numbers_are_refused(ex: PgExecutor, app: PgExecutor, db: str) -> None:
    with pytest.raises(BadInput, match="share the number 1"):
        sqladmin.apply_migrations(
            ex, database=db, role=db + "_u", migrations=[m(1, "SELECT 1"), m(1, "SELECT 2")], non_sequential=False
        )


def test_migration_may_contain_percent_and_functions(ex: PgExecutor, app: PgExecutor, db: str) -> None:
    sql = TRICKY
    applied = sqladmin.apply_migrations(app, database=db, role=db + "_u", migrations=[m(1, sql)], non_sequential=False)
    assert applied == [
        1
    ]
    assert ex.query("SELECT f(2), g(3)", database=db)[0] == (3, 4)
    # The same file split statement by statement (as the RDS Data API executor runs it) gives the same schema.
    assert len(sqladmin.split_statements(sql)) == 4


TRICKY = """
-- a comment; with a semicolon
CREATE TABLE t (v text DEFAULT 'it''s; 100%');
CREATE FUNCTION f(x int) RETURNS int LANGUAGE plpgsql AS $body$
BEGIN
  RETURN x + 1; -- ;
END;
$body$;
CREATE FUNCTION g(x int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN x > 0 THEN x + 1 ELSE 0 END;
END;
/* trailing ; comment */ INSERT INTO t VALUES (E'a\\';b');
"""


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
        ("SELECT ';'; SELECT 2", ["SELECT ';'", "SELECT 2"]),
        ("SELECT 'it''s;'", ["SELECT 'it''s;'"]),
        ("SELECT E'\\';'; SELECT 3", ["SELECT E'\\';'", "SELECT 3"]),
        ('CREATE TABLE "a;b" (x int); SELECT 1', ['CREATE TABLE "a;b" (x int)', "SELECT 1"]),
        ("SELECT $$;$$; SELECT $t$ $$ ; $t$", ["SELECT $$;$$", "SELECT $t$ $$ ; $t$"]),
        ("SELECT $1; SELECT 2", ["SELECT $1", "SELECT 2"]),
        ("-- only; a comment\n", []),
        ("/* a /* nested; */ comment; */ SELECT 1;", ["/* a /* nested; */ comment; */ SELECT 1"]),
        ("SELECT 1 -- trailing; comment\n; SELECT 2", ["SELECT 1 -- trailing; comment", "SELECT 2"]),
        (
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END;"
            " SELECT 2",
            [
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true "
                "THEN 1 END; END",
                "SELECT 2",
            ],
        ),
        (";;  ;", []),
    ],
)
def test_split_statements(sql: str, expected: list[str]) -> None:
    assert sqladmin.split_statements(sql) == expected


def test_split_statements_runs_like_the_whole_file(ex: PgExecutor, app: PgExecutor, db: str) -> None:
    ex.transaction([(stmt, ()) for stmt in sqladmin.split_statements(TRICKY)], database=db)
    assert ex.query("SELECT f(2), g(3), (SELECT count(*) FROM t)", database=db)[0] == (3, 4, 1)


def test_scram_verifier_is_what_postgres_accepts() -> None:
    verifier = sqladmin.scram_verifier("pw", salt=b"0123456789abcdef", iterations=4096)
    assert verifier.startswith("SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$")
    assert len(verifier.split("$")[2].split(":")) == 2


def test_maintenance_databases_closed_to_app_roles_not_to_the_admin(pg: PgEndpoint, ex: PgExecutor) -> None:
    sqladmin.ensure_database(ex, database="maint_a", role="maint_a_user", password="pw")
    with login(pg, "maint_a_user", "pw", "postgres"):  # PostgreSQL's default: PUBLIC may connect to `postgres`
        pass
    sqladmin.close_maintenance_databases(ex)
    sqladmin.close_maintenance_databases(ex)  # idempotent
    for maintenance in ("postgres", "template1"):
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            login(pg, "maint_a_user", "pw", maintenance)
    with login(pg, pg.user, pg.password, "postgres") as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    ex.query("GRANT CONNECT ON DATABASE postgres TO PUBLIC")  # leave the shared server as other tests expect it
    ex.query("GRANT CONNECT ON DATABASE template1 TO PUBLIC")
    sqladmin.drop_database(ex, database="maint_a", role="maint_a_user")


def test_aws_converge_runs_the_same_sql_against_real_postgres(
    pg: PgEndpoint, ex: PgExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The AWS dynamic resource's create/update path, with the Data API executor swapped for a direct one."""
    from providers.aws import dataapi, sqldb

    as_app = PgExecutor(PgEndpoint(pg.host, pg.port, "aws_orders_user", "pw-aws", "aws_orders", embedded=True))
    logins = {"arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin": ex,
              "arn:aws:secretsmanager:eu-west-1:123456789012:secret:login": as_app}
    monkeypatch.setattr(dataapi, "RdsDataApiExecutor", lambda **kw: logins[kw["secret_arn"]])
    props = {
        "clusterArn": "arn:aws:rds:eu-west-1:123456789012:cluster:shop-prod-sql",
        "adminSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin",
        "loginSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:login",
        "region": "eu-west-1",
        "database": "aws_orders",
        "role": "aws_orders_user",
        "password": "pw-aws",
        "nonSequential": False,
        "migrations": [
            {"number": 1, "filename": "orders/migrations/1_init.up.sql", "sql": "CREATE TABLE orders (id int);"},
            {"number": 2, "filename": "orders/migrations/2_more.up.sql", "sql": "ALTER TABLE orders ADD note text;"},
        ],
    }
    sqldb.converge(props)
    sqldb.converge(props)  # an update with nothing new is a no-op
    with login(pg, "aws_orders_user", "pw-aws", "aws_orders") as conn:
        assert conn.execute("SELECT version, dirty FROM schema_migrations").fetchall() == [(2, False)]
        assert conn.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'orders'").fetchone() == (
            "aws_orders_user",
        )
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        login(pg, "aws_orders_user", "pw-aws", "postgres")
    as_app.close()
    ex.query("GRANT CONNECT ON DATABASE postgres TO PUBLIC")
    ex.query("GRANT CONNECT ON DATABASE template1 TO PUBLIC")
    sqladmin.drop_database(ex, database="aws_orders", role="aws_orders_user")


ESCAPES = {
    "reset role": "RESET ROLE; ALTER ROLE {role} SUPERUSER;",
    "set role to the admin": "SET ROLE orchestrator; CREATE TABLE escaped (id int);",
    "copy to program": "COPY (SELECT 1) TO PROGRAM 'true';",
    "grant itself superuser": "ALTER ROLE {role} SUPERUSER;",
    "read the server's files": "SELECT pg_read_file('PG_VERSION');",
}


@pytest.mark.parametrize("escape", list(ESCAPES))
def test_a_migration_cannot_leave_the_apps_rights(ex: PgExecutor, app: PgExecutor, db: str, escape: str) -> None:
    """A migration is app code: run as the app's own login role, every escape to the admin's rights fails."""
    hostile = m(1, ESCAPES[escape].format(role=sqladmin.quote_ident(db + "_u")))
    with pytest.raises(sqladmin.MigrationFailed):
        sqladmin.apply_migrations(app, database=db, role=db + "_u", migrations=[hostile], non_sequential=False)
    assert ex.query("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (db + "_u",)) == [(False,)]
    assert rows(ex, db) == []


def test_migrations_refuse_an_admin_login(ex: PgExecutor, db: str) -> None:
    with pytest.raises(BadInput, match="logged in as the app's role"):
        sqladmin.apply_migrations(ex, database=db, role=db + "_u", migrations=[m(1, "SELECT 1;")], non_sequential=False)


MARK = "orchestrator-owner:" + "a" * 32


def test_marks_are_comments_and_a_database_not_yet_commented_has_its_owner_roles(ex: PgExecutor) -> None:
    assert sqladmin.marks(ex, database="marked", role="marked_u") == {}
    sqladmin.ensure_database(ex, database="marked", role="marked_u", password="pw", mark=MARK)
    assert sqladmin.marks(ex, database="marked", role="marked_u") == {"database": MARK, "role": MARK}
    ex.query("COMMENT ON DATABASE marked IS NULL")  # as a run killed before COMMENT ON DATABASE leaves it
    assert sqladmin.marks(ex, database="marked") == {"database": MARK}
    sqladmin.ensure_database(ex, database="plain", role="plain_u", password="pw")
    assert sqladmin.marks(ex, database="plain", role="plain_u") == {"database": None, "role": None}
    assert sqladmin.marked(ex, MARK) == {"databases": ["marked"], "roles": ["marked_u"]}
    other = "orchestrator-owner:" + "b" * 32
    sqladmin.remark(ex, databases=["marked"], roles=["marked_u"], mark=other)
    assert sqladmin.marked(ex, MARK) == {"databases": [], "roles": []}
    assert sqladmin.marks(ex, database="marked", role="marked_u") == {"database": other, "role": other}
    for name in ("marked", "plain"):
        ex.forget(name)
        sqladmin.drop_database(ex, database=name, role=f"{name}_u")


def test_holds_data_means_a_row_beyond_schema_migrations(ex: PgExecutor, app: PgExecutor, db: str) -> None:
    assert not sqladmin.holds_data(ex, database=db)
    sqladmin.apply_migrations(app, database=db, role=db + "_u", non_sequential=False,
                              migrations=[MigrationFile(1, "1_t.up.sql", 'CREATE SCHEMA "odd name"; '
                                                        'CREATE TABLE "odd name"."t%s" (id int)')])
    assert not sqladmin.holds_data(ex, database=db), "a migrated but empty schema is no data"
    app.query('INSERT INTO "odd name"."t%s" VALUES (1)', database=db)
    assert sqladmin.holds_data(ex, database=db)

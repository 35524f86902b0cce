"""The SqlDatabase dynamic resource: migrations read from the app's tree, its provider's create/update/diff.

Its provider talks to the Data API through `RdsDataApiExecutor`; here that class is replaced by
an executor over a real PostgreSQL (marked local) or by a recording fake, so the SQL that runs
is the shared providers/sqladmin.py either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from awsgraph import FIXTURES, fixture_plan, of_type, render

from orchestrator import stacks
from orchestrator.core import appmeta
from orchestrator.core.errors import BadInput
from orchestrator.core.model import App
from orchestrator.core.plan import build
from providers.aws import dataapi, sqldb

PROPS: dict[str, Any] = {
    "clusterArn": "arn:aws:rds:eu-west-1:123456789012:cluster:c",
    "adminSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!c-abcdef",
    "loginSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-dev-sql-orders-login",
    "region": "eu-west-1",
    "database": "shop_dev_orders",
    "role": "shop_dev_orders_user",
    "password": "pw-1",
    "migrations": [
        {"number": 2, "filename": "2_more.up.sql", "sql": "ALTER TABLE orders ADD COLUMN note text;"},
        {"number": 1, "filename": "1_init.up.sql", "sql": "CREATE TABLE orders (id bigint PRIMARY KEY);"},
    ],
    "nonSequential": False,
}


class FakeExecutor:
    instances: list[FakeExecutor] = []

    def __init__(self, **kw: Any) -> None:
        self.kw, self.queries, self.transactions = kw, [], []
        FakeExecutor.instances.append(self)

    def query(self, sql: str, params: Sequence[Any] = (), *, database: str | None = None) -> list[tuple[Any, ...]]:
        self.queries.append(sql)
        if "session_user" in sql:  # who is logged in: the role through its own login secret, else the admin
            as_app = self.kw["secret_arn"] == PROPS["loginSecretArn"]
            return [(PROPS["role"], PROPS["role"], False)] if as_app else [("postgres", "postgres", False)]
        return [(False,)] if "rolsuper" in sql else []

    def transaction(self, statements: Sequence[tuple[str, Sequence[Any]]], *, database: str) -> None:
        self.transactions.append([s for s, _ in statements])


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeExecutor]:
    FakeExecutor.instances = []
    monkeypatch.setattr(dataapi, "RdsDataApiExecutor", FakeExecutor)
    return FakeExecutor


def test_create_runs_sqladmin_through_the_data_api(fake: type[FakeExecutor]) -> None:
    result = sqldb._Provider().create(dict(PROPS))
    assert result.id == f"{PROPS['clusterArn']}/shop_dev_orders"
    admin, as_app = fake.instances
    assert admin.kw == {"resource_arn": PROPS["clusterArn"], "secret_arn": PROPS["adminSecretArn"],
                        "region": "eu-west-1"}
    assert as_app.kw == {**admin.kw, "secret_arn": PROPS["loginSecretArn"]}
    assert any(q.startswith('CREATE ROLE "shop_dev_orders_user"') for q in admin.queries)
    assert any(q.startswith('CREATE DATABASE "shop_dev_orders"') for q in admin.queries)
    assert admin.transactions == []  # the admin runs no app SQL
    applied = [t[0] for t in as_app.transactions[1:]]
    assert applied == ["CREATE TABLE orders (id bigint PRIMARY KEY);", "ALTER TABLE orders ADD COLUMN note text;"]
    assert not any("ROLE" in s for t in as_app.transactions for s in t)


def test_refuses_migrations_it_could_not_read(fake: type[FakeExecutor]) -> None:
    props = dict(PROPS, migrations=[{"number": 1, "filename": "1_init.up.sql"}])
    with pytest.raises(BadInput, match="ORCHESTRATOR_APP_ROOT"):
        sqldb._Provider().create(props)
    assert fake.instances == []


def test_diff_and_update(fake: type[FakeExecutor]) -> None:
    provider = sqldb._Provider()
    assert provider.diff("id", PROPS, dict(PROPS)).changes is False
    changed = provider.diff("id", PROPS, dict(PROPS, password="pw-2"))
    assert changed.changes is True and changed.replaces == []
    assert provider.diff("id", PROPS, dict(PROPS, database="other")).replaces == ["database"]
    assert provider.update("id", PROPS, dict(PROPS, password="pw-2")).outs["password"] == "pw-2"
    provider.delete("id", PROPS)
    assert len(fake.instances) == 2  # the update's admin and app logins; diff and delete touch nothing


def _write_migrations(root: Path, app: App) -> None:
    for db in app.databases:
        for mig in db.migrations:
            path = root / (db.migration_rel_path or "") / mig.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"CREATE TABLE t{mig.number} (id int);\n")


def test_program_reads_migrations_from_the_app_root(tmp_path: Path) -> None:
    app = appmeta.load(FIXTURES / "booking-system" / "meta.pb")
    _write_migrations(tmp_path, app)
    rendered = render(fixture_plan("booking-system", "production"), app_root=tmp_path)
    (db,) = of_type(rendered.resources, "pulumi-python:dynamic/orchestrator:SqlDatabase")
    assert db["inputs"]["migrations"] == [
        {"number": 1, "filename": "booking/db/migrations/1_create_tables.up.sql", "sql": "CREATE TABLE t1 (id int);\n"},
        {"number": 2, "filename": "booking/db/migrations/2_initial_availability.up.sql",
         "sql": "CREATE TABLE t2 (id int);\n"},
    ]
    assert not any("ORCHESTRATOR_APP_ROOT" in w for w in rendered.warnings)


def test_missing_migration_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="migration file of database 'booking' not found") as err:
        render(fixture_plan("booking-system", "production"), app_root=tmp_path)
    assert "1_create_tables.up.sql" in str(err.value)


def test_without_app_root_the_program_warns() -> None:
    rendered = render(fixture_plan("booking-system", "ephemeral"))
    assert any("sql:booking" in w and "ORCHESTRATOR_APP_ROOT" in w for w in rendered.warnings)


# ---- against a real PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from providers.local import servers
    from providers.local.servers import postgres, process
    from providers.local.session import PgEndpoint

    base = tmp_path_factory.mktemp("aws-sqldb")
    account = postgres.pg_account()
    datadir = postgres.pg_datadir(base, account)
    bindir = postgres.runnable_bindir(postgres.pick_pg_bindir(datadir, None), account)
    log = base / "postgres.log"
    postgres.init_postgres(datadir, bindir, password="admin-pw", account=account, log=log)
    port = process.free_port()
    proc = postgres.start_postgres(datadir, bindir, port=port, account=account, log=log, label=str(base))
    try:
        postgres.wait_postgres(datadir, proc, port, log)
        yield PgEndpoint(servers.LOOPBACK, port, postgres.PG_ADMIN, "admin-pw", "postgres", embedded=True)
    finally:
        postgres.stop_postgres(datadir)
        postgres.remove_pg_data(base)


@pytest.mark.local
def test_converge_on_a_real_server(pg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from providers.local.sql import PgExecutor

    executors: list[PgExecutor] = []
    passwords = iter(["pw-1", "pw-2"])  # create, then update: the app logs in with the password just set

    def executor(**kw: Any) -> PgExecutor:
        login = pg if kw["secret_arn"] == PROPS["adminSecretArn"] else replace(
            pg, user=PROPS["role"], password=next(passwords), database=PROPS["database"])
        executors.append(PgExecutor(login))
        return executors[-1]

    monkeypatch.setattr(dataapi, "RdsDataApiExecutor", executor)
    provider = sqldb._Provider()
    try:
        provider.create(dict(PROPS, migrations=PROPS["migrations"][1:]))
        provider.update("id", PROPS, dict(PROPS, password="pw-2"))
    finally:
        for ex in executors:
            ex.close()
    with psycopg.connect(host=pg.host, port=pg.port, user=PROPS["role"], password="pw-2",
                         dbname=PROPS["database"], autocommit=True) as conn:
        assert conn.execute("SELECT version, dirty FROM schema_migrations").fetchall() == [(2, False)]
        assert conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' "
                            "ORDER BY ordinal_position").fetchall() == [("id",), ("note",)]


def test_stack_for_other_envs_builds(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  orchestrator:cloud: aws\n  orchestrator:envType: development\n"
    )
    plan = build(appmeta.load(FIXTURES / "ts-uptime" / "meta.pb"), stacks.load(tmp_path, "dev"))
    resources = render(plan).resources
    assert not any(r["options"]["protect"] for r in resources)
    (cluster,) = of_type(resources, "aws:rds/cluster:Cluster")
    assert cluster["inputs"]["backupRetentionPeriod"] == 1

"""providers/local/servers: which servers an env needs (from a plan, from the state's records), and the protocol."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import yaml

from orchestrator import stacks
from orchestrator.core.envs import Env, Sizing
from orchestrator.core.errors import MissingTool
from orchestrator.core.model import Kind, Language
from orchestrator.core.plan import Plan, PlannedResource
from providers.local import servers
from providers.local.servers.emulator import EmulatorServer
from providers.local.servers.postgres import PostgresServer
from providers.local.servers.redis import RedisServer


def env(**local: Any) -> Env:
    config: dict[str, Any] = {"orchestrator:cloud": "local", "orchestrator:envType": "development"}
    if local:
        config["orchestrator:local"] = local
    return stacks.parse(yaml.safe_dump({"config": config}), name="dev", where="stacks/Pulumi.dev.yaml")


def plan(*kinds: Kind, language: Language = Language.TYPESCRIPT, **local: Any) -> Plan:
    resources = tuple(
        PlannedResource(kind=kind, name=f"{kind.value}-{i}", names={}, settings=Sizing())
        for i, kind in enumerate(kinds)
    )
    return Plan(app="app", language=language, env=env(**local), resources=resources, grants=())


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        ((), set()),
        ((Kind.SERVICE, Kind.SECRET, Kind.CRON, Kind.GATEWAY), set()),
        ((Kind.SQL_SERVER, Kind.SQL), {"postgres"}),
        ((Kind.TOPIC, Kind.SUBSCRIPTION), {"emulator"}),
        ((Kind.BUCKET,), {"emulator"}),
        ((Kind.CACHE,), set()),  # the runtime's in-memory Redis
        ((Kind.SQL_SERVER, Kind.SQL, Kind.TOPIC, Kind.BUCKET, Kind.CACHE), {"postgres", "emulator"}),
    ],
)
def test_needed_by_a_plan(kinds: tuple[Kind, ...], expected: set[str]) -> None:
    assert servers.needed(plan(*kinds), redis_installed=True) == expected


def test_caches_get_redis_when_asked_for() -> None:
    asked = plan(Kind.CACHE, redis="server")
    assert servers.needed(asked, redis_installed=True) == {"redis"}
    with pytest.raises(MissingTool, match="needs a redis-server"):
        servers.needed(asked, redis_installed=False)
    assert servers.needed(plan(Kind.SQL_SERVER, redis="server"), redis_installed=True) == {"postgres"}


def test_go_caches_use_the_go_runtimes_in_memory_redis_by_default() -> None:
    """runtimes/go/storage/cache/manager_internal.go: `in_memory` servers get miniredis."""
    assert servers.needed(plan(Kind.CACHE, language=Language.GO), redis_installed=False) == set()
    assert servers.needed(plan(Kind.CACHE, language=Language.GO, redis="server"), redis_installed=True) == {"redis"}


def test_external_postgres_means_no_embedded_one() -> None:
    url = "postgres://admin@127.0.0.1:5432/postgres"
    assert servers.needed(plan(Kind.SQL_SERVER, Kind.SQL, Kind.TOPIC, postgresAdminUrl=url), redis_installed=True) == {
        "emulator"
    }


def test_needed_by_records() -> None:
    records = [
        {"kind": "sql", "server": "postgres"},
        {"kind": "cache", "server": "redis", "database_index": 0},
        {"kind": "cache"},  # in memory
        {"kind": "service"},
    ]
    assert servers.needed_by_records(records, env().settings) == {"postgres", "redis"}
    assert servers.needed_by_records(records, env(postgresAdminUrl="postgres://a@h/p").settings) == {"redis"}
    assert servers.needed_by_records([], env().settings) == set()


def test_records_of_older_states_name_no_server() -> None:
    records = [{"kind": "sql-server"}, {"kind": "topic"}, {"kind": "cache", "database_index": 3}]
    assert servers.needed_by_records(records, env().settings) == {"postgres", "emulator", "redis"}
    assert servers.needed_by_records([{"kind": "bucket"}, {"kind": "cache"}], env().settings) == {"emulator"}


def test_the_servers_satisfy_the_protocol() -> None:
    assert sorted(type(s).__name__ for s in servers.ALL) == ["EmulatorServer", "PostgresServer", "RedisServer"]
    assert sorted(s.name for s in servers.ALL) == ["emulator", "postgres", "redis"]
    methods = ("pid_file", "running", "start", "stop_signal")
    for server in (PostgresServer(), EmulatorServer(), RedisServer()):
        assert isinstance(server, servers.Server)
        for method in methods:
            declared = inspect.signature(getattr(servers.Server, method))
            assert inspect.signature(getattr(type(server), method)) == declared, (server.name, method)
    assert not set.intersection(*(set(s.kinds) for s in servers.ALL))  # a kind lives on one server

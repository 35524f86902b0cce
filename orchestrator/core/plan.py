"""App x Env -> Plan: every resource the app needs, its physical names, settings and grants.

Deterministic: the same inputs give byte-identical `Plan.to_json()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict

from orchestrator.core import naming
from orchestrator.core.envs import Env, Sizing
from orchestrator.core.gcpause import without_cycle_collection
from orchestrator.core.model import (
    App,
    Bucket,
    Cache,
    CronJob,
    Database,
    Gateway,
    Kind,
    Language,
    Secret,
    Service,
    Subscription,
    Topic,
)

SQL_SERVER_NAME = "default"

AnySpec = Service | Database | Topic | Subscription | Cache | Bucket | Secret | CronJob | Gateway | None


class Grant(NamedTuple):
    """`service` may `verb` on the planned resource `resource` (a PlannedResource.key)."""

    service: str
    verb: str
    resource: str


class PlannedResource(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Kind
    name: str
    """The Encore name (`<topic>/<subscription>` for subscriptions, `default` for the SQL server)."""
    names: dict[str, str]
    """Physical names by role, e.g. {"queue": ..., "dlq": ...}; made only by `naming`."""
    spec: AnySpec = None
    settings: Sizing
    depends_on: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return resource_key(self.kind, self.name)


def resource_key(kind: Kind, name: str) -> str:
    return f"{kind.value}:{name}"


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True)

    app: str
    language: Language
    env: Env
    resources: tuple[PlannedResource, ...]
    grants: tuple[Grant, ...]
    borrowed: dict[str, Any] | None = None
    """A shared preview env (`Env.shares_base`): what its base env's last deployment shares
    (`DeploymentRecord.shares`: the servers, network and buckets it lends, by each cloud's own keys)."""

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude={"env": {"path"}})

    def of_kind(self, kind: Kind) -> Iterator[PlannedResource]:
        return (r for r in self.resources if r.kind is kind)

    def get(self, key: str) -> PlannedResource:
        for r in self.resources:
            if r.key == key:
                return r
        raise KeyError(key)

    def grants_for(self, service: str) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if g.service == service)

    def grants_on(self, key: str) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if g.resource == key)


@without_cycle_collection
def build(app: App, env: Env, borrowed: dict[str, Any] | None = None) -> Plan:
    app_name = env.app or app.name
    namer = _Namer(env, app_name)
    resources = list(_resources(app, env, namer))
    resources.sort(key=lambda r: (_KIND_ORDER[r.kind], r.name))
    return Plan(app=app_name, language=app.language, env=env, resources=tuple(resources), grants=_grants(app),
                borrowed=borrowed)


_KIND_ORDER = {kind: i for i, kind in enumerate(Kind)}


class _Namer:
    """Names each role by the naming namespace the env's target chose for it (`Env.naming`)."""

    SERVER, TOPIC, QUEUE, BUCKET, CACHE, SECRET, CRON, IDENTITY = (
        "server", "topic", "queue", "bucket", "cache", "secret", "cron", "identity"
    )

    def __init__(self, env: Env, app: str) -> None:
        self.namespaces = env.naming
        self.prefix = (app, env.name)

    def __call__(self, role: str, *parts: str, fifo: bool = False) -> str:
        namespace = self.namespaces[role]
        if fifo:
            namespace = naming.fifo_variant(namespace)
        return naming.make(namespace, *self.prefix, *parts)

    def postgres(self, *parts: str) -> str:
        return naming.make("postgres", *self.prefix, *parts)


def _resources(app: App, env: Env, name: _Namer) -> Iterator[PlannedResource]:
    def planned(
        kind: Kind, enc: str, names: dict[str, str], spec: AnySpec = None, deps: tuple[str, ...] = ()
    ) -> PlannedResource:
        return PlannedResource(
            kind=kind,
            name=enc,
            names=names,
            spec=spec,
            settings=env.sizing_for(resource_key(kind, enc)),
            depends_on=deps,
        )

    for svc in app.services:
        yield planned(Kind.SERVICE, svc.name, {"identity": name(name.IDENTITY, svc.name)}, svc)

    if app.databases:
        server_key = resource_key(Kind.SQL_SERVER, SQL_SERVER_NAME)
        yield planned(Kind.SQL_SERVER, SQL_SERVER_NAME, {"server": name(name.SERVER, "sql")})
        for db in app.databases:
            names = {"database": name.postgres(db.name), "role": name.postgres(db.name, "user")}
            if env.cloud != "local":
                names["password_secret"] = name(name.SECRET, "sql", db.name)
                names["login_secret"] = name(name.SECRET, "sql", db.name, "login")
                names["password_env"] = naming.env_var("SQL", db.name, "PASSWORD")
            yield planned(Kind.SQL, db.name, names, db, (server_key,))

    for topic in app.topics:
        topic_key = resource_key(Kind.TOPIC, topic.name)
        yield planned(Kind.TOPIC, topic.name, {"topic": name(name.TOPIC, topic.name, fifo=topic.fifo)}, topic)
        for sub in topic.subscriptions:
            names = {
                "subscription": name(name.QUEUE, topic.name, sub.name, fifo=topic.fifo),
                "dead_letter": name(name.QUEUE, topic.name, sub.name, "dlq", fifo=topic.fifo),
            }
            yield planned(Kind.SUBSCRIPTION, f"{topic.name}/{sub.name}", names, sub, (topic_key,))

    for cache in app.caches:
        names = {"cluster": name(name.CACHE, cache.name), "key_prefix": naming.make("redis.prefix", cache.name) + "/"}
        if env.cloud != "local":
            names["auth_env"] = naming.env_var("CACHE", cache.name, "AUTH")
            names["auth_secret"] = name(name.SECRET, "cache", cache.name)
        yield planned(Kind.CACHE, cache.name, names, cache)

    for bucket in app.buckets:
        yield planned(Kind.BUCKET, bucket.name, {"bucket": name(name.BUCKET, bucket.name)}, bucket)

    for secret in app.secrets:
        names = {"secret": name(name.SECRET, "secret", secret.name), "env": naming.env_var("SECRET", secret.name)}
        yield planned(Kind.SECRET, secret.name, names, secret)

    for job in app.cron_jobs:
        deps = (resource_key(Kind.SERVICE, job.service),)
        yield planned(Kind.CRON, job.id, {"schedule": name(name.CRON, job.id)}, job, deps)

    for gw in app.gateways:
        yield planned(Kind.GATEWAY, gw.name, {}, gw)


def _grants(app: App) -> tuple[Grant, ...]:
    grants: set[Grant] = set()
    for svc in app.services:
        for db in svc.databases:
            grants.add(Grant(svc.name, "connect", resource_key(Kind.SQL, db)))
        for usage in svc.buckets:
            for op in usage.operations:
                grants.add(Grant(svc.name, op.value, resource_key(Kind.BUCKET, usage.bucket)))
        for callee in svc.calls:
            grants.add(Grant(svc.name, "call", resource_key(Kind.SERVICE, callee)))
    for topic in app.topics:
        for pub in topic.publishers:
            grants.add(Grant(pub, "publish", resource_key(Kind.TOPIC, topic.name)))
        for sub in topic.subscriptions:
            grants.add(Grant(sub.service, "consume", resource_key(Kind.SUBSCRIPTION, f"{topic.name}/{sub.name}")))
    for cache in app.caches:
        for svc_name in cache.services:
            grants.add(Grant(svc_name, "use", resource_key(Kind.CACHE, cache.name)))
    for secret in app.secrets:
        for svc_name in secret.services:
            grants.add(Grant(svc_name, "read", resource_key(Kind.SECRET, secret.name)))
    return tuple(sorted(grants))


def summary(plan: Plan) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for r in plan.resources:
        counts[r.kind.value] = counts.get(r.kind.value, 0) + 1
    return {
        "app": plan.app,
        "env": plan.env.name,
        "cloud": plan.env.cloud,
        "resources": counts,
        "grants": len(plan.grants),
    }

"""Caches on the local target: the runtime's in-memory Redis, or a real redis-server (see servers.needed).

On a real server each cache cluster gets its own database index (0-15, remembered in the
state); past sixteen clusters they share index 0 and are told apart by their key prefix.

A shared preview env (`Session.lender`) uses its base's redis-server: database index `Env.slot` (its number among
the base's previews, 1..15) and its own ACL user. The Go runtime ignores `key_prefix`
(runtimes/go/storage/cache/manager_internal.go `newClient` sets only `DB`), so a Go app's user reaches every key
(Redis ACLs cannot limit a user to one database); the Rust core prefixes every key (runtimes/core/src/cache/client.rs),
so a TypeScript app also gets the prefix `pr-N/...` and its user is limited to keys under it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestrator.core.errors import BadInput
from orchestrator.core.model import Cache, Language
from providers.base import Context, Deployed
from providers.local import servers
from providers.local.servers.redis import ADMIN_COMMANDS, ADMIN_USER

if TYPE_CHECKING:
    from orchestrator.core.plan import PlannedResource
    from providers.local.session import Session

DATABASES = 16
KEYSPACE_WIDE = ("flushall", "flushdb", "swapdb", "keys", "scan", "randomkey")
"""Denied to a preview env's user besides ADMIN_COMMANDS: they act on (or list) keys whatever its key pattern."""


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: Session = ctx.target
    cache = res.spec
    assert isinstance(cache, Cache)
    if session.redis_port is None:
        return Deployed(provisioned={"caches": [{"encore_name": cache.name, "in_memory": True}]})
    if session.lender is not None:
        return _deploy_borrowed(ctx, res, cache)
    rec = session.record(res.key)
    if "database_index" not in rec:
        rec["database_index"], rec["key_prefix"] = _slot(session, res.key, res.names["key_prefix"])
        rec["server"] = servers.REDIS.name
        session.save()
    entry: dict[str, Any] = {
        "encore_name": cache.name,
        "host": f"{servers.LOOPBACK}:{session.redis_port}",
        "database_index": rec["database_index"],
        "auth": {"value": session.redis_password},
    }
    if rec["key_prefix"]:
        entry["key_prefix"] = rec["key_prefix"]
    return Deployed(provisioned={"caches": [entry]}, grants_target={"*": entry["host"]})


def _deploy_borrowed(ctx: Context, res: PlannedResource, cache: Cache) -> Deployed:
    session: Session = ctx.target
    env = session.env
    if env.slot is None:
        raise BadInput(f"{env.name} has no Redis database index (orchestrator:previewSlot); `orchestrator preview-env "
                       "up` allocates one", where=f"cache {cache.name}")
    rec = session.record(res.key)
    rec.update(server=servers.REDIS.name, database_index=env.slot, user=f"orchestrator-{env.name}-{cache.name}")
    rec["key_prefix"] = f"{env.name}/{res.names['key_prefix']}" if ctx.plan.language is Language.TYPESCRIPT else None
    if not rec.get("password"):
        rec["password"] = servers.new_password()
        session.save()
    pattern = _glob_escape(rec["key_prefix"]) + "*" if rec["key_prefix"] else "*"
    deny = " ".join("-" + c for c in (*ADMIN_COMMANDS, *(KEYSPACE_WIDE if rec["key_prefix"] else ())))
    admin = _admin(session, rec["database_index"])
    try:
        admin.execute_command("ACL", "SETUSER", rec["user"], "reset", "on", f">{rec['password']}", f"~{pattern}",
                              "resetchannels", "+@all", *deny.split())
    finally:
        admin.close()
    entry: dict[str, Any] = {
        "encore_name": cache.name,
        "host": f"{servers.LOOPBACK}:{session.redis_port}",
        "database_index": rec["database_index"],
        "auth": {"value": rec["password"]},
        "auth_username": rec["user"],
    }
    if rec["key_prefix"]:
        entry["key_prefix"] = rec["key_prefix"]
    return Deployed(provisioned={"caches": [entry]}, grants_target={"*": entry["host"]})


def _admin(session: Session, db: int) -> Any:
    """A client of the base's redis-server as its administrator (whose password stays in the base's state)."""
    import redis

    assert session.lender is not None and session.redis_port is not None
    password = session.lender.server(servers.REDIS.name)["admin_password"]
    return redis.Redis(host=servers.LOOPBACK, port=session.redis_port, username=ADMIN_USER, password=password, db=db)


def _slot(session: Session, key: str, prefix: str) -> tuple[int, str | None]:
    taken = {r.get("database_index") for k, r in session.state.resources.items() if k != key and k.startswith("cache:")}
    free = [i for i in range(DATABASES) if i not in taken]
    return (free[0], None) if free else (0, prefix)


def remove(session: Session, key: str, rec: dict[str, Any]) -> None:
    """The cache's keys (its database, or the keys under its prefix); a shared preview env's ACL user too."""
    if "database_index" not in rec or session.redis_port is None:
        return
    import redis

    if session.lender is not None:
        client = _admin(session, rec["database_index"])
        if rec.get("user"):
            client.execute_command("ACL", "DELUSER", rec["user"])
    else:
        client = redis.Redis(
            host=servers.LOOPBACK, port=session.redis_port, password=session.redis_password, db=rec["database_index"]
        )
    try:
        if rec.get("key_prefix"):
            for name in client.scan_iter(match=_glob_escape(rec["key_prefix"]) + "*"):
                client.delete(name)
        else:
            client.flushdb()
    finally:
        client.close()


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)

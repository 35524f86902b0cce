"""Caches on the local target: the runtime's in-memory Redis, or a real redis-server (see servers.needed).

On a real server each cache cluster gets its own database index (0-15, remembered in the
state); past sixteen clusters they share index 0 and are told apart by their key prefix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestrator.core.model import Cache
from providers.base import Context, Deployed
from providers.local import servers

if TYPE_CHECKING:
    from orchestrator.core.plan import PlannedResource
    from providers.local.session import Session

DATABASES = 16


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    session: Session = ctx.target
    cache = res.spec
    assert isinstance(cache, Cache)
    if session.redis_port is None:
        return Deployed(provisioned={"caches": [{"encore_name": cache.name, "in_memory": True}]})
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


def _slot(session: Session, key: str, prefix: str) -> tuple[int, str | None]:
    taken = {r.get("database_index") for k, r in session.state.resources.items() if k != key and k.startswith("cache:")}
    free = [i for i in range(DATABASES) if i not in taken]
    return (free[0], None) if free else (0, prefix)


def remove(session: Session, key: str, rec: dict[str, Any]) -> None:
    if "database_index" not in rec or session.redis_port is None:
        return
    import redis

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

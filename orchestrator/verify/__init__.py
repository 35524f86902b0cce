"""`orchestrator verify`: prove every resource works, reading only what the native core reads.

The runtime config and app metadata come from the environment variables (for the local target:
its env_vars applied over os.environ; for cloud envs: os.environ as it is, so this runs inside
their network too). Each check logs in, writes and reads back as the app would, under a timeout.
Values of secrets are never printed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.core.model import Language
from orchestrator.verify import config as verify_config
from orchestrator.verify.config import PRIMARY
from orchestrator.verify.hooks import probe, secret_providers
from providers.probing import CHECK_TIMEOUT, MARKER, Check, Fail, Skip, bind
from runtime_config.schema import infra_pb2, runtime_pb2
from runtime_config.secrets import SecretError, resolve

if TYPE_CHECKING:
    from orchestrator.core.envs import Env
    from orchestrator.core.model import App
    from orchestrator.ui import UI

COLUMNS = ("resource", "check", "result", "detail")
OK, SKIPPED, FAILED = "ok", "ok (skipped)", "FAILED"
MAINTENANCE_DATABASE = "postgres"
"""Tried by every role besides the other databases of its server: app roles have no business there."""
PERMISSION_DENIED = ("permission denied", "connect privilege", "pg_hba.conf", "not permitted")


def run(env: Env, overlay: Mapping[str, str], ui: UI) -> int:
    """Verify from the process environment with `overlay` on top (what the env's target sets for a process)."""
    return 1 if report(env, overlay, ui)["summary"]["failed"] else 0


def report(env: Env, overlay: Mapping[str, str], ui: UI) -> dict[str, Any]:
    """Run every check, show the table to people, and return the document (docs/json-output.md)."""
    with _environ(overlay):
        app = verify_config.load_meta(os.environ, None)
        config, source = verify_config.load(os.environ, go=app is not None and app.language is Language.GO)
        ui.step(f"verifying {env.name} from {source}")
        rows = [_run(check) for check in checks(config, app, os.environ)]
    ui.table(f"verify {env.name}", COLUMNS, rows)
    failed = sum(row[2] == FAILED for row in rows)
    skipped = sum(row[2] == SKIPPED for row in rows)
    if failed:
        ui.error(f"{failed} of {len(rows)} checks failed")
    else:
        ui.success(f"all {len(rows)} checks passed")
    return {
        "env": env.name,
        "source": str(source),
        "rows": [dict(zip(COLUMNS, row, strict=True)) for row in rows],
        "summary": {"total": len(rows), "ok": len(rows) - failed - skipped, "skipped": skipped, "failed": failed},
    }


@contextlib.contextmanager
def _environ(overlay: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in overlay}
    os.environ.update(overlay)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _run(check: Check) -> tuple[str, str, str, str]:
    """Run one check in a daemon thread so a hung network call cannot hold the command."""
    outcome: list[tuple[str, str]] = []

    def target() -> None:
        try:
            outcome.append((OK, check.func()))
        except Skip as exc:
            outcome.append((SKIPPED, str(exc)))
        except Fail as exc:
            outcome.append((FAILED, str(exc)))
        except SecretError as exc:
            outcome.append((FAILED, f"secret: {exc}"))
        except Exception as exc:
            outcome.append((FAILED, _describe(exc)))

    thread = threading.Thread(target=target, name=f"verify {check.resource}", daemon=True)
    thread.start()
    thread.join(CHECK_TIMEOUT)
    result, detail = outcome[0] if outcome else (FAILED, f"timed out after {CHECK_TIMEOUT:g} s")
    return check.resource, check.name, result, detail


def _describe(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def _failing(reason: str) -> Callable[[], str]:
    def func() -> str:
        raise Fail(reason)

    return func


def _skipping(reason: str) -> Callable[[], str]:
    def func() -> str:
        raise Skip(reason)

    return func


def checks(config: runtime_pb2.RuntimeConfig, app: App | None, environ: Mapping[str, str]) -> Iterator[Check]:
    yield from _coverage_checks(config, app)
    yield from _sql_checks(config, app, environ)
    yield from _pubsub_checks(config)
    yield from _bucket_checks(config, environ)
    yield from _cache_checks(config, environ)
    yield from _secret_checks(config, environ)


def _coverage_checks(config: runtime_pb2.RuntimeConfig, app: App | None) -> Iterator[Check]:
    """A row for every resource the app declares that the runtime config does not name."""
    if app is None:
        return
    res = config.infra.resources
    present = {
        *(f"sql:{d.encore_name}" for c in res.sql_clusters for d in c.databases),
        *(f"topic:{t.encore_name}" for c in res.pubsub_clusters for t in c.topics),
        *(f"subscription:{s.topic_encore_name}/{s.subscription_encore_name}"
          for c in res.pubsub_clusters for s in c.subscriptions),
        *(f"bucket:{b.encore_name}" for c in res.bucket_clusters for b in c.buckets),
        *(f"cache:{d.encore_name}" for c in res.redis_clusters for d in c.databases),
        *(f"secret:{s.encore_name}" for s in res.app_secrets),
    }
    declared = [
        *(f"sql:{d.name}" for d in app.databases),
        *(f"topic:{t.name}" for t in app.topics),
        *(f"subscription:{t.name}/{s.name}" for t in app.topics for s in t.subscriptions),
        *(f"bucket:{b.name}" for b in app.buckets),
        *(f"cache:{c.name}" for c in app.caches),
        *(f"secret:{s.name}" for s in app.secrets),
    ]
    in_memory_redis = any(c.in_memory for c in res.redis_clusters)
    for key in declared:
        if key in present:
            continue
        if in_memory_redis and key.startswith("cache:"):
            # An in-memory cluster serves every cache the config does not configure (runtime-expectations §5).
            yield Check(key, "ping/set/get/del", _skipping("in-process (nothing to check)"))
        else:
            yield Check(key, "in runtime config", _failing("declared by the app, missing from the runtime config"))


# --- SQL ---------------------------------------------------------------------------------------


def _sql_checks(config: runtime_pb2.RuntimeConfig, app: App | None, environ: Mapping[str, str]) -> Iterator[Check]:
    roles = {r.rid: r for r in config.infra.credentials.sql_roles}
    for cluster in config.infra.resources.sql_clusters:
        server = next((s for s in cluster.servers if s.kind == PRIMARY), None)
        for db in cluster.databases:
            resource = f"sql:{db.encore_name}"
            if server is None:
                yield Check(resource, "server", _failing(f"cluster {cluster.rid!r} has no PRIMARY server"))
                continue
            pools = [p for p in db.conn_pools if not p.is_readonly]
            if not pools:
                yield Check(resource, "connection pool", _failing("no read-write connection pool"))
                continue
            seen: set[str] = set()
            for pool in pools:
                role = roles.get(pool.role_rid)
                if role is None:
                    reason = f"role rid {pool.role_rid!r} is not in credentials.sql_roles"
                    yield Check(resource, "role", _failing(reason))
                    continue
                if role.rid in seen:
                    continue
                seen.add(role.rid)
                login = _SqlLogin(server, role, config, environ)
                others = [d.cloud_name for d in cluster.databases if d.cloud_name != db.cloud_name]
                others.append(MAINTENANCE_DATABASE)
                yield Check(resource, f"login as {role.username}", bind(_sql_select_one, login, db.cloud_name))
                yield Check(resource, f"isolation of {role.username}", bind(_sql_isolation, login, others))
            first = roles.get(pools[0].role_rid)
            if first is not None:
                migrations = bind(_sql_migrations, _SqlLogin(server, first, config, environ), db, app)
                yield Check(resource, "migrations", migrations)


class _SqlLogin:
    """How the core connects: host parsing, TLS from tls_config, password and client cert from credentials.

    TLS (runtime-expectations §SQL): no tls_config -> plaintext; tls_config without a CA -> "prefer"
    (verified TLS, plaintext when the server has no TLS); with a CA -> TLS required.
    """

    def __init__(self, server: infra_pb2.SQLServer, role: infra_pb2.SQLRole, config: runtime_pb2.RuntimeConfig,
                 environ: Mapping[str, str]) -> None:
        self.server, self.role, self.config, self.environ = server, role, config, environ

    @contextlib.contextmanager
    def connect(self, dbname: str) -> Iterator[Any]:
        import psycopg

        with tempfile.TemporaryDirectory(prefix="orchestrator-verify-") as tmp:
            params = self._params(Path(tmp))
            connect = functools.partial(psycopg.connect, dbname=dbname, autocommit=True,
                                        connect_timeout=int(CHECK_TIMEOUT))
            try:
                conn = connect(**params)
            except psycopg.OperationalError as exc:
                prefer = self.server.HasField("tls_config") and not self.server.tls_config.HasField("server_ca_cert")
                if not (prefer and "does not support SSL" in str(exc)):
                    raise
                conn = connect(**{k: v for k, v in params.items() if not k.startswith("ssl")}, sslmode="disable")
            try:
                yield conn
            finally:
                conn.close()

    def _params(self, tmp: Path) -> dict[str, Any]:
        host = self.server.host
        if host.startswith("/"):
            params: dict[str, Any] = {"host": host, "port": 5432}
        else:
            name, sep, port = host.partition(":")
            params = {"host": name, "port": int(port) if sep else 5432}
        params["user"] = self.role.username
        if self.role.HasField("password"):
            params["password"] = resolve(self.role.password, self.environ, self.config, secret_providers()).decode()
        params.update(self._tls(tmp))
        return params

    def _tls(self, tmp: Path) -> dict[str, str]:
        if not self.server.HasField("tls_config"):
            return {"sslmode": "disable"}
        tls = self.server.tls_config
        if tls.disable_ca_validation:
            out = {"sslmode": "require"}
        else:
            out = {"sslmode": "verify-ca" if tls.disable_tls_hostname_verification else "verify-full"}
            has_ca = tls.HasField("server_ca_cert")
            out["sslrootcert"] = _write(tmp / "ca.pem", tls.server_ca_cert) if has_ca else "system"
        if self.role.HasField("client_cert_rid"):
            certs = self.config.infra.credentials.client_certs
            cert = next((c for c in certs if c.rid == self.role.client_cert_rid), None)
            if cert is None:
                raise Fail(f"client cert rid {self.role.client_cert_rid!r} is not in credentials.client_certs")
            out["sslcert"] = _write(tmp / "client.pem", cert.cert)
            key = resolve(cert.key, self.environ, self.config, secret_providers())
            out["sslkey"] = _write(tmp / "client.key", key.decode())
        return out


def _write(path: Path, text: str) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return str(path)


def _sql_select_one(login: _SqlLogin, dbname: str) -> str:
    with login.connect(dbname) as conn:
        value = conn.execute("SELECT 1").fetchone()
    if value != (1,):
        raise Fail(f"SELECT 1 returned {value!r}")
    return f"SELECT 1 on {dbname} at {login.server.host}"


def _sql_isolation(login: _SqlLogin, others: list[str]) -> str:
    import psycopg

    for other in others:
        try:
            with login.connect(other):
                pass
        except psycopg.OperationalError as exc:
            if any(marker in str(exc).lower() for marker in PERMISSION_DENIED):
                continue
            raise Fail(f"connecting to {other} failed, but not with a permission error: {_describe(exc)}") from None
        raise Fail(f"{login.role.username} can connect to database {other}")
    return f"denied on {', '.join(others)}"


def _sql_migrations(login: _SqlLogin, db: infra_pb2.SQLDatabase, app: App | None) -> str:
    import psycopg

    if app is None:
        raise Fail("no app metadata to compare with (ENCORE_APP_META, ENCORE_APP_META_PATH, /encore/meta)")
    declared = next((d for d in app.databases if d.name == db.encore_name), None)
    if declared is None:
        raise Fail("the app metadata declares no such database")
    if not declared.migrations:
        raise Skip("no migrations declared")
    numbers = {m.number for m in declared.migrations}
    latest = max(numbers)
    with login.connect(db.cloud_name) as conn:
        try:
            rows = conn.execute("SELECT version, dirty FROM public.schema_migrations ORDER BY version").fetchall()
        except psycopg.errors.UndefinedTable:
            raise Fail(f"no schema_migrations table; latest declared migration is {latest}") from None
    dirty = [version for version, is_dirty in rows if is_dirty]
    if dirty:
        raise Fail(f"dirty at version {', '.join(map(str, dirty))}")
    applied = {version for version, _ in rows}
    if declared.allow_non_sequential_migrations:
        missing = sorted(numbers - applied)
        if missing:
            raise Fail(f"not applied: {', '.join(map(str, missing))}")
    elif max(applied, default=None) != latest:
        raise Fail(f"at version {max(applied, default='none')}, latest declared is {latest}")
    return f"at version {latest}, not dirty"


# --- Pub/Sub and object storage: the probes of the target that writes the config's provider -----------


def _pubsub_checks(config: runtime_pb2.RuntimeConfig) -> Iterator[Check]:
    for cluster in config.infra.resources.pubsub_clusters:
        provider = cluster.WhichOneof("provider")
        checks_of = probe("PUBSUB", provider)
        if checks_of is None:
            for topic in cluster.topics:
                reason = f"checking {provider or 'an unset'} pub/sub provider is not implemented here"
                yield Check(f"topic:{topic.encore_name}", "publish", _failing(reason))
            continue
        yield from checks_of(cluster)


def _bucket_checks(config: runtime_pb2.RuntimeConfig, environ: Mapping[str, str]) -> Iterator[Check]:
    for cluster in config.infra.resources.bucket_clusters:
        provider = cluster.WhichOneof("provider")
        checks_of = probe("BUCKET", provider)
        if checks_of is None:
            for bucket in cluster.buckets:
                reason = f"checking {provider or 'an unset'} object storage provider is not implemented here"
                yield Check(f"bucket:{bucket.encore_name}", "put/get/delete", _failing(reason))
            continue
        yield from checks_of(cluster, config, environ)


# --- Caches ------------------------------------------------------------------------------------


def _cache_checks(config: runtime_pb2.RuntimeConfig, environ: Mapping[str, str]) -> Iterator[Check]:
    roles = {r.rid: r for r in config.infra.credentials.redis_roles}
    for cluster in config.infra.resources.redis_clusters:
        server = next((s for s in cluster.servers if s.kind == PRIMARY), None)
        for db in cluster.databases:
            resource = f"cache:{db.encore_name}"
            if cluster.in_memory:
                yield Check(resource, "ping/set/get/del", _skipping("in-process (nothing to check)"))
                continue
            if server is None:
                yield Check(resource, "server", _failing("cluster has no PRIMARY server"))
                continue
            pool = next((p for p in db.conn_pools if not p.is_readonly), None)
            if pool is None:
                yield Check(resource, "connection pool", _failing("no read-write connection pool"))
                continue
            role = roles.get(pool.role_rid)
            yield Check(resource, "ping/set/get/del", bind(_cache_roundtrip, server, db, role, config, environ))


def _cache_roundtrip(server: infra_pb2.RedisServer, db: infra_pb2.RedisDatabase, role: infra_pb2.RedisRole | None,
                     config: runtime_pb2.RuntimeConfig, environ: Mapping[str, str]) -> str:
    import redis

    kw: dict[str, Any] = {"db": db.database_idx, "socket_timeout": 5, "socket_connect_timeout": 5,
                          "decode_responses": True}
    if server.host.startswith("/"):
        kw["unix_socket_path"] = server.host
    else:
        name, sep, port = server.host.partition(":")
        kw.update(host=name, port=int(port) if sep else 6379)
    if role is not None and role.WhichOneof("auth") == "acl":
        kw.update(username=role.acl.username or None,
                  password=resolve(role.acl.password, environ, config, secret_providers()).decode().strip())
    elif role is not None and role.WhichOneof("auth") == "auth_string":
        auth = resolve(role.auth_string, environ, config, secret_providers())
        kw["password"] = auth.decode().strip()  # the core trims Redis secrets
    if server.HasField("tls_config"):
        tls = server.tls_config
        kw.update(ssl=True, ssl_check_hostname=not (tls.disable_tls_hostname_verification or tls.disable_ca_validation),
                  ssl_cert_reqs="none" if tls.disable_ca_validation else "required")
        if tls.HasField("server_ca_cert"):
            kw["ssl_ca_data"] = tls.server_ca_cert
    client = redis.Redis(**kw)
    try:
        if not client.ping():
            raise Fail("PING did not answer PONG")
        key, value = f"{db.key_prefix}{MARKER}:{uuid.uuid4().hex}", uuid.uuid4().hex
        client.set(key, value, ex=60)
        got = client.get(key)
        client.delete(key)
    finally:
        client.close()
    if got != value:
        raise Fail("GET did not return the value just SET")
    return f"db {db.database_idx} at {server.host}"


# --- Secrets -----------------------------------------------------------------------------------


def _secret_checks(config: runtime_pb2.RuntimeConfig, environ: Mapping[str, str]) -> Iterator[Check]:
    for secret in config.infra.resources.app_secrets:
        yield Check(f"secret:{secret.encore_name}", "resolves", bind(_secret_resolves, secret, config, environ))


def _secret_resolves(secret: infra_pb2.AppSecret, config: runtime_pb2.RuntimeConfig, environ: Mapping[str, str]) -> str:
    if not secret.HasField("data"):
        raise Fail("no data: the runtime drops this secret")
    if not resolve(secret.data, environ, config, secret_providers()):
        raise Fail("resolves to an empty value")
    return f"non-empty ({secret.data.WhichOneof('source')})"

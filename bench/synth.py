"""Synthetic app metadata of any size, deterministic per (services, seed, language, fifo).

From three services on, an app declares every kind the orchestrator handles: SQL
databases (one per service, every fourth service also uses its neighbour's), topics with
publishers and one or two subscriptions (non-default ack deadline, retention, retry policy,
max concurrency; exactly-once and ordered topics unless the app is Go), cache clusters with
keyspaces, public/versioned buckets with varied operations, per-service and shared secrets
(Go: also a service-less library package), `every:` and `schedule:` cron jobs, RPC calls
between services, metrics, and an explicit gateway with an auth handler.

    python -m bench.synth --services 200 --out /tmp/synth   # writes meta.pb and meta.json
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from google.protobuf import json_format

from orchestrator.core.schema import meta_pb2, schema_pb2

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

Op = meta_pb2.BucketUsage.Operation
Seg = meta_pb2.PathSegment
RPC = meta_pb2.RPC
Topic = meta_pb2.PubSubTopic

# (ack deadline, retention, min backoff, max backoff, max retries, max concurrency, Go max retries)
SUBSCRIPTION_SETTINGS = (
    (30 * SECOND, 7 * DAY, 10 * SECOND, 10 * MINUTE, 100, None, 100),
    (60 * SECOND, 1 * DAY, 1 * SECOND, 1 * MINUTE, 5, 10, 5),
    (5 * MINUTE, 14 * DAY, 5 * SECOND, 5 * MINUTE, 20, 1, -1),
    (10 * SECOND, 1 * HOUR, 0, 10 * SECOND, 0, 50, -2),
)
EVICTION = ("", "allkeys-lru", "allkeys-lfu", "volatile-ttl", "noeviction")
EVERY = (1, 5, 10, 15, 30, 60, 120, 360, 720, 1440)
CRON_EXPRESSIONS = ("0 */6 * * *", "30 2 * * 1-5", "*/15 * * * *", "0 0 1 * *")


def synth_app(
    services: int, *, seed: int = 0, language: str = "typescript", fifo_topics: bool | None = None
) -> meta_pb2.Data:
    """Metadata of an app with `services` services; Go apps get no exactly-once/ordered topics unless `fifo_topics`."""
    if services < 1:
        raise ValueError("services must be at least 1")
    if language not in ("typescript", "go"):
        raise ValueError(f"unknown language {language!r}")
    go = language == "go"
    fifo = (not go) if fifo_topics is None else fifo_topics
    rng = random.Random(f"{services}/{seed}/{language}/{fifo}")
    names = [f"svc-{i:0{len(str(services - 1))}d}" for i in range(services)]

    data = meta_pb2.Data(
        module_path="encore.app" if go else "app", app_revision=f"synth-{seed}",
        language=meta_pb2.GO if go else meta_pb2.TYPESCRIPT,
    )
    for i, name in enumerate(names):
        _package(data, i, names, go)
        _service(data, i, names, rng)
        _database(data, i, name, rng)
        _topic(data, i, names, go, fifo)
        _cron(data, i, name, rng)
    if go:
        lib = data.pkgs.add(rel_path="lib/shared", name="shared", secrets=["LibraryToken"])
        lib.rpc_calls.add(pkg=names[0], name="get")
    for g in range(0, services, 5):
        _cache(data, g // 5, names[g : g + 5])
    for b in range(0, services, 3):
        _bucket(data, b // 3)
    _metrics(data, names)
    _auth(data, names[0])
    return data


def _package(data: meta_pb2.Data, i: int, names: list[str], go: bool) -> None:
    name = names[i]
    secrets = {f"Svc{i}ApiKey", "SharedToken"}
    pkg = data.pkgs.add(rel_path=name, name=name.replace("-", "_") if go else name, service_name=name,
                        secrets=sorted(secrets))
    if len(names) > 1:
        pkg.rpc_calls.add(pkg=names[(i + 1) % len(names)], name="get")
    if go:
        data.pkgs.add(rel_path=f"{name}/internal", name="internal", service_name=name)


def _service(data: meta_pb2.Data, i: int, names: list[str], rng: random.Random) -> None:
    name = names[i]
    svc = data.svcs.add(name=name, rel_path=name)
    rpcs = [
        _rpc(name, "create", RPC.AUTH, ["POST"], [(Seg.LITERAL, name), (Seg.LITERAL, "items")]),
        _rpc(name, "get", RPC.PUBLIC, ["GET"], [(Seg.LITERAL, name), (Seg.LITERAL, "items"), (Seg.PARAM, "id")]),
        _rpc(name, "internal", RPC.PRIVATE, ["POST"], [(Seg.LITERAL, name), (Seg.WILDCARD, "path")]),
        _rpc(name, "tick", RPC.PRIVATE, ["POST"], [(Seg.LITERAL, name), (Seg.LITERAL, "tick")]),
    ]
    rpcs[0].body_limit = rng.choice((1 << 20, 8 << 20, 6 << 30))
    if i == 0:
        rpcs.append(_rpc(name, "fallback", RPC.PUBLIC, ["*"], [(Seg.FALLBACK, "rest")], raw=True))
    svc.rpcs.extend(sorted(rpcs, key=lambda r: r.name))
    svc.databases.append(f"{name}-db")
    if i % 4 == 3:
        svc.databases.append(f"{names[i - 1]}-db")
    svc.buckets.append(_usage(f"bucket-{i // 3}", i, public=(i // 3) % 2 == 1))
    svc.metrics.extend(["latency_seconds", "requests_total"])
    if i % 10 == 0:
        svc.metrics.append(f"{name.replace('-', '_')}_depth")


def _rpc(service: str, name: str, access: meta_pb2.RPC.AccessType, methods: list[str], segments: list[tuple[int, str]],
         raw: bool = False) -> meta_pb2.RPC:
    rpc = meta_pb2.RPC(name=name, service_name=service, access_type=access, http_methods=methods,
                       proto=RPC.RAW if raw else RPC.REGULAR)
    for kind, value in segments:
        seg = rpc.path.segments.add(type=kind, value=value)
        if kind == Seg.PARAM:
            seg.value_type = Seg.INT
    if access != RPC.PRIVATE:
        rpc.expose["api-gateway"].SetInParent()
        rpc.allow_unauthenticated = access == RPC.PUBLIC
    return rpc


def _usage(bucket: str, i: int, *, public: bool) -> meta_pb2.BucketUsage:
    ops = (
        (Op.WRITE_OBJECT, Op.READ_OBJECT_CONTENTS, Op.LIST_OBJECTS, Op.DELETE_OBJECT),
        (Op.GET_PUBLIC_URL if public else Op.GET_OBJECT_METADATA, Op.READ_OBJECT_CONTENTS),
        (Op.SIGNED_UPLOAD_URL, Op.SIGNED_DOWNLOAD_URL, Op.UPDATE_OBJECT_METADATA),
    )[i % 3]
    return meta_pb2.BucketUsage(bucket=bucket, operations=sorted(ops))


def _database(data: meta_pb2.Data, i: int, service: str, rng: random.Random) -> None:
    db = data.sql_databases.add(name=f"{service}-db", migration_rel_path=f"{service}/migrations",
                                allow_non_sequential_migrations=i % 5 == 0)
    count = 1 + i % 3
    numbers = list(range(1, count + 1))
    rng.shuffle(numbers)
    for n in numbers:
        db.migrations.add(filename=f"{n}_step_{n}.up.sql", number=n, description=f"step_{n}")


def _topic(data: meta_pb2.Data, i: int, names: list[str], go: bool, fifo: bool) -> None:
    name = names[i]
    topic = data.pubsub_topics.add(name=f"{name}.events")
    topic.message_type.named.id = i  # a TypeScript app declares each topic's message type
    topic.publishers.add(service_name=name)
    if len(names) > 3:
        topic.publishers.add(service_name=names[(i + 3) % len(names)])
    if fifo and i % 5 == 1:
        topic.delivery_guarantee = Topic.EXACTLY_ONCE
    if fifo and i % 7 == 2:
        topic.ordering_key = "customer_id"
    for subscriber in sorted({names[(i + 1) % len(names)], names[(i + 2) % len(names)]}):
        ack, retention, lo, hi, retries, concurrency, go_retries = SUBSCRIPTION_SETTINGS[
            (i + names.index(subscriber)) % len(SUBSCRIPTION_SETTINGS)
        ]
        sub = topic.subscriptions.add(
            name=f"{subscriber}-handler", service_name=subscriber, ack_deadline=ack, message_retention=retention
        )
        sub.retry_policy.min_backoff = lo
        sub.retry_policy.max_backoff = hi
        sub.retry_policy.max_retries = go_retries if go else retries
        if concurrency is not None or go:
            sub.max_concurrency = concurrency or 100


def _cron(data: meta_pb2.Data, i: int, service: str, rng: random.Random) -> None:
    if i % 3:
        return
    schedule = f"every:{rng.choice(EVERY)}" if i % 2 == 0 else f"schedule:{rng.choice(CRON_EXPRESSIONS)}"
    job = data.cron_jobs.add(id=f"{service}-tick", title=f"Tick {service}", schedule=schedule)
    job.endpoint.pkg = service
    job.endpoint.name = "tick"


def _cache(data: meta_pb2.Data, g: int, services: list[str]) -> None:
    cluster = data.cache_clusters.add(name=f"cache-{g}", eviction_policy=EVICTION[g % len(EVICTION)])
    for j, service in enumerate(services):
        ks = cluster.keyspaces.add(service=service)
        if j < 4:
            ks.path_pattern.type = meta_pb2.Path.CACHE_KEYSPACE
            for kind, value in ((Seg.LITERAL, service), (Seg.LITERAL, "users"), (Seg.PARAM, "id")):
                ks.path_pattern.segments.add(type=kind, value=value)


def _bucket(data: meta_pb2.Data, b: int) -> None:
    data.buckets.add(name=f"bucket-{b}", public=b % 2 == 1, versioned=b % 3 == 0)


def _metrics(data: meta_pb2.Data, names: list[str]) -> None:
    data.metrics.add(name="requests_total", kind=meta_pb2.Metric.COUNTER, value_type=schema_pb2.INT64)
    hist = data.metrics.add(name="latency_seconds", kind=meta_pb2.Metric.HISTOGRAM, value_type=schema_pb2.FLOAT64)
    hist.labels.add(key="endpoint", type=schema_pb2.STRING)
    for i in range(0, len(names), 10):
        gauge = data.metrics.add(name=f"{names[i].replace('-', '_')}_depth", kind=meta_pb2.Metric.GAUGE,
                                 value_type=schema_pb2.UINT64, service_name=names[i])
        gauge.labels.add(key="queue", type=schema_pb2.STRING)


def _auth(data: meta_pb2.Data, service: str) -> None:
    handler = meta_pb2.AuthHandler(name="auth", pkg_path=service, pkg_name=service, service_name=service)
    data.auth_handler.CopyFrom(handler)
    gateway = data.gateways.add(encore_name="api-gateway")
    gateway.explicit.service_name = service
    gateway.explicit.auth_handler.CopyFrom(handler)


def write(data: meta_pb2.Data, out_dir: Path) -> tuple[Path, Path]:
    """Writes `meta.pb` (binary) and `meta.json` (canonical protobuf JSON) into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pb, js = out_dir / "meta.pb", out_dir / "meta.json"
    pb.write_bytes(data.SerializeToString(deterministic=True))
    js.write_text(json_format.MessageToJson(data, indent=2) + "\n", encoding="utf-8")
    return pb, js


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.synth", description="Write synthetic app metadata.")
    parser.add_argument("--services", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="directory for meta.pb and meta.json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--language", choices=("typescript", "go"), default="typescript")
    parser.add_argument("--fifo", action=argparse.BooleanOptionalAction, default=None,
                        help="exactly-once/ordered topics (default: on for TypeScript, off for Go)")
    args = parser.parse_args(argv)
    if args.services < 1:
        parser.error("--services must be at least 1")
    data = synth_app(args.services, seed=args.seed, language=args.language, fifo_topics=args.fifo)
    for path in write(data, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

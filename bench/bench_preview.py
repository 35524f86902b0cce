"""`orchestrator preview --base-meta` on synthetic apps of 10 and 100 services (AWS, production env) against a
base with about 10% of the app's resources changed: every tenth subscription's ack deadline and retention,
bucket's versioning, cache's eviction policy, cron job's schedule, database's migration ordering, topic's
publishers and service's endpoints differ.

Each measurement is the real CLI in a fresh process (what a PR job runs), timed from outside:
  preview    `orchestrator preview --base-meta BASE --meta NEW --format markdown` (two renders in parallel
             child processes, the diffs, the comment)
  graph      `orchestrator graph --meta NEW` in the same way: one render, the baseline
Reported: wall seconds, the ratio preview/graph, the largest process's peak RSS (RUSAGE_CHILDREN covers the
renderers, which run at the same time: the machine needs about twice that), and the share of graph nodes the
preview found changed.

    python -m bench.bench_preview          # prints a table; results go to bench/RESULTS.md by hand
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZES = (10, 100)
STACK = (
    "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: production\n  orchestrator:app: bench\n"
    "  aws:region: eu-west-1\n"
)
REPO = Path(__file__).resolve().parents[1]
SECOND = 1_000_000_000


def changed_base(new: dict[str, Any]) -> dict[str, Any]:
    """`new` with every tenth subscription, bucket, cache, cron job, database, topic and service different (the
    base a PR starts from)."""
    base = copy.deepcopy(new)
    subs = [s for t in base.get("pubsubTopics", ()) for s in t.get("subscriptions", ())]
    for s in subs[::10]:
        s["ackDeadline"] = str(int(s.get("ackDeadline", 30 * SECOND)) + 15 * SECOND)
        s["messageRetention"] = str(int(s.get("messageRetention", 86400 * SECOND)) + 3600 * SECOND)
    for b in base.get("buckets", ())[::10]:
        b["versioned"] = not b.get("versioned", False)
    for c in base.get("cacheClusters", ())[::10]:
        c["evictionPolicy"] = "volatile-lru" if c.get("evictionPolicy") != "volatile-lru" else "allkeys-lru"
    for j in base.get("cronJobs", ())[::10]:
        j["schedule"] = "every:30" if j.get("schedule") != "every:30" else "every:60"
    for d in base.get("sqlDatabases", ())[::10]:
        d["allowNonSequentialMigrations"] = not d.get("allowNonSequentialMigrations", False)
    for t in base.get("pubsubTopics", ())[::10]:
        t["publishers"] = t.get("publishers", [])[:1]
    for svc in base.get("svcs", ())[::10]:
        for rpc in svc.get("rpcs", ())[:1]:
            rpc["httpMethods"] = ["GET"] if rpc.get("httpMethods") != ["GET"] else ["POST"]
    return base


def _timed(args: list[str], cwd: Path) -> dict[str, float]:
    """Run the CLI in a fresh child that reports its own wall time and its children's peak RSS."""
    code = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'wall_s': wall, 'cpu_s': use.ru_utime + use.ru_stime, 'peak_rss_mb': use.ru_maxrss / 1024,"
        " 'code': done.returncode, 'err': done.stderr[-500:]}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "orchestrator", *args], cwd=cwd,
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def measure(services: int, work: Path) -> dict[str, Any]:
    from google.protobuf import json_format

    from bench.synth import synth_app

    app = work / f"bench{services}" / "bench"
    app.mkdir(parents=True)
    (app / "stacks").mkdir()
    (app / "stacks" / "Pulumi.bench.yaml").write_text(STACK)
    new = json_format.MessageToDict(synth_app(services))
    (app / "new.json").write_text(json.dumps(new))
    (app / "base.json").write_text(json.dumps(changed_base(new)))
    common = ["--stacks", "stacks", "--state-dir", str(app / "state")]
    graph = _timed([*common, "graph", "--env", "bench", "--meta", "new.json", "--output", "graph.json"], app)
    preview = _timed([*common, "preview", "--env", "bench", "--meta", "new.json", "--base-meta", "base.json",
                      "--format", "json", "--output", "preview.json", "--detailed-exitcode"], app)
    assert graph["code"] == 0, graph["err"]
    assert preview["code"] == 8, preview["err"]
    nodes = len(json.loads((app / "graph.json").read_text()))
    doc = json.loads((app / "preview.json").read_text())
    touched = sum(len(doc["resources"][k]) for k in ("creates", "updates", "replaces", "deletes"))
    app_diff = doc["app_diff"]
    app_touched = sum(len(app_diff[k]) for k in ("added", "changed", "replaced", "removed"))
    planned = len(json.loads(subprocess.run(
        [sys.executable, "-m", "orchestrator", *common, "plan", "--env", "bench", "--meta", "new.json", "--format",
         "json"], cwd=app, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, check=True,
    ).stdout)["resources"])
    return {"services": services, "nodes": nodes, "changed_nodes": touched, "planned": planned,
            "changed_planned": app_touched, "graph": graph, "preview": preview}


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for services in SIZES:
            started = time.perf_counter()
            row = measure(services, Path(tmp))
            row["total_s"] = time.perf_counter() - started
            rows.append(row)
    print("| services | app resources changed | graph nodes changed | preview wall | graph wall (baseline) | "
          "wall preview/graph | CPU preview / graph | peak RSS (largest process) preview / graph |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        p, g = r["preview"], r["graph"]
        print(f"| {r['services']} | {r['changed_planned']} of {r['planned']} "
              f"({r['changed_planned'] / r['planned']:.0%}) | {r['changed_nodes']} of {r['nodes']:,} "
              f"({r['changed_nodes'] / r['nodes']:.0%}) | {p['wall_s']:.1f} s | {g['wall_s']:.1f} s | "
              f"{p['wall_s'] / g['wall_s']:.2f}x | {p['cpu_s']:.1f} / {g['cpu_s']:.1f} s | "
              f"{p['peak_rss_mb']:.0f} / {g['peak_rss_mb']:.0f} MB |")


if __name__ == "__main__":
    main()

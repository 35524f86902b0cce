"""`orchestrator graph` on synthetic apps of 10 and 100 services (AWS and GCP, production envs).

Each measurement runs in a fresh process so that peak memory (ru_maxrss) is its own:
  program   plan -> Pulumi program under the recording mocks -> resource graph (orchestrator.engine.graph.render)
  bare      a loop registering the same number of plain CustomResources under the same mocks and monitor
  bare-aws  the same loop with pulumi_aws SQS queues (typed resources cost more to register in the SDK)
  bare-gcp  the same loop with pulumi_gcp Pub/Sub topics
Reported: wall and CPU seconds, resources per (wall) second, peak RSS, and program time / bare-loop time.

    python -m bench.bench_graph [aws|gcp ...]   # prints a table; results go to bench/RESULTS.md by hand
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SIZES = (10, 100)
STACK = (
    "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: production\n  orchestrator:app: bench\n"
    "  aws:region: eu-west-1\n"
)
STACKS = {
    "aws": ("bench", STACK),
    "gcp": ("bench-gcp", "config:\n  orchestrator:cloud: gcp\n  orchestrator:envType: production\n"
                         "  orchestrator:app: bench\n  gcp:project: bench-project\n  gcp:region: europe-west1\n"),
}
"""Cloud -> (stack name, stack file) of the env the program renders for."""
REPO = Path(__file__).resolve().parents[1]


MODULES = {
    "aws": ("cloudwatch", "ec2", "elasticache", "iam", "rds", "s3", "secretsmanager", "sns", "sqs", "vpc"),
    "gcp": ("cloudrunv2", "compute", "organizations", "pubsub", "redis", "secretmanager", "serviceaccount",
            "servicenetworking", "sql", "storage"),
}


def _warm(cloud: str) -> None:
    """Load the SDK modules the program uses (the SDKs load them lazily, seconds each) before any timing."""
    import importlib

    import pulumi_random  # noqa: F401

    from providers import registry

    sdk = importlib.import_module(f"pulumi_{cloud}")
    for name in MODULES[cloud]:
        getattr(getattr(sdk, name), "__all__", None)  # any non-dunder-metadata access loads it
    table = registry.get(cloud).table
    for kind in table.handlers:
        table.handler(kind)


def _measure(work: Any) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    count = work()
    return {
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "resources": count,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _program(services: int, stacks: Path, cloud: str) -> dict[str, float]:
    from bench.synth import synth_app
    from orchestrator import stacks as stack_files
    from orchestrator.core import appmeta
    from orchestrator.core.plan import build
    from orchestrator.engine import graph

    _warm(cloud)
    plan = build(appmeta.load_bytes(synth_app(services).SerializeToString(), where="synth", name="bench"),
                 stack_files.load(stacks, STACKS[cloud][0]))
    return _measure(lambda: len(graph.render(plan)))


def _bare(count: int, typed: str | None, cloud: str) -> dict[str, float]:
    """`count` plain CustomResources, or (typed = "aws" / "gcp") SQS queues / Pub/Sub topics, under `cloud`'s
    mocks."""
    import contextvars
    import importlib

    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from orchestrator.engine import graph
    from providers import registry

    _warm(cloud)
    sdk = importlib.import_module(f"pulumi_{typed}") if typed else None
    region = {"aws": "eu-west-1", "gcp": "europe-west1"}[cloud]

    def make(i: int) -> None:
        if typed == "aws":
            sdk.sqs.Queue(f"q{i}", name=f"bench-q{i}", sqs_managed_sse_enabled=True)  # type: ignore[union-attr]
        elif typed == "gcp":
            sdk.pubsub.Topic(f"t{i}", name=f"bench-t{i}")  # type: ignore[union-attr]
        else:
            pulumi.CustomResource("bench:index:Thing", f"r{i}", {"name": f"r{i}"})

    def run() -> int:
        runtime_settings.ROOT.set(None)
        mocks = graph._mocks_class()(registry.get(cloud).part("mocks"), region, None)
        monitor = graph._monitor_class()(mocks)
        pulumi.runtime.set_mocks(mocks, project=graph.PROJECT, stack="bench", preview=False, monitor=monitor)

        def program() -> None:
            for i in range(count):
                make(i)

        _sync_await(run_pulumi_func(program))
        return len(monitor.records)

    return _measure(lambda: contextvars.copy_context().run(run))


def _child(argv: list[str]) -> None:
    """`--child MODE N STACKS_DIR [CLOUD]` (CLOUD defaults to aws, as bench/compare.py calls it)."""
    mode, n, stacks = argv[0], int(argv[1]), Path(argv[2])
    cloud = argv[3] if len(argv) > 3 else "aws"
    if mode == "program":
        result = _program(n, stacks, cloud)
    else:
        result = _bare(n, mode.removeprefix("bare-") if mode != "bare" else None, cloud)
    print(json.dumps(result))


def _run(mode: str, n: int, stacks: Path, cloud: str) -> dict[str, float]:
    env = {**os.environ, "ORCHESTRATOR_CREATED_AT": "2025-01-01", "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-m", "bench.bench_graph", "--child", mode, str(n), str(stacks), cloud],
                         cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(clouds: tuple[str, ...] = ("aws", "gcp")) -> dict[str, dict[int, dict[str, dict[str, float]]]]:
    import tempfile

    results: dict[str, dict[int, dict[str, dict[str, float]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        stacks = Path(tmp)
        for name, text in STACKS.values():
            (stacks / f"Pulumi.{name}.yaml").write_text(text)
        for n in SIZES:
            for cloud in clouds:
                typed = f"bare-{cloud}"
                program = _run("program", n, stacks, cloud)
                count = int(program["resources"])
                runs = {"program": program, "bare": _run("bare", count, stacks, cloud),
                        typed: _run(typed, count, stacks, cloud)}
                results.setdefault(cloud, {})[n] = runs
                for mode, r in runs.items():
                    print(f"graph {cloud} {n:>4} services {mode:<9} {int(r['resources']):>5} resources: "
                          f"{r['wall_s']:6.2f} s wall, {r['cpu_s']:6.2f} s CPU, "
                          f"{r['resources'] / r['wall_s']:7.0f} resources/s, peak RSS {r['peak_rss_mb']:6.0f} MB")
                for bare in ("bare", typed):
                    print(f"graph {cloud} {n:>4} services: program/{bare} CPU ratio "
                          f"{program['cpu_s'] / runs[bare]['cpu_s']:.2f}")
    return results


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2:])
    else:
        main(tuple(sys.argv[1:]) or ("aws", "gcp"))

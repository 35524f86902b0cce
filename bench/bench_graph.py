"""`orchestrator graph` on synthetic apps of 10 and 100 services (AWS, production env).

Each measurement runs in a fresh process so that peak memory (ru_maxrss) is its own:
  program   plan -> Pulumi program under the recording mocks -> resource graph (orchestrator.engine.graph.render)
  bare      a loop registering the same number of plain CustomResources under the same mocks and monitor
  bare-aws  the same loop with pulumi_aws SQS queues (typed resources cost more to register in the SDK)
Reported: wall and CPU seconds, resources per (wall) second, peak RSS, and program time / bare-loop time.

    python -m bench.bench_graph            # prints a table; results go to bench/RESULTS.md by hand
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
REPO = Path(__file__).resolve().parents[1]


AWS_MODULES = ("cloudwatch", "ec2", "elasticache", "iam", "rds", "s3", "secretsmanager", "sns", "sqs", "vpc")


def _warm() -> None:
    """Load the SDK modules the program uses (pulumi_aws loads them lazily, ~1.5 s) before any timing."""
    import pulumi_aws
    import pulumi_random  # noqa: F401

    from providers import registry

    for name in AWS_MODULES:
        getattr(getattr(pulumi_aws, name), "__all__", None)  # any non-dunder-metadata access loads it
    aws = registry.get("aws").table
    for kind in aws.handlers:
        aws.handler(kind)


def _measure(work: Any) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    count = work()
    return {
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "resources": count,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _program(services: int, stacks: Path) -> dict[str, float]:
    from bench.synth import synth_app
    from orchestrator import stacks as stack_files
    from orchestrator.core import appmeta
    from orchestrator.core.plan import build
    from orchestrator.engine import graph

    _warm()
    plan = build(appmeta.load_bytes(synth_app(services).SerializeToString(), where="synth", name="bench"),
                 stack_files.load(stacks, "bench"))
    return _measure(lambda: len(graph.render(plan)))


def _bare(count: int, typed: bool) -> dict[str, float]:
    import contextvars

    import pulumi
    import pulumi_aws as aws
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from orchestrator.engine import graph
    from providers import registry

    _warm()

    def run() -> int:
        runtime_settings.ROOT.set(None)
        mocks = graph._mocks_class()(registry.get("aws").part("mocks"), "eu-west-1", None)
        monitor = graph._monitor_class()(mocks)
        pulumi.runtime.set_mocks(mocks, project=graph.PROJECT, stack="bench", preview=False, monitor=monitor)

        def program() -> None:
            for i in range(count):
                if typed:
                    aws.sqs.Queue(f"q{i}", name=f"bench-q{i}", sqs_managed_sse_enabled=True)
                else:
                    pulumi.CustomResource("bench:index:Thing", f"r{i}", {"name": f"r{i}"})

        _sync_await(run_pulumi_func(program))
        return len(monitor.records)

    return _measure(lambda: contextvars.copy_context().run(run))


def _child(argv: list[str]) -> None:
    mode, n, stacks = argv[0], int(argv[1]), Path(argv[2])
    result = _program(n, stacks) if mode == "program" else _bare(n, typed=mode == "bare-aws")
    print(json.dumps(result))


def _run(mode: str, n: int, stacks: Path) -> dict[str, float]:
    env = {**os.environ, "ORCHESTRATOR_CREATED_AT": "2025-01-01", "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-m", "bench.bench_graph", "--child", mode, str(n), str(stacks)],
                         cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> dict[int, dict[str, dict[str, float]]]:
    import tempfile

    results: dict[int, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        stacks = Path(tmp)
        (stacks / "Pulumi.bench.yaml").write_text(STACK)
        for n in SIZES:
            program = _run("program", n, stacks)
            count = int(program["resources"])
            results[n] = {"program": program, "bare": _run("bare", count, stacks),
                          "bare-aws": _run("bare-aws", count, stacks)}
            for mode, r in results[n].items():
                print(f"graph {n:>4} services {mode:<9} {int(r['resources']):>5} resources: "
                      f"{r['wall_s']:6.2f} s wall, {r['cpu_s']:6.2f} s CPU, "
                      f"{r['resources'] / r['wall_s']:7.0f} resources/s, peak RSS {r['peak_rss_mb']:6.0f} MB")
            for bare in ("bare", "bare-aws"):
                print(f"graph {n:>4} services: program/{bare} CPU ratio "
                      f"{program['cpu_s'] / results[n][bare]['cpu_s']:.2f}")
    return results


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2:])
    else:
        main()

"""`orchestrator graph` for Azure on synthetic Go apps of 10 and 100 services (production env), beside AWS.

The app is bench.synth's Go app without buckets (no runtime has Azure Blob; Go apps keep their topics, which Azure
takes through Service Bus). Each measurement runs in a fresh process so that peak memory (ru_maxrss) is its own:
  azure        plan -> the Azure program under the recording mocks -> resource graph
  aws          the same app through the AWS program (the same engine, the other cloud's handlers)
  bare         a loop registering as many plain CustomResources under the same mocks and monitor
  bare-azure   the same loop with typed `azure-native:servicebus:Topic`s
Reported: wall and CPU seconds, resources per (wall) second, peak RSS, and program CPU / bare-loop CPU.

    python -m bench.bench_graph_azure      # prints a table; results go to bench/RESULTS.md by hand
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.bench_graph import _measure

SIZES = (10, 100)
STACKS = {
    "azure": "config:\n  orchestrator:cloud: azure\n  orchestrator:envType: production\n  orchestrator:app: bench\n"
             "  azure-native:location: westeurope\n",
    "aws": "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: production\n  orchestrator:app: bench\n"
           "  aws:region: eu-west-1\n",
}
REPO = Path(__file__).resolve().parents[1]
AZURE_MODULES = ("app", "authorization", "dbforpostgresql", "keyvault", "managedidentity", "network", "privatedns",
                 "redisenterprise", "resources", "servicebus")


def app_bytes(services: int) -> bytes:
    from bench.synth import synth_app

    data = synth_app(services, language="go")
    del data.buckets[:]
    for svc in data.svcs:
        del svc.buckets[:]
    return data.SerializeToString()


def _warm(cloud: str) -> None:
    """Load the SDK modules and handlers before any timing."""
    import importlib

    from providers import registry

    if cloud == "azure":
        for name in AZURE_MODULES:
            importlib.import_module(f"pulumi_azure_native.{name}")
    table = registry.get(cloud).table
    for kind in table.handlers:
        table.handler(kind)


def _program(cloud: str, services: int, stacks: Path) -> dict[str, float]:
    from orchestrator import stacks as stack_files
    from orchestrator.core import appmeta
    from orchestrator.core.plan import build
    from orchestrator.engine import graph

    _warm(cloud)
    plan = build(appmeta.load_bytes(app_bytes(services), where="synth", name="bench"), stack_files.load(stacks, cloud))
    return _measure(lambda: len(graph.render(plan)))


def _bare(count: int, typed: bool) -> dict[str, float]:
    import contextvars

    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await
    from pulumi_azure_native import servicebus

    from orchestrator.engine import graph
    from providers import registry

    _warm("azure")

    def run() -> int:
        runtime_settings.ROOT.set(None)
        mocks = graph._mocks_class()(registry.get("azure").part("mocks"), "westeurope", None)
        monitor = graph._monitor_class()(mocks)
        pulumi.runtime.set_mocks(mocks, project=graph.PROJECT, stack="bench", preview=False, monitor=monitor)

        def program() -> None:
            for i in range(count):
                if typed:
                    servicebus.Topic(f"t{i}", resource_group_name="rg", namespace_name="ns", topic_name=f"bench-t{i}",
                                     requires_duplicate_detection=False)
                else:
                    pulumi.CustomResource("bench:index:Thing", f"r{i}", {"name": f"r{i}"})

        _sync_await(run_pulumi_func(program))
        return len(monitor.records)

    return _measure(lambda: contextvars.copy_context().run(run))


def _child(argv: list[str]) -> None:
    mode, n, stacks = argv[0], int(argv[1]), Path(argv[2])
    result = _program(mode, n, stacks) if mode in STACKS else _bare(n, typed=mode == "bare-azure")
    print(json.dumps(result))


def _run(mode: str, n: int, stacks: Path) -> dict[str, Any]:
    env = {**os.environ, "ORCHESTRATOR_CREATED_AT": "2025-01-01", "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-m", "bench.bench_graph_azure", "--child", mode, str(n), str(stacks)],
                         cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> dict[int, dict[str, dict[str, Any]]]:
    import tempfile

    results: dict[int, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        stacks = Path(tmp)
        for cloud, text in STACKS.items():
            (stacks / f"Pulumi.{cloud}.yaml").write_text(text)
        for n in SIZES:
            azure = _run("azure", n, stacks)
            count = int(azure["resources"])
            results[n] = {"azure": azure, "aws": _run("aws", n, stacks), "bare": _run("bare", count, stacks),
                          "bare-azure": _run("bare-azure", count, stacks)}
            for mode, r in results[n].items():
                print(f"graph {n:>4} services {mode:<10} {int(r['resources']):>5} resources: "
                      f"{r['wall_s']:6.2f} s wall, {r['cpu_s']:6.2f} s CPU, "
                      f"{r['resources'] / r['wall_s']:7.0f} resources/s, peak RSS {r['peak_rss_mb']:6.0f} MB")
            for program in ("azure", "aws"):
                for bare in ("bare", "bare-azure"):
                    print(f"graph {n:>4} services: {program}/{bare} CPU ratio "
                          f"{results[n][program]['cpu_s'] / results[n][bare]['cpu_s']:.2f}")
    return results


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2:])
    else:
        main()

"""`orchestrator plan` on synthetic apps of 10, 100 and 1,000 services.

Targets: 1,000 services in under 2 s; 10x the app costs at most about 10x the time.
Measured in-process (load metadata + build plan + render JSON) and end to end through the CLI.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

from bench.synth import synth_app
from orchestrator import stacks as stack_files
from orchestrator.core import appmeta, envs
from orchestrator.core.plan import build

SIZES = (10, 100, 1000)
STACK = """config:
  orchestrator:cloud: aws
  orchestrator:envType: production
  orchestrator:app: bench
  aws:region: eu-west-1
"""


ROUNDS = 7


def _time_plan(meta: Path, env: envs.Env) -> float:
    start = time.perf_counter()
    build(appmeta.load(meta), env).to_json()
    return time.perf_counter() - start


def _in_process(metas: dict[int, Path], env: envs.Env) -> dict[int, float]:
    """Sizes interleaved within each round, so a slow phase of this shared machine hits every size alike;
    the least-disturbed round counts (interference only adds time)."""
    times: dict[int, list[float]] = {n: [] for n in metas}
    for _ in range(ROUNDS):
        for n, meta in metas.items():
            times[n].append(_time_plan(meta, env))
    return {n: min(t) for n, t in times.items()}


def _cli(meta: Path, stacks: Path) -> float:
    cmd = [
        sys.executable,
        "-m",
        "orchestrator",
        "--stacks",
        str(stacks),
        "plan",
        "--env",
        "bench",
        "--meta",
        str(meta),
        "--format",
        "json",
    ]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> dict[int, dict[str, float]]:
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        stacks = Path(tmp) / "stacks"
        stacks.mkdir()
        (stacks / "Pulumi.bench.yaml").write_text(STACK)
        env = stack_files.load(stacks, "bench")
        metas = {n: Path(tmp) / f"meta-{n}.pb" for n in SIZES}
        for n, meta in metas.items():
            meta.write_bytes(synth_app(n).SerializeToString())
        in_process = _in_process(metas, env)
        for n, meta in metas.items():
            resources = len(build(appmeta.load(meta), env).resources)
            results[n] = {"in_process_s": in_process[n], "cli_s": _cli(meta, stacks), "resources": resources}
            print(
                f"plan: {n:>5} services, {resources:>6} resources: in-process {results[n]['in_process_s']:.3f} s, "
                f"CLI {results[n]['cli_s']:.3f} s"
            )
    for small, big in pairwise(SIZES):
        ratio = results[big]["in_process_s"] / results[small]["in_process_s"]
        print(f"plan: {big}/{small} services time ratio {ratio:.1f} (target about 10 or less)")
    return results


if __name__ == "__main__":
    main()

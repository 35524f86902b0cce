"""Before/after comparison of two checkouts of this repository, interleaved pair by pair.

    python -m bench.compare BEFORE AFTER [-n N] -- python -m orchestrator --help
    python -m bench.compare BEFORE AFTER --suite [--json out.json]

Each command runs as a fresh process with cwd = the checkout and PYTHONPATH = the checkout (so the
checkout's own code is imported even when the venv has an editable install of another one; this is
checked before anything is timed). `python` at the start of a command means this interpreter;
`{checkout}` in an argument is replaced by the checkout's path. Bytecode is cached in a temporary
directory (PYTHONPYCACHEPREFIX), and each command runs once per checkout untimed before the timed
rounds. The order within a pair alternates
(before first, then after first, ...) so that neither side always gets the warmer machine.

Reported per measurement: median wall time and median peak RSS of the child (from os.wait4; it
cannot read below this script's own peak, about 15 MB), plus
the median of every number in a JSON object the child prints as its last stdout line, and the
after/before ratio of each. `--suite` runs the measurements of bench/RESULTS.md: `--help` against
`import click`, plan at 10/100/1,000 synthetic services (in-process and through the CLI), the graph
and its bare loops at 10 and 100 services, and the local target's cold deploy and no-op redeploy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]  # the checkout holding this script (used to write the synthetic apps)

STACK = (
    "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: production\n  orchestrator:app: bench\n"
    "  aws:region: eu-west-1\n"
)

# Load metadata + plan + JSON for each size, sizes interleaved, best of ROUNDS (as bench/bench_plan.py does).
# The import fallback is the layout before orchestrator/core, orchestrator/stacks.py and orchestrator/engine.
PLAN_CHILD = """
import json, sys, time
from pathlib import Path
try:
    from orchestrator.core import appmeta
    from orchestrator.core.plan import build
    from orchestrator.stacks import load
except ImportError:
    from orchestrator import appmeta
    from orchestrator.plan import build
    from orchestrator.envs import load
stacks, rounds, metas = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
env = load(stacks, "bench")
best = {}
for _ in range(rounds):
    for meta in metas:
        start = time.perf_counter()
        build(appmeta.load(Path(meta)), env).to_json()
        t = time.perf_counter() - start
        key = "plan_s_" + Path(meta).parent.name
        best[key] = min(best.get(key, t), t)
print(json.dumps(best))
"""

# One round of bench/bench_local.py (fresh state dir: secrets, cold deploy, no-op redeploy, destroy).
LOCAL_CHILD = """
import json, shutil, tempfile
from pathlib import Path
from bench import bench_local
tmp = Path(tempfile.mkdtemp(prefix="bench-local-"))
try:
    print(json.dumps(bench_local.one_round(tmp)))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
"""


def _expand(cmd: list[str], checkout: Path) -> list[str]:
    out = [a.replace("{checkout}", str(checkout)) for a in cmd]
    if out and out[0] == "python":
        out[0] = sys.executable
    return out


# Bytecode for both checkouts goes to one cache outside them (nothing is written into a checkout), so
# neither side pays for compiling its sources on every run, as it would under PYTHONDONTWRITEBYTECODE.
PYCACHE = tempfile.mkdtemp(prefix="bench-pycache-")


def _env(checkout: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONPYCACHEPREFIX": PYCACHE, **(extra or {})}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _tail(f: Any, size: int = 65536) -> str:
    f.seek(0, os.SEEK_END)
    f.seek(max(0, f.tell() - size))
    return f.read().decode(errors="replace")


def run_once(cmd: list[str], checkout: Path, extra_env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall time, peak RSS (this child alone) and the child's JSON numbers, if it prints any."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(_expand(cmd, checkout), cwd=checkout, env=_env(checkout, extra_env),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        # Only the tails: this process must stay small, because a child's ru_maxrss starts from the
        # high-water mark of the process it was spawned from (vfork + exec keeps it).
        stdout, stderr = _tail(out), _tail(err)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} in {checkout} failed ({proc.returncode}):\n{stderr[-3000:]}")
    result = {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024}
    lines = stdout.strip().splitlines()
    if lines and lines[-1].startswith("{"):
        try:
            reported = json.loads(lines[-1])
        except ValueError:
            reported = {}
        result.update({k: float(v) for k, v in reported.items() if isinstance(v, int | float)})
    return result


def check_imports(before: Path, after: Path) -> None:
    """Refuse to time anything unless each checkout imports its own `orchestrator`."""
    for checkout in (before, after):
        out = subprocess.run([sys.executable, "-c", "import orchestrator; print(orchestrator.__file__)"],
                             cwd=checkout, env=_env(checkout), capture_output=True, text=True, check=True)
        imported = Path(out.stdout.strip()).resolve()
        if not imported.is_relative_to(checkout.resolve()):
            raise SystemExit(f"{checkout}: imports orchestrator from {imported}, not from the checkout")


def compare(before: Path, after: Path, cmds: dict[str, list[str]], rounds: int,
            extra_env: dict[str, str] | None = None) -> dict[str, dict[str, list[dict[str, float]]]]:
    """Run every command in `cmds` once per checkout per round; the checkout order alternates per round."""
    samples: dict[str, dict[str, list[dict[str, float]]]] = {
        name: {"before": [], "after": []} for name in cmds}
    for checkout in (before, after):  # untimed: fills the bytecode cache and the page cache
        for cmd in cmds.values():
            run_once(cmd, checkout, extra_env)
    for i in range(rounds):
        order = (("before", before), ("after", after))
        for side, checkout in order if i % 2 == 0 else order[::-1]:
            for name, cmd in cmds.items():
                samples[name][side].append(run_once(cmd, checkout, extra_env))
    return samples


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def report(samples: dict[str, dict[str, list[dict[str, float]]]]) -> None:
    for name, sides in samples.items():
        b, a = medians(sides["before"]), medians(sides["after"])
        for key in b:
            ratio = a[key] / b[key] if b[key] else float("nan")
            print(f"{name:<28} {key:<16} before {b[key]:10.4f}  after {a[key]:10.4f}  after/before {ratio:5.2f}x"
                  f"  (n={len(sides['before'])})", flush=True)


def suite(before: Path, after: Path, quick: bool) -> dict[str, Any]:
    scale = 1 if not quick else 0
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        stacks = Path(tmp)
        (stacks / "Pulumi.bench.yaml").write_text(STACK)
        metas = {}
        for n in (10, 100, 1000):  # the same input files for both checkouts
            subprocess.run([sys.executable, "-m", "bench.synth", "--services", str(n), "--out", f"{tmp}/{n}"],
                           cwd=HERE, env=_env(HERE), check=True, stdout=subprocess.DEVNULL)
            metas[n] = f"{tmp}/{n}/meta.pb"

        def run(name: str, cmds: dict[str, list[str]], rounds: int, extra: dict[str, str] | None = None) -> None:
            results[name] = compare(before, after, cmds, rounds, extra)
            report(results[name])

        run("cli", {"import click": ["python", "-c", "import click"],
                    "orchestrator --help": ["python", "-m", "orchestrator", "--help"]}, 25 if scale else 3)
        run("plan-cli", {f"plan CLI {n}": ["python", "-m", "orchestrator", "--stacks", str(stacks), "plan",
                                           "--env", "bench", "--meta", meta, "--format", "json"]
                         for n, meta in metas.items()}, 7 if scale else 1)
        run("plan-in-process", {"plan in-process": ["python", "-c", PLAN_CHILD, str(stacks), "5" if scale else "1",
                                                    *metas.values()]}, 5 if scale else 1)
        graph_env = {"ORCHESTRATOR_CREATED_AT": "2025-01-01", "PYTHONWARNINGS": "ignore"}
        for n, count in ((10, 339), (100, 2925)):  # resources the program registers for n services
            run(f"graph-{n}", {f"graph {n} {mode}": ["python", "-m", "bench.bench_graph", "--child", mode,
                                                     str(n if mode == "program" else count), str(stacks)]
                               for mode in ("program", "bare", "bare-aws")}, 3 if scale else 1, graph_env)
        run("local", {"local ai-chat": ["python", "-c", LOCAL_CHILD]}, 3 if scale else 1)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("-n", "--rounds", type=int, default=10)
    parser.add_argument("--suite", action="store_true", help="the measurements of bench/RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="with --suite: one round each (a smoke test)")
    parser.add_argument("--json", type=Path, help="write every sample here")
    parser.add_argument("cmd", nargs="*", help="the command to time (after --)")
    args = parser.parse_args(argv)
    before, after = args.before.resolve(), args.after.resolve()
    check_imports(before, after)
    if args.suite:
        results: Any = suite(before, after, args.quick)
    elif args.cmd:
        results = compare(before, after, {" ".join(args.cmd): args.cmd}, args.rounds)
        report(results)
    else:
        parser.error("give a command after -- or --suite")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

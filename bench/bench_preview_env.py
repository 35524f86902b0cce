"""`orchestrator preview-env up` / `down` (shared strategy) on the local target, largest shared fixture (ai-chat).

Targets: `up` of a new PR env on a running base under 3 s, `down` under 2 s. The base is deployed once (its
servers stay up); each round makes env pr-N (its databases, roles and migrations, topics, queues), runs `up` again
(no-op), and takes it down. Each command is the real CLI in a fresh process. Baselines in the same run:
`orchestrator --help` (the interpreter and the CLI's imports) and the base's own no-op `deploy` (the pipeline's fixed
cost: metadata, plan, state store, the target's checks).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_local import FIXTURE, SECRETS, _app_root, _run

ROUNDS = 3
BASE = "base"
STACK = "config:\n  orchestrator:cloud: local\n  orchestrator:envType: development\n  orchestrator:app: bench\n"


def cli_env(tmp: Path) -> dict[str, str]:
    """The CLI's environment as on a user's machine: Python keeps its bytecode (in a cache under `tmp`, nothing is
    written into the checkout), so no command pays for compiling the project's modules, as every one would under
    PYTHONDONTWRITEBYTECODE (which some machines, this one included, set)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(tmp: Path) -> dict[str, float]:
    project = tmp / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "stacks" / f"Pulumi.{BASE}.yaml").write_text(STACK)
    env = cli_env(tmp)
    env["ORCHESTRATOR_HOME"] = str(tmp / "state")
    env.pop("ORCHESTRATOR_STATE_STORE", None)
    for name in SECRETS:
        _run(["secret", "set", "--env", BASE, name], env, project, stdin="value")
    meta, root = str(FIXTURE / "meta.pb"), str(_app_root(tmp))
    deploy = ["deploy", "--env", BASE, "--meta", meta, "--app-root", root, "--yes"]
    _run(deploy, env, project)
    rounds: dict[str, list[float]] = {"up_s": [], "up_again_s": [], "down_s": [], "base_noop_s": []}
    try:
        for pr in range(1, ROUNDS + 1):
            up = ["preview-env", "up", "--pr", str(pr), "--base", BASE, "--meta", meta, "--app-root", root, "--yes"]
            seconds, _ = _run(up, env, project)
            rounds["up_s"].append(seconds)
            seconds, log = _run(up, env, project)
            assert "no changes" in log, log
            rounds["up_again_s"].append(seconds)
            seconds, _ = _run(["preview-env", "down", "--pr", str(pr), "--yes"], env, project)
            rounds["down_s"].append(seconds)
            seconds, log = _run(deploy, env, project)
            assert "no changes" in log, log
            rounds["base_noop_s"].append(seconds)
    finally:
        _run(["destroy", "--env", BASE, "--yes"], env, project)
    return {key: statistics.median(values) for key, values in rounds.items()}


def main() -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-preview-env-"))
    try:
        result = measure(tmp)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "orchestrator", "--help"], capture_output=True, check=True,
                       env=cli_env(tmp))
        result["help_s"] = time.perf_counter() - start
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    noop, help_s = result["base_noop_s"], result["help_s"]
    print(f"preview-env on local (ai-chat, shared, median of {ROUNDS}): up {result['up_s']:.2f} s "
          f"({result['up_s'] / noop:.1f}x the base's no-op deploy, {result['up_s'] / help_s:.1f}x --help; target 3 s), "
          f"up again {result['up_again_s']:.2f} s ({result['up_again_s'] / noop:.1f}x), down {result['down_s']:.2f} s "
          f"({result['down_s'] / noop:.1f}x; target 2 s); base no-op deploy {noop:.2f} s, --help {help_s:.2f} s")
    return result


if __name__ == "__main__":
    main()

"""The local target on the largest shared fixture (ai-chat): cold deploy, no-op redeploy, destroy.

Targets: cold deploy (servers not running) under 10 s, no-op redeploy under 2 s, destroy under 3 s.
Each run is the real CLI in a fresh state directory; the share spent starting servers is read from
the deploy's own "started ... in N s" line. Baseline for the ratios: `orchestrator --help` in the same run.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "apps" / "ai-chat"
ROUNDS = 3
STACK = "config:\n  orchestrator:cloud: local\n  orchestrator:envType: development\n  orchestrator:app: bench\n"
SECRETS = ("DiscordToken", "GeminiJSONCredentials", "NGrokDomain", "NGrokToken", "OpenAIKey", "SlackToken")


def _run(args: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=cwd, env=env, input=stdin,
                         capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({out.returncode}): {out.stderr.strip()}")
    return elapsed, out.stderr


def _app_root(tmp: Path) -> Path:
    """The fixture has no SQL files; write one small migration per declared file."""
    from orchestrator.core import appmeta

    root = tmp / "app"
    for db in appmeta.load(FIXTURE / "meta.pb").databases:
        for mig in db.migrations:
            path = root / (db.migration_rel_path or "") / mig.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"CREATE TABLE m{mig.number} (id bigint PRIMARY KEY);\n")
    return root


def one_round(tmp: Path) -> dict[str, float]:
    project = tmp / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "stacks" / "Pulumi.bench.yaml").write_text(STACK)
    env = {**os.environ, "ORCHESTRATOR_HOME": str(tmp / "state"), "PYTHONPATH": str(REPO)}
    for name in SECRETS:
        _run(["secret", "set", "--env", "bench", name], env, project, stdin="value")
    meta, root = str(FIXTURE / "meta.pb"), str(_app_root(tmp))
    deploy = ["deploy", "--env", "bench", "--meta", meta, "--app-root", root, "--yes"]
    cold, log = _run(deploy, env, project)
    match = re.search(r"started .* in ([0-9.]+) s", log)
    servers = float(match.group(1)) if match else float("nan")
    noop, log = _run(deploy, env, project)
    assert "no changes" in log, log
    destroy, _ = _run(["destroy", "--env", "bench", "--yes"], env, project)
    return {"cold_s": cold, "servers_s": servers, "noop_s": noop, "destroy_s": destroy}


def main() -> dict[str, float]:
    rounds = []
    for _ in range(ROUNDS):
        tmp = Path(tempfile.mkdtemp(prefix="bench-local-"))
        try:
            rounds.append(one_round(tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    result = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    help_start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "orchestrator", "--help"], cwd=REPO, capture_output=True, check=True)
    result["help_s"] = time.perf_counter() - help_start
    print(f"local (ai-chat, median of {ROUNDS}): cold deploy {result['cold_s']:.2f} s "
          f"(starting servers {result['servers_s']:.2f} s = {result['servers_s'] / result['cold_s']:.0%}), "
          f"no-op redeploy {result['noop_s']:.2f} s, destroy {result['destroy_s']:.2f} s; "
          f"`--help` {result['help_s']:.2f} s (no-op = {result['noop_s'] / result['help_s']:.1f}x --help)")
    return result


if __name__ == "__main__":
    main()

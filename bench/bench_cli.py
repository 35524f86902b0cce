"""`orchestrator --help` cold start against a bare `python -c "import click"` (target: within 1.5x)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROUNDS = 25
ROOT = Path(__file__).resolve().parents[1]


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def main() -> dict[str, float]:
    baseline_cmd = [sys.executable, "-c", "import click"]
    help_cmd = [sys.executable, "-m", "orchestrator", "--help"]
    _time(baseline_cmd), _time(help_cmd)  # warm the page cache
    baseline, ours = [], []
    for _ in range(ROUNDS):
        baseline.append(_time(baseline_cmd))
        ours.append(_time(help_cmd))
    result = {
        "import_click_ms": statistics.median(baseline) * 1000,
        "help_ms": statistics.median(ours) * 1000,
    }
    result["ratio"] = result["help_ms"] / result["import_click_ms"]
    print(
        f"cli: import click {result['import_click_ms']:.1f} ms, orchestrator --help {result['help_ms']:.1f} ms, "
        f"ratio {result['ratio']:.2f} (target <= 1.5)"
    )
    return result


if __name__ == "__main__":
    main()

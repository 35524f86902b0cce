"""Run every benchmark in one process tree and print their lines (copy them into bench/RESULTS.md)."""

from __future__ import annotations

from bench import bench_cli, bench_graph, bench_local, bench_plan


def main() -> None:
    bench_cli.main()
    bench_plan.main()
    bench_graph.main()
    bench_local.main()


if __name__ == "__main__":
    main()

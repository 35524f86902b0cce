"""Regenerate the *_pb2.py / *_pb2.pyi modules from our .proto files.

Two schema folders: `orchestrator/core/schema/` (the parser metadata the core reads) and
`runtime_config/schema/` (the runtime config we write).

python -m runtime_config.schema.regen          # rewrite the generated files
python -m runtime_config.schema.regen --check  # exit 1 if they are stale
"""

from __future__ import annotations

import argparse
import importlib.resources
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIRS = (REPO_ROOT / "orchestrator" / "core" / "schema", REPO_ROOT / "runtime_config" / "schema")
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi")


def proto_files() -> list[Path]:
    return sorted(p for d in SCHEMA_DIRS for p in d.glob("*.proto"))


def generate(out_dir: Path) -> None:
    """Run protoc from the repo root so imports resolve as <package>.schema.*."""
    well_known = importlib.resources.files("grpc_tools").joinpath("_proto")
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        "-I",
        ".",
        "-I",
        str(well_known),
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        *(p.relative_to(REPO_ROOT).as_posix() for p in proto_files()),
    ]
    subprocess.run(cmd, cwd=REPO_ROOT, check=True)


def expected_outputs() -> list[Path]:
    return [p.with_name(p.stem + suffix) for p in proto_files() for suffix in GENERATED_SUFFIXES]


def orphaned_outputs() -> list[Path]:
    expected = set(expected_outputs())
    return [
        path
        for d in SCHEMA_DIRS
        for suffix in GENERATED_SUFFIXES
        for path in sorted(d.glob(f"*{suffix}"))
        if path not in expected
    ]


def check() -> list[str]:
    """Return the generated files (relative to the repo) that are missing, stale or orphaned."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        for current in expected_outputs():
            rel = current.relative_to(REPO_ROOT)
            if not current.exists():
                problems.append(f"{rel}: missing")
            elif current.read_bytes() != (Path(tmp) / rel).read_bytes():
                problems.append(f"{rel}: differs from a fresh generation")
    problems.extend(f"{path.relative_to(REPO_ROOT)}: no matching .proto file" for path in orphaned_outputs())
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runtime_config.schema.regen")
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the checked-in generated files are stale",
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python -m runtime_config.schema.regen", file=sys.stderr)
            return 1
        return 0
    generate(REPO_ROOT)
    for path in orphaned_outputs():
        path.unlink()
        print(f"removed {path.relative_to(REPO_ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The one-way flow, read from the imports (docs/architecture.md, "Import rules")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from providers import registry

ROOT = Path(__file__).resolve().parents[2]
CLOUDS = tuple(name for name in registry.names() if name != "local")


def sources(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if not p.name.endswith("_pb2.py"))


def imported(path: Path) -> set[str]:
    """Every project module `path` imports, at any depth (lazy imports count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n.split(".")[0] in ("orchestrator", "providers", "runtime_config")}


def modules_of(folder: str) -> list[tuple[str, set[str]]]:
    return [(str(p.relative_to(ROOT)), imported(p)) for p in sources(folder)]


def offending(folder: str, allowed: tuple[str, ...]) -> list[str]:
    return [f"{path} imports {name}" for path, names in modules_of(folder) for name in sorted(names)
            if not name.startswith(allowed)]


def test_core_imports_only_core():
    assert offending("orchestrator/core", ("orchestrator.core",)) == []


def test_runtime_config_imports_only_core_and_itself():
    assert offending("runtime_config", ("orchestrator.core", "runtime_config")) == []


FORBIDDEN_FOR_PROVIDERS = ("orchestrator.pipeline", "orchestrator.engine", "orchestrator.cli",
                           "orchestrator.verify", "orchestrator.state", "orchestrator.records")


def test_providers_never_reach_the_pipeline_engine_cli_verify_or_state():
    bad = [f"{path} imports {name}" for path, names in modules_of("providers") for name in sorted(names)
           if name.startswith(FORBIDDEN_FOR_PROVIDERS)]
    assert bad == []


def test_a_cloud_package_imports_no_other_cloud():
    bad = []
    for cloud in registry.names():
        for path, names in modules_of(f"providers/{cloud}"):
            bad += [f"{path} imports {n}" for n in names
                    if n.startswith("providers.") and n.split(".")[1] in registry.names() and n.split(".")[1] != cloud]
    assert bad == []


NAMED_BY_DESIGN = {"orchestrator/core/naming.py"}
"""The one maker of names keeps every cloud's naming rules as data, keyed by namespace (`aws.s3`, `gcp.gcs`)."""


@pytest.mark.parametrize("folder", ["orchestrator/engine", "orchestrator/core", "orchestrator/verify"])
def test_neutral_code_names_no_cloud(folder):
    """Neither imports of a cloud package nor a cloud's name in code (docstrings and comments aside)."""
    word = re.compile(r"\b(" + "|".join(CLOUDS) + r")\b", re.IGNORECASE)
    bad = []
    for path in sources(folder):
        if str(path.relative_to(ROOT)) in NAMED_BY_DESIGN:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if word.search(node.value):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for name in imported_names(node):
                    if name.startswith(tuple(f"providers.{c}" for c in registry.names())):
                        bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports {name}")
    assert bad == []


def imported_names(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    return [f"{node.module}.{a.name}" for a in node.names] if node.module else []


def test_only_the_pipeline_writes_records():
    writers = []
    for folder in ("orchestrator", "providers", "runtime_config"):
        for path in sources(folder):
            text = path.read_text(encoding="utf-8")
            if re.search(r"\bstore\.(write|forget)\(", text) and path.name != "pipeline.py":
                writers.append(str(path.relative_to(ROOT)))
    assert writers == []


def test_the_cli_holds_no_target_logic():
    names = imported(ROOT / "orchestrator" / "cli.py")
    assert not any(n.startswith(("providers.", "orchestrator.engine.target")) for n in names), names

"""Every target x kind has a handler or a reason; handlers resolve; tables import no SDK."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.core.model import Kind
from providers import registry

TARGETS = registry.names()

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("cloud", TARGETS)
@pytest.mark.parametrize("kind", list(Kind))
def test_handler_or_reason(cloud, kind):
    tbl = registry.get(cloud).table
    assert (kind in tbl.handlers) != (kind in tbl.unsupported), f"{cloud}/{kind}: exactly one of handler or reason"
    if kind in tbl.unsupported:
        assert len(tbl.unsupported[kind]) > 10


@pytest.mark.parametrize("cloud", [n for n in TARGETS if registry.get(n).table.handlers])
def test_handlers_resolve(cloud):
    tbl = registry.get(cloud).table
    for kind in tbl.handlers:
        assert callable(tbl.handler(kind))


def test_tables_import_no_sdk():
    code = (
        "import sys\nfrom providers import registry\n"
        "[t.table for t in registry.all_targets()]\n"
        "bad = [m for m in ('pulumi', 'pulumi_aws', 'boto3', 'psycopg', 'moto') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr

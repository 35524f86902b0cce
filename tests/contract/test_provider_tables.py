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


@pytest.mark.parametrize("cloud", TARGETS)
def test_language_refusals_name_a_handled_kind_and_why(cloud):
    """`unsupported_for` narrows a kind the table handles, for one language, with a reason."""
    tbl = registry.get(cloud).table
    for kind, reasons in tbl.unsupported_for.items():
        assert kind in tbl.handlers, f"{cloud}/{kind}: refused per language but has no handler"
        assert reasons and all(len(reason) > 10 for reason in reasons.values())


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


def test_every_target_has_its_extra_in_pyproject():
    """Each target's extra exists and installs every SDK module the target checks for (exit 6 otherwise)."""
    import re
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for target in registry.all_targets():
        assert target.extra in extras, f"pyproject.toml has no [{target.extra}] extra for {target.name}"
        installed = {re.split(r"[\[<>=!~ ;]", req)[0].lower().replace("-", "_") for req in extras[target.extra]}
        assert set(target.sdk) <= installed, f"{target.name}: {set(target.sdk) - installed} not in [{target.extra}]"


def test_every_target_names_every_role():
    from providers.base import ROLES

    for target in registry.all_targets():
        assert set(target.naming) == set(ROLES), target.name

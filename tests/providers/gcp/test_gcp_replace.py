"""providers/gcp/replace.py covers every GCP type the program creates, naming only real input properties."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

from providers.gcp.replace import REPLACES

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "gcp"


def _golden_inputs() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(GOLDEN.glob("*.json")):
        for res in json.loads(path.read_text(encoding="utf-8")):
            if res["type"].startswith("gcp:"):
                found.setdefault(res["type"], set()).update(res["inputs"])
    return found


GOLDEN_INPUTS = _golden_inputs()


def _sdk_inputs(token: str) -> set[str]:
    """The camelCase names of the `<Type>Args` parameters that pulumi_gcp's package exports for
    `gcp:<pkg>/<file>:<Type>`."""
    path, _, cls = token.removeprefix("gcp:").partition(":")
    package = path.partition("/")[0]
    args = getattr(importlib.import_module(f"pulumi_gcp.{package}"), f"{cls}Args")
    snake = inspect.signature(args.__init__).parameters
    return {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name) for name in snake if name != "self"}


def test_every_golden_type_has_an_entry() -> None:
    assert GOLDEN_INPUTS, "no golden graphs found"
    assert sorted(set(GOLDEN_INPUTS) - set(REPLACES)) == []


@pytest.mark.parametrize("token", sorted(REPLACES))
def test_every_property_is_an_input_of_its_type(token: str) -> None:
    known = GOLDEN_INPUTS.get(token, set()) | _sdk_inputs(token)
    assert REPLACES[token] - known == set()

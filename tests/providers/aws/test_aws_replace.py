"""providers/aws/replace.py covers every AWS type the program creates, naming only real input properties."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

from providers.aws.replace import REPLACES

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "aws"


def _golden_inputs() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(GOLDEN.glob("*.json")):
        for res in json.loads(path.read_text(encoding="utf-8")):
            if res["type"].startswith("aws:"):
                found.setdefault(res["type"], set()).update(res["inputs"])
    return found


GOLDEN_INPUTS = _golden_inputs()


def _sdk_inputs(token: str) -> set[str]:
    """The camelCase names of the `<Type>Args` parameters in pulumi_aws's module for `aws:<pkg>/<file>:<Type>`."""
    path, _, cls = token.removeprefix("aws:").partition(":")
    package, _, file = path.partition("/")
    module = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), file)
    args = getattr(importlib.import_module(f"pulumi_aws.{package}.{module}"), f"{cls}Args")
    snake = inspect.signature(args.__init__).parameters
    return {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name) for name in snake if name != "self"}


def test_every_golden_type_has_an_entry() -> None:
    assert GOLDEN_INPUTS, "no golden graphs found"
    assert sorted(set(GOLDEN_INPUTS) - set(REPLACES)) == []


@pytest.mark.parametrize("token", sorted(REPLACES))
def test_every_property_is_an_input_of_its_type(token: str) -> None:
    known = GOLDEN_INPUTS.get(token, set()) | _sdk_inputs(token)
    assert REPLACES[token] - known == set()

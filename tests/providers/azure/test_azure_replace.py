"""providers/azure/replace.py covers every Azure type the program creates, naming only real input properties."""

from __future__ import annotations

import importlib
import inspect
import json
import re

import pytest
from azgraph import GOLDEN

from providers.azure.replace import REPLACES


def _golden_inputs() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(GOLDEN.glob("*.json")):
        for res in json.loads(path.read_text(encoding="utf-8")):
            if res["type"].startswith(("azure-native:", "random:")):
                found.setdefault(res["type"], set()).update(res["inputs"])
    return found


GOLDEN_INPUTS = _golden_inputs()


def _sdk_inputs(token: str) -> set[str]:
    """The camelCase names of the `<Type>Args` parameters in the SDK module for `<pkg>:<module>:<Type>`."""
    package, module, cls = token.split(":")
    # The package, not the type's own submodule: importing `pulumi_azure_native.<module>.<type>` directly leaves the
    # lazily loaded package without its exports (`resources.ResourceGroup` then fails in later renders).
    mod = importlib.import_module("pulumi_random" if package == "random" else f"pulumi_azure_native.{module}")
    # Where a nested type already takes `<Type>Args`, the resource's own is `<Type>InitArgs` (network.Subnet).
    args = getattr(mod, f"{cls}InitArgs", None) or getattr(mod, f"{cls}Args")
    params = inspect.signature(args.__init__).parameters
    return {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name.rstrip("_")) for name in params
            if name != "self"}


def test_every_golden_type_has_an_entry() -> None:
    assert GOLDEN_INPUTS, "no golden graphs found"
    assert sorted(set(GOLDEN_INPUTS) - set(REPLACES)) == []


@pytest.mark.parametrize("token", sorted(REPLACES))
def test_every_property_is_an_input_of_its_type(token: str) -> None:
    assert REPLACES[token] - _sdk_inputs(token) == set()

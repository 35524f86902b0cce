"""naming.make: for every namespace, names are valid, unique per input and stable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orchestrator.core import naming

NAMESPACES = sorted(naming.RULES)
ROOT = Path(__file__).resolve().parents[2]

ADVERSARIAL = [
    "", "-", "--", "_", ".", "..", "a", "A", "0", "9lives", "goog", "google", "g00gle", "xn--", "sthree-",
    "amzn-s3-demo-", ".fifo", "x.fifo", "a-b", "a_b", "a--b", "-a-", "UPPER", "MiXeD", "ünïcödé", "日本語", "emoji-🙂",
    "\x00", "\n", " ", "a b", "a/b", "%", "~", "+", "=", "@", "x" * 40, "y" * 63, "z" * 64, "w" * 300, "r", "r-",
    "app", "prod",
]

part = st.one_of(st.sampled_from(ADVERSARIAL), st.text(max_size=80), st.text(alphabet="abc-_.AZ09", max_size=70))
parts_st = st.lists(part, min_size=1, max_size=4).map(tuple)
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("namespace", NAMESPACES)
@SETTINGS
@given(parts=parts_st)
@example(parts=("app", "prod", "orders"))
@example(parts=("",))
@example(parts=("sthree-",))
@example(parts=(";",))
@example(parts=("x.fifo", "="))
@example(parts=("w" * 300, "x" * 300, "y" * 300))
def test_valid_and_stable(namespace: str, parts: tuple[str, ...]) -> None:
    name = naming.make(namespace, *parts)
    assert naming.is_valid(namespace, name), (namespace, parts, name)
    naming._make.cache_clear()
    assert naming.make(namespace, *parts) == name


@pytest.mark.parametrize("namespace", NAMESPACES)
@SETTINGS
@given(a=parts_st, b=parts_st)
@example(a=("a-b", "c"), b=("a", "b-c"))
@example(a=("shop-prod", "eu", "orders"), b=("shop", "prod-eu", "orders"))
@example(a=("app", "env", "t", "s-dlq"), b=("app", "env", "t", "s", "dlq"))
@example(a=("a_b", "c"), b=("a", "b_c"))
@example(a=("A",), b=("a",))
@example(a=("a", ""), b=("a",))
def test_unique_per_input(namespace: str, a: tuple[str, ...], b: tuple[str, ...]) -> None:
    if a != b:
        assert naming.make(namespace, *a) != naming.make(namespace, *b), (namespace, a, b)


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_adversarial_inputs_are_valid_and_distinct(namespace: str) -> None:
    names = {p: naming.make(namespace, "app", "env", p) for p in ADVERSARIAL}
    for p, name in names.items():
        assert naming.is_valid(namespace, name), (p, name)
    assert len(set(names.values())) == len(names)


def test_stable_across_processes() -> None:
    """No per-process state (hash seeds) leaks into names."""
    code = (
        "from orchestrator.core import naming\n"
        "print([naming.make(ns, 'Shop', 'prod', 'orders/ünï', 'x' * 90) for ns in sorted(naming.RULES)])\n"
        "print(naming.env_var('SECRET', 'StripeKey'))\n"
    )
    outs = {
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(outs) == 1


@SETTINGS
@given(parts=parts_st)
def test_env_var_shape(parts: tuple[str, ...]) -> None:
    var = naming.env_var(*parts)
    assert var.isascii() and var.replace("_", "").isalnum() and var.startswith("ORCH_")
    assert var == var.upper()

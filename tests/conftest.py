"""Shared test fixtures: the shared fixture apps and synthetic apps.

A test that takes an argument named `fixture_app` runs once per shared fixture app
(the argument is the app's folder name; `FIXTURES / fixture_app` is its folder).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bench import synth

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "apps"
FIXTURE_NAMES: tuple[str, ...] = tuple(sorted(p.parent.name for p in FIXTURES.glob("*/meta.pb")))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "fixture_app" in metafunc.fixturenames:
        metafunc.parametrize("fixture_app", FIXTURE_NAMES)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def fixture_names() -> tuple[str, ...]:
    return FIXTURE_NAMES


SynthApp = Callable[..., Path]


@pytest.fixture
def synth_app(tmp_path_factory: pytest.TempPathFactory) -> SynthApp:
    """`synth_app(n, seed=0, language="typescript", fifo_topics=None)` writes a synthetic app's
    meta.pb and meta.json into a fresh folder named `synth` and returns the meta.pb path."""

    def make(services: int, **kw: object) -> Path:
        out = tmp_path_factory.mktemp("apps") / "synth"
        pb, _ = synth.write(synth.synth_app(services, **kw), out)  # type: ignore[arg-type]
        return pb

    return make

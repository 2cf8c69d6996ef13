"""Shared test helpers: bundled exercises by name, central finite differences, optional torch."""

from __future__ import annotations

import pytest

from scalarnet import Exercise
from scalarnet.spec.bundled import bundled_names, resolve


def load_bundled(name: str, **kwargs) -> Exercise:
    return Exercise.load(resolve(name), **kwargs)


def central_difference(f, x: float, h: float = 1e-6) -> float:
    """(f(x + h) − f(x − h)) / 2h: error O(h²)."""
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.fixture(params=bundled_names())
def bundled_name(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def torch():
    return pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests read English output unless they ask for another language (--lang, or by setting
    SCALARNET_LANG or LANG themselves): a Chinese locale on the test machine changes nothing.
    Subprocesses inherit the variable."""
    monkeypatch.setenv("SCALARNET_LANG", "en")

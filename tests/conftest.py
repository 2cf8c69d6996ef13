"""Shared test helpers: bundled exercises by name, central finite differences, optional torch."""

from __future__ import annotations

import re

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


_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def read_number(text: str) -> float:
    """A number as the views write it, read back: the true minus sign (−0.5), brackets around a
    negative factor ((−0.5)), and the pictures' scientific form (3.64 × 10⁻⁵)."""
    text = text.strip().strip("()").replace("−", "-")
    if " × 10" in text:
        mantissa, power = text.split(" × 10")
        return float(mantissa) * 10.0 ** int(power.translate(_SUPERSCRIPT_DIGITS))
    return float(text)


def shows(text: str, expected: float, rel: float = 5e-6) -> bool:
    """Whether ``text``, a number as a view writes it, is ``expected`` to the digits it shows:
    ``rel`` for plain digits, 5e-3 for the pictures' three-digit scientific form."""
    return read_number(text) == pytest.approx(expected, rel=5e-3 if "×" in text else rel, abs=1e-300)


NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?(?:e[+-]?\d+| × 10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)?")


def numbers_in(text: str) -> list[str]:
    """The numbers of a line of a picture, as written (3.64 × 10⁻⁵ is one)."""
    return NUMBER.findall(text)

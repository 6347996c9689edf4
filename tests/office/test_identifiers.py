"""IPI name numbers and ISNI: the check rules, their published examples, and the errors."""

from __future__ import annotations

import pytest

from producer.model.office_validate import ipi_problem, isni_problem


@pytest.mark.parametrize("ipi", ["00000000297", "00014107338", "000.000.002.97"])
def test_valid_ipi(ipi: str) -> None:
    assert ipi_problem(ipi) is None


@pytest.mark.parametrize(
    ("ipi", "words"),
    [
        ("00000000298", "wrong check digits (expected 97)"),
        ("0000000029", "must be 11 digits"),
        ("0000000029A", "must be 11 digits"),
    ],
)
def test_invalid_ipi(ipi: str, words: str) -> None:
    assert words in (ipi_problem(ipi) or "")


@pytest.mark.parametrize(
    "isni", ["0000 0001 2281 955X", "0000000122819550"[:-1] + "X", "ISNI 0000 0001 2146 438X"]
)
def test_valid_isni(isni: str) -> None:
    assert isni_problem(isni) is None


def test_invalid_isni() -> None:
    assert "expected X" in (isni_problem("0000 0001 2281 9551") or "")
    assert "16 characters" in (isni_problem("0000 0001 2281") or "")

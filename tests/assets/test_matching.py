"""Matching the comuni of agency files by name, as the agency and its copies write them."""

from __future__ import annotations

from typing import Any

import pytest

from prossima.assets.actions import ComuneMatcher


@pytest.fixture(scope="module")
def matcher(django_db_blocker: Any) -> ComuneMatcher:
    with django_db_blocker.unblock():
        return ComuneMatcher()


@pytest.mark.parametrize(
    ("written", "province", "expected"),
    [
        ("FORLI'", "FORLI'-CESENA", "Forlì"),
        ("S. AGATA BOLOGNESE", "BOLOGNA", "Sant'Agata Bolognese"),
        ("S. SOFIA", "", "Santa Sofia"),
        ("S.LAZZARO DI SAVENA", "BO", "San Lazzaro di Savena"),
        ("CASTELL'ARQUATO", "PIACENZA", "Castell'Arquato"),
        ("REGGIO NELL EMILIA", "", "Reggio nell'Emilia"),
        ("castel san pietro terme", "", "Castel San Pietro Terme"),
    ],
)
def test_names_as_the_agency_writes_them(
    matcher: ComuneMatcher, written: str, province: str, expected: str
) -> None:
    found, reason = matcher.match({"comune": written, "province": province})
    assert found is not None, reason
    assert found.name == expected


@pytest.mark.parametrize("written", ["BOLOGNA - BORGO PANIGALE", "CASTELLO DI SERRAVALLE", ""])
def test_places_that_are_not_comuni_are_not_guessed(matcher: ComuneMatcher, written: str) -> None:
    found, reason = matcher.match({"comune": written, "province": "BOLOGNA"})
    assert found is None
    assert reason


def test_an_istat_code_wins_over_the_name(matcher: ComuneMatcher) -> None:
    found, _reason = matcher.match({"comune": "MODENA", "istat_code": "037006"})
    assert found is not None
    assert found.name == "Bologna"
    missing, reason = matcher.match({"comune": "BOLOGNA", "istat_code": "999999"})
    assert missing is None
    assert "999999" in reason

"""Share paths to the shipped data extracts and small event sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from prossima.analysis.events import EventSet
from prossima.analysis.io import read_events

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="session")
def toronto_path() -> Path:
    return DATA / "toronto_mci_extract.csv.gz"


@pytest.fixture(scope="session")
def policeuk_path() -> Path:
    return DATA / "police_uk_extract.csv.gz"


@pytest.fixture(scope="session")
def toronto_events(toronto_path: Path) -> EventSet:
    return read_events(toronto_path).events

"""Share small real event sets and fast model settings for the forecast tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from prossima.analysis.events import EventSet
from prossima.analysis.io import read_events

DATA = Path(__file__).resolve().parents[2] / "data"
TORONTO = DATA / "toronto_mci_extract.csv.gz"
POLICEUK = DATA / "police_uk_extract.csv.gz"

# Smaller than the defaults only where it buys speed; the contract does not depend on them.
FAST: dict[str, dict[str, Any]] = {
    "retrospective": {},
    "prospective": {},
    "stkde": {},
    "sepp": {"fit_days": 365.0, "max_iter": 30},
    "boosted": {"n_train_origins": 3, "max_iter": 30},
    "ensemble": {"components": "retrospective,stkde,prospective", "validation_periods": 3},
}


@pytest.fixture(scope="session")
def toronto() -> EventSet:
    return read_events(TORONTO).events

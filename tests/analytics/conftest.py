from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(autouse=True)
def _database(db: Any, fast_password_hashing: None) -> None:
    """Give every test here the database (rolled back after each test)."""


@pytest.fixture
def toronto(make_org: Any, make_user: Any, modena: Any) -> dict[str, Any]:
    """Toronto as a partner city with the real downtown extract (11,740 rows) imported."""
    from django.core.cache import cache

    from prossima.accounts.models import OrganisationKind, Role
    from prossima.incidents.actions import do_create_dataset, do_import_incidents

    cache.clear()  # public layers cached by earlier tests
    city = make_org(
        OrganisationKind.PARTNER_CITY,
        "Toronto (test)",
        country="CA",
        timezone_name="America/Toronto",
    )
    police = make_org(OrganisationKind.POLICE_COMMAND, "TPS analysts (test)", parent=city)
    other = make_org(OrganisationKind.COMUNE, "Comune di Modena (test)", comune=modena)
    dataset = do_create_dataset(None, city, name="MCI downtown")
    record = do_import_incidents(None, dataset, DATA / "toronto_mci_extract.csv.gz")
    assert record.created == 11_740
    return {
        "city": city,
        "dataset": dataset,
        "analyst": make_user(police, Role.ANALYST, username="analyst"),
        "officer": make_user(police, Role.OFFICER, username="officer"),
        "manager": make_user(city, Role.MANAGER, username="manager"),
        "outsider": make_user(other, Role.ANALYST, username="outsider"),
    }

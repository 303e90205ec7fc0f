from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _database(db: Any, fast_password_hashing: None) -> None:
    """Give every test here the database (rolled back after each test)."""


# Piazza Maggiore, Bologna, with decimals that would show if the exact point leaked.
PIAZZA = (11.342618, 44.493712)
IMOLA = (11.714700, 44.353400)  # a comune of the loaded region with no tenant here
ROME = (12.496400, 41.902800)  # outside the loaded territory


@pytest.fixture
def city(
    make_org: Any, make_user: Any, bologna: Any, modena: Any, settings: Any, tmp_path: Any
) -> dict[str, Any]:
    """Bologna as a tenant with its police, their staff, two citizens and a Modena analyst."""
    from django.core.cache import cache

    from prossima.accounts.models import OrganisationKind, Role
    from prossima.incidents.actions import do_install_report_categories

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()  # rate-limit counters of earlier tests
    do_install_report_categories()
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    police = make_org(OrganisationKind.POLICE_COMMAND, "PL Bologna (test)", parent=comune)
    modena_org = make_org(OrganisationKind.COMUNE, "Comune di Modena (test)", comune=modena)
    return {
        "comune": comune,
        "police": police,
        "modena": modena_org,
        "moderator": make_user(comune, Role.MODERATOR, username="moderatrice"),
        "manager": make_user(comune, Role.MANAGER, username="responsabile"),
        "clerk": make_user(comune, Role.OFFICER, username="impiegato"),
        "officer": make_user(police, Role.OFFICER, username="agente"),
        "outsider": make_user(modena_org, Role.ANALYST, username="analista.modena"),
        "citizen": make_user(username="cittadina"),
        "neighbour": make_user(username="vicino"),
    }

"""Shared fixtures of the counterfeiting tests: two comuni, their police, the association."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from prossima.accounts.models import OrganisationKind, Role


@pytest.fixture
def bologna_org(make_org: Callable[..., Any], bologna: Any) -> Any:
    """The comune of Bologna as a tenant."""
    return make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)


@pytest.fixture
def modena_org(make_org: Callable[..., Any], modena: Any) -> Any:
    """The comune of Modena as a tenant."""
    return make_org(OrganisationKind.COMUNE, "Comune di Modena", comune=modena)


@pytest.fixture
def bologna_police(make_org: Callable[..., Any], bologna_org: Any) -> Any:
    """Bologna's local police command."""
    return make_org(
        OrganisationKind.POLICE_COMMAND, "Polizia Locale di Bologna", parent=bologna_org
    )


@pytest.fixture
def officer(make_user: Callable[..., Any], bologna_police: Any) -> Any:
    """An officer of Bologna's local police."""
    return make_user(bologna_police, Role.OFFICER, username="officer_bo")


@pytest.fixture
def modena_officer(
    make_user: Callable[..., Any], make_org: Callable[..., Any], modena_org: Any
) -> Any:
    """An officer of Modena's local police."""
    police = make_org(
        OrganisationKind.POLICE_COMMAND, "Polizia Locale di Modena", parent=modena_org
    )
    return make_user(police, Role.OFFICER, username="officer_mo")


@pytest.fixture
def association_analyst(make_user: Callable[..., Any], make_org: Callable[..., Any]) -> Any:
    """An analyst of the association of comuni: aggregates of every tenant, no rows."""
    association = make_org(OrganisationKind.ASSOCIATION, "Associazione dei comuni")
    return make_user(association, Role.ANALYST, username="analyst_assoc")


@pytest.fixture
def citizen(make_user: Callable[..., Any]) -> Any:
    """A logged-in person with no role in any organisation."""
    return make_user(username="citizen")


# "Today" for the seizure rules in these tests; every date of the example file is earlier.
SEIZURE_TODAY = dt.date(2025, 12, 31)


@pytest.fixture
def seizure_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """Fix the seizure rules' today (``seizures.today``) at SEIZURE_TODAY."""
    from prossima.counterfeit import seizures

    monkeypatch.setattr(seizures, "today", lambda: SEIZURE_TODAY)
    return SEIZURE_TODAY

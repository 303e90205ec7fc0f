"""The demo accounts: illustrative, idempotent, with every role."""

from __future__ import annotations

from typing import Any

from prossima.accounts.models import Membership, Organisation, Role, User
from prossima.demo import DEMO_PEOPLE, demo_loaded, load_demo_accounts


def test_demo_accounts_cover_every_role_and_are_marked(db: Any) -> None:
    assert not demo_loaded()
    orgs = load_demo_accounts()
    assert demo_loaded()
    assert all(o.is_demo and "(demo)" in o.name for o in orgs.values())
    roles = set(Membership.objects.values_list("role", flat=True)) | {Role.CITIZEN}
    assert roles == set(Role.values)
    analyst = User.objects.get(username="analista.bologna")
    assert analyst.has_perm("prossima.view_restricted", orgs["comune"])
    researcher = User.objects.get(username="ricercatrice.istituto")
    assert not researcher.has_perm("prossima.view_restricted", orgs["comune"])
    assert researcher.has_perm("prossima.view_aggregates", orgs["comune"])


def test_demo_accounts_load_twice_without_duplicates(db: Any) -> None:
    load_demo_accounts()
    counts = (User.objects.count(), Organisation.objects.count(), Membership.objects.count())
    load_demo_accounts()
    assert counts == (
        User.objects.count(),
        Organisation.objects.count(),
        Membership.objects.count(),
    )
    assert User.objects.count() == len(DEMO_PEOPLE) + 1  # + the platform admin

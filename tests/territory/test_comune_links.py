"""The comune page leads to the modules that have something for that comune."""

from __future__ import annotations

from typing import Any

from django.test import Client

from prossima.accounts.models import OrganisationKind


def test_comune_page_links_to_vulnerability_and_public_map(
    bologna: Any, modena: Any, make_org: Any
) -> None:
    org = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    page = Client().get(f"/comuni/{bologna.istat_code}/").content.decode()
    assert f"/inclusion/comuni/{bologna.istat_code}/" in page
    assert f"/analytics/{org.slug}/public/" in page
    other = Client().get(f"/comuni/{modena.istat_code}/").content.decode()
    assert f"/inclusion/comuni/{modena.istat_code}/" in other
    assert 'data-testid="comune-public-map-link"' not in other  # no tenant on the platform

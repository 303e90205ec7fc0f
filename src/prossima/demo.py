"""Demo content loaded by ``make run``: the real Italian territory and illustrative accounts.

The territory (all comuni, boundaries, population) is real open data. The
organisations and people are illustrative: every demo organisation is marked
``is_demo`` and named "(demo)". No crime figures are invented for any place.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.db import transaction

from prossima.accounts.actions import do_add_membership, do_create_organisation
from prossima.accounts.models import Organisation, OrganisationKind, Role, User
from prossima.territory.actions import do_load_territory
from prossima.territory.models import Comune

DEMO_COMUNE = "037006"  # Bologna
TORONTO_FILE = (
    Path(__file__).resolve().parent / "incidents" / "data" / "toronto_mci_2018_2019.csv.gz"
)
TORONTO_DATASET = "Toronto MCI 2018-2019 (open data)"
TORONTO_ATTRIBUTION = (
    "Toronto Police Service, Major Crime Indicators. Contains information licensed under "
    "the Open Government Licence – Toronto."
)
DEMO_PASSWORD = "prossima-demo"  # noqa: S105 -- printed for the embedded demo only

# (username, first name, organisation key, role)
DEMO_PEOPLE: tuple[tuple[str, str, str, str], ...] = (
    ("amministratore.bologna", "Alda", "comune", Role.ADMINISTRATOR),
    ("responsabile.bologna", "Marco", "comune", Role.MANAGER),
    ("analista.bologna", "Giulia", "police", Role.ANALYST),
    ("agente.bologna", "Luca", "police", Role.OFFICER),
    ("moderatrice.bologna", "Sara", "comune", Role.MODERATOR),
    ("analista.associazione", "Paolo", "association", Role.ANALYST),
    ("ricercatrice.istituto", "Elena", "institute", Role.RESEARCHER),
    ("analista.toronto", "Sam", "toronto_police", Role.ANALYST),
    ("cittadina", "Anna", "", Role.CITIZEN),
)


def demo_loaded() -> bool:
    """Return whether the territory and the demo accounts are in the database."""
    return Comune.objects.exists() and Organisation.objects.filter(is_demo=True).exists()


def _org(key: str, **kwargs: object) -> Organisation:
    slug = f"demo-{key}"
    found = Organisation.objects.filter(slug=slug).first()
    return found or do_create_organisation(None, slug=slug, is_demo=True, **kwargs)  # type: ignore[arg-type]


@transaction.atomic
def load_demo_accounts() -> dict[str, Organisation]:
    """Create the demo organisations and people (idempotent)."""
    comune = Comune.objects.get(istat_code=DEMO_COMUNE)
    orgs = {
        "comune": _org(
            "comune",
            name=f"Comune di {comune.name} (demo)",
            kind=OrganisationKind.COMUNE,
            comune=comune,
        ),
        "association": _org(
            "association", name="Associazione dei comuni (demo)", kind=OrganisationKind.ASSOCIATION
        ),
        "institute": _org(
            "institute",
            name="Istituto di ricerca sulla prevenzione (demo)",
            kind=OrganisationKind.RESEARCH_INSTITUTE,
            country="IT",
        ),
        "community": _org(
            "community",
            name="Rete di quartiere (demo)",
            kind=OrganisationKind.COMMUNITY,
            comune=comune,
        ),
    }
    orgs["police"] = _org(
        "police",
        name=f"Polizia Locale di {comune.name} (demo)",
        kind=OrganisationKind.POLICE_COMMAND,
        parent=orgs["comune"],
    )
    orgs["toronto"] = _org(
        "toronto",
        name="Toronto, partner city (demo)",
        kind=OrganisationKind.PARTNER_CITY,
        country="CA",
        city="Toronto",
    )
    orgs["toronto_police"] = _org(
        "toronto-police",
        name="Toronto police analysts (demo)",
        kind=OrganisationKind.POLICE_COMMAND,
        parent=orgs["toronto"],
    )
    for username, first_name, org_key, role in DEMO_PEOPLE:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                email=f"{username}@demo.invalid",
                password=DEMO_PASSWORD,
                first_name=first_name,
                last_name="(demo)",
                email_verified=True,
            )
        if org_key:
            do_add_membership(None, orgs[org_key], user, role)
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser(
            username="admin",
            email="admin@demo.invalid",
            password=DEMO_PASSWORD,
            email_verified=True,
        )
    return orgs


def load_demo_incidents(tenant: Organisation, progress: Callable[[str], object] = print) -> None:
    """Import the real Toronto extract under the demo partner city (idempotent)."""
    from prossima.incidents.actions import do_create_dataset, do_import_incidents
    from prossima.incidents.models import Dataset

    dataset = Dataset.objects.filter(tenant=tenant, name=TORONTO_DATASET).first()
    if dataset is None:
        dataset = do_create_dataset(
            None,
            tenant,
            name=TORONTO_DATASET,
            attribution=TORONTO_ATTRIBUTION,
            description="Real open data of a partner city, loaded by the demo.",
        )
    if dataset.incidents.exists():
        return
    progress("  importing the Toronto open-data extract (66,165 incidents)")
    record = do_import_incidents(None, dataset, TORONTO_FILE)
    progress(f"  Toronto: {record.created} incidents, {record.rejected} rows rejected")


def load_demo(
    progress: Callable[[str], object] = print, region_codes: set[str] | None = None
) -> None:
    """Load the territory (all of Italy unless regions are given) and the demo accounts."""
    if region_codes is None or "08" not in region_codes:
        region_codes = None if region_codes is None else region_codes | {"08"}
    summary = do_load_territory(region_codes=region_codes, progress=lambda m: progress(f"  {m}"))
    progress(f"Territory: {summary.comuni} comuni, population {summary.year} (ISTAT).")
    orgs = load_demo_accounts()
    load_demo_incidents(orgs["toronto"], progress)
    progress(
        "Demo accounts (password '"
        + DEMO_PASSWORD
        + "'): admin, "
        + ", ".join(p[0] for p in DEMO_PEOPLE)
    )

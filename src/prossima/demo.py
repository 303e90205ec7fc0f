"""Demo content loaded by ``make run``: the real Italian territory and illustrative accounts.

The territory (all comuni, boundaries, population) is real open data. The
organisations and people are illustrative: every demo organisation is marked
``is_demo`` and named "(demo)". No crime figures are invented for any place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    ("assistente.sociale.bologna", "Chiara", "comune", Role.SOCIAL_WORKER),
    ("analista.associazione", "Paolo", "association", Role.ANALYST),
    ("responsabile.associazione", "Franca", "association", Role.MANAGER),
    ("ricercatrice.istituto", "Elena", "institute", Role.RESEARCHER),
    ("analista.toronto", "Sam", "toronto_police", Role.ANALYST),
    ("responsabile.toronto", "Alex", "toronto", Role.MANAGER),
    ("agente.toronto", "Jordan", "toronto_police", Role.OFFICER),
    ("cittadina", "Anna", "", Role.CITIZEN),
    ("referente.impresa", "Carla", "company", Role.MANAGER),
    ("volontaria.rete", "Giorgia", "community", Role.MANAGER),
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
        "company": _org(
            "company",
            name="Impresa locale (demo)",
            kind=OrganisationKind.COMPANY,
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
        timezone_name="America/Toronto",
    )
    if orgs["toronto"].timezone != "America/Toronto":
        # Databases loaded before organisations had a time zone.
        Organisation.objects.filter(pk=orgs["toronto"].pk).update(timezone="America/Toronto")
        orgs["toronto"].timezone = "America/Toronto"
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


# Illustrative citizen reports for the demo comune: concerns about places, never
# crime figures. (title, category, lon, lat, days ago, by the demo citizen,
# moderation: publish/hide/None, [(status, public comment)], moderation note)
DEMO_REPORTS: tuple[
    tuple[str, str, float, float, int, bool, str | None, tuple[tuple[str, str], ...], str], ...
] = (
    (
        "Lampioni spenti sotto il portico",
        "illuminazione-carente",
        11.33205,
        44.49452,
        24,
        True,
        "publish",
        (
            ("confirmed", "Segnalazione verificata dal sopralluogo."),
            ("in_progress", "Intervento di manutenzione programmato."),
        ),
        "",
    ),
    (
        "Portico buio la sera, tre lampioni guasti",
        "illuminazione-carente",
        11.33228,
        44.49439,
        20,
        False,
        "publish",
        (("duplicate", "Già segnalato: seguiamo la prima segnalazione."),),
        "",
    ),
    (
        "Capannone abbandonato con accessi aperti",
        "edificio-abbandonato",
        11.34970,
        44.51300,
        15,
        False,
        "publish",
        (("confirmed", "Il proprietario è stato invitato a chiudere gli accessi."),),
        "",
    ),
    (
        "Panchine divelte nel giardino",
        "vandalismo",
        11.35300,
        44.48280,
        30,
        True,
        "publish",
        (
            ("in_progress", ""),
            ("resolved", "Panchine sostituite dal servizio verde."),
        ),
        "",
    ),
    (
        "Rifiuti ingombranti in un cortile",
        "rifiuti-abbandonati",
        11.37000,
        44.49500,
        12,
        False,
        "publish",
        (("not_responsible", "Area privata: abbiamo informato l'amministratore."),),
        "",
    ),
    (
        "Sottopasso buio e sporco",
        "area-degradata",
        11.34280,
        44.50640,
        2,
        True,
        None,
        (),
        "",
    ),
    (
        "Scritte sul muro della scuola",
        "vandalismo",
        11.32500,
        44.50200,
        6,
        False,
        "hide",
        (),
        "Il testo conteneva nomi di persone: nascosto.",
    ),
)
DEMO_REPORT_ROUTING = {"spaccio": "police", "commercio-abusivo": "police"}


def load_demo_reports(orgs: dict[str, Organisation]) -> int:
    """Create the illustrative citizen reports of the demo comune (idempotent).

    Every one is marked ``illustrative`` and shown with that badge. Returns how
    many were created.
    """
    from datetime import timedelta

    from django.utils import timezone

    from prossima.incidents.actions import (
        do_change_report_status,
        do_install_report_categories,
        do_moderate_report,
        do_set_report_routing,
        do_submit_report,
    )
    from prossima.incidents.models import CitizenReport, ReportCategory

    do_install_report_categories()
    tenant = orgs["comune"]
    for code, key in DEMO_REPORT_ROUTING.items():
        do_set_report_routing(None, tenant, ReportCategory.objects.get(code=code), orgs[key])
    citizen = User.objects.get(username="cittadina")
    moderator = User.objects.get(username="moderatrice.bologna")
    manager = User.objects.get(username="responsabile.bologna")
    created = 0
    first: CitizenReport | None = None
    for title, code, lon, lat, days, by_citizen, moderation, steps, note in DEMO_REPORTS:
        found = CitizenReport.objects.filter(
            tenant=tenant, illustrative=True, original_title=title
        ).first()
        if found is not None:
            first = first or found
            continue
        with transaction.atomic():
            report, _token = do_submit_report(
                None,
                category=ReportCategory.objects.get(code=code),
                title=title,
                description=title + ". (Segnalazione di esempio, non reale.)",
                lon=lon,
                lat=lat,
                illustrative=True,
            )
            if by_citizen:
                report.reporter = citizen
                report.save(update_fields=["reporter"])
            CitizenReport.objects.filter(pk=report.pk).update(
                created_at=timezone.now() - timedelta(days=days)
            )
            if moderation is not None:
                do_moderate_report(moderator, report, publish=moderation == "publish", note=note)
            for status, comment in steps:
                do_change_report_status(
                    manager,
                    report,
                    status,
                    comment=comment,
                    duplicate_of=first if status == "duplicate" else None,
                )
        first = first or report
        created += 1
    return created


DEMO_FORECAST_MODEL = "ensemble"


def load_demo_runs(tenant: Organisation, progress: Callable[[str], object] = print) -> None:
    """Compute and store the demo analyses of the Toronto data (idempotent).

    A hotspot map of 2019 (published on the partner city's public page, cells
    of at least PUBLIC_MIN_COUNT incidents), emerging hot spots over the two
    years and a one-week forecast from 1 January 2020, the day after the data
    ends. They run through the job runner, as an analyst's would.
    """
    from prossima.analytics.actions import do_launch_run, do_publish_run
    from prossima.analytics.models import AnalysisRun
    from prossima.incidents.models import Dataset
    from prossima.jobs.runner import run_job

    dataset = Dataset.objects.filter(tenant=tenant, name=TORONTO_DATASET).first()
    if dataset is None or AnalysisRun.objects.filter(dataset=dataset).exists():
        return
    plans = [
        ("hotspots", {"since": "2019-01-01", "until": "2020-01-01"}),
        ("emerging", {}),
        ("forecast", {"model": DEMO_FORECAST_MODEL}),
    ]
    for kind, params in plans:
        progress(f"  Toronto: computing the demo {kind} run")
        run = do_launch_run(None, dataset, kind, params)
        if run.job_id is not None:
            run_job(run.job_id)
        run.refresh_from_db()
        if kind == "hotspots" and run.finished_at is not None:
            do_publish_run(None, run)


def load_demo_beats(tenant: Organisation, progress: Callable[[str], object] = print) -> None:
    """Draw and put in use eight beats for the Toronto demo data (idempotent)."""
    from prossima.incidents.models import Dataset
    from prossima.jobs.runner import run_job
    from prossima.policing.actions import do_activate_beat_plan, do_request_beats
    from prossima.policing.models import BeatPlan

    dataset = Dataset.objects.filter(tenant=tenant, name=TORONTO_DATASET).first()
    if dataset is None or BeatPlan.objects.filter(tenant=tenant).exists():
        return
    progress("  Toronto: drawing eight demo beats")
    plan = do_request_beats(
        None, tenant, name="Beat di prossimità (demo)", n_beats=8, dataset=dataset, cell_size=500
    )
    if plan.job_id is not None:
        run_job(plan.job_id)
    plan.refresh_from_db()
    if plan.finished_at is not None:
        do_activate_beat_plan(None, plan)


DEMO_SERVICES = (
    ("Laboratorio di orientamento al lavoro (esempio illustrativo)", "training", ["youth"], True),
    ("Sportello per chi vive solo (esempio illustrativo)", "elderly_support", ["elderly"], False),
    ("Doposcuola di quartiere (esempio illustrativo)", "school", ["youth", "migrants"], True),
)


def load_demo_services(orgs: dict[str, Organisation]) -> int:
    """Give Bologna a few illustrative services run by the demo community (idempotent).

    They are marked "esempio illustrativo": they let a social worker try a
    referral, and describe no real service.
    """
    from prossima.inclusion.models import Service
    from prossima.inclusion.referrals import do_create_service

    created = 0
    for name, kind, groups, referrals in DEMO_SERVICES:
        if Service.objects.filter(tenant=orgs["comune"], name=name).exists():
            continue
        do_create_service(
            None,
            orgs["comune"],
            provider=orgs["community"],
            name=name,
            kind=kind,
            target_groups=groups,
            eligibility="Servizio illustrativo della demo.",
            accepts_referrals=referrals,
        )
        created += 1
    return created


def load_demo_assets(orgs: dict[str, Organisation]) -> int:
    """Import the illustrative agency files for the demo comune and give some a reuse.

    Every asset is made up (codes with DEMO, streets that do not exist) and
    marked illustrative; dates are set relative to today so that the alerts a
    comune would see (an idle asset, a concession about to expire, one expired,
    a yearly report overdue) are there whenever the demo is loaded. Returns
    the number of assets added (0 when already loaded).
    """
    from django.test.utils import override_settings

    from prossima.assets import actions, agency
    from prossima.assets.models import Asset, HolderKind, Purpose, Stage

    tenant = orgs["comune"]
    assert tenant.comune is not None
    if Asset.objects.filter(comune=tenant.comune, is_illustrative=True).exists():
        return 0
    folder = Path(actions.__file__).parent / "data"
    # The demo's managers have .invalid addresses: nobody to e-mail the alerts to.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        for name in (
            "immobili_destinati_illustrativo.csv",
            "aziende_destinate_illustrativo.csv",
            "beni_in_gestione_illustrativo.csv",
        ):
            raw = (folder / name).read_bytes()
            header, rows = agency.read_table(agency.decode(raw), name)
            actions.do_import_assets(
                None,
                raw=raw,
                filename=name,
                file_kind=agency.guess_file_kind(header, rows),
                columns=agency.guess_columns(header),
                scope=[tenant.comune],
                organisation=tenant,
            )
        Asset.objects.filter(code__contains="-DEMO-").update(is_illustrative=True)
        today = actions.today()

        def asset(code: str) -> Asset:
            return Asset.objects.get(code=code)

        def hand_over(code: str, on: dt.date) -> Asset:
            return actions.do_record_stage(None, asset(code), Stage.HANDED_OVER, on)

        def grant(code: str, starts_on: dt.date, months: int, holder: str, title: str) -> Any:
            return actions.do_grant_concession(
                None,
                asset(code),
                holder=holder,
                holder_kind=HolderKind.COOPERATIVE,
                act_reference="Atto illustrativo n. 1",
                subject="Concessione in comodato d'uso gratuito (esempio illustrativo)",
                purpose=Purpose.SOCIAL,
                starts_on=starts_on,
                duration_months=months,
                project_title=title,
                goals="Esempio illustrativo della demo: nessun progetto reale.",
                beneficiaries="Esempio illustrativo",
            )

        def reports(concession: Any, years: list[int]) -> None:
            for year in years:
                actions.do_record_report(
                    None,
                    concession,
                    year_number=year,
                    received_on=actions.add_months(concession.starts_on, 12 * year + 1),
                    summary="Relazione annuale illustrativa.",
                    people_reached=10 * year,
                )

        # A villa whose concession ends in about two months: "concession expiring".
        hand_over("I-BO-DEMO-002", dt.date(2018, 3, 1))
        start = actions.add_months(today, -94).replace(day=1)
        villa = grant(
            "I-BO-DEMO-002", start, 96, "Cooperativa illustrativa Il Ponte", "Casa per l'autonomia"
        )
        reports(villa, actions.years_due(villa, today))
        # A shop in use whose last yearly report is missing: "report overdue".
        hand_over("I-BO-DEMO-003", dt.date(2019, 1, 15))
        shop = grant(
            "I-BO-DEMO-003",
            dt.date(2019, 6, 1),
            120,
            "Associazione illustrativa Emporio",
            "Emporio solidale",
        )
        reports(shop, actions.years_due(shop, today)[:-1])
        # A flat the comune uses itself.
        hand_over("I-BO-DEMO-006", dt.date(2016, 9, 1))
        actions.do_set_direct_use(
            None, asset("I-BO-DEMO-006"), dt.date(2016, 10, 1), "Alloggio di emergenza abitativa"
        )
        # Land whose concession expired with no new use: "concession expired".
        hand_over("I-BO-DEMO-005", dt.date(2021, 5, 1))
        land = grant(
            "I-BO-DEMO-005",
            dt.date(2021, 6, 1),
            36,
            "Cooperativa illustrativa Orti",
            "Orti sociali",
        )
        reports(land, actions.years_due(land, today))
        # A flat idle since its handover, with a call for proposals open: "idle".
        flat = hand_over("I-BO-DEMO-001", dt.date(2020, 2, 10))
        actions.do_create_call(
            None,
            flat,
            title="Avviso illustrativo per il riutilizzo sociale",
            description=(
                "Esempio illustrativo della demo: la comunità propone un uso sociale "
                "dell'appartamento."
            ),
            closes_on=today + dt.timedelta(days=45),
            publish=True,
        )
        actions.do_submit_proposal(
            None,
            flat,
            title="Spazio compiti per ragazzi (proposta illustrativa)",
            description="Proposta illustrativa della demo.",
            beneficiaries="Ragazzi 11-14 anni del quartiere",
            organisation_name="Associazione illustrativa di quartiere",
            contact_name="Persona illustrativa",
            contact_email="proposte@demo.invalid",
        )
    return Asset.objects.filter(comune=tenant.comune, is_illustrative=True).count()


def load_demo_alerts() -> int:
    """Import the made-up product alerts (numbers DEMO/…, brands "Marca Esempio"); idempotent.

    Safety Gate alerts are public but not shipped here; the demo shows the
    search and the consumer pages on eight invented ones, marked illustrative.
    """
    from prossima.counterfeit import alerts

    path = Path(alerts.__file__).parent / "data" / "safety_gate_illustrativo.csv"
    result = alerts.do_import_alerts(None, raw=path.read_bytes(), filename=path.name)
    return result.created


def load_demo_practices(orgs: dict[str, Organisation]) -> int:
    """Publish the seed practices (real programmes, summarised in our words); idempotent.

    They appear as submitted by the demo research institute, which stands for
    the institute that would curate them; each cites its public sources.
    """
    from prossima.practices.actions import do_load_seed_practices

    return do_load_seed_practices(orgs["institute"])


# Around via Zamboni, the university quarter of Bologna (lon, lat).
DEMO_PORTICO = (11.3503, 44.4966)
DEMO_PROJECT_AREA = {
    "type": "Polygon",
    "coordinates": [
        [[11.3470, 44.4950], [11.3545, 44.4950], [11.3545, 44.4985], [11.3470, 44.4985],
         [11.3470, 44.4950]]
    ],
}  # fmt: skip
DEMO_CONSULTATION = "Portici e piazze sicure in zona universitaria (illustrativa)"


def load_demo_dialogue(orgs: dict[str, Organisation]) -> int:
    """Create an illustrative consultation, meetings and a course (idempotent).

    Everything is marked illustrative and says so on its page: no real
    comune ran this consultation, and no real person wrote these proposals.
    Returns how many proposals were created.
    """
    import json
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from prossima.dialogue.actions import consultations as dialogue
    from prossima.dialogue.models import Consultation, PhaseKind, Scope
    from prossima.interventions.actions import do_create_project, do_publish_project

    if Consultation.objects.filter(title=DEMO_CONSULTATION).exists():
        return 0
    people = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in DEMO_PEOPLE])}
    manager = people["responsabile.bologna"]
    citizen, company, volunteer = (
        people["cittadina"], people["referente.impresa"], people["volontaria.rete"]
    )  # fmt: skip
    today = timezone.localdate()

    def days(a: int, b: int) -> dict[str, object]:
        return {"starts_on": today + timedelta(days=a), "ends_on": today + timedelta(days=b)}

    with transaction.atomic():
        consultation = dialogue.do_create_consultation(
            manager,
            orgs["comune"],
            title=DEMO_CONSULTATION,
            summary=(
                "Quali interventi renderebbero più sicuri i portici e le piazze della zona "
                "universitaria la sera? Consultazione di esempio per provare la piattaforma."
            ),
            description=(
                "Il comune raccoglie proposte di cittadini, associazioni e imprese, le discute "
                "in un incontro pubblico e risponde a ciascuna. Le proposte accolte entrano in "
                "un progetto di cui si segue l'avanzamento.\n\nTutti i contenuti sono "
                "illustrativi."
            ),
            scope=Scope.COMUNE,
            comune=orgs["comune"].comune,
            published=True,
            is_illustrative=True,
            phases=[
                {"kind": PhaseKind.INFORMATION, **days(-40, -16)},
                {"kind": PhaseKind.PROPOSALS, **days(-15, 20)},
                {"kind": PhaseKind.DEBATE, **days(21, 35)},
                {"kind": PhaseKind.EVALUATION, **days(36, 60)},
                {"kind": PhaseKind.RESULTS, **days(61, 90)},
            ],
        )
        from prossima.incidents.models import CitizenReport, ModerationState
        from prossima.practices.models import Practice

        report = CitizenReport.objects.filter(
            tenant=orgs["comune"], illustrative=True, moderation_state=ModerationState.PUBLISHED
        ).first()
        lighting = Practice.objects.filter(slug="illuminazione-pubblica-migliorata").first()
        light = dialogue.do_propose(
            citizen,
            consultation,
            title="Più luce sotto i portici di via Zamboni",
            body=(
                "La sera molti tratti del portico sono bui e ci si sente poco sicuri tornando "
                "a casa. Proposta: lampade a LED sotto le volte e una manutenzione più rapida "
                "delle lampade guaste."
            ),
            lon=DEMO_PORTICO[0],
            lat=DEMO_PORTICO[1],
            citizen_reports=[report.pk] if report else [],
            practices=[lighting.pk] if lighting else [],
            is_illustrative=True,
        )
        shops = dialogue.do_propose(
            company,
            consultation,
            organisation=orgs["company"],
            title="Negozi aperti più a lungo e vetrine illuminate",
            body=(
                "Le attività della via possono tenere le vetrine illuminate fino a mezzanotte "
                "e segnalare insieme i punti critici: più occhi sulla strada."
            ),
            is_illustrative=True,
        )
        walk = dialogue.do_propose(
            volunteer,
            consultation,
            organisation=orgs["community"],
            title="Passeggiate serali dei volontari di quartiere",
            body=(
                "Gruppi di volontari formati percorrono portici e piazze due sere a settimana, "
                "in contatto con la polizia locale, senza sostituirsi ad essa."
            ),
            is_illustrative=True,
        )
        for who, proposal in (
            (company, light), (volunteer, light), (citizen, shops), (citizen, walk),
            (volunteer, shops),
        ):  # fmt: skip
            dialogue.do_support(who, proposal)
        first = dialogue.do_comment(
            company,
            light,
            "Come impresa della zona possiamo contribuire alle lampade.",
            organisation=orgs["company"],
            is_illustrative=True,
        )
        dialogue.do_comment(
            citizen, light, "Grazie! Sarebbe utile anche sotto l'arco.", parent=first,
            is_illustrative=True,
        )  # fmt: skip
        dialogue.do_comment(
            company, walk, "Possiamo offrire le pettorine ai volontari.", is_illustrative=True
        )
        project = do_create_project(
            manager,
            orgs["comune"],
            title="Portici illuminati in zona universitaria (illustrativo)",
            kind="requalification",
            area=json.dumps(DEMO_PROJECT_AREA),
            start_date=today - timedelta(days=5),
            description="Progetto illustrativo creato dalla demo per mostrare l'avanzamento.",
        )
        do_publish_project(manager, project, True)
        dialogue.do_answer(
            manager,
            light,
            "accepted",
            "Accolta: le lampade saranno installate con il progetto dei portici illuminati.",
            project=project,
        )
        dialogue.do_answer(
            manager,
            shops,
            "evaluating",
            "Stiamo verificando con le associazioni di categoria orari e costi.",
        )
        funding = dialogue.do_pledge(
            company,
            orgs["company"],
            proposal=light,
            kind="funding",
            amount_eur=Decimal("5000"),
            description="Contributo per dieci lampade a LED.",
            public=True,
            is_illustrative=True,
        )
        dialogue.do_move_pledge(manager, funding, "accepted")
        dialogue.do_pledge(
            volunteer,
            orgs["community"],
            proposal=walk,
            kind="volunteering",
            hours=120,
            description="Otto volontari per due sere a settimana, per tre mesi.",
            public=True,
            is_illustrative=True,
        )
        load_demo_meetings(orgs, consultation)
        load_demo_course(orgs)
    return 3


def load_demo_meetings(orgs: dict[str, Organisation], consultation: Any) -> None:
    """Schedule an illustrative public assembly and an online meeting of mayors."""
    from datetime import timedelta

    from django.utils import timezone

    from prossima.dialogue.actions.meetings import do_create_meeting, do_register
    from prossima.dialogue.models import Meeting

    start = timezone.localtime().replace(hour=18, minute=0, second=0, microsecond=0)
    assembly = do_create_meeting(
        User.objects.get(username="responsabile.bologna"),
        orgs["comune"],
        title="Assemblea pubblica sui portici sicuri (illustrativa)",
        kind="public_assembly",
        summary="Presentazione e discussione delle proposte della consultazione.",
        agenda="Benvenuto\nLe proposte arrivate\nDiscussione\nProssimi passi",
        starts_at=start + timedelta(days=24),
        ends_at=start + timedelta(days=24, hours=2),
        place="Sala del quartiere (luogo di esempio)",
        capacity=60,
        consultation=consultation,
        published=True,
    )
    mayors = do_create_meeting(
        None,
        orgs["association"],
        title="Sindaci a confronto su migrazione, sfruttamento e tratta (illustrativo)",
        kind="mayors",
        summary=(
            "Incontro online tra sindaci e polizie locali per scambiare esperienze di "
            "protezione delle vittime di sfruttamento e tratta."
        ),
        agenda="Apertura\nEsperienze delle città\nStrumenti di cooperazione\nConclusioni",
        starts_at=start + timedelta(days=12, hours=-8),
        ends_at=start + timedelta(days=12, hours=-5),
        online_url="https://meet.example.org/sindaci-demo",
        languages="italiano, English",
        capacity=40,
        published=True,
    )
    Meeting.objects.filter(pk__in=[assembly.pk, mayors.pk]).update(is_illustrative=True)
    for username in ("cittadina", "referente.impresa", "volontaria.rete"):
        do_register(User.objects.get(username=username), assembly)
    do_register(User.objects.get(username="responsabile.bologna"), mayors, orgs["comune"])


def load_demo_course(orgs: dict[str, Organisation]) -> None:
    """Run an illustrative course of the institute: three sessions held, one certificate."""
    from datetime import timedelta

    from django.utils import timezone

    from prossima.dialogue.actions import training
    from prossima.dialogue.models import Course

    course = training.do_create_course(
        None,
        orgs["institute"],
        title="Polizia di prossimità: metodi e strumenti (corso illustrativo)",
        summary=(
            "Tre incontri per agenti e ufficiali di polizia locale su analisi dei problemi, "
            "ascolto dei residenti e valutazione."
        ),
        description="Corso di esempio creato dalla demo: non è un'offerta formativa reale.",
        audience="Agenti e ufficiali di polizia locale",
        capacity=25,
        published=True,
    )
    Course.objects.filter(pk=course.pk).update(is_illustrative=True)
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    topics = (
        ("Il metodo SARA", "Individuare e analizzare un problema ricorrente."),
        ("Ascolto e mediazione", "Incontrare residenti ed esercenti; gestire i conflitti."),
        ("Valutare i risultati", "Prima e dopo, aree di confronto, indicatori."),
    )
    sessions = []
    for order, (title, description) in enumerate(topics, start=1):
        module = training.do_add_module(None, course, title=title, description=description)
        begins = start - timedelta(days=7 * (4 - order))
        sessions.append(
            training.do_add_session(
                None,
                course,
                module=module,
                starts_at=begins,
                ends_at=begins + timedelta(hours=4),
                place="Aula di esempio dell'istituto",
            )
        )
    officer = User.objects.get(username="agente.bologna")
    manager = User.objects.get(username="responsabile.bologna")
    training.do_enrol(officer, course, orgs["police"])
    training.do_enrol(manager, course, orgs["comune"])
    for number, session in enumerate(sessions):
        present = [officer.pk] + ([manager.pk] if number == 0 else [])
        training.do_record_attendance(None, session, present)


def load_demo_indicators() -> int:
    """Compute the indicators of this year and last from what the demo loaded (idempotent)."""
    from django.utils import timezone

    from prossima.reports.actions.indicators import do_compute_indicators

    year = timezone.localdate().year
    stored = sum(sum(do_compute_indicators(y).stored.values()) for y in (year - 1, year))
    _demo_research_request(year)
    return stored


def _demo_research_request(year: int) -> None:
    """Leave one request of the demo researcher waiting for the association (idempotent)."""
    from prossima.reports.actions.research import do_request_extract
    from prossima.reports.models import ResearchRequest

    researcher = User.objects.get(username="ricercatrice.istituto")
    if ResearchRequest.objects.filter(requester=researcher).exists():
        return
    do_request_extract(
        researcher,
        Organisation.objects.get(slug="demo-institute"),
        title="Anziani e segnalazioni dei cittadini (richiesta di esempio)",
        purpose=(
            "Esempio per la demo: verificare se i comuni con più residenti anziani ricevono "
            "più segnalazioni dei cittadini, a livello regionale."
        ),
        indicators=["residents_65", "reports_rate"],
        years=[year],
        level="region",
    )


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
    load_demo_runs(orgs["toronto"], progress)
    load_demo_beats(orgs["toronto"], progress)
    load_demo_services(orgs)
    assets = load_demo_assets(orgs)
    if assets:
        progress(f"  {assets} illustrative confiscated assets for the demo comune")
    alerts = load_demo_alerts()
    if alerts:
        progress(f"  {alerts} illustrative product-safety alerts")
    practices = load_demo_practices(orgs)
    if practices:
        progress(f"  {practices} good practices from public sources")
    created = load_demo_reports(orgs)
    if created:
        progress(f"  {created} illustrative citizen reports for the demo comune")
    if load_demo_dialogue(orgs):
        progress("  an illustrative consultation with proposals, pledges, meetings and a course")
    stored = load_demo_indicators()
    progress(f"  {stored} indicator values computed from the data above and ISTAT population")
    progress(
        "Demo accounts (password '"
        + DEMO_PASSWORD
        + "'): admin, "
        + ", ".join(p[0] for p in DEMO_PEOPLE)
    )

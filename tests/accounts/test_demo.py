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


def test_demo_incidents_are_the_real_toronto_extract(db: Any, monkeypatch: Any) -> None:
    from pathlib import Path

    from prossima import demo
    from prossima.incidents.models import Dataset

    extract = Path(__file__).resolve().parents[1] / "data" / "toronto_mci_extract.csv.gz"
    monkeypatch.setattr(demo, "TORONTO_FILE", extract)
    orgs = load_demo_accounts()
    demo.load_demo_incidents(orgs["toronto"], progress=lambda _m: None)
    dataset = Dataset.objects.get(tenant=orgs["toronto"])
    assert "Open Government Licence – Toronto" in dataset.attribution
    assert dataset.incidents.count() == 11740
    demo.load_demo_incidents(orgs["toronto"], progress=lambda _m: None)
    assert dataset.incidents.count() == 11740
    assert not Dataset.objects.filter(tenant=orgs["comune"]).exists(), "no invented incidents"


def test_the_shipped_demo_file_is_there() -> None:
    from prossima import demo

    assert demo.TORONTO_FILE.exists()
    assert demo.TORONTO_FILE.stat().st_size < 2_000_000


def test_demo_runs_are_stored_and_the_hotspots_published(db: Any, monkeypatch: Any) -> None:
    from pathlib import Path

    from prossima import demo
    from prossima.analytics.models import AnalysisRun
    from prossima.analytics.queries import public_layer_text

    extract = Path(__file__).resolve().parents[1] / "data" / "toronto_mci_extract.csv.gz"
    monkeypatch.setattr(demo, "TORONTO_FILE", extract)
    # The demo's ensemble takes most of a minute on the full extract; the runs
    # are the same code path with a quicker model.
    monkeypatch.setattr(demo, "DEMO_FORECAST_MODEL", "prospective")
    orgs = load_demo_accounts()
    demo.load_demo_incidents(orgs["toronto"], progress=lambda _m: None)
    demo.load_demo_runs(orgs["toronto"], progress=lambda _m: None)
    runs = AnalysisRun.objects.filter(tenant=orgs["toronto"]).order_by("kind")
    assert [(r.kind, r.status) for r in runs] == [
        ("emerging", "done"),
        ("forecast", "done"),
        ("hotspots", "done"),
    ]
    hotspots = runs.get(kind="hotspots")
    assert hotspots.is_published
    assert public_layer_text(orgs["toronto"].slug) == hotspots.public_layer
    demo.load_demo_runs(orgs["toronto"], progress=lambda _m: None)
    assert AnalysisRun.objects.filter(tenant=orgs["toronto"]).count() == 3
    from prossima.policing.models import BeatPlan

    demo.load_demo_beats(orgs["toronto"], progress=lambda _m: None)
    demo.load_demo_beats(orgs["toronto"], progress=lambda _m: None)
    plan = BeatPlan.objects.get(tenant=orgs["toronto"])
    assert plan.is_active
    assert plan.beats.count() == 8


def test_demo_services_are_illustrative_and_loaded_once(db: Any) -> None:
    from prossima import demo
    from prossima.inclusion.models import Service

    orgs = load_demo_accounts()
    assert demo.load_demo_services(orgs) == len(demo.DEMO_SERVICES)
    assert demo.load_demo_services(orgs) == 0
    assert all("esempio illustrativo" in s.name for s in Service.objects.all())

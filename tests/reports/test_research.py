"""Research extracts: the request workflow, and the disclosure-control rules of the extracts.

The disclosure-control tests build a world of stored aggregates over real
comuni of Emilia-Romagna (counts of 0, 1–4 and more, categories, a province
with exactly one small comune, a province of two comuni) and check every
released cell of every level and format against the rules of
docs/disclosure-control.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from prossima.accounts.models import AuditEvent, OrganisationKind, Role
from prossima.reports.actions.indicators import COUNTED_DENOMINATORS, is_small
from prossima.reports.actions.research import (
    OBJECT_TYPE,
    do_decide_extract,
    do_record_download,
    do_request_extract,
    do_withdraw_request,
)
from prossima.reports.indicators import BY_CODE
from prossima.reports.models import IndicatorValue, Level, RequestStatus, ResearchRequest
from prossima.reports.queries.research import (
    COLUMNS,
    PRIMARY,
    SECONDARY,
    build_extract,
    decision_queue,
    extract_csv,
    extract_json,
    round_count,
    significant,
    visible_requests,
)
from prossima.territory.models import Comune, Region

YEARS = [2023, 2024]
INDICATORS = [
    "incidents_rate",
    "incidents_gini",
    "incidents_trend",
    "reports_resolved",
    "patrol_delivery",
]
PURPOSE = "How the concentration of incidents relates to patrol time in mid-sized comuni."
# The random part of the world: five provinces, eight comuni each.
RANDOM_PROVINCES = ("033", "034", "035", "036", "037")
FERRARA = "038"  # exactly one small comune
RAVENNA = "039"  # a small category, and a complement that cascades
FORLI = "040"  # a value stored as suppressed under a higher threshold
RIMINI = "099"  # two comuni only: no median


@pytest.fixture(autouse=True)
def _db(db: Any, fast_password_hashing: Any) -> None:
    """Give every test of the module the database, and quick passwords for its people."""


def _comuni(province: str, n: int) -> list[Comune]:
    return list(Comune.objects.filter(province__code=province).order_by("istat_code")[:n])


def _draw(rng: random.Random) -> int:
    # A third of the counts are 0–4: the cells the rules are about.
    return rng.choice([0, 0, 1, 2, 3, 4]) if rng.random() < 0.35 else rng.randint(5, 300)


class World:
    """Stored aggregates, and the exact parts they were made of."""

    def __init__(self) -> None:
        self.rows: list[IndicatorValue] = []
        self.exact: dict[tuple[str, str, int, str], tuple[float | None, float | None]] = {}

    def add(
        self,
        comune: Comune,
        code: str,
        year: int,
        numerator: float | None,
        denominator: float | None,
        breakdown: str = "",
        suppressed: bool | None = None,
    ) -> None:
        indicator = BY_CODE[code]
        self.rows.append(
            IndicatorValue(
                comune=comune,
                indicator=code,
                breakdown=breakdown,
                year=year,
                numerator=numerator,
                denominator=denominator,
                value=indicator.value(numerator, denominator),
                suppressed=(
                    is_small(indicator, numerator, denominator)
                    if suppressed is None
                    else suppressed
                ),
            )
        )
        self.exact[(code, breakdown, year, comune.istat_code)] = (numerator, denominator)

    def incidents(
        self, comune: Comune, year: int, theft: int, assault: int, gini: float = 0.5
    ) -> None:
        total = theft + assault
        people = (comune.population or 1000) / 1000
        self.add(comune, "incidents_rate", year, total, people)
        self.add(comune, "incidents_rate", year, theft, people, breakdown="theft")
        self.add(comune, "incidents_rate", year, assault, people, breakdown="assault")
        if total:
            self.add(comune, "incidents_gini", year, total, gini)


@pytest.fixture
def world() -> World:
    """Build the stored aggregates the extracts are made of."""
    rng = random.Random(20240601)
    w = World()
    for province in RANDOM_PROVINCES:
        for comune in _comuni(province, 8):
            for year in YEARS:
                w.incidents(comune, year, _draw(rng), _draw(rng), round(rng.uniform(0.2, 0.95), 4))
                submitted = _draw(rng)
                w.add(comune, "reports_resolved", year, rng.randint(0, submitted), submitted)
                w.add(comune, "incidents_trend", year, _draw(rng), _draw(rng) or 1)
                w.add(comune, "patrol_delivery", year, float(rng.randint(0, 5000)), 6000.0)
    # Ferrara: one comune of six under the threshold; the smallest other is 9 (a 0 is no cover).
    for comune, count in zip(_comuni(FERRARA, 6), [40, 12, 3, 25, 9, 0], strict=True):
        for year in YEARS:
            people = (comune.population or 1000) / 1000
            w.add(comune, "incidents_rate", year, count, people)
            if count:
                w.add(comune, "incidents_gini", year, count, 0.6)
    # Ravenna: 3 assaults of 30 incidents; the complement travels theft -> theft -> assault.
    first, second = _comuni(RAVENNA, 2)
    for year in YEARS:
        w.incidents(first, year, 27, 3, 0.4)
        w.incidents(second, year, 20, 30, 0.7)
    # Forlì-Cesena: stored as suppressed when the threshold was higher.
    for comune, count in zip(_comuni(FORLI, 3), [7, 40, 60], strict=True):
        for year in YEARS:
            w.add(comune, "incidents_rate", year, count, 1.0, suppressed=count == 7)
    # Rimini: two comuni, so no median of them.
    for comune in _comuni(RIMINI, 2):
        for year in YEARS:
            w.incidents(comune, year, 50, 10, 0.55)
    IndicatorValue.objects.bulk_create(w.rows)
    return w


@pytest.fixture
def institute(make_org: Callable[..., Any]) -> Any:
    return make_org(OrganisationKind.RESEARCH_INSTITUTE, "Istituto di ricerca")


@pytest.fixture
def association(make_org: Callable[..., Any]) -> Any:
    return make_org(OrganisationKind.ASSOCIATION, "Associazione dei comuni")


@pytest.fixture
def people(
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    institute: Any,
    association: Any,
    bologna: Any,
) -> dict[str, Any]:
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    return {
        "researcher": make_user(institute, Role.RESEARCHER, username="ricercatrice"),
        "colleague": make_user(institute, Role.ANALYST, username="collega"),
        "manager": make_user(association, Role.MANAGER, username="direttore"),
        "manager2": make_user(association, Role.ADMINISTRATOR, username="vicedirettore"),
        "comune_analyst": make_user(comune, Role.ANALYST, username="analista_bo"),
        "citizen": make_user(username="cittadino"),
    }


def _approved(
    institute: Any, requester: Any, approver: Any, level: str, **kwargs: Any
) -> ResearchRequest:
    """Return an approved request, stored directly: the extract tests do not test the workflow."""
    return ResearchRequest.objects.create(
        requester=requester,
        organisation=institute,
        title=f"Estratto {level}",
        purpose=PURPOSE,
        indicators=kwargs.pop("indicators", INDICATORS),
        years=kwargs.pop("years", YEARS),
        level=level,
        status=RequestStatus.APPROVED,
        decided_by=approver,
        decided_at=timezone.now(),
        expires_on=timezone.localdate() + dt.timedelta(days=30),
        **kwargs,
    )


def _from_csv(text: str) -> list[dict[str, Any]]:
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        row: dict[str, Any] = {}
        for key, value in raw.items():
            if key == "suppressed":
                assert value in ("true", "false")
                row[key] = value == "true"
            elif key in ("value", "numerator", "denominator", "comuni", "year"):
                row[key] = None if value == "" else float(value)
            else:
                row[key] = value
        rows.append(row)
    return rows


def _counts(row: dict[str, Any]) -> Iterator[float]:
    """Yield the released counts of a row: a counting numerator, a counted denominator."""
    indicator = BY_CODE[row["indicator"]]
    if indicator.counts and row["numerator"] is not None:
        yield row["numerator"]
    if indicator.code in COUNTED_DENOMINATORS and row["denominator"] is not None:
        yield row["denominator"]


def assert_safe(rows: list[dict[str, Any]], level: str, k: int) -> None:
    """Assert R1, R2, R3 and R5 on every row of a released extract."""
    assert rows, "the world yields rows at every level"
    floor = 5 * -(-k // 5)
    for row in rows:
        # R1: aggregate rows of the requested level, these columns and no others.
        assert tuple(row) == COLUMNS
        assert row["level"] == level
        indicator = BY_CODE[row["indicator"]]
        if row["suppressed"]:
            assert row["value"] is None
            assert row["numerator"] is None
            assert row["denominator"] is None
            continue
        for count in _counts(row):
            # R2: nothing between 1 and k-1; R5: multiples of five, none under k.
            assert not 0 < count < k, row
            assert count % 5 == 0, row
            assert count == 0 or count >= floor, row
        if row["method"] == "median":
            # R3: a median carries no counts, and rests on at least three comuni.
            assert row["numerator"] is None
            assert row["denominator"] is None
            assert row["comuni"] >= 3
        elif indicator.value_of is None or indicator.code in COUNTED_DENOMINATORS:
            # R5: the value is the one of the released parts (a value of the exact
            # parts would give the exact count back through the public population).
            expected = significant(indicator.value(row["numerator"], row["denominator"]))
            if expected is None:
                assert row["value"] is None, row
            else:
                assert row["value"] == pytest.approx(expected, rel=1e-3), row


def assert_complemented(rows: list[dict[str, Any]], group_of: Callable[[dict], Any]) -> None:
    """Assert R4: no group has exactly one withheld cell while another cell has a count."""
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        indicator = BY_CODE[row["indicator"]]
        protected = indicator.counts or indicator.code in COUNTED_DENOMINATORS
        if protected and row["method"] != "median":
            groups[group_of(row)].append(row)
    for key, members in groups.items():
        withheld = [r for r in members if r["suppressed"]]
        if len(withheld) == 1:
            others = [max(_counts(r), default=0) for r in members if not r["suppressed"]]
            assert not any(others), f"a single withheld cell in {key} could be recovered"


def _extract_rows(req: ResearchRequest, fmt: str) -> list[dict[str, Any]]:
    built = build_extract(req)
    if fmt == "csv":
        return _from_csv(extract_csv(built))
    return json.loads(json.dumps(extract_json(built)))["rows"]  # type: ignore[no-any-return]


# --- Disclosure control --------------------------------------------------------------------


def test_rounding_and_significant_digits() -> None:
    assert [round_count(n, 5) for n in (0, 5, 6, 7, 8, 12, 13, 302)] == [
        0,
        5,
        5,
        5,
        10,
        10,
        15,
        300,
    ]
    # A threshold that is not a multiple of five: a count of 7 is not published as 5.
    assert [round_count(n, 7) for n in (0, 7, 8, 12, 13)] == [0, 10, 10, 10, 15]
    assert round_count(None) is None
    assert significant(123.456) == 123.5
    assert significant(0.000123456) == 0.0001235
    assert significant(None) is None


@pytest.mark.parametrize("k", [5, 7, 10])
@pytest.mark.parametrize("level", [Level.COMUNE, Level.PROVINCE, Level.REGION])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_no_released_cell_is_under_the_threshold(
    world: World,
    people: dict[str, Any],
    institute: Any,
    settings: Any,
    k: int,
    level: str,
    fmt: str,
) -> None:
    settings.PROSSIMA = {**settings.PROSSIMA, "PUBLIC_MIN_COUNT": k}
    req = _approved(institute, people["researcher"], people["manager"], level)
    rows = _extract_rows(req, fmt)
    assert_safe(rows, level, k)
    if level == Level.COMUNE:
        province_of = dict(Comune.objects.values_list("istat_code", "province__code"))
        assert_complemented(
            rows, lambda r: (province_of[r["code"]], r["indicator"], r["breakdown"], r["year"])
        )
    if level == Level.PROVINCE:
        region_of = dict(Comune.objects.values_list("province__code", "region__code"))
        assert_complemented(
            rows, lambda r: (region_of[r["code"]], r["indicator"], r["breakdown"], r["year"])
        )
    assert_complemented(
        [r for r in rows if r["breakdown"]], lambda r: (r["code"], r["indicator"], r["year"])
    )
    if level != Level.REGION:
        # The world has small counts and small groups: the rules had something to do.
        assert any(r["suppressed"] for r in rows)
    if level == Level.COMUNE:
        assert any(not r["suppressed"] and r["numerator"] == 0 for r in rows), "zeros are released"


def test_every_small_comune_cell_of_the_world_is_withheld(
    world: World, people: dict[str, Any], institute: Any
) -> None:
    built = build_extract(_approved(institute, people["researcher"], people["manager"], "comune"))
    cells = {(c.indicator, c.breakdown, c.year, c.code): c for c in built.cells}
    assert len(cells) == len(world.exact), "one row per stored value, no more"
    small = 0
    for key, (numerator, denominator) in world.exact.items():
        if is_small(BY_CODE[key[0]], numerator, denominator):
            small += 1
            assert cells[key].suppressed
            assert cells[key].reason == PRIMARY
    assert small > 50


def test_one_small_comune_in_a_province_takes_the_smallest_other_with_it(
    world: World, people: dict[str, Any], institute: Any
) -> None:
    built = build_extract(_approved(institute, people["researcher"], people["manager"], "comune"))
    codes = [c.istat_code for c in _comuni(FERRARA, 6)]
    for year in YEARS:
        found = {
            c.code: c
            for c in built.cells
            if c.indicator == "incidents_rate" and c.year == year and c.code in codes
        }
        released = [found[code].numerator for code in codes]
        # 40, 12, 3, 25, 9, 0: the 3 is withheld, so is the 9 (not the 0, which hides nothing).
        assert released == [40, 10, None, 25, None, 0]
        assert found[codes[2]].reason == PRIMARY
        assert found[codes[4]].reason == SECONDARY
    # The files do not say which withheld cell is the small one.
    row = next(r for r in extract_json(built)["rows"] if r["suppressed"])
    assert set(row) == set(COLUMNS)


def test_a_small_category_cascades_through_categories_and_comuni(
    world: World, people: dict[str, Any], institute: Any
) -> None:
    built = build_extract(_approved(institute, people["researcher"], people["manager"], "comune"))
    first, second = (c.istat_code for c in _comuni(RAVENNA, 2))
    cell = {
        (c.code, c.breakdown): c
        for c in built.cells
        if c.indicator == "incidents_rate" and c.year == 2024 and c.code in (first, second)
    }
    # 3 assaults of 30: the assault withheld, so the thefts (their difference from the
    # total), so the other comune's thefts (its province), so its assaults (its total).
    assert cell[(first, "assault")].reason == PRIMARY
    assert cell[(first, "theft")].reason == SECONDARY
    assert cell[(second, "theft")].reason == SECONDARY
    assert cell[(second, "assault")].reason == SECONDARY
    assert not cell[(first, "")].suppressed
    assert cell[(first, "")].numerator == 30


def test_a_value_stored_as_suppressed_stays_withheld(
    world: World, people: dict[str, Any], institute: Any
) -> None:
    built = build_extract(_approved(institute, people["researcher"], people["manager"], "comune"))
    seven = _comuni(FORLI, 1)[0].istat_code
    cells = [c for c in built.cells if c.code == seven and c.indicator == "incidents_rate"]
    assert cells
    assert all(c.suppressed for c in cells)


def test_province_totals_sum_exact_counts_and_round_once(
    world: World, people: dict[str, Any], institute: Any
) -> None:
    built = build_extract(_approved(institute, people["researcher"], people["manager"], "province"))
    province_of = dict(Comune.objects.values_list("istat_code", "province__code"))
    sums: dict[tuple[str, str, int, str], list[float]] = defaultdict(lambda: [0.0, 0])
    for (code, breakdown, year, comune), (numerator, _d) in world.exact.items():
        if code in ("incidents_rate", "reports_resolved"):
            total = sums[(code, breakdown, year, province_of[comune])]
            total[0] += numerator or 0
            total[1] += 1
    checked = 0
    for cell in built.cells:
        key = (cell.indicator, cell.breakdown, cell.year, cell.code)
        if key not in sums:
            continue
        exact, comuni = sums[key]
        assert cell.method == "sum"
        assert cell.comuni == comuni
        if 0 < exact < 5:
            assert cell.suppressed
        elif not cell.suppressed:
            assert cell.numerator == round_count(exact)
            checked += 1
    assert checked > 20


def test_non_additive_indicators_are_medians_of_released_comuni_never_sums(
    world: World, people: dict[str, Any], institute: Any
) -> None:
    by_comune = build_extract(
        _approved(institute, people["researcher"], people["manager"], "comune")
    )
    province_of = dict(Comune.objects.values_list("istat_code", "province__code"))
    released: dict[tuple[str, int], list[float]] = defaultdict(list)
    for cell in by_comune.cells:
        if cell.indicator == "incidents_gini" and not cell.suppressed and cell.value is not None:
            released[(province_of[cell.code], cell.year)].append(cell.value)
    by_province = build_extract(
        _approved(institute, people["researcher"], people["manager"], "province")
    )
    medians = [c for c in by_province.cells if c.indicator in ("incidents_gini", "incidents_trend")]
    assert medians
    for cell in medians:
        assert cell.method == "median"
        assert cell.numerator is None
        assert cell.denominator is None
        if cell.indicator != "incidents_gini":
            continue
        values = released[(cell.code, cell.year)]
        assert cell.comuni == len(values)
        if len(values) < 3:
            assert cell.suppressed
            assert cell.value is None
        else:
            assert cell.value == pytest.approx(significant(statistics.median(values)))
    rimini = [c for c in medians if c.code == RIMINI and c.indicator == "incidents_gini"]
    assert rimini
    assert all(c.suppressed and c.comuni == 2 for c in rimini)


def test_a_region_filter_keeps_to_the_region(
    world: World, people: dict[str, Any], institute: Any
) -> None:
    region = Region.objects.get(code="08")
    req = _approved(institute, people["researcher"], people["manager"], "region", region=region)
    rows = extract_json(build_extract(req))["rows"]
    assert {r["code"] for r in rows} == {"08"}
    assert_safe(rows, "region", 5)


def test_the_json_carries_the_rules_and_the_approval(
    world: World, people: dict[str, Any], institute: Any, english: Any
) -> None:
    req = _approved(institute, people["researcher"], people["manager"], "comune")
    data = extract_json(build_extract(req))
    assert data["request"]["id"] == req.pk
    assert data["request"]["purpose"] == PURPOSE
    assert data["approval"]["approved_by"] == "direttore"
    assert data["approval"]["approved_at"] == req.decided_at.isoformat()
    control = data["disclosure_control"]
    assert control["threshold"] == 5
    assert control["rounding_base"] == 5
    assert [r["rule"] for r in control["rules"]] == ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]
    assert "between 1 and 4" in control["rules"][1]["text"]
    restricted = {i["code"] for i in data["indicators"] if i["restricted"]}
    assert restricted == {"incidents_rate", "incidents_gini", "incidents_trend", "patrol_delivery"}
    header = extract_csv(build_extract(req)).splitlines()[0]
    assert header == ",".join(COLUMNS)


# --- Workflow ------------------------------------------------------------------------------


def _ask(actor: Any, organisation: Any, **kwargs: Any) -> ResearchRequest:
    fields: dict[str, Any] = {
        "title": "Concentrazione e pattugliamento",
        "purpose": PURPOSE,
        "indicators": ["incidents_rate", "incidents_gini"],
        "years": [2024],
        "level": Level.PROVINCE,
    }
    return do_request_extract(actor, organisation, **{**fields, **kwargs})


def _events(req: ResearchRequest, action: str) -> int:
    return AuditEvent.objects.filter(
        object_type=OBJECT_TYPE, object_id=str(req.pk), action=action
    ).count()


def test_who_may_request(
    world: World, people: dict[str, Any], institute: Any, association: Any, english: Any
) -> None:
    req = _ask(people["researcher"], institute)
    assert req.status == RequestStatus.SUBMITTED
    assert req.requester == people["researcher"]
    event = AuditEvent.objects.get(object_type=OBJECT_TYPE, object_id=str(req.pk))
    assert event.action == AuditEvent.Action.CREATE
    assert event.detail["restricted"] == ["incidents_rate", "incidents_gini"]
    assert _ask(people["manager"], association).organisation == association
    for who, org in (
        (people["comune_analyst"], institute),
        (people["citizen"], institute),
        (people["researcher"], association),
    ):
        with pytest.raises(PermissionDenied):
            _ask(who, org)


def test_validation_names_every_problem(
    world: World, people: dict[str, Any], institute: Any, english: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        _ask(
            people["researcher"],
            institute,
            title=" ",
            purpose="Because.",
            indicators=["incidents_rate", "no_such_thing"],
            years=[],
            level="street",
        )
    errors = caught.value.message_dict
    assert set(errors) == {"title", "purpose", "indicators", "years", "level"}
    assert "no_such_thing" in errors["indicators"][0]
    with pytest.raises(ValidationError) as caught:
        _ask(people["researcher"], institute, years=[2024, 1999])
    assert set(caught.value.message_dict) == {"years"}
    assert "1999" in caught.value.message_dict["years"][0]
    with pytest.raises(ValidationError) as caught:
        _ask(people["researcher"], institute, indicators=[])
    assert set(caught.value.message_dict) == {"indicators"}
    elsewhere = Region.objects.create(code="99", name="Altrove")
    with pytest.raises(ValidationError) as caught:
        _ask(people["researcher"], institute, region=elsewhere)
    assert set(caught.value.message_dict) == {"region"}


def test_approval_by_another_manager_for_one_year(
    world: World,
    people: dict[str, Any],
    association: Any,
    english: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    manager, manager2 = people["manager"], people["manager2"]
    req = _ask(manager, association)
    with pytest.raises(PermissionDenied):
        do_decide_extract(manager, req, RequestStatus.APPROVED)
    with pytest.raises(PermissionDenied):
        do_decide_extract(people["researcher"], req, RequestStatus.APPROVED)
    assert decision_queue(manager).count() == 0, "their own request is not in their queue"
    assert list(decision_queue(manager2)) == [req]
    with django_capture_on_commit_callbacks(execute=True):
        do_decide_extract(manager2, req, RequestStatus.APPROVED)
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert req.decided_by == manager2
    assert req.expires_on == timezone.localdate() + dt.timedelta(days=365)
    assert _events(req, AuditEvent.Action.UPDATE) == 1
    assert [m.to for m in mail.outbox] == [[manager.email]]
    # In the requester's language (none chosen: the platform's default, Italian).
    assert "approvata" in mail.outbox[0].subject
    with pytest.raises(ValidationError):
        do_decide_extract(manager2, req, RequestStatus.REJECTED, note="Ci ho ripensato.")


def test_rejection_needs_a_note_and_dates_are_checked(
    world: World, people: dict[str, Any], institute: Any, english: Any
) -> None:
    req = _ask(people["researcher"], institute)
    with pytest.raises(ValidationError) as caught:
        do_decide_extract(people["manager"], req, RequestStatus.REJECTED, note=" ")
    assert set(caught.value.message_dict) == {"decision_note"}
    past = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        do_decide_extract(people["manager"], req, RequestStatus.APPROVED, expires_on=past)
    assert set(caught.value.message_dict) == {"expires_on"}
    do_decide_extract(
        people["manager"], req, RequestStatus.REJECTED, note="Serve il livello comunale?"
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED
    assert req.expires_on is None


def test_withdrawal_by_the_requester_while_submitted(
    world: World, people: dict[str, Any], institute: Any
) -> None:
    req = _ask(people["researcher"], institute)
    with pytest.raises(PermissionDenied):
        do_withdraw_request(people["colleague"], req)
    do_withdraw_request(people["researcher"], req)
    req.refresh_from_db()
    assert req.status == RequestStatus.WITHDRAWN
    with pytest.raises(ValidationError):
        do_decide_extract(people["manager"], req, RequestStatus.APPROVED)
    approved = _ask(people["researcher"], institute)
    do_decide_extract(people["manager"], approved, RequestStatus.APPROVED)
    with pytest.raises(ValidationError):
        do_withdraw_request(people["researcher"], approved)


def test_who_sees_requests(
    world: World, people: dict[str, Any], institute: Any, association: Any
) -> None:
    ours = _ask(people["researcher"], institute)
    theirs = _ask(people["manager"], association)
    assert set(visible_requests(people["colleague"])) == {ours}
    assert set(visible_requests(people["manager2"])) == {ours, theirs}
    assert not visible_requests(people["comune_analyst"]).exists()
    assert not people["comune_analyst"].has_perm("reports.view_request", ours)


def test_downloads_only_while_approved_and_each_is_logged(
    world: World, people: dict[str, Any], institute: Any, client: Any
) -> None:
    req = _ask(people["researcher"], institute)
    url = reverse("reports:research_extract", args=[req.pk, "csv"])
    client.force_login(people["researcher"])
    assert client.get(url).status_code == 403, "not approved yet"
    do_decide_extract(people["manager"], req, RequestStatus.APPROVED)
    for who in ("researcher", "colleague", "manager"):
        client.force_login(people[who])
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
    json_url = reverse("reports:research_extract", args=[req.pk, "json"])
    data = json.loads(client.get(json_url).content)
    assert data["approval"]["approved_by"] == "direttore"
    assert _events(req, AuditEvent.Action.EXPORT) == 4
    client.force_login(people["comune_analyst"])
    assert client.get(url).status_code == 404
    client.force_login(people["researcher"])
    assert client.get(reverse("reports:research_extract", args=[req.pk, "xlsx"])).status_code == 404
    ResearchRequest.objects.filter(pk=req.pk).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    assert client.get(url).status_code == 403, "expired"
    req.refresh_from_db()
    with pytest.raises(PermissionDenied):
        do_record_download(people["researcher"], req, "csv", build_extract(req))
    assert _events(req, AuditEvent.Action.EXPORT) == 4


@pytest.mark.parametrize("level", [Level.COMUNE, Level.PROVINCE, Level.REGION])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_downloaded_files_are_safe(
    world: World, people: dict[str, Any], institute: Any, client: Any, level: str, fmt: str
) -> None:
    req = _approved(institute, people["researcher"], people["manager"], level)
    client.force_login(people["colleague"])
    response = client.get(reverse("reports:research_extract", args=[req.pk, fmt]))
    assert response.status_code == 200
    body = response.content.decode()
    rows = _from_csv(body) if fmt == "csv" else json.loads(body)["rows"]
    assert_safe(rows, level, 5)


def test_pages_of_the_workflow(
    world: World, people: dict[str, Any], institute: Any, client: Any, english: Any
) -> None:
    client.force_login(people["researcher"])
    assert b"new-request" in client.get(reverse("reports:research")).content
    new = reverse("reports:research_new")
    assert client.get(new).status_code == 200
    response = client.post(
        new,
        {
            "organisation": institute.pk,
            "title": "Pattugliamento",
            "purpose": "Too short.",
            "indicators": ["patrol_delivery"],
            "years": ["2024"],
            "level": "comune",
        },
    )
    assert response.status_code == 200
    assert "almeno 40 caratteri" in response.content.decode()  # pages are Italian first
    response = client.post(
        new,
        {
            "organisation": institute.pk,
            "title": "Pattugliamento",
            "purpose": PURPOSE,
            "indicators": ["patrol_delivery"],
            "years": ["2024"],
            "level": "comune",
        },
    )
    req = ResearchRequest.objects.get(title="Pattugliamento")
    assert response.status_code == 302
    detail = reverse("reports:research_request", args=[req.pk])
    page = client.get(detail).content
    assert b"decision-form" not in page
    assert b'data-testid="withdraw"' in page
    client.force_login(people["comune_analyst"])
    assert client.get(detail).status_code == 404
    assert client.get(new).status_code == 403
    client.force_login(people["manager"])
    assert b"research-queue" in client.get(reverse("reports:research")).content
    page = client.get(detail).content
    assert b"decision-form" in page
    assert b'data-testid="preview"' in page
    decide = reverse("reports:research_decide", args=[req.pk])
    response = client.post(decide, {"decision": "rejected", "decision_note": ""})
    assert response.status_code == 200
    assert "Indica perché la richiesta viene respinta.".encode() in response.content
    response = client.post(decide, {"decision": "approved", "expires_on": "", "decision_note": ""})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    client.force_login(people["researcher"])
    page = client.get(detail).content
    assert b'data-testid="downloads"' in page
    withdraw = reverse("reports:research_withdraw", args=[req.pk])
    assert client.post(withdraw).status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED, "an approved request is not withdrawn"

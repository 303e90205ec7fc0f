"""Search of practices: stemming in two languages, ordering rules, facets (SQLite and PostgreSQL).

The same assertions run on both databases in CI, so the ordering rules are
proved identical on FTS5 and on PostgreSQL's full-text index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from prossima.practices.actions import do_create_practice, do_update_practice
from prossima.practices.models import Practice
from prossima.practices.queries import search_practices
from prossima.practices.text import query_alternatives, terms

pytestmark = pytest.mark.django_db


def titles(q: str = "", **filters: list[str]) -> list[str]:
    return [p.title for p in search_practices(q, filters).practices]


@pytest.fixture
def corpus(publish: Callable[..., Practice]) -> dict[str, Practice]:
    """Five published practices whose words sit in different fields."""
    return {
        "kirkholt": publish(
            title="Prevenzione dei furti ripetuti in abitazione",
            summary="Le case già colpite ricevono serrature e una rete di vicini.",
            problems=["furto-abitazione"],
            target_groups=["victims", "residents"],
            intervention_types=["situational", "participation"],
            rating="effective",
            effect_strength="strong",
            country="GB",
        ),
        "gates": publish(
            title="Cancelli nei vicoli sul retro delle case",
            summary="Chiudere i passaggi riduce le vie di fuga per i furti in abitazione.",
            problems=["furto-abitazione"],
            intervention_types=["situational"],
            rating="promising",
            country="GB",
        ),
        "lighting": publish(
            title="Illuminazione pubblica migliorata",
            summary="Più luce nelle strade della città.",
            problems=["insicurezza-percepita", "lesioni-aggressioni"],
            intervention_types=["requalification"],
            rating="effective",
            effect_strength="strong",
            outcomes="Meno aggressioni e anche meno furti nelle abitazioni vicine.",
        ),
        "watch": publish(
            title="Controllo di vicinato",
            summary="I residenti segnalano alla polizia locale ciò che vedono.",
            problems=["furto-abitazione"],
            target_groups=["residents"],
            intervention_types=["participation"],
            rating="promising",
        ),
        "youth": publish(
            title="Laboratori per ragazzi a rischio",
            summary="Attività pomeridiane con educatori di strada.",
            problems=["danneggiamento"],
            target_groups=["youth", "minors"],
            intervention_types=["social"],
            rating="insufficient",
            language="it",
            translated_title="Workshops for young people at risk",
        ),
    }


def test_stems_join_the_forms_of_a_word() -> None:
    assert terms("furti in abitazione", "it") == terms("furto nelle abitazioni", "it")
    assert query_alternatives("in della the") == [], "stop words of both languages"
    assert query_alternatives("Città")[0] == query_alternatives("citta")[0]


def test_italian_and_english_searches_find_burglary_practices(corpus: dict[str, Any]) -> None:
    italian = titles("furti in abitazione")
    english = titles("burglary")
    assert set(italian[:4]) == {corpus[k].title for k in ("kirkholt", "gates", "watch", "lighting")}
    # English finds them through the problem's English label "Residential burglary".
    assert set(english) == {corpus[k].title for k in ("kirkholt", "gates", "watch")}


def test_ordering_title_then_summary_then_body_then_rating(corpus: dict[str, Any]) -> None:
    # kirkholt: both words in the title (8); gates: both in the summary (4); watch:
    # both in the problem's label, which counts as summary (4); lighting: body (2).
    assert titles("furti abitazione") == [
        corpus["kirkholt"].title,
        corpus["watch"].title,
        corpus["gates"].title,
        corpus["lighting"].title,
    ], "gates and watch tie on relevance and rating: the later published comes first"


def test_every_word_must_match(corpus: dict[str, Any]) -> None:
    assert titles("furti ragazzi") == []
    assert titles("ragazzi rischio") == [corpus["youth"].title]


def test_translated_title_is_searched_and_accents_do_not_matter(corpus: dict[str, Any]) -> None:
    assert titles("workshops young") == [corpus["youth"].title]
    assert titles("citta luce") == [corpus["lighting"].title]


def test_facets_filter_and_count(corpus: dict[str, Any]) -> None:
    assert titles("", rating=["effective"]) == [
        corpus["lighting"].title,
        corpus["kirkholt"].title,
    ]
    both = titles("", rating=["effective", "promising"], intervention=["participation"])
    assert set(both) == {corpus["kirkholt"].title, corpus["watch"].title}
    result = search_practices("furti abitazione", {"rating": ["effective"]})
    counts = {value: n for value, _label, n, _ticked in result.facets["rating"]}
    # The rating facet ignores its own filter: the other ratings can still be ticked.
    assert counts == {"effective": 2, "promising": 2}
    problems = {value: n for value, _label, n, _ticked in result.facets["problem"]}
    assert problems["furto-abitazione"] == 1, "only kirkholt is effective among burglary"


def test_no_search_orders_by_rating_then_newest(corpus: dict[str, Any]) -> None:
    assert titles() == [
        corpus["lighting"].title,
        corpus["kirkholt"].title,
        corpus["watch"].title,
        corpus["gates"].title,
        corpus["youth"].title,
    ]


def test_drafts_are_not_found_and_edits_are_reindexed(
    corpus: dict[str, Any], writer: Any, bologna_org: Any
) -> None:
    from tests.practices.conftest import practice_fields

    draft = do_create_practice(
        writer, bologna_org, **practice_fields(title="Mediatori di quartiere")
    )
    assert titles("mediatori") == []
    assert draft.title in [
        p.title for p in search_practices("mediatori", base=Practice.objects.all()).practices
    ]
    do_update_practice(writer, draft, title="Custodi sociali")
    everything = Practice.objects.all()
    assert [p.title for p in search_practices("mediatori", base=everything).practices] == []
    assert [p.title for p in search_practices("custodi", base=everything).practices] == [
        "Custodi sociali"
    ]


def test_search_syntax_is_not_interpreted(corpus: dict[str, Any]) -> None:
    for q in ['"furti', "furti OR NOT", "abitazione*", "a & b | !c", "NEAR(furti)", "'; --"]:
        search_practices(q).practices.count()  # no error from FTS5 or to_tsquery
    assert titles("furti OR NOT") == titles("furti")

"""Writing, reviewing, publishing, revising and withdrawing practices; versions; documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from prossima.accounts.models import AuditEvent, OrganisationKind, Role
from prossima.practices.actions import (
    do_attach_document,
    do_create_practice,
    do_load_seed_practices,
    do_reopen_practice,
    do_review_practice,
    do_start_revision,
    do_submit_practice,
    do_update_practice,
    do_withdraw_practice,
)
from prossima.practices.models import Decision, Practice, PracticeFacet, Status
from prossima.practices.queries import search_practices
from tests.practices.conftest import ALL_TICKED, practice_fields

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_draft_submit_request_changes_resubmit_publish(
    writer: Any, reviewer: Any, bologna_org: Any
) -> None:
    practice = do_create_practice(writer, bologna_org, **practice_fields())
    assert practice.status == Status.DRAFT
    assert practice.slug == "pratica-di-prova"
    do_submit_practice(writer, practice)
    with pytest.raises(ValidationError, match="Say what should change"):
        do_review_practice(reviewer, practice, Decision.CHANGES_REQUESTED, {}, "  ")
    do_review_practice(reviewer, practice, Decision.CHANGES_REQUESTED, {}, "Citate la fonte.")
    practice.refresh_from_db()
    assert practice.status == Status.CHANGES_REQUESTED
    do_update_practice(writer, practice, outcomes="Nessun risultato misurato.")
    do_submit_practice(writer, practice)
    do_review_practice(reviewer, practice, Decision.PUBLISHED, ALL_TICKED)
    practice.refresh_from_db()
    assert practice.status == Status.PUBLISHED
    assert practice.is_public
    assert practice.version == 3, "published as the third snapshot"
    assert practice.published_at is not None
    assert [v.status for v in practice.versions.order_by("number")] == [
        Status.SUBMITTED,
        Status.SUBMITTED,
        Status.PUBLISHED,
    ]
    assert practice.versions.get(number=3).snapshot["outcomes"] == "Nessun risultato misurato."
    assert AuditEvent.objects.filter(object_type="practices.practice").count() >= 6


def test_submission_names_every_missing_field(writer: Any, bologna_org: Any) -> None:
    practice = do_create_practice(
        writer,
        bologna_org,
        title="Bozza",
        summary="In corso.",
        problems=[],
        intervention_types=[],
        links=[],
        effect="",
        rating="effective",
    )
    with pytest.raises(ValidationError) as caught:
        do_submit_practice(writer, practice)
    assert set(caught.value.message_dict) == {
        "problems",
        "intervention_types",
        "links",
        "effect",
        "rating",
    }
    practice.refresh_from_db()
    assert practice.status == Status.DRAFT
    assert not practice.versions.exists()


def test_bad_content_is_refused_whole(writer: Any, bologna_org: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        do_create_practice(
            writer,
            bologna_org,
            **practice_fields(
                problems=["furto-abitazione", "teleportation"],
                links=[{"title": "x", "url": "javascript:alert(1)"}],
                start_year=1850,
            ),
        )
    assert set(caught.value.message_dict) == {"problems", "links", "start_year"}
    assert "teleportation" in caught.value.message_dict["problems"][0]
    assert not Practice.objects.exists()


def test_publishing_needs_the_whole_checklist_and_another_person(
    writer: Any, reviewer: Any, bologna_org: Any, make_user: Callable[..., Any], institute: Any
) -> None:
    practice = do_create_practice(writer, bologna_org, **practice_fields())
    do_submit_practice(writer, practice)
    with pytest.raises(ValidationError, match="Check every item"):
        do_review_practice(reviewer, practice, Decision.PUBLISHED, {**ALL_TICKED, "privacy": False})
    with pytest.raises(PermissionDenied):
        do_review_practice(writer, practice, Decision.PUBLISHED, ALL_TICKED)
    # A reviewer who wrote the practice for the institute cannot publish it alone.
    own = do_create_practice(reviewer, institute, **practice_fields(title="Dell'istituto"))
    do_submit_practice(reviewer, own)
    with pytest.raises(ValidationError, match="Another reviewer"):
        do_review_practice(reviewer, own, Decision.PUBLISHED, ALL_TICKED)
    colleague = make_user(institute, Role.RESEARCHER)
    do_review_practice(colleague, own, Decision.PUBLISHED, ALL_TICKED)
    assert Practice.objects.get(pk=own.pk).is_public


def test_published_practices_change_only_through_a_reviewed_revision(
    publish: Callable[..., Practice], writer: Any, reviewer: Any
) -> None:
    practice = publish(title="Portierato sociale", summary="Custodi nei condomini popolari.")
    with pytest.raises(ValidationError, match="propose a revision"):
        do_update_practice(writer, practice, title="Altro")
    revision = do_start_revision(writer, practice)
    assert do_start_revision(writer, practice) == revision, "one open revision at a time"
    do_update_practice(writer, revision, summary="Custodi sociali nei condomini popolari.")
    do_submit_practice(writer, revision)
    # The public page and search still show the published text meanwhile.
    assert [p.summary for p in search_practices("custodi").practices] == [
        "Custodi nei condomini popolari."
    ]
    do_review_practice(reviewer, revision, Decision.PUBLISHED, ALL_TICKED)
    practice.refresh_from_db()
    assert not Practice.objects.filter(pk=revision.pk).exists()
    assert practice.summary == "Custodi sociali nei condomini popolari."
    assert practice.version == 3, "v1 submitted, v2 published, v3 the revision published"
    assert practice.slug == "portierato-sociale"
    assert practice.reviews.count() == 2, "the revision's review moved to the practice"
    assert [p.pk for p in search_practices("sociali condomini").practices] == [practice.pk]


def test_withdraw_and_reopen(publish: Callable[..., Practice], writer: Any, reviewer: Any) -> None:
    practice = publish(title="Vigilanza di quartiere")
    with pytest.raises(PermissionDenied):
        do_withdraw_practice(writer, practice, "Fonte sbagliata")
    with pytest.raises(ValidationError):
        do_withdraw_practice(reviewer, practice, "")
    do_withdraw_practice(reviewer, practice, "La fonte citata non riguarda questo programma.")
    assert list(search_practices("vigilanza").practices) == []
    do_reopen_practice(writer, practice)
    assert Practice.objects.get(pk=practice.pk).status == Status.DRAFT


def test_outsiders_cannot_write_for_an_organisation(
    make_user: Callable[..., Any], bologna_org: Any, make_org: Callable[..., Any]
) -> None:
    stranger = make_user(make_org(OrganisationKind.COMMUNITY, "Altra rete"), Role.MANAGER)
    with pytest.raises(PermissionDenied):
        do_create_practice(stranger, bologna_org, **practice_fields())
    draft = do_create_practice(None, bologna_org, **practice_fields())
    with pytest.raises(PermissionDenied):
        do_update_practice(stranger, draft, title="Preso")


def test_documents_must_be_pdf(writer: Any, bologna_org: Any) -> None:
    practice = do_create_practice(writer, bologna_org, **practice_fields(links=[]))
    fake = SimpleUploadedFile("rapporto.pdf", b"<html>not a pdf</html>", "application/pdf")
    with pytest.raises(ValidationError, match=r"rapporto\.pdf is not a PDF"):
        do_attach_document(writer, practice, "Rapporto", fake)
    real = SimpleUploadedFile("rapporto.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    document = do_attach_document(writer, practice, "Rapporto di valutazione", real)
    assert document.size == len(b"%PDF-1.4\n%%EOF\n")
    # A document counts as the cited source a submission needs.
    do_submit_practice(writer, practice)


def test_facets_follow_the_content(writer: Any, bologna_org: Any, bologna: Any) -> None:
    practice = do_create_practice(
        writer, bologna_org, **practice_fields(comune=bologna, target_groups=["elderly"])
    )
    facets = set(PracticeFacet.objects.filter(practice=practice).values_list("facet", "value"))
    assert ("region", "08") in facets, "the region comes from the comune"
    assert ("size", "250k+") in facets, "Bologna has about 390,000 residents"
    assert ("target", "elderly") in facets
    do_update_practice(writer, practice, target_groups=["women"])
    targets = set(
        PracticeFacet.objects.filter(practice=practice, facet="target").values_list(
            "value", flat=True
        )
    )
    assert targets == {"women"}


def test_seed_practices_load_once_and_are_found_in_both_languages(
    institute: Any,
) -> None:
    created = do_load_seed_practices(institute)
    assert created >= 10
    assert do_load_seed_practices(institute) == 0, "re-running adds nothing"
    assert Practice.objects.count() == created
    for practice in Practice.objects.all():
        assert practice.is_public, practice.slug
        assert practice.links, practice.slug
        assert practice.translated_title, practice.slug
        assert practice.translated_summary, practice.slug
    italian = {p.slug for p in search_practices("furti in abitazione").practices}
    english = {p.slug for p in search_practices("burglary").practices}
    assert "kirkholt-prevenzione-furti-ripetuti" in italian & english
    assert len(italian & english) >= 3
    effective = search_practices("", {"rating": ["effective"]}).practices
    assert effective.exists()
    assert all(p.rating == "effective" for p in effective)


def test_a_bad_practices_file_names_each_problem_and_loads_nothing(
    institute: Any, tmp_path: Any
) -> None:
    import json

    from prossima.practices.actions import SEED_FILE

    good = json.loads(SEED_FILE.read_text(encoding="utf-8"))[0]
    records = [
        good,
        {**good, "slug": "seconda", "rating": "miracolosa"},
        {**good, "slug": "terza", "comune_istat": "999999", "colour": "blue"},
        {"title": "senza indirizzo"},
        {**good, "slug": "quarta", "comune_istat": "999999"},
    ]
    path = tmp_path / "pratiche.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        do_load_seed_practices(institute, path)
    messages = caught.value.messages
    assert any(m.startswith("pratiche.json, 2 (seconda): rating:") for m in messages), messages
    assert any("3 (terza)" in m and "colour" in m for m in messages), messages
    assert any(m.startswith("pratiche.json, 4:") for m in messages), messages
    assert any("5 (quarta)" in m and "999999" in m for m in messages), messages
    assert not Practice.objects.exists(), "all or nothing"
    path.write_bytes(b"\xff\xfe not json")
    with pytest.raises(ValidationError, match=r"pratiche\.json"):
        do_load_seed_practices(institute, path)

"""Writes and rules of the practices: drafting, review, publication, versions, search index.

Workflow: a member of any organisation writes a draft and submits it; a
reviewer of the association or the research institute (not the author)
goes through the checklist and either requests changes (with a comment) or
publishes. Each submission and publication keeps a snapshot. A published
practice stays public while a revision of it is reviewed; publishing the
revision copies it onto the public practice as its next version.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.practices.models import (
    Decision,
    Facet,
    InterventionType,
    Practice,
    PracticeDocument,
    PracticeFacet,
    PracticeReview,
    PracticeVersion,
    Rating,
    Status,
    Strength,
    TargetGroup,
)
from prossima.practices.queries import problem_labels
from prossima.practices.text import padded, terms

# The fields a writer fills in; a version snapshot keeps exactly these.
CONTENT_FIELDS: tuple[str, ...] = (
    "language",
    "title",
    "summary",
    "translated_title",
    "translated_summary",
    "problems",
    "problem_description",
    "target_groups",
    "intervention_types",
    "country",
    "place",
    "comune",
    "region",
    "population",
    "area_type",
    "mechanism",
    "implementation",
    "partners",
    "cost",
    "cost_eur",
    "start_year",
    "duration",
    "outcomes",
    "contact",
    "links",
    "effect",
    "effect_strength",
    "mechanism_evidence",
    "mechanism_strength",
    "moderators",
    "moderators_strength",
    "implementation_evidence",
    "implementation_strength",
    "economic",
    "economic_strength",
    "rating",
    "project",
)
EMMIE_DIMENSIONS: tuple[tuple[str, str, Any], ...] = (
    ("effect", "effect_strength", gettext_lazy("Effect")),
    ("mechanism_evidence", "mechanism_strength", gettext_lazy("Mechanism")),
    ("moderators", "moderators_strength", gettext_lazy("Moderators")),
    ("implementation_evidence", "implementation_strength", gettext_lazy("Implementation")),
    ("economic", "economic_strength", gettext_lazy("Economic cost")),
)
# What a reviewer checks before publishing; all must be ticked to publish.
REVIEW_CHECKLIST: tuple[tuple[str, Any], ...] = (
    ("sources", gettext_lazy("Every result and figure has a public source cited.")),
    ("emmie", gettext_lazy("The EMMIE profile and the rating follow from the sources.")),
    ("context", gettext_lazy("Where, when, for whom and with whom it was done is stated.")),
    ("plain", gettext_lazy("A mayor or a police commander understands the summary.")),
    ("privacy", gettext_lazy("No personal data of victims, offenders, staff or residents.")),
)
EDITABLE = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED})
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# A summary is read in search results; longer text goes in the other fields.
MAX_SUMMARY_CHARS = 2000
SEED_FILE = Path(__file__).parent / "data" / "seed_practices.json"


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _audit(actor: Any, action: str, practice: Practice, **detail: Any) -> None:
    do_record_audit(
        actor,
        action,
        "practices.practice",
        practice.pk,
        practice.title,
        organisation=practice.organisation,
        detail=detail,
    )


# --- Validation -------------------------------------------------------------------------


def _labels_in(language: str, choices: Any) -> dict[str, str]:
    with translation.override(language):
        return {value: str(label) for value, label in choices.choices}


def practice_errors(practice: Practice, *, for_submission: bool = False) -> dict[str, list[str]]:
    """Return the problems with a practice's content, by field (empty when it is fine).

    A draft needs a title and a summary; a submission also needs the problems,
    the intervention type, a source (link or document), the effect of the
    evidence and a rating whose strength the effect supports.
    """
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not practice.title.strip():
        add("title", _("Give the practice a title."))
    if not practice.summary.strip():
        add("summary", _("Write a summary of a few lines."))
    for name in ("summary", "translated_summary"):
        if len(getattr(practice, name)) > MAX_SUMMARY_CHARS:
            add(
                name,
                _("A summary has at most %(n)d characters; the rest belongs in the other fields.")
                % {"n": MAX_SUMMARY_CHARS},
            )
    known_problems = set(problem_labels())
    unknown = [p for p in practice.problems if p not in known_problems]
    if unknown:
        add("problems", _("Unknown problems: %(codes)s.") % {"codes": ", ".join(unknown)})
    bad_groups = [g for g in practice.target_groups if g not in TargetGroup.values]
    if bad_groups:
        add(
            "target_groups",
            _("Unknown target groups: %(codes)s.") % {"codes": ", ".join(bad_groups)},
        )
    bad_types = [t for t in practice.intervention_types if t not in InterventionType.values]
    if bad_types:
        add(
            "intervention_types",
            _("Unknown intervention types: %(codes)s.") % {"codes": ", ".join(bad_types)},
        )
    for position, link in enumerate(practice.links or [], start=1):
        url = str((link or {}).get("url", ""))
        if not url.startswith(("https://", "http://")):
            add(
                "links",
                _("Link %(n)d: the address must start with https:// or http://.") % {"n": position},
            )
    if practice.start_year is not None and not 1900 <= practice.start_year <= timezone.now().year:
        add("start_year", _("The start year must be between 1900 and this year."))
    comune = practice.comune if practice.comune_id else None
    if comune is not None and practice.region_id and comune.region_id != practice.region_id:
        add("region", _("The comune is not in this region."))
    if for_submission:
        if not practice.problems:
            add("problems", _("Choose at least one problem the practice addresses."))
        if not practice.intervention_types:
            add("intervention_types", _("Choose at least one intervention type."))
        has_document = practice.pk is not None and practice.documents.exists()
        if not practice.links and not has_document:
            add("links", _("Cite at least one public source: a link or a document."))
        if not practice.effect.strip():
            add("effect", _("Say what the evidence says about the effect."))
        if practice.rating in (Rating.EFFECTIVE, Rating.NO_EFFECT, Rating.NEGATIVE) and (
            practice.effect_strength in (Strength.NONE, Strength.LIMITED)
        ):
            add(
                "rating",
                _(
                    "A rating of %(rating)s needs moderate or strong evidence on the effect; "
                    "otherwise choose promising or insufficient evidence."
                )
                % {"rating": Rating(practice.rating).label},
            )
    return errors


# Addresses of pages under /practices/ that a practice's address must not take.
RESERVED_SLUGS = frozenset({"new", "mine", "review", "like-mine"})


def _slug_for(title: str, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:80].strip("-") or "pratica"
    if base in RESERVED_SLUGS:
        base = f"{base}-pratica"
    slug, n = base, 2
    others = (
        Practice.objects.all() if exclude_pk is None else Practice.objects.exclude(pk=exclude_pk)
    )
    while others.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


# --- Search index -----------------------------------------------------------------------


def _other(language: str) -> str:
    return "en" if language == "it" else "it"


def do_index_practice(practice: Practice) -> None:
    """Store the practice's stemmed words and facet values (run after every content change)."""
    lang = practice.language if practice.language in ("it", "en") else "it"
    other = _other(lang)
    title = terms(practice.title, lang) + terms(practice.translated_title, other)
    labels: list[str] = []
    problems = problem_labels()
    for code in practice.problems:
        it_label, en_label = problems.get(code, ("", ""))
        labels += terms(it_label, "it") + terms(en_label, "en")
    for language in ("it", "en"):
        groups = _labels_in(language, TargetGroup)
        types = _labels_in(language, InterventionType)
        for code in practice.target_groups:
            labels += terms(groups.get(code, ""), language)
        for code in practice.intervention_types:
            labels += terms(types.get(code, ""), language)
    place = " ".join(
        filter(
            None,
            [
                practice.place,
                practice.comune.name if practice.comune else "",
                practice.region.name if practice.region else "",
            ],
        )
    )
    summary = (
        terms(practice.summary, lang)
        + terms(practice.translated_summary, other)
        + labels
        + terms(place, lang)
    )
    body_text = " ".join(
        [
            practice.problem_description,
            practice.mechanism,
            practice.implementation,
            practice.partners,
            practice.cost,
            practice.duration,
            practice.outcomes,
            practice.effect,
            practice.mechanism_evidence,
            practice.moderators,
            practice.implementation_evidence,
            practice.economic,
            " ".join(str((link or {}).get("title", "")) for link in practice.links or []),
        ]
    )
    practice.terms_title = padded(title)
    practice.terms_summary = padded(summary)
    practice.terms_body = padded(terms(body_text, lang))
    Practice.objects.filter(pk=practice.pk).update(
        terms_title=practice.terms_title,
        terms_summary=practice.terms_summary,
        terms_body=practice.terms_body,
    )
    _store_facets(practice)


def facet_values(practice: Practice) -> set[tuple[str, str]]:
    """Return the (facet, value) pairs a practice is found under."""
    values: set[tuple[str, str]] = set()
    values |= {(Facet.PROBLEM, code) for code in practice.problems}
    values |= {(Facet.TARGET, code) for code in practice.target_groups}
    values |= {(Facet.INTERVENTION, code) for code in practice.intervention_types}
    values.add((Facet.RATING, practice.rating))
    values.add((Facet.LANGUAGE, practice.language))
    values.add((Facet.COUNTRY, practice.country.upper()))
    region = practice.region or (practice.comune.region if practice.comune else None)
    if region is not None:
        values.add((Facet.REGION, region.code))
    if practice.size_class:
        values.add((Facet.SIZE, practice.size_class))
    return {(str(f), str(v)) for f, v in values if v}


def _store_facets(practice: Practice) -> None:
    wanted = facet_values(practice)
    existing = {
        (f, v): pk
        for pk, f, v in PracticeFacet.objects.filter(practice=practice).values_list(
            "pk", "facet", "value"
        )
    }
    stale = [pk for key, pk in existing.items() if key not in wanted]
    if stale:
        PracticeFacet.objects.filter(pk__in=stale).delete()
    PracticeFacet.objects.bulk_create(
        [PracticeFacet(practice=practice, facet=f, value=v) for f, v in wanted - set(existing)]
    )


# --- Writing ----------------------------------------------------------------------------


def _apply(practice: Practice, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise ValueError(f"not practice content: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(practice, name, value)
    if practice.comune is not None and practice.region_id is None:
        practice.region_id = practice.comune.region_id


def _check_project(actor: Any, practice: Practice) -> None:
    project = practice.project
    if project is None or actor is None or getattr(actor, "is_superuser", False):
        return
    if project.tenant_id != practice.organisation_id and not actor.has_perm(
        "interventions.manage_project", project.tenant
    ):
        raise ValidationError({"project": [_("Link only projects of your own organisation.")]})


@transaction.atomic
def do_create_practice(actor: Any, organisation: Organisation, **fields: Any) -> Practice:
    """Write a new draft practice for ``organisation``; nothing is saved when anything is wrong."""
    check_perm(actor, "practices.submit_practice", organisation)
    practice = Practice(organisation=organisation, submitted_by=_user(actor))
    _apply(practice, fields)
    errors = practice_errors(practice)
    if errors:
        raise ValidationError(errors)
    _check_project(actor, practice)
    practice.slug = _slug_for(practice.title)
    practice.save()
    do_index_practice(practice)
    _audit(actor, AuditEvent.Action.CREATE, practice)
    return practice


def _locked(practice: Practice) -> Practice:
    return (
        Practice.objects.select_for_update(of=("self",))
        .select_related("organisation", "comune", "region", "revision_of")
        .get(pk=practice.pk)
    )


@transaction.atomic
def do_update_practice(actor: Any, practice: Practice, **fields: Any) -> Practice:
    """Change a draft (or, for a reviewer, a practice under review) with the same checks."""
    check_perm(actor, "practices.change_practice", practice)
    practice = _locked(practice)
    reviewer = actor is None or actor.has_perm("practices.review_practice", practice)
    if practice.status not in EDITABLE and not (reviewer and practice.status == Status.SUBMITTED):
        raise ValidationError(
            _(
                "A practice can be changed while it is a draft or changes are requested; "
                "propose a revision of a published one."
            )
        )
    _apply(practice, fields)
    errors = practice_errors(practice, for_submission=practice.status == Status.SUBMITTED)
    if errors:
        raise ValidationError(errors)
    _check_project(actor, practice)
    practice.save()
    do_index_practice(practice)
    _audit(actor, AuditEvent.Action.UPDATE, practice, fields=sorted(fields))
    return practice


def snapshot_of(practice: Practice) -> dict[str, Any]:
    """Return the practice's content as JSON-ready values (ids for links to other rows)."""
    data: dict[str, Any] = {}
    for name in CONTENT_FIELDS:
        field = Practice._meta.get_field(name)
        value = getattr(practice, getattr(field, "attname", name))
        if value is not None and name == "cost_eur":
            value = str(value)
        data[name] = value
    return data


def _record_version(actor: Any, practice: Practice, note: str = "") -> PracticeVersion:
    number = (
        practice.versions.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    return PracticeVersion.objects.create(
        practice=practice,
        number=number,
        status=practice.status,
        snapshot=snapshot_of(practice),
        note=note[:300],
        created_by=_user(actor),
    )


@transaction.atomic
def do_submit_practice(actor: Any, practice: Practice) -> Practice:
    """Send a draft to the reviewers; refuse with the missing fields named."""
    check_perm(actor, "practices.change_practice", practice)
    practice = _locked(practice)
    if actor is not None and not actor.has_perm("practices.submit_practice", practice.organisation):
        raise PermissionDenied(_("You do not have permission to do this."))
    if practice.status not in EDITABLE:
        raise ValidationError(_("Only a draft, or a practice with changes requested, is sent."))
    errors = practice_errors(practice, for_submission=True)
    if errors:
        raise ValidationError(errors)
    practice.status = Status.SUBMITTED
    practice.submitted_at = timezone.now()
    if practice.submitted_by is None:
        practice.submitted_by = _user(actor)
    practice.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    _record_version(actor, practice)
    _audit(actor, AuditEvent.Action.UPDATE, practice, status=practice.status)
    return practice


@transaction.atomic
def do_review_practice(
    actor: Any,
    practice: Practice,
    decision: str,
    checklist: dict[str, bool] | None = None,
    comment: str = "",
) -> PracticeReview:
    """Record a reviewer's decision: request changes (with a comment) or publish.

    Publishing needs every checklist item ticked, and a reviewer never decides
    on a practice they wrote. Publishing a revision copies it onto the public
    practice, which keeps its address and gains a version.
    """
    check_perm(actor, "practices.review_practice", practice)
    practice = _locked(practice)
    if practice.status != Status.SUBMITTED:
        raise ValidationError(_("Only a practice under review can be decided on."))
    if actor is not None and practice.submitted_by_id == getattr(actor, "pk", None):
        raise ValidationError(_("Another reviewer must decide on a practice you wrote."))
    ticks = {key: bool((checklist or {}).get(key)) for key, _label in REVIEW_CHECKLIST}
    if decision == Decision.PUBLISHED:
        missing = [str(label) for key, label in REVIEW_CHECKLIST if not ticks[key]]
        if missing:
            raise ValidationError(
                {"checklist": [_("Check every item before publishing: %s") % " ".join(missing)]}
            )
    elif decision == Decision.CHANGES_REQUESTED:
        if not comment.strip():
            raise ValidationError({"comment": [_("Say what should change.")]})
    else:
        raise ValidationError({"decision": [_("Choose a decision.")]})
    review = PracticeReview.objects.create(
        practice=practice,
        reviewer=_user(actor),
        decision=decision,
        checklist=ticks,
        comment=comment.strip(),
        version=practice.version,
    )
    if decision == Decision.CHANGES_REQUESTED:
        practice.status = Status.CHANGES_REQUESTED
        practice.save(update_fields=["status", "updated_at"])
        _audit(actor, AuditEvent.Action.UPDATE, practice, status=practice.status)
        return review
    target = practice.revision_of or practice
    if practice.revision_of is not None:
        target = _locked(practice.revision_of)
        for name in CONTENT_FIELDS:
            setattr(target, name, getattr(practice, name))
        target.save()
        PracticeReview.objects.filter(practice=practice).update(practice=target)
        PracticeDocument.objects.filter(practice=practice).update(practice=target)
        practice.delete()
        review.refresh_from_db()
    now = timezone.now()
    target.status = Status.PUBLISHED
    target.published_at = target.published_at or now
    # The practice's version is the number of the snapshot it was published as.
    target.version = _record_version(actor, target).number
    target.save()
    do_index_practice(target)
    _audit(actor, AuditEvent.Action.UPDATE, target, status=target.status, version=target.version)
    return review


@transaction.atomic
def do_start_revision(actor: Any, practice: Practice) -> Practice:
    """Open a draft revision of a published practice (one at a time)."""
    check_perm(actor, "practices.change_practice", practice)
    practice = _locked(practice)
    if not practice.is_public:
        raise ValidationError(_("Only a published practice is revised; edit the draft instead."))
    open_revision = practice.revisions.first()
    if open_revision is not None:
        return open_revision
    revision = Practice(
        organisation=practice.organisation,
        submitted_by=_user(actor),
        revision_of=practice,
        slug=_slug_for(f"{practice.slug}-revisione"),
        version=practice.version,
    )
    for name in CONTENT_FIELDS:
        setattr(revision, name, getattr(practice, name))
    revision.save()
    do_index_practice(revision)
    _audit(actor, AuditEvent.Action.CREATE, revision, revision_of=practice.pk)
    return revision


@transaction.atomic
def do_withdraw_practice(actor: Any, practice: Practice, reason: str) -> Practice:
    """Take a published practice off the public catalogue, saying why."""
    check_perm(actor, "practices.review_practice", practice)
    practice = _locked(practice)
    if not practice.is_public:
        raise ValidationError(_("Only a published practice is withdrawn."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the practice is withdrawn.")]})
    practice.status = Status.WITHDRAWN
    practice.save(update_fields=["status", "updated_at"])
    _record_version(actor, practice, reason)
    _audit(actor, AuditEvent.Action.UPDATE, practice, status=practice.status)
    return practice


@transaction.atomic
def do_reopen_practice(actor: Any, practice: Practice) -> Practice:
    """Turn a withdrawn practice back into a draft its organisation can rework."""
    check_perm(actor, "practices.change_practice", practice)
    practice = _locked(practice)
    if practice.status != Status.WITHDRAWN:
        raise ValidationError(_("Only a withdrawn practice is reopened."))
    practice.status = Status.DRAFT
    practice.save(update_fields=["status", "updated_at"])
    _audit(actor, AuditEvent.Action.UPDATE, practice, status=practice.status)
    return practice


# --- Documents --------------------------------------------------------------------------


@transaction.atomic
def do_attach_document(
    actor: Any, practice: Practice, title: str, upload: UploadedFile
) -> PracticeDocument:
    """Attach a PDF (at most 10 MB, checked by its content, not its name) to a draft."""
    check_perm(actor, "practices.change_practice", practice)
    if practice.status not in EDITABLE:
        raise ValidationError(_("Documents are attached while the practice is a draft."))
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Give the document a title.")]
    size = upload.size or 0
    if size > MAX_DOCUMENT_BYTES:
        errors["file"] = [_("The file is larger than 10 MB.")]
    else:
        upload.seek(0)
        head = upload.read(5)
        upload.seek(0)
        if head != b"%PDF-":
            errors["file"] = [
                _("%(name)s is not a PDF file: only PDF documents are accepted.")
                % {"name": upload.name}
            ]
    if errors:
        raise ValidationError(errors)
    document = PracticeDocument(
        practice=practice, title=title.strip()[:200], size=size, uploaded_by=_user(actor)
    )
    name = f"{slugify(title)[:60] or 'documento'}.pdf"
    document.file.save(name, upload, save=False)
    document.save()
    _audit(actor, AuditEvent.Action.CREATE, practice, document=document.title)
    return document


@transaction.atomic
def do_remove_document(actor: Any, document: PracticeDocument) -> None:
    """Remove a document from a draft practice."""
    practice = document.practice
    check_perm(actor, "practices.change_practice", practice)
    if practice.status not in EDITABLE:
        raise ValidationError(_("Documents are removed while the practice is a draft."))
    document.file.delete(save=False)
    document.delete()
    _audit(actor, AuditEvent.Action.DELETE, practice, document=document.title)


# --- Seed content -----------------------------------------------------------------------


SEED_KEYS = frozenset({*CONTENT_FIELDS, "slug", "comune_istat", "region_istat"}) - {
    "comune",
    "region",
    "project",
}


# Checked by practice_errors, or kept by the actions, rather than by the model's fields.
UNCHECKED_BY_MODEL = [
    "organisation",
    "slug",
    "terms_title",
    "terms_summary",
    "terms_body",
    "problems",
    "intervention_types",
    "comune",
    "region",
    "project",
]


def _seed_type_errors(record: dict[str, Any]) -> dict[str, list[str]]:
    """Return the fields of a seed record whose JSON type the practice cannot hold.

    The checks that follow (practice_errors, clean_fields) expect the model's
    types; a number for a text or a string for a list would crash them, and a
    null for a text would only fail at the database.
    """
    errors: dict[str, list[str]] = {}
    for name, value in record.items():
        field = Practice._meta.get_field(name)
        if value is None:
            ok = field.null
        elif isinstance(field, models.JSONField):
            item = dict if name == "links" else str
            ok = isinstance(value, list) and all(isinstance(v, item) for v in value)
        elif isinstance(field, models.IntegerField | models.DecimalField):
            ok = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
            )
        elif isinstance(field, models.CharField | models.TextField):
            ok = isinstance(value, str)
        else:
            ok = True
        if not ok:
            errors[name] = [
                _("%(value)s is not accepted here.") % {"value": json.dumps(value)[:80]}
            ]
    return errors


@transaction.atomic
def do_load_seed_practices(organisation: Organisation, path: Path = SEED_FILE) -> int:
    """Publish the practices of a JSON file under ``organisation``; return how many were new.

    The file is a list of objects with the keys of :data:`SEED_KEYS` (see the
    seed file). All or nothing: a ValidationError names the file, the practice
    (position and address), the field and what is wrong. Re-running updates the
    existing practices (matched by their address) and adds nothing twice.
    """
    from prossima.territory.models import Comune, Region

    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(
            _("%(file)s is not UTF-8 JSON: %(error)s") % {"file": path.name, "error": exc}
        ) from exc
    if not isinstance(records, list):
        raise ValidationError(_("%(file)s must hold a list of practices.") % {"file": path.name})
    created = 0
    now = timezone.now()
    problems: list[str] = []
    for position, record in enumerate(records, start=1):
        where = f"{path.name}, {position}"
        if not isinstance(record, dict) or not str(record.get("slug", "")).strip():
            problems.append(_("%(where)s: an object with a slug is expected.") % {"where": where})
            continue
        record = dict(record)
        slug = slugify(str(record.pop("slug")))[:120]
        where = f"{where} ({slug})"
        unknown = sorted(set(record) - SEED_KEYS)
        if unknown:
            problems.append(
                _("%(where)s: unknown fields %(fields)s.")
                % {"where": where, "fields": ", ".join(unknown)}
            )
            continue
        comune_code = str(record.pop("comune_istat", "") or "")
        region_code = str(record.pop("region_istat", "") or "")
        record["comune"] = Comune.objects.filter(istat_code=comune_code).first()
        record["region"] = Region.objects.filter(code=region_code).first()
        if comune_code and record["comune"] is None:
            problems.append(
                _("%(where)s: comune_istat: no comune has ISTAT code %(code)s.")
                % {"where": where, "code": comune_code}
            )
            continue
        type_errors = _seed_type_errors(record)
        if type_errors:
            problems.extend(
                f"{where}: {name}: {' '.join(messages)}" for name, messages in type_errors.items()
            )
            continue
        practice = Practice.objects.filter(slug=slug).first()
        is_new = practice is None
        if practice is None:
            practice = Practice(slug=slug, organisation=organisation)
        _apply(practice, record)
        errors = practice_errors(practice)
        try:
            practice.clean_fields(exclude=UNCHECKED_BY_MODEL)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        if errors:
            problems.extend(
                f"{where}: {name}: {' '.join(messages)}" for name, messages in errors.items()
            )
            continue
        practice.status = Status.PUBLISHED
        practice.published_at = practice.published_at or now
        practice.save()
        if is_new:
            practice.version = _record_version(None, practice).number
            practice.save(update_fields=["version"])
            created += 1
        do_index_practice(practice)
    if problems:
        raise ValidationError(problems)
    return created

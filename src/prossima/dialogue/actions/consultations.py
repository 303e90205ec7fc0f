"""Consultations, proposals, supports, comments, official answers, moderation and pledges.

Rules, after Decidim and Consul Democracy:
- a consultation has dated phases; proposals are made only in the proposals
  phase, supports and comments in the proposals or debate phase;
- one support per person and proposal; comments nest three levels deep;
- the owner's managers answer officially (evaluating, accepted, rejected with
  a reason) and link an accepted proposal to an intervention project, whose
  progress is then shown on the proposal and notified to its followers;
- content reported by as many people as the consultation's threshold is
  hidden until a moderator decides; owners may require moderation before
  publication; a moderator's edit keeps the original; blocked people cannot post;
- organisations pledge funding, goods, volunteer time or expertise to a
  proposal or a project; the receiving organisation accepts or declines and
  records the delivery.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation, User
from prossima.accounts.permissions import (
    MANAGING_ROLES,
    MODERATING_ROLES,
    is_blocked,
    memberships_of,
    pledge_decider,
)
from prossima.dialogue.actions.notifications import do_notify
from prossima.dialogue.models import (
    COUNTED_PLEDGES,
    DISCUSSING_PHASES,
    PROPOSING_PHASES,
    Access,
    Answer,
    Block,
    Comment,
    Consultation,
    ConsultationDocument,
    ContentState,
    Flag,
    FlagDecision,
    FlagReason,
    PhaseKind,
    Pledge,
    PledgeKind,
    PledgeState,
    Proposal,
    Scope,
    Support,
)
from prossima.dialogue.queries.consultations import linkable_records

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 3  # comment threads: a reply to a third-level comment joins that level
MAX_LINKS = 10


def _user(actor: Any) -> User | None:
    return actor if getattr(actor, "is_authenticated", False) else None


def _audit(
    actor: Any, action: str, obj: Any, label: str, owner: Organisation, **detail: Any
) -> None:
    do_record_audit(
        actor,
        action,
        f"dialogue.{obj._meta.model_name}",
        obj.pk,
        label[:200],
        organisation=owner,
        detail=detail or None,
    )


def members_with_roles(organisation: Organisation, roles: Iterable[str]) -> list[User]:
    """Return the active people holding one of ``roles`` in the organisation."""
    return list(
        User.objects.filter(
            memberships__organisation=organisation,
            memberships__role__in=list(roles),
            is_active=True,
        ).distinct()
    )


def _own_organisation(actor: Any, organisation: Organisation | None) -> Organisation | None:
    """Check that the actor belongs to the organisation they act for."""
    if organisation is None or actor is None:
        return organisation
    if not any(m.organisation_id == organisation.pk for m in memberships_of(actor)):
        raise ValidationError(
            {"organisation": [_("You can act only for an organisation you belong to.")]}
        )
    return organisation


def _unique_slug(model: Any, title: str) -> str:
    base = slugify(title)[:70] or "consultazione"
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# --- Consultations ----------------------------------------------------------------------


def _check_phases(phases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the phases in date order, refusing reversed or overlapping dates."""
    errors: list[str] = []
    cleaned = []
    for phase in phases:
        kind, starts, ends = phase.get("kind"), phase.get("starts_on"), phase.get("ends_on")
        if kind not in PhaseKind.values:
            errors.append(
                _("Unknown phase %(kind)s; accepted: %(accepted)s.")
                % {"kind": kind, "accepted": ", ".join(PhaseKind.values)}
            )
            continue
        if not isinstance(starts, dt.date) or not isinstance(ends, dt.date):
            errors.append(
                _("Phase %(phase)s needs a start and an end date.")
                % {"phase": PhaseKind(kind).label}
            )
            continue
        if ends < starts:
            errors.append(
                _("Phase %(phase)s ends before it starts.") % {"phase": PhaseKind(kind).label}
            )
            continue
        cleaned.append({**phase, "description": phase.get("description", "")})
    cleaned.sort(key=lambda p: p["starts_on"])
    for before, after in itertools.pairwise(cleaned):
        if after["starts_on"] <= before["ends_on"]:
            errors.append(
                _("Phases %(a)s and %(b)s overlap: one phase at a time.")
                % {"a": PhaseKind(before["kind"]).label, "b": PhaseKind(after["kind"]).label}
            )
    if not cleaned and not errors:
        errors.append(_("Give the consultation at least one phase with dates."))
    if errors:
        raise ValidationError({"phases": errors})
    return cleaned


def _check_consultation(
    fields: dict[str, Any], phases: list[dict[str, Any]] | None
) -> list[dict[str, Any]] | None:
    """Return the phases in order, raising every problem of the fields and phases at once."""
    errors: dict[str, list[str]] = {}
    cleaned = None
    if phases is not None:
        try:
            cleaned = _check_phases(phases)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if not str(fields.get("title", "")).strip():
        errors["title"] = [_("Give the consultation a title.")]
    if not str(fields.get("summary", "")).strip():
        errors["summary"] = [_("Write a summary of a few lines.")]
    scope = fields.get("scope")
    if scope not in Scope.values:
        errors["scope"] = [_("Choose the territory of the consultation.")]
    elif scope != Scope.NATIONAL and fields.get("comune") is None:
        errors["comune"] = [_("Choose the comune (or a national scope).")]
    if scope == Scope.SUBAREAS:
        comune = fields.get("comune")
        subareas = list(fields.get("subareas") or [])
        if not subareas:
            errors["subareas"] = [_("Choose at least one area of the comune.")]
        elif comune is not None and any(s.comune_id != comune.pk for s in subareas):
            errors["subareas"] = [_("Every area must belong to the chosen comune.")]
    if fields.get("access") not in Access.values:
        errors["access"] = [_("Choose who the consultation is open to.")]
    threshold = fields.get("hide_after_flags")
    if threshold is not None and not 1 <= int(threshold) <= 100:
        errors["hide_after_flags"] = [_("Choose a number between 1 and 100.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


CONSULTATION_FIELDS = (
    "title",
    "summary",
    "description",
    "scope",
    "comune",
    "access",
    "moderate_first",
    "hide_after_flags",
    "published",
)


@transaction.atomic
def do_create_consultation(
    actor: Any,
    organisation: Organisation,
    *,
    phases: list[dict[str, Any]],
    subareas: Iterable[Any] = (),
    invited: Iterable[Organisation] = (),
    is_illustrative: bool = False,
    **fields: Any,
) -> Consultation:
    """Open a consultation of ``organisation`` with its phases (its managers only)."""
    check_perm(actor, "dialogue.manage_consultation", organisation)
    fields.setdefault("access", Access.PUBLIC)
    subareas = list(subareas)
    cleaned = _check_consultation({**fields, "subareas": subareas}, phases) or []
    consultation = Consultation.objects.create(
        organisation=organisation,
        slug=_unique_slug(Consultation, fields["title"]),
        created_by=_user(actor),
        is_illustrative=is_illustrative,
        **{k: v for k, v in fields.items() if k in CONSULTATION_FIELDS},
    )
    if fields.get("scope") == Scope.SUBAREAS:
        consultation.subareas.set(subareas)
    consultation.invited.set(list(invited))
    for phase in cleaned:
        consultation.phases.create(
            kind=phase["kind"],
            starts_on=phase["starts_on"],
            ends_on=phase["ends_on"],
            description=phase["description"],
        )
    _audit(actor, AuditEvent.Action.CREATE, consultation, consultation.title, organisation)
    return consultation


@transaction.atomic
def do_update_consultation(
    actor: Any,
    consultation: Consultation,
    *,
    phases: list[dict[str, Any]] | None = None,
    subareas: Iterable[Any] | None = None,
    invited: Iterable[Organisation] | None = None,
    **fields: Any,
) -> Consultation:
    """Change a consultation and, when given, replace its phases, areas and invitations."""
    check_perm(actor, "dialogue.manage_consultation", consultation)
    merged = {k: getattr(consultation, k) for k in CONSULTATION_FIELDS}
    merged.update({k: v for k, v in fields.items() if k in CONSULTATION_FIELDS})
    areas = list(subareas) if subareas is not None else list(consultation.subareas.all())
    cleaned = _check_consultation({**merged, "subareas": areas}, phases)
    for key, value in merged.items():
        setattr(consultation, key, value)
    consultation.save()
    consultation.subareas.set(areas if merged["scope"] == Scope.SUBAREAS else [])
    if invited is not None:
        consultation.invited.set(list(invited))
    if cleaned is not None:
        consultation.phases.all().delete()
        for phase in cleaned:
            consultation.phases.create(
                kind=phase["kind"],
                starts_on=phase["starts_on"],
                ends_on=phase["ends_on"],
                description=phase["description"],
            )
    _audit(
        actor, AuditEvent.Action.UPDATE, consultation, consultation.title, consultation.organisation
    )
    return consultation


def check_pdf(upload: UploadedFile) -> int:
    """Return the size of an uploaded PDF, refusing other types (read by content) and big files."""
    size = upload.size or 0
    if size > MAX_DOCUMENT_BYTES:
        raise ValidationError({"file": [_("The file is larger than 10 MB.")]})
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise ValidationError(
            {
                "file": [
                    _("%(name)s is not a PDF file: only PDF documents are accepted.")
                    % {"name": upload.name}
                ]
            }
        )
    return size


@transaction.atomic
def do_attach_document(
    actor: Any, consultation: Consultation, title: str, upload: UploadedFile
) -> ConsultationDocument:
    """Attach a PDF to a consultation (at most 10 MB, checked by its content)."""
    check_perm(actor, "dialogue.manage_consultation", consultation)
    if not title.strip():
        raise ValidationError({"title": [_("Give the document a title.")]})
    size = check_pdf(upload)
    document = ConsultationDocument(
        consultation=consultation, title=title.strip()[:200], size=size, uploaded_by=_user(actor)
    )
    document.file.save(f"{slugify(title)[:60] or 'documento'}.pdf", upload, save=False)
    document.save()
    _audit(actor, AuditEvent.Action.CREATE, document, document.title, consultation.organisation)
    return document


@transaction.atomic
def do_remove_document(actor: Any, document: ConsultationDocument) -> None:
    """Remove a document from a consultation."""
    consultation = document.consultation
    check_perm(actor, "dialogue.manage_consultation", consultation)
    _audit(actor, AuditEvent.Action.DELETE, document, document.title, consultation.organisation)
    document.file.delete(save=False)
    document.delete()


# --- Proposals ----------------------------------------------------------------------------


def _check_posting(actor: Any, consultation: Consultation, phases: frozenset[str]) -> None:
    if actor is None:
        return
    if is_blocked(actor, consultation.organisation):
        raise PermissionDenied(_("You have been blocked from posting here by the moderators."))
    check_perm(actor, "dialogue.participate", consultation)
    phase = consultation.phase_on()
    if phase is None or phase.kind not in phases:
        raise ValidationError(
            _("This is not possible in the current phase of the consultation (%(phase)s).")
            % {"phase": phase.get_kind_display() if phase else _("closed")}
        )


def _check_location(consultation: Consultation, lon: float | None, lat: float | None) -> None:
    if lon is None and lat is None:
        return
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError({"location": [_("Give both longitude and latitude, in degrees.")]})
    comune = consultation.comune
    box = comune.bbox() if comune is not None else None
    if box is not None:
        # A little slack: boundaries are simplified and people click on the edge.
        pad = 0.01
        if not (box[0] - pad <= lon <= box[2] + pad and box[1] - pad <= lat <= box[3] + pad):
            raise ValidationError(
                {
                    "location": [
                        _("The place is outside %(comune)s.") % {"comune": comune.name}  # type: ignore[union-attr]
                    ]
                }
            )


def _linked(consultation: Consultation, kind: str, ids: Iterable[int]) -> list[Any]:
    """Return the linked records, refusing those the public may not see."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return []
    if len(wanted) > MAX_LINKS:
        raise ValidationError({kind: [_("Link at most %(n)s records.") % {"n": MAX_LINKS}]})
    records = list(linkable_records(consultation)[kind].filter(pk__in=wanted))
    missing = sorted(set(wanted) - {r.pk for r in records})
    if missing:
        raise ValidationError(
            {
                kind: [
                    _(
                        "These records cannot be linked here (unknown, not public or "
                        "elsewhere): %(ids)s."
                    )
                    % {"ids": ", ".join(map(str, missing))}
                ]
            }
        )
    return records


@transaction.atomic
def do_propose(
    actor: Any,
    consultation: Consultation,
    *,
    title: str,
    body: str,
    organisation: Organisation | None = None,
    lon: float | None = None,
    lat: float | None = None,
    citizen_reports: Iterable[int] = (),
    assets: Iterable[int] = (),
    practices: Iterable[int] = (),
    is_illustrative: bool = False,
) -> Proposal:
    """Make a proposal in the proposals phase; it waits for a moderator when the owner asks."""
    _check_posting(actor, consultation, PROPOSING_PHASES)
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Give the proposal a title.")]
    if len(body.strip()) < 15:
        errors["body"] = [_("Describe the proposal in at least 15 characters.")]
    if errors:
        raise ValidationError(errors)
    _check_location(consultation, lon, lat)
    links = {
        kind: _linked(consultation, kind, ids)
        for kind, ids in (
            ("citizen_reports", citizen_reports),
            ("assets", assets),
            ("practices", practices),
        )
    }
    proposal = Proposal.objects.create(
        consultation=consultation,
        author=actor,
        organisation=_own_organisation(actor, organisation),
        title=title.strip()[:150],
        body=body.strip(),
        lon=lon,
        lat=lat,
        state=ContentState.PENDING if consultation.moderate_first else ContentState.PUBLISHED,
        is_illustrative=is_illustrative,
    )
    for kind, records in links.items():
        getattr(proposal, kind).set(records)
    _audit(actor, AuditEvent.Action.CREATE, proposal, proposal.title, consultation.organisation)
    if proposal.state == ContentState.PENDING:
        _ask_moderators(consultation)
    return proposal


def _ask_moderators(consultation: Consultation) -> None:
    do_notify(
        members_with_roles(consultation.organisation, MODERATING_ROLES),
        "moderation_needed",
        "/dialogue/moderation/",
        consultation=consultation.title,
    )


@transaction.atomic
def do_withdraw_proposal(actor: Any, proposal: Proposal) -> Proposal:
    """Let the author withdraw a proposal that has not been accepted."""
    if actor is None or proposal.author_id != actor.pk:
        raise PermissionDenied(_("Only the author can withdraw a proposal."))
    if proposal.answer == Answer.ACCEPTED:
        raise ValidationError(_("An accepted proposal cannot be withdrawn."))
    proposal.state = ContentState.WITHDRAWN
    proposal.save(update_fields=["state"])
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        proposal,
        proposal.title,
        proposal.consultation.organisation,
        state="withdrawn",
    )
    return proposal


@transaction.atomic
def do_support(actor: Any, proposal: Proposal, supported: bool = True) -> int:
    """Add (or remove) the actor's one support for a published proposal; return the count."""
    consultation = proposal.consultation
    _check_posting(actor, consultation, DISCUSSING_PHASES)
    if proposal.state != ContentState.PUBLISHED:
        raise ValidationError(_("Only published proposals can be supported."))
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    exists = Support.objects.filter(proposal=locked, user=actor).exists()
    if supported and not exists:
        Support.objects.create(proposal=locked, user=actor)
        Proposal.objects.filter(pk=locked.pk).update(support_count=F("support_count") + 1)
    elif not supported and exists:
        Support.objects.filter(proposal=locked, user=actor).delete()
        Proposal.objects.filter(pk=locked.pk).update(support_count=F("support_count") - 1)
    locked.refresh_from_db(fields=["support_count"])
    proposal.support_count = locked.support_count
    return locked.support_count


def comment_depth(comment: Comment) -> int:
    """Return the level of a comment in its thread (1 for a comment on the proposal)."""
    depth = 1
    parent = comment.parent
    while parent is not None:
        depth += 1
        parent = parent.parent
    return depth


@transaction.atomic
def do_comment(
    actor: Any,
    proposal: Proposal,
    body: str,
    *,
    parent: Comment | None = None,
    organisation: Organisation | None = None,
    is_illustrative: bool = False,
) -> Comment:
    """Comment on a published proposal, or reply to a comment (threads three levels deep)."""
    consultation = proposal.consultation
    _check_posting(actor, consultation, DISCUSSING_PHASES)
    if proposal.state != ContentState.PUBLISHED:
        raise ValidationError(_("Only published proposals can be commented on."))
    if not body.strip():
        raise ValidationError({"body": [_("Write the comment.")]})
    if len(body) > 4000:
        raise ValidationError({"body": [_("Keep the comment under 4,000 characters.")]})
    replied_to = parent
    if parent is not None:
        if parent.proposal_id != proposal.pk or parent.state != ContentState.PUBLISHED:
            raise ValidationError(_("You can reply only to a published comment of this proposal."))
        if comment_depth(parent) >= MAX_DEPTH:
            parent = parent.parent
    comment = Comment.objects.create(
        proposal=proposal,
        parent=parent,
        author=actor,
        organisation=_own_organisation(actor, organisation),
        body=body.strip(),
        state=ContentState.PENDING if consultation.moderate_first else ContentState.PUBLISHED,
        is_illustrative=is_illustrative,
    )
    _audit(actor, AuditEvent.Action.CREATE, comment, comment.body[:80], consultation.organisation)
    if comment.state == ContentState.PENDING:
        _ask_moderators(consultation)
    else:
        _notify_comment(comment, replied_to)
    return comment


def _notify_comment(comment: Comment, replied_to: Comment | None = None) -> None:
    """Tell the author of the comment replied to, and the proposal's author."""
    proposal = comment.proposal
    # A reply below the deepest level hangs from the level above, yet answers a person.
    replied_to = replied_to or comment.parent
    author = str(comment.organisation or comment.author.get_short_name() or comment.author)
    url = proposal.get_absolute_url() + f"#comment-{comment.pk}"
    if replied_to is not None and replied_to.author_id != comment.author_id:
        do_notify([replied_to.author], "comment_reply", url, author=author, proposal=proposal.title)
    if proposal.author_id != comment.author_id and (
        replied_to is None or replied_to.author_id != proposal.author_id
    ):
        do_notify(
            [proposal.author], "comment_on_proposal", url, author=author, proposal=proposal.title
        )


# --- Official answers and accountability ------------------------------------------------


@transaction.atomic
def do_answer(
    actor: Any,
    proposal: Proposal,
    answer: str,
    text: str,
    *,
    project: Any = None,
) -> Proposal:
    """Answer a proposal officially; an accepted one may be linked to a project of the owner."""
    consultation = proposal.consultation
    check_perm(actor, "dialogue.answer_proposal", proposal)
    errors: dict[str, list[str]] = {}
    if answer not in (Answer.EVALUATING, Answer.ACCEPTED, Answer.REJECTED):
        errors["answer"] = [_("Choose: being evaluated, accepted or rejected.")]
    if answer == Answer.REJECTED and not text.strip():
        errors["answer_text"] = [_("Say why the proposal is rejected.")]
    if proposal.state != ContentState.PUBLISHED:
        errors["answer"] = [_("Only published proposals are answered.")]
    if project is not None:
        if answer != Answer.ACCEPTED:
            errors["project"] = [_("Only an accepted proposal is linked to a project.")]
        elif project.tenant_id not in _owner_tenants(consultation.organisation):
            errors["project"] = [
                _("Link a project of the organisation that owns the consultation.")
            ]
    if errors:
        raise ValidationError(errors)
    new_project = project is not None and project.pk != proposal.project_id
    proposal.answer = answer
    proposal.answer_text = text.strip()
    proposal.answered_at = timezone.now()
    proposal.answered_by = _user(actor)
    proposal.project = project if answer == Answer.ACCEPTED else None
    proposal.save(update_fields=["answer", "answer_text", "answered_at", "answered_by", "project"])
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        proposal,
        proposal.title,
        consultation.organisation,
        answer=answer,
        project=project.pk if project else None,
    )
    url = proposal.get_absolute_url()
    do_notify(
        [proposal.author],
        "proposal_answered",
        url,
        organisation=consultation.organisation.name,
        proposal=proposal.title,
        answer=answer,
    )
    if new_project:
        do_notify(
            _followers(proposal),
            "proposal_project",
            url,
            proposal=proposal.title,
            project=project.title,
        )
    return proposal


def _owner_tenants(organisation: Organisation) -> set[int]:
    """Return the organisations whose projects a consultation owner may link."""
    ids = {organisation.pk}
    if organisation.parent_id:
        ids.add(organisation.parent_id)
    return ids


def _followers(proposal: Proposal) -> list[User]:
    """Return the author and the supporters of a proposal."""
    people = [proposal.author]
    people += list(User.objects.filter(dialogue_supports__proposal=proposal))
    return people


def notify_project_stage(project: Any) -> int:
    """Tell the followers of proposals linked to a project that it moved to a new stage."""
    sent = 0
    for proposal in Proposal.objects.filter(project=project, state=ContentState.PUBLISHED):
        sent += len(
            do_notify(
                _followers(proposal),
                "project_stage",
                proposal.get_absolute_url(),
                project=project.title,
                proposal=proposal.title,
                stage=project.stage,
            )
        )
    return sent


# --- Moderation ------------------------------------------------------------------------------


def _target_proposal(target: Proposal | Comment) -> Proposal:
    return target if isinstance(target, Proposal) else target.proposal


@transaction.atomic
def do_flag(actor: Any, target: Proposal | Comment, reason: str, note: str = "") -> Flag:
    """Report content; at the consultation's threshold it is hidden until a moderator decides."""
    if _user(actor) is None:
        raise PermissionDenied(_("Sign in to report content."))
    proposal = _target_proposal(target)
    consultation = proposal.consultation
    check_perm(actor, "dialogue.view_consultation", consultation)
    # Only content the person may see can be reported (not a proposal awaiting moderation).
    check_perm(actor, "dialogue.view_proposal", target)
    if reason not in FlagReason.values:
        raise ValidationError(
            {
                "reason": [
                    _("Choose a reason: %(accepted)s.") % {"accepted": ", ".join(FlagReason.values)}
                ]
            }
        )
    if target.author_id == actor.pk:
        raise ValidationError(_("You cannot report your own contribution."))
    key = {"proposal": target} if isinstance(target, Proposal) else {"comment": target}
    flag, created = Flag.objects.get_or_create(
        reporter=actor, **key, defaults={"reason": reason, "note": note.strip()[:500]}
    )
    if not created:
        raise ValidationError(_("You have already reported this."))
    open_flags = Flag.objects.filter(decision=FlagDecision.OPEN, **key).count()
    if target.state == ContentState.PUBLISHED and open_flags >= consultation.hide_after_flags:
        target.state = ContentState.HIDDEN
        target.hidden_reason = _("Reported by %(n)s people; waiting for a moderator.") % {
            "n": open_flags
        }
        target.save(update_fields=["state", "hidden_reason"])
    _ask_moderators(consultation)
    return flag


def _decide_flags(actor: Any, target: Proposal | Comment, decision: str) -> None:
    key = {"proposal": target} if isinstance(target, Proposal) else {"comment": target}
    Flag.objects.filter(decision=FlagDecision.OPEN, **key).update(
        decision=decision, decided_by=_user(actor), decided_at=timezone.now()
    )


@transaction.atomic
def do_moderate(
    actor: Any,
    target: Proposal | Comment,
    decision: str,
    *,
    reason: str = "",
    title: str | None = None,
    body: str | None = None,
) -> Proposal | Comment:
    """Publish, hide, or keep reported content; optionally edit it, keeping the original.

    ``decision`` is ``publish`` (also: keep after reports), ``hide`` (a reason
    is required and is shown to the author) or ``edit`` (publish the edited text).
    """
    proposal = _target_proposal(target)
    consultation = proposal.consultation
    check_perm(actor, "dialogue.moderate", consultation)
    if decision not in ("publish", "hide", "edit"):
        raise ValidationError({"decision": [_("Choose: publish, hide or edit.")]})
    if decision == "hide" and not reason.strip():
        raise ValidationError(
            {"reason": [_("Say why the content is hidden: the author reads it.")]}
        )
    if target.state == ContentState.WITHDRAWN:
        raise ValidationError(_("The author withdrew this proposal."))
    was_pending = target.state == ContentState.PENDING
    event = "content_published"
    if decision == "edit":
        new_body = (body or "").strip()
        if not new_body:
            raise ValidationError({"body": [_("The edited text cannot be empty.")]})
        if not target.original_body:
            target.original_body = target.body
        target.body = new_body
        if isinstance(target, Proposal) and title is not None and title.strip():
            if not target.original_title:
                target.original_title = target.title
            target.title = title.strip()[:150]
        target.edited_by = _user(actor)
        target.edited_at = timezone.now()
        event = "content_edited"
    if decision == "hide":
        target.state = ContentState.HIDDEN
        target.hidden_reason = reason.strip()[:300]
        event = "content_hidden"
        _decide_flags(actor, target, FlagDecision.HIDDEN)
    else:
        target.state = ContentState.PUBLISHED
        target.hidden_reason = ""
        _decide_flags(actor, target, FlagDecision.KEPT)
    target.save()
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        target,
        str(target)[:80],
        consultation.organisation,
        moderation=decision,
    )
    do_notify(
        [target.author],
        event,
        proposal.get_absolute_url(),
        proposal=proposal.title,
        reason=target.hidden_reason,
    )
    if was_pending and target.state == ContentState.PUBLISHED and isinstance(target, Comment):
        _notify_comment(target)
    return target


@transaction.atomic
def do_block(actor: Any, organisation: Organisation | None, user: User, reason: str) -> Block:
    """Bar a person from posting in the organisation's spaces (everywhere: platform admins)."""
    if organisation is None:
        if actor is not None and not getattr(actor, "is_superuser", False):
            raise PermissionDenied(_("Only platform administrators block people everywhere."))
    else:
        check_perm(actor, "dialogue.moderate", organisation)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the person is blocked.")]})
    if actor is not None and user.pk == actor.pk:
        raise ValidationError(_("You cannot block yourself."))
    block = Block.objects.filter(
        user=user, organisation=organisation, lifted_at__isnull=True
    ).first()
    if block is None:
        block = Block.objects.create(
            user=user,
            organisation=organisation,
            reason=reason.strip()[:300],
            blocked_by=_user(actor),
        )
    do_record_audit(
        actor,
        AuditEvent.Action.CREATE,
        "dialogue.block",
        block.pk,
        str(user),
        organisation=organisation,
        detail={"reason": block.reason},
    )
    return block


@transaction.atomic
def do_lift_block(actor: Any, block: Block) -> Block:
    """Let a blocked person post again."""
    if block.organisation is None:
        if actor is not None and not getattr(actor, "is_superuser", False):
            raise PermissionDenied(_("Only platform administrators lift platform-wide blocks."))
    else:
        check_perm(actor, "dialogue.moderate", block.organisation)
    block.lifted_at = timezone.now()
    block.save(update_fields=["lifted_at"])
    do_record_audit(
        actor,
        AuditEvent.Action.UPDATE,
        "dialogue.block",
        block.pk,
        str(block.user),
        organisation=block.organisation,
        detail={"lifted": True},
    )
    return block


# --- Pledges ---------------------------------------------------------------------------------


@transaction.atomic
def do_pledge(
    actor: Any,
    organisation: Organisation,
    *,
    kind: str,
    description: str,
    proposal: Proposal | None = None,
    project: Any = None,
    amount_eur: Decimal | None = None,
    hours: int | None = None,
    public: bool = False,
    is_illustrative: bool = False,
) -> Pledge:
    """Offer an organisation's resources to a published proposal or a published project."""
    check_perm(actor, "dialogue.pledge", organisation)
    errors: dict[str, list[str]] = {}
    if (proposal is None) == (project is None):
        errors["__all__"] = [_("Pledge to one proposal or one project.")]
    if proposal is not None:
        if proposal.state != ContentState.PUBLISHED or proposal.answer == Answer.REJECTED:
            errors["__all__"] = [_("Pledges go to published proposals that were not rejected.")]
        elif actor is not None and not actor.has_perm("dialogue.view_proposal", proposal):
            raise PermissionDenied
    if (
        project is not None
        and not project.published
        and not (actor is None or actor.has_perm("interventions.view_project", project.tenant))
    ):
        errors["__all__"] = [_("Pledges go to projects whose summary is public.")]
    if kind not in PledgeKind.values:
        errors["kind"] = [_("Choose what kind of resources you pledge.")]
    if kind == PledgeKind.FUNDING and (amount_eur is None or amount_eur <= 0):
        errors["amount_eur"] = [_("Give the amount in euro (more than zero).")]
    if kind == PledgeKind.VOLUNTEERING and not hours:
        errors["hours"] = [_("Give the volunteer hours offered.")]
    if amount_eur is not None and amount_eur < 0:
        errors["amount_eur"] = [_("The amount cannot be negative.")]
    if not description.strip():
        errors["description"] = [_("Describe what you offer.")]
    if errors:
        raise ValidationError(errors)
    pledge = Pledge.objects.create(
        organisation=organisation,
        pledged_by=_user(actor),
        proposal=proposal,
        project=project,
        kind=kind,
        amount_eur=amount_eur,
        hours=hours,
        description=description.strip(),
        public=public,
        is_illustrative=is_illustrative,
    )
    receiver = pledge_decider(pledge)
    _audit(actor, AuditEvent.Action.CREATE, pledge, str(pledge), organisation, kind=kind)
    if receiver is not None:
        do_notify(
            members_with_roles(receiver, MANAGING_ROLES),
            "pledge_offered",
            "/dialogue/pledges/",
            organisation=organisation.name,
            kind=kind,
            target=pledge_target_title(pledge),
        )
    return pledge


def pledge_target_title(pledge: Pledge) -> str:
    """Return the title of what the pledge goes to."""
    if pledge.project is not None:
        return str(pledge.project.title)
    return pledge.proposal.title if pledge.proposal else ""


# Allowed moves: (from, to) → who decides ("receiver" or "pledger").
PLEDGE_MOVES: dict[tuple[str, str], str] = {
    (PledgeState.OFFERED, PledgeState.ACCEPTED): "receiver",
    (PledgeState.OFFERED, PledgeState.DECLINED): "receiver",
    (PledgeState.ACCEPTED, PledgeState.DELIVERED): "receiver",
    (PledgeState.OFFERED, PledgeState.WITHDRAWN): "pledger",
    (PledgeState.ACCEPTED, PledgeState.WITHDRAWN): "pledger",
}


@transaction.atomic
def do_move_pledge(actor: Any, pledge: Pledge, state: str, note: str = "") -> Pledge:
    """Accept, decline or record the delivery of a pledge (receiver), or withdraw it (pledger)."""
    who = PLEDGE_MOVES.get((pledge.state, state))
    if who is None:
        raise ValidationError(
            _("A pledge that is %(now)s cannot become %(then)s.")
            % {
                "now": pledge.get_state_display(),
                "then": PledgeState(state).label if state in PledgeState.values else state,
            }
        )
    if who == "receiver":
        check_perm(actor, "dialogue.decide_pledge", pledge)
    else:
        check_perm(actor, "dialogue.pledge", pledge.organisation)
    if state == PledgeState.DECLINED and not note.strip():
        raise ValidationError({"note": [_("Say why the pledge is declined.")]})
    now = timezone.now()
    pledge.state = state
    pledge.decision_note = note.strip()[:300]
    pledge.decided_by = _user(actor)
    if state == PledgeState.ACCEPTED:
        pledge.accepted_at = now
    if state == PledgeState.DELIVERED:
        pledge.delivered_at = now
    pledge.save()
    _audit(actor, AuditEvent.Action.UPDATE, pledge, str(pledge), pledge.organisation, state=state)
    people = members_with_roles(pledge.organisation, MANAGING_ROLES)
    if pledge.pledged_by is not None:
        people.append(pledge.pledged_by)
    if who == "receiver":
        do_notify(
            people,
            "pledge_decided",
            "/dialogue/pledges/",
            target=pledge_target_title(pledge),
            state=state,
        )
    return pledge


def counted(pledge: Pledge) -> bool:
    """Return whether a pledge counts towards totals (accepted or delivered)."""
    return pledge.state in COUNTED_PLEDGES

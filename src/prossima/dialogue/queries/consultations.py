"""Reads of consultations, proposals, comments, pledges and the moderation queue."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from prossima.accounts.permissions import MANAGING_ROLES, MODERATING_ROLES, memberships_of
from prossima.dialogue.models import (
    COUNTED_PLEDGES,
    Access,
    Comment,
    Consultation,
    ContentState,
    Flag,
    FlagDecision,
    Pledge,
    PledgeKind,
    Proposal,
)
from prossima.dialogue.queries.spaces import organisations_of, visible

PROPOSAL_ORDERS = ("supports", "recent", "answered")


def visible_consultations(user: Any) -> QuerySet[Consultation]:
    """Return the consultations the user may open."""
    return visible(Consultation, user).select_related("comune").prefetch_related("phases")


def linkable_records(consultation: Consultation) -> dict[str, QuerySet[Any]]:
    """Return what a proposal may link to: records the public sees, of the consultation's comune.

    Published citizen reports, assets on the comune's public list (art. 48 c.3
    lett. c; none for a national consultation) and published practices.
    """
    from prossima.assets.models import Asset
    from prossima.assets.queries import LISTED_STAGES
    from prossima.incidents.models import CitizenReport, ModerationState
    from prossima.practices.models import Practice, Status

    reports = CitizenReport.objects.filter(moderation_state=ModerationState.PUBLISHED)
    assets = Asset.objects.filter(stage__in=LISTED_STAGES)
    if consultation.comune_id:
        reports = reports.filter(comune_id=consultation.comune_id)
        assets = assets.filter(comune_id=consultation.comune_id)
    else:
        assets = assets.none()
    return {
        "citizen_reports": reports,
        "assets": assets,
        "practices": Practice.objects.filter(status=Status.PUBLISHED),
    }


def moderated_organisation_ids(user: Any) -> set[int]:
    """Return the organisations whose spaces the user moderates."""
    return {m.organisation_id for m in memberships_of(user) if m.role in MODERATING_ROLES}


def proposals_for(
    consultation: Consultation, user: Any, *, order: str = "supports", answer: str | None = None
) -> QuerySet[Proposal]:
    """Return the proposals of a consultation the user sees: published ones, and their own."""
    shown = Q(state=ContentState.PUBLISHED)
    if getattr(user, "is_authenticated", False):
        shown |= Q(author=user) & ~Q(state=ContentState.WITHDRAWN)
    found = consultation.proposals.filter(shown).select_related("author", "organisation")
    if answer is not None:
        found = found.filter(answer=answer)
    if order == "recent":
        return found.order_by("-created_at", "-pk")
    if order == "answered":
        return found.order_by("-answered_at", "-support_count", "-pk")
    return found.order_by("-support_count", "-created_at", "-pk")


@dataclass
class ThreadItem:
    """A comment with its level and replies, for the threaded display."""

    comment: Comment
    depth: int
    replies: list[ThreadItem] = field(default_factory=list)


def comment_thread(proposal: Proposal, user: Any) -> list[ThreadItem]:
    """Return the comments of a proposal as a tree; hidden ones show as placeholders.

    A hidden comment with visible replies keeps its place so the replies make
    sense; its text is not shown. Pending comments are shown to their author.
    """
    uid = user.pk if getattr(user, "is_authenticated", False) else None
    comments = list(
        proposal.comments.select_related("author", "organisation").order_by("created_at", "pk")
    )
    children: dict[int | None, list[Comment]] = defaultdict(list)
    for comment in comments:
        children[comment.parent_id].append(comment)

    def build(parent_id: int | None, depth: int) -> list[ThreadItem]:
        items = []
        for comment in children.get(parent_id, []):
            replies = build(comment.pk, depth + 1)
            visible = comment.state == ContentState.PUBLISHED or (
                comment.state == ContentState.PENDING and comment.author_id == uid
            )
            if visible or (comment.state == ContentState.HIDDEN and replies):
                items.append(ThreadItem(comment, depth, replies))
            else:
                items.extend(replies)
        return items

    return build(None, 1)


@dataclass
class Totals:
    """What pledges add up to (accepted and delivered ones)."""

    funding_eur: Decimal = Decimal(0)
    funding_delivered_eur: Decimal = Decimal(0)
    volunteer_hours: int = 0
    in_kind: int = 0
    expertise: int = 0
    pledges: int = 0
    organisations: set[int] = field(default_factory=set)

    def add(self, pledge: Pledge) -> None:
        """Count one pledge."""
        self.pledges += 1
        self.organisations.add(pledge.organisation_id)
        if pledge.kind == PledgeKind.FUNDING and pledge.amount_eur:
            self.funding_eur += pledge.amount_eur
            if pledge.state == "delivered":
                self.funding_delivered_eur += pledge.amount_eur
        elif pledge.kind == PledgeKind.VOLUNTEERING:
            self.volunteer_hours += pledge.hours or 0
        elif pledge.kind == PledgeKind.IN_KIND:
            self.in_kind += 1
        else:
            self.expertise += 1


def project_pledges(project: Any) -> QuerySet[Pledge]:
    """Return the pledges to a project, directly or to a proposal it follows."""
    return (
        Pledge.objects.filter(Q(project=project) | Q(proposal__project=project))
        .select_related("organisation", "proposal", "project")
        .order_by("-created_at")
    )


def totals(pledges: Any) -> Totals:
    """Return the totals of the counted pledges among ``pledges``."""
    result = Totals()
    for pledge in pledges:
        if pledge.state in COUNTED_PLEDGES:
            result.add(pledge)
    return result


def public_contributions() -> list[dict[str, Any]]:
    """Return who contributed what, per project or proposal, where the pledger consented."""
    pledges = (
        Pledge.objects.filter(public=True, state__in=COUNTED_PLEDGES)
        .filter(
            Q(project__published=True)
            | Q(
                proposal__state=ContentState.PUBLISHED,
                proposal__consultation__published=True,
                proposal__consultation__access=Access.PUBLIC,
            )
        )
        .select_related(
            "organisation", "project", "proposal", "proposal__project", "proposal__consultation"
        )
        .order_by("organisation__name", "-created_at")
    )
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    for pledge in pledges:
        project = pledge.project or (pledge.proposal.project if pledge.proposal else None)
        if project is not None and project.published:
            key = ("project", project.pk)
            title, url = project.title, ""
        elif pledge.proposal is not None:
            key = ("proposal", pledge.proposal.pk)
            title, url = pledge.proposal.title, pledge.proposal.get_absolute_url()
        else:
            continue
        group = groups.setdefault(
            key, {"kind": key[0], "title": title, "url": url, "pledges": [], "totals": Totals()}
        )
        group["pledges"].append(pledge)
        group["totals"].add(pledge)
    return sorted(groups.values(), key=lambda g: (-g["totals"].funding_eur, g["title"]))


def pledges_of(user: Any) -> dict[str, list[Pledge]]:
    """Return the pledges the user's organisations made, and those they must decide on."""
    member_of = {o.pk for o in organisations_of(user)}
    managing = {o.pk for o in organisations_of(user, MANAGING_ROLES)}
    related = ("organisation", "proposal", "proposal__consultation", "project", "pledged_by")
    made = Pledge.objects.filter(organisation_id__in=member_of).select_related(*related)
    received = Pledge.objects.filter(
        Q(project__tenant_id__in=managing)
        | Q(project__isnull=True, proposal__consultation__organisation_id__in=managing)
    ).select_related(*related)
    if getattr(user, "is_superuser", False):
        received = Pledge.objects.select_related(*related)
    return {"made": list(made[:200]), "received": list(received[:200])}


@dataclass
class QueueItem:
    """Content waiting for a moderator, with its open reports."""

    target: Proposal | Comment
    kind: str
    flags: list[Flag]


def moderation_queue(user: Any) -> list[QueueItem]:
    """Return pending and reported content in the spaces the user moderates."""
    if getattr(user, "is_superuser", False):
        orgs = Q()
    else:
        ids = moderated_organisation_ids(user)
        if not ids:
            return []
        orgs = Q(consultation__organisation_id__in=ids)
    proposals = {
        p.pk: p
        for p in Proposal.objects.filter(orgs)
        .filter(Q(state=ContentState.PENDING) | Q(flags__decision=FlagDecision.OPEN))
        .exclude(state=ContentState.WITHDRAWN)
        .select_related("author", "consultation")
        .distinct()
    }
    comment_orgs = Q() if not orgs else Q(proposal__consultation__organisation_id__in=ids)
    comments = {
        c.pk: c
        for c in Comment.objects.filter(comment_orgs)
        .filter(Q(state=ContentState.PENDING) | Q(flags__decision=FlagDecision.OPEN))
        .select_related("author", "proposal", "proposal__consultation")
        .distinct()
    }
    flags_by: dict[tuple[str, int], list[Flag]] = defaultdict(list)
    open_flags = Flag.objects.filter(decision=FlagDecision.OPEN).filter(
        Q(proposal_id__in=list(proposals)) | Q(comment_id__in=list(comments))
    )
    for flag in open_flags.select_related("reporter"):
        key = ("proposal", flag.proposal_id) if flag.proposal_id else ("comment", flag.comment_id)
        flags_by[key].append(flag)  # type: ignore[index]
    items = [QueueItem(p, "proposal", flags_by[("proposal", p.pk)]) for p in proposals.values()]
    items += [QueueItem(c, "comment", flags_by[("comment", c.pk)]) for c in comments.values()]
    items.sort(
        key=lambda i: (i.target.state != ContentState.HIDDEN, -len(i.flags), i.target.created_at)
    )
    return items


def current_phase_label(consultation: Consultation) -> str:
    """Return the name of today's phase, or an empty string between phases."""
    phase = consultation.phase_on(timezone.localdate())
    return str(phase.get_kind_display()) if phase else ""

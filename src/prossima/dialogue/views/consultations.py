"""Pages of consultations, proposals, pledges and moderation."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from prossima.dialogue.actions import consultations as actions
from prossima.dialogue.forms.consultations import (
    AnswerForm,
    CommentForm,
    ConsultationForm,
    DocumentForm,
    FlagForm,
    ModerateForm,
    PledgeForm,
    PledgeMoveForm,
    ProposalForm,
)
from prossima.dialogue.models import (
    DISCUSSING_PHASES,
    PROPOSING_PHASES,
    Answer,
    Block,
    Comment,
    Consultation,
    ContentState,
    Pledge,
    PledgeState,
    Proposal,
)
from prossima.dialogue.queries import consultations as queries
from prossima.dialogue.queries.spaces import organisations_managed_by, organisations_of
from prossima.web.forms import add_validation_errors
from prossima.web.ratelimit import rate_limited

PER_PAGE = 20


def _consultation_or_404(request: HttpRequest, slug: str) -> Consultation:
    consultation = get_object_or_404(
        Consultation.objects.select_related("organisation", "comune"), slug=slug
    )
    # A consultation the user may not see is not shown to exist.
    if not request.user.has_perm("dialogue.view_consultation", consultation):
        raise Http404
    return consultation


def _proposal_or_404(request: HttpRequest, slug: str, pk: int) -> Proposal:
    proposal = get_object_or_404(
        Proposal.objects.select_related(
            "consultation", "consultation__organisation", "author", "organisation", "project"
        ),
        consultation__slug=slug,
        pk=pk,
    )
    if not request.user.has_perm("dialogue.view_proposal", proposal):
        raise Http404
    return proposal


def index(request: HttpRequest) -> HttpResponse:
    """Show open consultations, upcoming meetings and courses in one place."""
    from prossima.dialogue.queries.meetings import visible_meetings
    from prossima.dialogue.queries.training import visible_courses

    user = request.user
    today = timezone.localdate()
    consultations = list(queries.visible_consultations(user).order_by("-created_at")[:60])
    open_now = [c for c in consultations if c.published and c.phase_on(today)]
    others = [c for c in consultations if c not in open_now]
    meetings = list(
        visible_meetings(user)
        .filter(starts_at__gte=timezone.now(), published=True)
        .select_related("organisation")
        .order_by("starts_at")[:5]
    )
    courses = list(visible_courses(user).filter(published=True).order_by("-created_at")[:5])
    return render(
        request,
        "dialogue/index.html",
        {
            "open_now": open_now,
            "others": others,
            "meetings": meetings,
            "courses": courses,
            "today": today,
            "can_create": bool(organisations_managed_by(user)),
            "moderates": bool(queries.moderated_organisation_ids(user)) or user.is_superuser,
        },
    )


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """Open a consultation for one of the organisations the user manages."""
    organisations = organisations_managed_by(request.user)
    if not organisations:
        raise PermissionDenied
    form = ConsultationForm(request.POST or None, organisations=organisations, creating=True)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        organisation = data.pop("organisation")
        subareas, invited = data.pop("subareas"), data.pop("invited")
        try:
            consultation = actions.do_create_consultation(
                request.user,
                organisation,
                phases=form.phases(),
                subareas=subareas,
                invited=invited,
                **{k: v for k, v in data.items() if not k.endswith(("_on", "_description"))},
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("The consultation is saved."))
            return redirect(consultation)
    return render(request, "dialogue/consultation_form.html", {"form": form, "consultation": None})


@login_required
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Change a consultation, its phases, areas and invitations."""
    consultation = _consultation_or_404(request, slug)
    if not request.user.has_perm("dialogue.manage_consultation", consultation):
        raise PermissionDenied
    organisations = [consultation.organisation]
    form = ConsultationForm(
        request.POST or None, instance=consultation, organisations=organisations, creating=False
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        subareas, invited = data.pop("subareas"), data.pop("invited")
        try:
            # Re-read: the form wrote its values onto the instance while validating.
            fresh = Consultation.objects.get(pk=consultation.pk)
            actions.do_update_consultation(
                request.user,
                fresh,
                phases=form.phases(),
                subareas=subareas,
                invited=invited,
                **{k: v for k, v in data.items() if not k.endswith(("_on", "_description"))},
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("The consultation is saved."))
            return redirect(fresh)
    return render(
        request, "dialogue/consultation_form.html", {"form": form, "consultation": consultation}
    )


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a consultation: phases, documents, proposals with their answers, a map."""
    consultation = _consultation_or_404(request, slug)
    user = request.user
    order = request.GET.get("order", "supports")
    if order not in queries.PROPOSAL_ORDERS:
        order = "supports"
    answer = request.GET.get("answer")
    if answer not in Answer.values:
        answer = None
    proposals = queries.proposals_for(consultation, user, order=order, answer=answer)
    page = Paginator(proposals, PER_PAGE).get_page(request.GET.get("page"))
    phase = consultation.phase_on()
    points = [
        {"lat": p.lat, "lon": p.lon, "title": p.title, "url": p.get_absolute_url()}
        for p in queries.proposals_for(consultation, user).filter(lon__isnull=False)[:500]
    ]
    supported = set()
    if user.is_authenticated:
        supported = set(
            user.dialogue_supports.filter(proposal__consultation=consultation).values_list(
                "proposal_id", flat=True
            )
        )
    return render(
        request,
        "dialogue/consultation.html",
        {
            "consultation": consultation,
            "phases": list(consultation.phases.all()),
            "phase": phase,
            "documents": list(consultation.documents.all()),
            "page": page,
            "order": order,
            "answer": answer or "",
            "answers": [a for a in Answer if a.value],
            "points": points,
            "supported": supported,
            "meetings": list(consultation.meetings.filter(published=True).order_by("starts_at")),
            "can_propose": phase is not None
            and phase.kind in PROPOSING_PHASES
            and user.has_perm("dialogue.participate", consultation),
            "can_manage": user.has_perm("dialogue.manage_consultation", consultation),
            "can_moderate": user.has_perm("dialogue.moderate", consultation),
        },
    )


@login_required
def documents(request: HttpRequest, slug: str) -> HttpResponse:
    """Attach and remove the consultation's documents (its managers)."""
    consultation = _consultation_or_404(request, slug)
    if not request.user.has_perm("dialogue.manage_consultation", consultation):
        raise PermissionDenied
    form = DocumentForm()
    if request.method == "POST":
        remove = request.POST.get("remove")
        if remove:
            document = get_object_or_404(consultation.documents, pk=remove)
            actions.do_remove_document(request.user, document)
            messages.success(request, _("The document is removed."))
            return redirect("dialogue:documents", slug)
        form = DocumentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                actions.do_attach_document(
                    request.user,
                    consultation,
                    form.cleaned_data["title"],
                    form.cleaned_data["file"],
                )
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, _("The document is attached."))
                return redirect("dialogue:documents", slug)
    return render(
        request,
        "dialogue/documents.html",
        {"consultation": consultation, "form": form, "documents": consultation.documents.all()},
    )


def _link_choices(consultation: Consultation) -> dict[str, list[tuple[int, str]]]:
    """Return the choices of records a proposal may link to, newest reports first."""
    found = queries.linkable_records(consultation)
    return {
        "reports": [
            (r.pk, f"#{r.pk} {r.title}")
            for r in found["citizen_reports"].order_by("-created_at")[:100]
        ],
        "assets": [
            (a.pk, f"{a.code} · {a.address or a.get_kind_display()}")
            for a in found["assets"].order_by("code")[:200]
        ],
        "practices": [(p.pk, p.title) for p in found["practices"].order_by("title")[:300]],
    }


@login_required
@rate_limited("dialogue")
def propose(request: HttpRequest, slug: str) -> HttpResponse:
    """Write a proposal in the proposals phase."""
    consultation = _consultation_or_404(request, slug)
    if not request.user.has_perm("dialogue.participate", consultation):
        raise PermissionDenied
    choices = _link_choices(consultation)
    organisations = organisations_of(request.user)
    form = ProposalForm(request.POST or None, organisations=organisations, **choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = next((o for o in organisations if o.pk == data.get("organisation")), None)
        try:
            proposal = actions.do_propose(
                request.user,
                consultation,
                title=data["title"],
                body=data["body"],
                organisation=chosen,
                lon=data.get("lon"),
                lat=data.get("lat"),
                citizen_reports=data.get("citizen_reports") or [],
                assets=data.get("assets") or [],
                practices=data.get("practices") or [],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            if proposal.state == ContentState.PENDING:
                messages.info(
                    request, _("Thank you: your proposal is published after a moderator reads it.")
                )
            else:
                messages.success(request, _("Your proposal is published."))
            return redirect(proposal)
    return render(request, "dialogue/propose.html", {"consultation": consultation, "form": form})


def proposals_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """Return the published proposals with supports and answers as CSV (no personal data)."""
    consultation = _consultation_or_404(request, slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{consultation.slug}-proposte.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "id",
            "title",
            "proposer_kind",
            "organisation",
            "supports",
            "answer",
            "answered_at",
            "project",
            "lon",
            "lat",
            "created_at",
        ]
    )
    found = consultation.proposals.filter(state=ContentState.PUBLISHED).select_related(
        "organisation", "project"
    )
    for p in found.order_by("pk"):
        writer.writerow(
            [
                p.pk,
                p.title,
                p.organisation.kind if p.organisation else "citizen",
                p.organisation.name if p.organisation else "",
                p.support_count,
                p.answer,
                p.answered_at.isoformat() if p.answered_at else "",
                p.project.title if p.project and p.project.published else "",
                p.lon if p.lon is not None else "",
                p.lat if p.lat is not None else "",
                p.created_at.date().isoformat(),
            ]
        )
    return response


def _project_progress(proposal: Proposal, user: Any) -> dict[str, Any] | None:
    """Return what the public (or the tenant's staff) may see of the linked project."""
    project = proposal.project
    if project is None:
        return None
    staff = user.has_perm("interventions.view_project", project.tenant)
    if not (project.published or staff):
        return {"hidden": True}
    steps = list(project.checklist.all())
    done = sum(1 for s in steps if s.done)
    evaluation = project.evaluations.order_by("-created_at").first() if project.published else None
    return {
        "hidden": False,
        "project": project,
        "steps_done": done,
        "steps": len(steps),
        "percent": round(100 * done / len(steps)) if steps else 0,
        "evaluation": evaluation,
        "staff": staff,
    }


def proposal(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Show a proposal with its place, links, supports, answer, project, pledges and comments."""
    item = _proposal_or_404(request, slug, pk)
    consultation = item.consultation
    user = request.user
    phase = consultation.phase_on()
    discussing = phase is not None and phase.kind in DISCUSSING_PHASES
    can_post = discussing and user.has_perm("dialogue.participate", consultation)
    pledges = list(item.pledges.select_related("organisation"))
    visible_pledges = [p for p in pledges if user.has_perm("dialogue.view_pledge", p)]
    return render(
        request,
        "dialogue/proposal.html",
        {
            "proposal": item,
            "consultation": consultation,
            "phase": phase,
            "thread": queries.comment_thread(item, user),
            "comment_form": CommentForm(organisations=organisations_of(user)),
            "flag_form": FlagForm(),
            "can_post": can_post and item.state == ContentState.PUBLISHED,
            "supported": user.is_authenticated and item.supports.filter(user=user).exists(),
            "can_answer": user.has_perm("dialogue.answer_proposal", item),
            "can_moderate": user.has_perm("dialogue.moderate", consultation),
            "can_pledge": bool(organisations_managed_by(user))
            and item.state == ContentState.PUBLISHED
            and item.answer != Answer.REJECTED,
            "is_author": user.is_authenticated and item.author_id == user.pk,
            "progress": _project_progress(item, user),
            "pledges": visible_pledges,
            "totals": queries.totals(pledges),
            "reports": list(item.citizen_reports.all()),
            "assets": list(item.assets.all()),
            "practices": list(item.practices.all()),
            "meetings": list(item.meetings.filter(published=True)),
        },
    )


def _back(proposal: Proposal, anchor: str = "") -> HttpResponse:
    return redirect(proposal.get_absolute_url() + anchor)


@require_POST
@login_required
@rate_limited("dialogue")
def support(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Support a proposal, or take the support back."""
    item = _proposal_or_404(request, slug, pk)
    try:
        actions.do_support(request.user, item, request.POST.get("supported") != "0")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(item, "#supports")


@require_POST
@login_required
@rate_limited("dialogue")
def comment(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Comment on a proposal or reply to a comment."""
    item = _proposal_or_404(request, slug, pk)
    organisations = organisations_of(request.user)
    form = CommentForm(request.POST, organisations=organisations)
    if not form.is_valid():
        messages.error(request, _("Write the comment."))
        return _back(item, "#comments")
    data = form.cleaned_data
    parent = None
    if data.get("parent"):
        parent = get_object_or_404(item.comments, pk=data["parent"])
    chosen = next((o for o in organisations if o.pk == data.get("organisation")), None)
    try:
        created = actions.do_comment(
            request.user, item, data["body"], parent=parent, organisation=chosen
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(item, "#comments")
    if created.state == ContentState.PENDING:
        messages.info(request, _("Thank you: your comment appears after a moderator reads it."))
    return _back(item, f"#comment-{created.pk}")


@login_required
def answer(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Answer a proposal officially and link an accepted one to a project."""
    from prossima.interventions.models import Project

    item = _proposal_or_404(request, slug, pk)
    if not request.user.has_perm("dialogue.answer_proposal", item):
        raise PermissionDenied
    tenants = actions._owner_tenants(item.consultation.organisation)
    projects = list(Project.objects.filter(tenant_id__in=tenants).order_by("-start_date"))
    initial = {
        "answer": item.answer or Answer.EVALUATING,
        "answer_text": item.answer_text,
        "project": item.project_id,
    }
    form = AnswerForm(
        request.POST or None, initial=initial, projects=[(p.pk, p.title) for p in projects]
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        project = next((p for p in projects if p.pk == data.get("project")), None)
        try:
            actions.do_answer(
                request.user, item, data["answer"], data["answer_text"], project=project
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("The answer is published and the author is notified."))
            return redirect(item)
    return render(request, "dialogue/answer.html", {"proposal": item, "form": form})


@require_POST
@login_required
def withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Let the author withdraw their proposal."""
    item = _proposal_or_404(request, slug, pk)
    try:
        actions.do_withdraw_proposal(request.user, item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(item)
    messages.success(request, _("Your proposal is withdrawn."))
    return redirect(item.consultation)


def _target(request: HttpRequest, target: str, pk: int) -> Proposal | Comment:
    if target == "proposal":
        found: Proposal | Comment = get_object_or_404(
            Proposal.objects.select_related("consultation", "consultation__organisation", "author"),
            pk=pk,
        )
        consultation = found.consultation
    elif target == "comment":
        found = get_object_or_404(
            Comment.objects.select_related(
                "proposal",
                "proposal__consultation",
                "proposal__consultation__organisation",
                "author",
            ),
            pk=pk,
        )
        consultation = found.proposal.consultation
    else:
        raise Http404
    # Content awaiting moderation or hidden is not even said to exist to those who may not
    # see it: seeing the consultation is not enough to report (or probe) it.
    if not request.user.has_perm("dialogue.view_consultation", consultation):
        raise Http404
    if not request.user.has_perm("dialogue.view_proposal", found):
        raise Http404
    return found


@require_POST
@login_required
@rate_limited("dialogue")
def flag(request: HttpRequest, target: str, pk: int) -> HttpResponse:
    """Report a proposal or a comment to the moderators."""
    found = _target(request, target, pk)
    proposal_of = found if isinstance(found, Proposal) else found.proposal
    form = FlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why you report it."))
        return redirect(proposal_of)
    try:
        actions.do_flag(request.user, found, form.cleaned_data["reason"], form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Thank you: the moderators will look at it."))
    return redirect(proposal_of)


@login_required
def moderation(request: HttpRequest) -> HttpResponse:
    """List content awaiting moderation and reported content in the spaces the user moderates."""
    if not (queries.moderated_organisation_ids(request.user) or request.user.is_superuser):
        raise PermissionDenied
    return render(
        request, "dialogue/moderation.html", {"queue": queries.moderation_queue(request.user)}
    )


@login_required
def moderate(request: HttpRequest, target: str, pk: int) -> HttpResponse:
    """Publish, edit or hide one proposal or comment, and optionally block its author."""
    found = _target(request, target, pk)
    proposal_of = found if isinstance(found, Proposal) else found.proposal
    consultation = proposal_of.consultation
    if not request.user.has_perm("dialogue.moderate", consultation):
        raise PermissionDenied
    initial = {"body": found.body, "title": proposal_of.title if target == "proposal" else ""}
    form = ModerateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_moderate(
                request.user,
                found,
                data["decision"],
                reason=data["reason"],
                title=data["title"] if target == "proposal" else None,
                body=data["body"],
            )
            if data["block_author"]:
                actions.do_block(
                    request.user,
                    consultation.organisation,
                    found.author,
                    data["block_reason"] or data["reason"],
                )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("The decision is recorded."))
            return redirect("dialogue:moderation")
    return render(
        request,
        "dialogue/moderate.html",
        {
            "target": found,
            "kind": target,
            "proposal": proposal_of,
            "form": form,
            "flags": list(found.flags.select_related("reporter")),
        },
    )


@login_required
def blocks(request: HttpRequest) -> HttpResponse:
    """List the blocks in the organisations the user moderates, and lift them."""
    ids = queries.moderated_organisation_ids(request.user)
    if not ids and not request.user.is_superuser:
        raise PermissionDenied
    found = Block.objects.filter(lifted_at__isnull=True).select_related(
        "user", "organisation", "blocked_by"
    )
    if not request.user.is_superuser:
        found = found.filter(organisation_id__in=ids)
    if request.method == "POST":
        block = get_object_or_404(found, pk=request.POST.get("lift"))
        actions.do_lift_block(request.user, block)
        messages.success(request, _("The block is lifted."))
        return redirect("dialogue:blocks")
    return render(request, "dialogue/blocks.html", {"blocks": found})


@login_required
def pledge(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Pledge resources of one of the user's organisations to a proposal."""
    item = _proposal_or_404(request, slug, pk)
    return _pledge_form(request, proposal=item)


@login_required
def pledge_project(request: HttpRequest, project_id: int) -> HttpResponse:
    """Pledge resources to a published project."""
    from prossima.interventions.models import Project

    project = get_object_or_404(Project.objects.select_related("tenant"), pk=project_id)
    if not (
        project.published or request.user.has_perm("interventions.view_project", project.tenant)
    ):
        raise Http404
    return _pledge_form(request, project=project)


def _pledge_form(
    request: HttpRequest, *, proposal: Proposal | None = None, project: Any = None
) -> HttpResponse:
    organisations = organisations_managed_by(request.user)
    if not organisations:
        raise PermissionDenied
    form = PledgeForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            actions.do_pledge(
                request.user,
                data.pop("organisation"),
                proposal=proposal,
                project=project,
                **data,
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(
                request, _("Thank you: the pledge is sent and the receiving organisation is told.")
            )
            return redirect(proposal.get_absolute_url() if proposal else "dialogue:pledges")
    return render(
        request, "dialogue/pledge.html", {"form": form, "proposal": proposal, "project": project}
    )


MOVE_LABELS = {
    PledgeState.ACCEPTED: gettext_lazy("Accept"),
    PledgeState.DECLINED: gettext_lazy("Decline"),
    PledgeState.DELIVERED: gettext_lazy("Record delivery"),
    PledgeState.WITHDRAWN: gettext_lazy("Withdraw"),
}


def _moves(pledge: Pledge, who: str) -> list[tuple[str, Any]]:
    return [
        (to, MOVE_LABELS[PledgeState(to)])
        for (start, to), by in actions.PLEDGE_MOVES.items()
        if start == pledge.state and by == who
    ]


@login_required
def pledges(request: HttpRequest) -> HttpResponse:
    """List the pledges the user's organisations made and those they decide on."""
    found = queries.pledges_of(request.user)
    return render(
        request,
        "dialogue/pledges.html",
        {
            "made": [(p, _moves(p, "pledger")) for p in found["made"]],
            "received": [(p, _moves(p, "receiver")) for p in found["received"]],
        },
    )


@require_POST
@login_required
def decide_pledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept, decline, record delivery of, or withdraw a pledge."""
    found = get_object_or_404(
        Pledge.objects.select_related("organisation", "proposal", "project"), pk=pk
    )
    if not request.user.has_perm("dialogue.view_pledge", found):
        raise Http404
    form = PledgeMoveForm(request.POST)
    if form.is_valid():
        try:
            actions.do_move_pledge(
                request.user, found, form.cleaned_data["state"], form.cleaned_data["note"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The pledge is updated."))
    return redirect("dialogue:pledges")


def contributions(request: HttpRequest) -> HttpResponse:
    """Show publicly who contributed what to projects and proposals, with their consent."""
    return render(
        request, "dialogue/contributions.html", {"groups": queries.public_contributions()}
    )

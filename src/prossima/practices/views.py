"""Pages of the good practices: search, practice pages, writing, review, exports."""

from __future__ import annotations

import csv
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from prossima.accounts.models import Organisation
from prossima.accounts.permissions import memberships_of, tenant_of
from prossima.practices import actions, queries
from prossima.practices.forms import (
    DocumentForm,
    LikeMineForm,
    PracticeForm,
    ReviewForm,
    WithdrawForm,
)
from prossima.practices.models import (
    Facet,
    InterventionType,
    Practice,
    PracticeDocument,
    Rating,
    SizeClass,
    Status,
    Strength,
    TargetGroup,
)
from prossima.web.forms import add_validation_errors
from prossima.web.pdf import pdf_response

PER_PAGE = 20
RATING_EXPLAINED: dict[str, Any] = {
    Rating.EFFECTIVE: gettext_lazy(
        "Evaluations with a comparison consistently found the intended effect."
    ),
    Rating.PROMISING: gettext_lazy(
        "Some evidence of the intended effect; more evaluation is needed."
    ),
    Rating.NO_EFFECT: gettext_lazy("Evaluations found no effect on the problem."),
    Rating.NEGATIVE: gettext_lazy("Evaluations found that it made things worse."),
    Rating.INSUFFICIENT: gettext_lazy("Not evaluated well enough yet to say whether it works."),
}
STRENGTH_LEVEL = {Strength.STRONG: 3, Strength.MODERATE: 2, Strength.LIMITED: 1, Strength.NONE: 0}


def _practice_or_404(request: HttpRequest, slug: str) -> Practice:
    practice = get_object_or_404(
        Practice.objects.select_related(
            "organisation", "comune", "region", "revision_of", "project", "submitted_by"
        ),
        slug=slug,
    )
    # Drafts of others are not shown to exist.
    if not request.user.has_perm("practices.view_practice", practice):
        raise Http404
    return practice


def _writing_organisations(user: Any) -> list[Organisation]:
    if not getattr(user, "is_authenticated", False):
        return []
    seen: dict[int, Organisation] = {}
    for membership in memberships_of(user):
        seen.setdefault(membership.organisation_id, membership.organisation)
    return sorted(seen.values(), key=lambda o: o.name)


def _filters(request: HttpRequest) -> dict[str, list[str]]:
    return {
        facet: request.GET.getlist(facet) for facet in queries.FACETS if request.GET.getlist(facet)
    }


def index(request: HttpRequest) -> HttpResponse:
    """Search the published practices: words in Italian or English, and facets."""
    q = request.GET.get("q", "").strip()[:200]
    filters = _filters(request)
    result = queries.search_practices(q, filters)
    found = result.practices.select_related("organisation", "comune", "region")
    paginator = Paginator(found, PER_PAGE)
    if result.total is not None:
        paginator.count = result.total  # counted with the facets; saves a query
    page = paginator.get_page(request.GET.get("page"))
    facets = [(Facet(f).label, f, result.facets.get(f, [])) for f in queries.FACETS]
    user = request.user
    return render(
        request,
        "practices/index.html",
        {
            "q": q,
            "page": page,
            "facets": [f for f in facets if f[2]],
            "filtered": bool(q or filters),
            "can_write": bool(_writing_organisations(user)),
            "can_review": user.has_perm("practices.review_practice"),
            "problem_label": queries.problem_label,
        },
    )


def _emmie(practice: Practice) -> list[dict[str, Any]]:
    rows = []
    for text_field, strength_field, label in actions.EMMIE_DIMENSIONS:
        strength = getattr(practice, strength_field)
        rows.append(
            {
                "label": label,
                "text": getattr(practice, text_field),
                "strength": Strength(strength).label,
                "level": STRENGTH_LEVEL.get(strength, 0),
                "code": strength,
            }
        )
    return rows


def _project_impact(practice: Practice) -> dict[str, Any] | None:
    """Return the linked project's latest evaluation, when the project is published."""
    project = practice.project
    if project is None or not project.published:
        return None
    evaluation = project.evaluations.order_by("-created_at").first()
    return {"project": project, "evaluation": evaluation}


def _detail_context(request: HttpRequest, practice: Practice) -> dict[str, Any]:
    user = request.user
    can_change = user.has_perm("practices.change_practice", practice)
    can_review = user.has_perm("practices.review_practice", practice)
    return {
        "practice": practice,
        "emmie": _emmie(practice),
        "rating_explained": RATING_EXPLAINED.get(practice.rating, ""),
        "problems": [queries.problem_label(c) for c in practice.problems],
        "target_group_labels": [
            TargetGroup(c).label for c in practice.target_groups if c in TargetGroup.values
        ],
        "intervention_labels": [
            InterventionType(c).label
            for c in practice.intervention_types
            if c in InterventionType.values
        ],
        "impact": _project_impact(practice),
        "documents": list(practice.documents.all()),
        "versions": list(practice.versions.select_related("created_by")[:20]),
        "reviews": (
            list(practice.reviews.select_related("reviewer")) if (can_change or can_review) else []
        ),
        "can_edit": can_change and practice.status in actions.EDITABLE,
        "can_submit": can_change and practice.status in actions.EDITABLE,
        "can_review": can_review and practice.status == Status.SUBMITTED,
        "can_revise": can_change and practice.is_public,
        "can_withdraw": can_review and practice.is_public,
        "can_reopen": can_change and practice.status == Status.WITHDRAWN,
        "size_label": SizeClass(practice.size_class).label if practice.size_class else "",
        "open_revision": practice.revisions.first() if can_change else None,
    }


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a practice with its EMMIE profile, sources, measured impact and versions."""
    practice = _practice_or_404(request, slug)
    return render(request, "practices/detail.html", _detail_context(request, practice))


def version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Show what one version changed against the version before it."""
    practice = _practice_or_404(request, slug)
    shown = get_object_or_404(practice.versions.select_related("created_by"), number=number)
    before = practice.versions.filter(number__lt=number).order_by("-number").first()
    changes = queries.snapshot_changes(before.snapshot if before else None, shown.snapshot)
    return render(
        request,
        "practices/version.html",
        {
            "practice": practice,
            "version": shown,
            "before": before,
            "changes": [(label, _shown(old), _shown(new)) for label, old, new in changes],
        },
    )


def _shown(value: Any) -> str:
    """Return a snapshot value as text for the comparison page."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(
            f"{v.get('title', '')} {v.get('url', '')}".strip() if isinstance(v, dict) else str(v)
            for v in value
        )
    return str(value)


def printable(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a practice laid out for printing."""
    practice = _practice_or_404(request, slug)
    return render(request, "practices/print.html", _detail_context(request, practice))


def pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """Return a practice as a PDF document (WeasyPrint)."""
    practice = _practice_or_404(request, slug)
    context = {**_detail_context(request, practice), "for_pdf": True}
    html = render_to_string("practices/print.html", context, request=request)
    return pdf_response(html, f"{practice.slug}.pdf", "practices/print.css")


def document(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    """Serve a practice's PDF to whoever may read the practice."""
    practice = _practice_or_404(request, slug)
    found = get_object_or_404(PracticeDocument, pk=pk, practice=practice)
    response = FileResponse(found.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{(found.file.name or "document.pdf").rsplit("/", 1)[-1]}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _project_choices(organisation: Organisation | None) -> Any:
    from prossima.interventions.models import Project

    tenant = tenant_of(organisation) if organisation is not None else None
    if tenant is None:
        return Project.objects.none()
    return Project.objects.filter(tenant=tenant).order_by("title")


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Write a new practice for one of the user's organisations."""
    organisations = _writing_organisations(request.user)
    if not organisations:
        raise PermissionDenied
    chosen = organisations[0]
    wanted = request.POST.get("organisation") or request.GET.get("organisation")
    if wanted:
        chosen = next((o for o in organisations if str(o.pk) == wanted), chosen)
    form = PracticeForm(request.POST or None, projects=_project_choices(chosen))
    if request.method == "POST" and form.is_valid():
        try:
            practice = actions.do_create_practice(request.user, chosen, **form.content())
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(
                request, _("The draft is saved. Submit it for review when it is complete.")
            )
            return redirect(practice.get_absolute_url())
    return render(
        request,
        "practices/form.html",
        {"form": form, "organisations": organisations, "chosen": chosen, "practice": None},
    )


@login_required
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Change a draft practice (or one under review, for a reviewer)."""
    practice = _practice_or_404(request, slug)
    if not request.user.has_perm("practices.change_practice", practice):
        raise PermissionDenied
    reviewing = practice.status == Status.SUBMITTED and request.user.has_perm(
        "practices.review_practice", practice
    )
    if practice.status not in actions.EDITABLE and not reviewing:
        messages.error(
            request,
            _(
                "A practice can be changed while it is a draft or changes are requested; "
                "propose a revision of a published one."
            ),
        )
        return redirect(practice.get_absolute_url())
    form = PracticeForm(
        request.POST or None, practice=practice, projects=_project_choices(practice.organisation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_practice(request.user, practice, **form.content())
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(practice.get_absolute_url())
    return render(
        request,
        "practices/form.html",
        {
            "form": form,
            "practice": practice,
            "document_form": DocumentForm(),
            "documents": list(practice.documents.all()),
        },
    )


def _run(
    request: HttpRequest, practice: Practice, action: Any, done: str, *args: Any
) -> HttpResponse:
    try:
        result = action(request.user, practice, *args)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(practice.get_absolute_url())
    messages.success(request, done)
    return redirect(result.get_absolute_url())


@login_required
@require_POST
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    """Send a draft to the reviewers."""
    practice = _practice_or_404(request, slug)
    return _run(request, practice, actions.do_submit_practice, _("Sent to the reviewers."))


@login_required
@require_POST
def revise(request: HttpRequest, slug: str) -> HttpResponse:
    """Open a revision of a published practice."""
    practice = _practice_or_404(request, slug)
    return _run(
        request,
        practice,
        actions.do_start_revision,
        _("A revision is open: the published practice stays as it is until it is reviewed."),
    )


@login_required
@require_POST
def reopen(request: HttpRequest, slug: str) -> HttpResponse:
    """Turn a withdrawn practice back into a draft."""
    practice = _practice_or_404(request, slug)
    return _run(request, practice, actions.do_reopen_practice, _("The practice is a draft again."))


@login_required
def withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    """Take a published practice off the catalogue (reviewers)."""
    practice = _practice_or_404(request, slug)
    if not request.user.has_perm("practices.review_practice", practice):
        raise PermissionDenied
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _run(
            request,
            practice,
            actions.do_withdraw_practice,
            _("The practice is withdrawn from the catalogue."),
            form.cleaned_data["reason"],
        )
    return render(request, "practices/withdraw.html", {"form": form, "practice": practice})


@login_required
def review(request: HttpRequest, slug: str) -> HttpResponse:
    """Go through the checklist and decide on a practice under review."""
    practice = _practice_or_404(request, slug)
    if not request.user.has_perm("practices.review_practice", practice):
        raise PermissionDenied
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticked = set(form.cleaned_data["checklist"])
        checklist = {key: key in ticked for key, _label in actions.REVIEW_CHECKLIST}
        try:
            result = actions.do_review_practice(
                request.user,
                practice,
                form.cleaned_data["decision"],
                checklist,
                form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            published = result.decision == "published"
            messages.success(
                request, _("The practice is published.") if published else _("Changes requested.")
            )
            return redirect(result.practice.get_absolute_url())
    return render(
        request,
        "practices/review.html",
        {
            "form": form,
            "practice": practice,
            "context": _detail_context(request, practice),
            "changes": _changed_fields(practice),
        },
    )


def _changed_fields(practice: Practice) -> list[str]:
    """Return the labels of the fields a revision changes against the published practice."""
    if practice.revision_of is None:
        return []
    before = actions.snapshot_of(practice.revision_of)
    return [
        str(label)
        for label, _old, _new in queries.snapshot_changes(before, actions.snapshot_of(practice))
    ]


@login_required
@require_POST
def attach(request: HttpRequest, slug: str) -> HttpResponse:
    """Attach a PDF to a draft practice."""
    practice = _practice_or_404(request, slug)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.do_attach_document(
                request.user, practice, form.cleaned_data["title"], form.cleaned_data["file"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Document attached."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("practices:edit", practice.slug)


@login_required
@require_POST
def detach(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Remove a document from a draft practice."""
    practice = _practice_or_404(request, slug)
    found = get_object_or_404(PracticeDocument, pk=pk, practice=practice)
    try:
        actions.do_remove_document(request.user, found)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("practices:edit", practice.slug)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """List the practices of the user's organisations, whatever their status."""
    organisations = _writing_organisations(request.user)
    if not organisations:
        raise PermissionDenied
    return render(
        request,
        "practices/mine.html",
        {
            "practices": queries.practices_of(o.pk for o in organisations),
            "organisations": organisations,
        },
    )


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """List the practices waiting for a reviewer."""
    if not request.user.has_perm("practices.review_practice"):
        raise PermissionDenied
    return render(request, "practices/queue.html", {"practices": queries.review_queue()})


def like_mine(request: HttpRequest) -> HttpResponse:
    """Find practices from places like a given comune: size, region and problems."""
    user = request.user
    initial: dict[str, Any] = {}
    tenant = next(
        (
            t
            for t in (tenant_of(m.organisation) for m in memberships_of(user))
            if t is not None and t.comune_id
        ),
        None,
    )
    if tenant is not None and tenant.comune is not None:
        initial["comune"] = tenant.comune.istat_code
    data = request.GET if request.GET.get("comune") else None
    form = LikeMineForm(data, initial=initial)
    results: list[queries.Similar] = []
    profile = None
    comune = None
    if form.is_valid():
        comune = form.cleaned_data["comune"]
        profile = queries.profile_for(user, comune, form.cleaned_data["problems"])
        results = queries.similar_practices(profile)
    top_problems = (
        sorted(profile.problem_shares.items(), key=lambda kv: -kv[1])[:5] if profile else []
    )
    return render(
        request,
        "practices/like_mine.html",
        {
            "form": form,
            "results": results,
            "profile": profile,
            "comune": comune,
            "size_label": (
                SizeClass(profile.size_class).label if profile and profile.size_class else ""
            ),
            "top_problems": [(queries.problem_label(c), share * 100) for c, share in top_problems],
        },
    )


# --- Exports ----------------------------------------------------------------------------


def catalogue_csv(request: HttpRequest) -> HttpResponse:
    """Download the published practices as CSV (the columns of catalogue_rows)."""
    with translation.override("it"):
        rows = queries.catalogue_rows(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="buone-pratiche.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 only with the byte-order mark
    writer = csv.DictWriter(response, fieldnames=queries.CATALOGUE_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return response


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(
            f"{v.get('title', '')} <{v.get('url', '')}>" if isinstance(v, dict) else str(v)
            for v in value
        )
    return "" if value is None else value


def catalogue_json(request: HttpRequest) -> HttpResponse:
    """Download the published practices as JSON."""
    with translation.override("it"):
        rows = queries.catalogue_rows(request)
    response = HttpResponse(
        json.dumps({"practices": rows}, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="buone-pratiche.json"'
    return response

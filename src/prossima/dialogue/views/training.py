"""Pages of the training: courses, programme, enrolment, attendance, certificates."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prossima.accounts.models import User
from prossima.dialogue.actions import training as actions
from prossima.dialogue.forms import OnBehalfForm
from prossima.dialogue.forms.training import CourseForm, ModuleForm, SessionForm
from prossima.dialogue.models import Course, Enrolment, EnrolmentState
from prossima.dialogue.queries import training as queries
from prossima.dialogue.queries.spaces import organisations_managed_by, organisations_of
from prossima.web.forms import add_validation_errors
from prossima.web.pdf import pdf_response
from prossima.web.ratelimit import rate_limited


def _course_or_404(request: HttpRequest, slug: str) -> Course:
    course = get_object_or_404(Course.objects.select_related("organisation"), slug=slug)
    # Courses a person may not see are not shown to exist.
    if not request.user.has_perm("dialogue.view_course", course):
        raise Http404
    return course


def _managed_course(request: HttpRequest, slug: str) -> Course:
    course = _course_or_404(request, slug)
    if not request.user.has_perm("dialogue.manage_course", course):
        raise PermissionDenied
    return course


def _course_row(course: Course) -> dict[str, Any]:
    starts, ends = queries.course_dates(course)
    return {
        "course": course,
        "hours": queries.course_hours(course),
        "starts": starts,
        "ends": ends,
        "places_left": queries.places_left(course),
    }


def _show_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def index(request: HttpRequest) -> HttpResponse:
    """List the published courses the person may see, their own courses and drafts."""
    user = request.user
    visible = queries.visible_courses(user)
    published = queries.with_programme(visible.filter(published=True))
    drafts = (
        queries.with_programme(visible.filter(published=False)) if user.is_authenticated else []
    )
    mine = [
        {
            "enrolment": e,
            "progress": queries.progress_of(e),
            "position": queries.waiting_position(e),
        }
        for e in queries.enrolments_of(user)
    ]
    return render(
        request,
        "dialogue/training/index.html",
        {
            "courses": [_course_row(c) for c in published],
            "drafts": [_course_row(c) for c in drafts],
            "mine": mine,
            "can_create": bool(user.is_authenticated and organisations_managed_by(user)),
        },
    )


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a course's programme, dates and places, and the person's enrolment and progress."""
    course = _course_or_404(request, slug)
    user = request.user
    course = queries.with_programme(Course.objects.filter(pk=course.pk)).get()
    enrolment = queries.enrolment_of(user, course)
    current = enrolment is not None and enrolment.state != EnrolmentState.WITHDRAWN
    can_manage = user.has_perm("dialogue.manage_course", course)
    starts, ends = queries.course_dates(course)
    context: dict[str, Any] = {
        "course": course,
        "blocks": queries.programme(course),
        "hours": queries.course_hours(course),
        "starts": starts,
        "ends": ends,
        "places_left": queries.places_left(course),
        "enrolment": enrolment if current else None,
        "progress": (
            queries.progress_of(enrolment)
            if current and enrolment and enrolment.state != EnrolmentState.WAITING
            else None
        ),
        "position": queries.waiting_position(enrolment) if current and enrolment else None,
        "can_enrol": (
            not current
            and course.enrolment_open
            and course.published
            and user.has_perm("dialogue.enrol", course)
        ),
        "can_manage": can_manage,
        "invited": list(course.invited.order_by("name")) if can_manage else [],
        "enrol_form": (
            OnBehalfForm(organisations=organisations_of(user)) if user.is_authenticated else None
        ),
        "counts": (
            {
                "enrolled": queries.places_taken(course),
                "waiting": queries.waiting_list(course).count(),
            }
            if can_manage
            else None
        ),
    }
    return render(request, "dialogue/training/detail.html", context)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """Create a course for one of the organisations the person manages."""
    organisations = organisations_managed_by(request.user)
    if not organisations:
        raise PermissionDenied
    chosen = organisations[0]
    wanted = request.POST.get("organisation") or request.GET.get("organisation")
    if wanted:
        chosen = next((o for o in organisations if str(o.pk) == wanted), chosen)
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = actions.do_create_course(request.user, chosen, **form.content())
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("The course is created. Now add its modules and sessions."))
            return redirect("dialogue:course_edit", course.slug)
    return render(
        request,
        "dialogue/training/form.html",
        {"form": form, "organisations": organisations, "chosen": chosen, "course": None},
    )


def _edit_forms(course: Course, bound: dict[str, forms.Form]) -> dict[str, Any]:
    """Return the forms of the edit page; ``bound`` holds the one that failed, by prefix."""
    modules = list(course.modules.order_by("order", "pk"))
    sessions = list(course.sessions.select_related("module").order_by("starts_at", "pk"))
    return {
        "form": bound.get("course") or CourseForm(course=course),
        "module_forms": [
            (m, bound.get(f"module-{m.pk}") or ModuleForm.for_module(m)) for m in modules
        ],
        "new_module_form": bound.get("module") or ModuleForm(prefix="module"),
        "session_forms": [
            (s, bound.get(f"session-{s.pk}") or SessionForm.for_session(s)) for s in sessions
        ],
        "new_session_form": bound.get("session") or SessionForm(course=course, prefix="session"),
    }


def _edit_post(request: HttpRequest, course: Course) -> tuple[str, forms.Form | None]:
    """Run one change of the edit page; return (what was done, the failed form or None)."""
    op = request.POST.get("op", "")
    user = request.user
    pk = request.POST.get("pk", "")
    if op == "course":
        course_form = CourseForm(request.POST, course=course)
        if course_form.is_valid():
            try:
                actions.do_update_course(user, course, **course_form.content())
                return _("Changes saved."), None
            except ValidationError as exc:
                add_validation_errors(course_form, exc)
        return "course", course_form
    if op == "add_module":
        module_form = ModuleForm(request.POST, prefix="module")
        if module_form.is_valid():
            try:
                actions.do_add_module(user, course, **module_form.cleaned_data)
                return _("Module added."), None
            except ValidationError as exc:
                add_validation_errors(module_form, exc)
        return "module", module_form
    if op in ("update_module", "remove_module"):
        module = get_object_or_404(course.modules, pk=pk)
        if op == "remove_module":
            actions.do_remove_module(user, module)
            return _("Module removed; its sessions stay in the course."), None
        module_form = ModuleForm(request.POST, prefix=f"module-{module.pk}")
        if module_form.is_valid():
            try:
                actions.do_update_module(user, module, **module_form.cleaned_data)
                return _("Module saved."), None
            except ValidationError as exc:
                add_validation_errors(module_form, exc)
        return f"module-{module.pk}", module_form
    if op == "add_session":
        session_form = SessionForm(request.POST, course=course, prefix="session")
        if session_form.is_valid():
            try:
                actions.do_add_session(user, course, **session_form.cleaned_data)
                return _("Session added."), None
            except ValidationError as exc:
                add_validation_errors(session_form, exc)
        return "session", session_form
    if op in ("update_session", "remove_session"):
        session = get_object_or_404(course.sessions, pk=pk)
        if op == "remove_session":
            actions.do_remove_session(user, session)
            return _("Session removed."), None
        session_form = SessionForm(request.POST, course=course, prefix=f"session-{session.pk}")
        if session_form.is_valid():
            try:
                actions.do_update_session(user, session, **session_form.cleaned_data)
                return _("Session saved."), None
            except ValidationError as exc:
                add_validation_errors(session_form, exc)
        return f"session-{session.pk}", session_form
    raise Http404


@login_required
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Change a course, its modules and its sessions (the provider's managers)."""
    course = _managed_course(request, slug)
    bound: dict[str, forms.Form] = {}
    if request.method == "POST":
        done, failed = _edit_post(request, course)
        if failed is None:
            messages.success(request, done)
            return redirect("dialogue:course_edit", course.slug)
        bound[done] = failed
        course.refresh_from_db()
    return render(
        request, "dialogue/training/edit.html", {"course": course, **_edit_forms(course, bound)}
    )


@login_required
@require_POST
@rate_limited("dialogue")
def enrol(request: HttpRequest, slug: str) -> HttpResponse:
    """Enrol the person, or put them on the waiting list when the course is full."""
    course = _course_or_404(request, slug)
    form = OnBehalfForm(request.POST, organisations=organisations_of(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose one of your own organisations."))
        return redirect(course.get_absolute_url())
    try:
        enrolment = actions.do_enrol(
            cast(User, request.user), course, form.cleaned_data["organisation"]
        )
    except ValidationError as exc:
        _show_errors(request, exc)
        return redirect(course.get_absolute_url())
    if enrolment.state == EnrolmentState.WAITING:
        messages.warning(
            request,
            _("The course is full: you are number %(position)d on the waiting list.")
            % {"position": queries.waiting_position(enrolment) or 1},
        )
    elif enrolment.state == EnrolmentState.COMPLETED:
        messages.info(request, _("You have already completed this course."))
    else:
        messages.success(request, _("You are enrolled in the course."))
    return redirect(course.get_absolute_url())


@login_required
@require_POST
def withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    """Withdraw the person's enrolment; their place goes to the first person waiting."""
    course = _course_or_404(request, slug)
    try:
        actions.do_withdraw(request.user, course)
    except ValidationError as exc:
        _show_errors(request, exc)
    else:
        messages.success(request, _("Your enrolment is withdrawn."))
    return redirect(course.get_absolute_url())


@login_required
def attendance(request: HttpRequest, slug: str) -> HttpResponse:
    """Tick, session by session, who attended (the provider's managers)."""
    course = _managed_course(request, slug)
    if request.method == "POST":
        session = get_object_or_404(course.sessions, pk=request.POST.get("session", ""))
        try:
            present = [int(pk) for pk in request.POST.getlist("present")]
        except ValueError as exc:
            raise Http404 from exc
        result = actions.do_record_attendance(request.user, session, present)
        messages.success(
            request,
            _(
                "Attendance saved: %(present)d present. Completed the course now: %(completed)d; "
                "below the threshold again: %(revoked)d."
            )
            % {
                "present": result.present,
                "completed": len(result.completed),
                "revoked": len(result.revoked),
            },
        )
        return redirect(
            reverse("dialogue:course_attendance", args=[course.slug]) + f"#session-{session.pk}"
        )
    people = list(queries.roster(course))
    sessions = list(course.sessions.select_related("module").order_by("starts_at", "pk"))
    blocks = [
        {
            "session": s,
            "hours": queries.to_hours(queries.session_seconds(s)),
            "rows": [(e, any(a.pk == s.pk for a in e.attended_sessions.all())) for e in people],
        }
        for s in sessions
    ]
    progress = [(e, queries.progress_of(e, sessions)) for e in people]
    return render(
        request,
        "dialogue/training/attendance.html",
        {
            "course": course,
            "blocks": blocks,
            "progress": progress,
            "hours": queries.to_hours(sum(queries.session_seconds(s) for s in sessions)),
        },
    )


def _verify_url(code: str) -> str:
    return settings.PROSSIMA["SITE_URL"] + reverse("dialogue:certificate_verify", args=[code])


def _certificate_context(enrolment: Enrolment) -> dict[str, Any]:
    course = enrolment.course
    sessions = list(course.sessions.order_by("starts_at", "pk"))
    starts, ends = queries.course_dates(course)
    progress = queries.progress_of(enrolment, sessions)
    return {
        "enrolment": enrolment,
        "person": enrolment.user.get_full_name() or enrolment.user.get_username(),
        "course": course,
        "course_modules": list(course.modules.order_by("order", "pk")),
        "attended_hours": progress.attended_hours,
        "total_hours": progress.total_hours,
        "starts": starts,
        "ends": ends,
        "issued": enrolment.completed_at or timezone.now(),
        "code": enrolment.certificate_code,
        "verify_url": _verify_url(enrolment.certificate_code),
    }


@login_required
def certificate(request: HttpRequest, slug: str) -> HttpResponse:
    """Return the certificate of attendance as a PDF: one's own, or any for the managers."""
    course = get_object_or_404(Course.objects.select_related("organisation"), slug=slug)
    user = request.user
    wanted = request.GET.get("user", "")
    if wanted and wanted != str(user.pk):
        # Only the provider's managers look up someone else's certificate.
        if not user.has_perm("dialogue.manage_course", course):
            raise PermissionDenied
        if not wanted.isdigit():
            raise Http404
        person_id: int | None = int(wanted)
    else:
        person_id = user.pk
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("user", "course", "course__organisation", "organisation"),
        course=course,
        user_id=person_id,
        state=EnrolmentState.COMPLETED,
    )
    if not enrolment.certificate_code:
        raise Http404
    if not user.has_perm("dialogue.view_enrolment", enrolment):
        raise PermissionDenied
    html = render_to_string(
        "dialogue/training/certificate.html", _certificate_context(enrolment), request=request
    )
    # The styles are in the template itself: WeasyPrint fetches nothing over the network.
    response = pdf_response(html, f"{course.slug}-{enrolment.pk}.pdf")
    if response.status_code == 200:
        actions.do_record_certificate_download(user, enrolment)
    return response


def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Confirm a certificate of attendance by its code (a public page)."""
    enrolment = queries.enrolment_by_code(code)
    context: dict[str, Any] = {"code": code, "enrolment": enrolment}
    if enrolment is not None:
        context.update(_certificate_context(enrolment))
    return render(
        request, "dialogue/training/verify.html", context, status=200 if enrolment else 404
    )

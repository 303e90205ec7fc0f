"""Pages of meetings: the calendar, a meeting, organising it, registrations and minutes."""

from __future__ import annotations

import csv
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prossima.accounts.models import Organisation, User
from prossima.accounts.permissions import memberships_of
from prossima.dialogue.actions import meetings as actions
from prossima.dialogue.forms import OnBehalfForm
from prossima.dialogue.forms.meetings import MeetingForm, MinutesForm
from prossima.dialogue.models import Meeting, MeetingKind, MeetingState, RegistrationState
from prossima.dialogue.queries import meetings as queries
from prossima.dialogue.queries.spaces import organisations_managed_by
from prossima.web.forms import add_validation_errors
from prossima.web.ratelimit import rate_limited


def _meeting_or_404(request: HttpRequest, slug: str) -> Meeting:
    meeting = get_object_or_404(
        Meeting.objects.select_related("organisation", "consultation"), slug=slug
    )
    # Meetings someone may not see are not shown to exist.
    if not request.user.has_perm("dialogue.view_meeting", meeting):
        raise Http404
    return meeting


def _managed_or_403(request: HttpRequest, slug: str) -> Meeting:
    meeting = _meeting_or_404(request, slug)
    if not request.user.has_perm("dialogue.manage_meeting", meeting):
        raise PermissionDenied
    return meeting


def _show_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _ical_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def index(request: HttpRequest) -> HttpResponse:
    """List the meetings the visitor may see: upcoming by month, then the past ones."""
    kind = request.GET.get("kind", "")
    found = queries.with_counts(queries.visible_meetings(request.user))
    if kind in MeetingKind.values:
        found = found.filter(kind=kind)
    else:
        kind = ""
    return render(
        request,
        "dialogue/meetings/index.html",
        {
            "months": queries.by_month(queries.upcoming(found)),
            "past": list(queries.past(found)[: queries.PAST_SHOWN]),
            "kinds": MeetingKind.choices,
            "kind": kind,
            "can_create": bool(organisations_managed_by(request.user)),
            "mine": list(queries.meetings_of_person(request.user)),
        },
    )


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a meeting: when and where, agenda, places, registration, minutes and outcomes."""
    meeting = _meeting_or_404(request, slug)
    user = request.user
    confirmed, waiting = queries.counts(meeting)
    registration = queries.registration_of(user, meeting)
    live = registration is not None and registration.state != RegistrationState.CANCELLED
    now = timezone.now()
    started = meeting.starts_at <= now
    cancelled = meeting.state == MeetingState.CANCELLED
    open_for_registration = meeting.registration_open and not started and not cancelled
    organisations = [m.organisation for m in memberships_of(user)]
    organisations = list({o.pk: o for o in organisations}.values())
    can_manage = user.has_perm("dialogue.manage_meeting", meeting)
    return render(
        request,
        "dialogue/meetings/detail.html",
        {
            "meeting": meeting,
            "agenda": [line.strip() for line in meeting.agenda.splitlines() if line.strip()],
            "confirmed": confirmed,
            "waiting": waiting,
            "places_left": queries.places_left(meeting, confirmed),
            "registration": registration if live else None,
            "position": queries.waiting_position(registration) if live and registration else None,
            "started": started,
            "ended": meeting.ends_at <= now,
            "cancelled": cancelled,
            "open_for_registration": open_for_registration,
            "can_register": open_for_registration
            and not live
            and user.has_perm("dialogue.register", meeting),
            "can_unregister": live and not started,
            "register_form": OnBehalfForm(organisations=organisations) if organisations else None,
            "can_manage": can_manage,
            "proposals": queries.linked_proposals(user, meeting),
            "invited": list(meeting.invited.all()) if can_manage else [],
        },
    )


def _organisation_from(request: HttpRequest, organisations: list[Organisation]) -> Organisation:
    wanted = request.POST.get("organisation") or request.GET.get("organisation")
    chosen = next((o for o in organisations if str(o.pk) == wanted), None)
    return chosen or organisations[0]


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """Organise a new meeting for one of the organisations the user manages."""
    organisations = organisations_managed_by(request.user)
    if not organisations:
        raise PermissionDenied
    chosen = _organisation_from(request, organisations)
    form = MeetingForm(request.POST or None, organisation=chosen)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = actions.do_create_meeting(request.user, chosen, **form.content())
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(
                request,
                _("The meeting is published.")
                if meeting.published
                else _("The meeting is saved as a draft: publish it when it is ready."),
            )
            return redirect(meeting.get_absolute_url())
    return render(
        request,
        "dialogue/meetings/form.html",
        {"form": form, "organisations": organisations, "chosen": chosen, "meeting": None},
    )


@login_required
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Change a meeting; people registered hear of a new time or place."""
    meeting = _managed_or_403(request, slug)
    if meeting.state == MeetingState.CANCELLED:
        messages.error(request, _("A cancelled meeting cannot be changed."))
        return redirect(meeting.get_absolute_url())
    form = MeetingForm(request.POST or None, organisation=meeting.organisation, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_meeting(request.user, meeting, **form.content())
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(meeting.get_absolute_url())
    return render(request, "dialogue/meetings/form.html", {"form": form, "meeting": meeting})


@login_required
@require_POST
@rate_limited("dialogue")
def register(request: HttpRequest, slug: str) -> HttpResponse:
    """Register the signed-in person for a meeting, or put them on the waiting list."""
    meeting = _meeting_or_404(request, slug)
    organisations = [m.organisation for m in memberships_of(request.user)]
    form = OnBehalfForm(request.POST, organisations=organisations)
    if not form.is_valid():
        messages.error(request, _("You can register only on behalf of your own organisations."))
        return redirect(meeting.get_absolute_url())
    try:
        registration = actions.do_register(
            cast(User, request.user), meeting, form.cleaned_data["organisation"]
        )
    except ValidationError as exc:
        _show_errors(request, exc)
    else:
        if registration.state == RegistrationState.CONFIRMED:
            messages.success(request, _("You are registered."))
        else:
            messages.info(request, _("The meeting is full: you are on the waiting list."))
    return redirect(meeting.get_absolute_url())


@login_required
@require_POST
def unregister(request: HttpRequest, slug: str) -> HttpResponse:
    """Cancel the signed-in person's registration."""
    meeting = _meeting_or_404(request, slug)
    registration = queries.registration_of(request.user, meeting)
    if registration is None:
        raise Http404
    try:
        actions.do_unregister(request.user, registration)
    except ValidationError as exc:
        _show_errors(request, exc)
    else:
        messages.success(request, _("Your registration is cancelled."))
    return redirect(meeting.get_absolute_url())


@login_required
@require_POST
def cancel(request: HttpRequest, slug: str) -> HttpResponse:
    """Cancel a meeting (organiser); everyone registered or waiting is told."""
    meeting = _managed_or_403(request, slug)
    try:
        actions.do_cancel_meeting(request.user, meeting, request.POST.get("reason", ""))
    except ValidationError as exc:
        _show_errors(request, exc)
    else:
        messages.success(request, _("The meeting is cancelled; the people registered are told."))
    return redirect(meeting.get_absolute_url())


def _registrations_csv(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    rows = list(queries.registrations_of(meeting))
    actions.do_record_registrations_export(request.user, meeting, len(rows))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{meeting.slug}-iscritti.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 only with the byte-order mark
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Name"),
            _("Username"),
            _("E-mail"),
            _("On behalf of"),
            _("State"),
            _("Registered"),
            _("Attended"),
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r.user.get_full_name(),
                r.user.get_username(),
                r.user.email,
                r.organisation.name if r.organisation else "",
                r.get_state_display(),
                timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                "" if r.attended is None else (_("yes") if r.attended else _("no")),
            ]
        )
    return response


@login_required
def registrations(request: HttpRequest, slug: str) -> HttpResponse:
    """List a meeting's registrations for its organiser, record attendance, export as CSV."""
    meeting = _managed_or_403(request, slug)
    if request.GET.get("format") == "csv":
        return _registrations_csv(request, meeting)
    if request.method == "POST":
        try:
            present = actions.do_record_attendance(
                request.user,
                meeting,
                [int(v) for v in request.POST.getlist("attended") if v.isdigit()],
            )
        except ValidationError as exc:
            _show_errors(request, exc)
        else:
            messages.success(
                request,
                _("Attendance saved: %(n)d people came.") % {"n": present},
            )
        return redirect("dialogue:meeting_registrations", meeting.slug)
    rows = list(queries.registrations_of(meeting))
    confirmed, waiting = queries.counts(meeting)
    return render(
        request,
        "dialogue/meetings/registrations.html",
        {
            "meeting": meeting,
            "rows": rows,
            "confirmed": confirmed,
            "waiting": waiting,
            "can_take_attendance": meeting.starts_at <= timezone.now()
            and meeting.state == MeetingState.SCHEDULED,
        },
    )


@login_required
def minutes(request: HttpRequest, slug: str) -> HttpResponse:
    """Record a meeting's minutes, outcomes and the proposals it led to (organiser)."""
    meeting = _managed_or_403(request, slug)
    choices = queries.outcome_proposal_choices(request.user, meeting)
    form = MinutesForm(
        request.POST or None,
        choices=choices,
        initial={
            "minutes": meeting.minutes,
            "outcomes": meeting.outcomes,
            "proposals": list(meeting.outcome_proposals.values_list("pk", flat=True)),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_record_minutes(
                request.user,
                meeting,
                minutes=form.cleaned_data["minutes"],
                outcomes=form.cleaned_data["outcomes"],
                proposals=form.cleaned_data["proposals"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Minutes and outcomes saved."))
            return redirect(meeting.get_absolute_url())
    return render(
        request,
        "dialogue/meetings/minutes.html",
        {"form": form, "meeting": meeting, "started": meeting.starts_at <= timezone.now()},
    )


def ics(request: HttpRequest, slug: str) -> HttpResponse:
    """Download a meeting as an iCalendar event."""
    meeting = _meeting_or_404(request, slug)
    return _ical_response(queries.meeting_ical(meeting, request), f"{meeting.slug}.ics")


def calendar_ics(request: HttpRequest) -> HttpResponse:
    """Download the upcoming meetings the visitor may see as an iCalendar feed."""
    data = queries.meetings_feed(request.user, request, name=_("Prossima meetings"))
    return _ical_response(data, "prossima-incontri.ics")

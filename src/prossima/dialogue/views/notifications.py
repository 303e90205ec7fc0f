"""Pages of notifications: the list, marking read, and each person's channels."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prossima.dialogue.actions import notifications as actions
from prossima.dialogue.models import Notification, NotificationKind, NotificationPreference


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """List the person's notifications, newest first, each written in the active language."""
    user: Any = request.user
    found = Notification.objects.filter(recipient=user, shown=True)
    page = Paginator(found, 30).get_page(request.GET.get("page"))
    items = [(n, actions.message(n.event, n.params)) for n in page]
    return render(
        request,
        "dialogue/notifications.html",
        {"page": page, "items": items, "unread": found.filter(read_at__isnull=True).count()},
    )


@require_POST
@login_required
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (and follow its link) or all of them read."""
    one = request.POST.get("id")
    if one and one.isdigit():
        actions.do_mark_read(request.user, [int(one)])  # type: ignore[arg-type]
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
    else:
        actions.do_mark_read(request.user)  # type: ignore[arg-type]
        messages.success(request, _("All notifications are marked as read."))
    return redirect("dialogue:notifications")


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """Let the person choose, per kind, notifications in the platform and by e-mail."""
    user: Any = request.user
    stored = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    if request.method == "POST":
        choices = {
            kind: (f"{kind}_app" in request.POST, f"{kind}_email" in request.POST)
            for kind in NotificationKind.values
        }
        actions.do_set_preferences(request.user, choices)  # type: ignore[arg-type]
        messages.success(request, _("Your notification settings are saved."))
        return redirect("dialogue:notification_settings")
    rows = []
    for kind, label in NotificationKind.choices:
        found = stored.get(kind)
        rows.append(
            {
                "kind": kind,
                "label": label,
                "in_app": found.in_app if found else True,
                "email": found.email if found else True,
            }
        )
    return render(request, "dialogue/notification_settings.html", {"rows": rows})

"""Notifications: in the platform and by e-mail, each person choosing which.

A notification stores an *event* and its parameters, not a sentence: the text
is written when it is shown or mailed, in the recipient's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import User
from prossima.dialogue.models import (
    Answer,
    Notification,
    NotificationKind,
    NotificationPreference,
    PledgeKind,
    PledgeState,
)

# event → (kind the person controls, sentence with %(name)s parameters)
EVENTS: dict[str, tuple[str, Any]] = {
    "proposal_answered": (
        NotificationKind.PROPOSAL_ANSWERED,
        _("%(organisation)s answered your proposal “%(proposal)s”: %(answer)s."),
    ),
    "proposal_project": (
        NotificationKind.PROJECT_PROGRESS,
        _("Your proposal “%(proposal)s” is now followed by the project “%(project)s”."),
    ),
    "project_stage": (
        NotificationKind.PROJECT_PROGRESS,
        _("The project “%(project)s” for your proposal “%(proposal)s” moved to: %(stage)s."),
    ),
    "comment_on_proposal": (
        NotificationKind.COMMENT,
        _("%(author)s commented on your proposal “%(proposal)s”."),
    ),
    "comment_reply": (
        NotificationKind.COMMENT,
        _("%(author)s replied to your comment on “%(proposal)s”."),
    ),
    "content_published": (
        NotificationKind.MODERATION,
        _("A moderator published your contribution to “%(proposal)s”."),
    ),
    "content_hidden": (
        NotificationKind.MODERATION,
        _("Your contribution to “%(proposal)s” was hidden: %(reason)s"),
    ),
    "content_edited": (
        NotificationKind.MODERATION,
        _("A moderator edited your contribution to “%(proposal)s”; your text is kept."),
    ),
    "pledge_offered": (
        NotificationKind.PLEDGE,
        _("%(organisation)s pledged %(kind)s to “%(target)s”."),
    ),
    "pledge_decided": (
        NotificationKind.PLEDGE,
        _("Your pledge to “%(target)s” is now: %(state)s."),
    ),
    "meeting_registered": (
        NotificationKind.MEETING,
        _("You are registered for “%(meeting)s” on %(when)s."),
    ),
    "meeting_waiting": (
        NotificationKind.MEETING,
        _("“%(meeting)s” is full: you are number %(position)s on the waiting list."),
    ),
    "meeting_promoted": (
        NotificationKind.MEETING,
        _("A place became free: you are now registered for “%(meeting)s” on %(when)s."),
    ),
    "meeting_changed": (
        NotificationKind.MEETING,
        _("“%(meeting)s” has changed: it is now on %(when)s."),
    ),
    "meeting_cancelled": (
        NotificationKind.MEETING,
        _("“%(meeting)s” on %(when)s has been cancelled. %(reason)s"),
    ),
    "meeting_reminder": (
        NotificationKind.MEETING,
        _("Reminder: “%(meeting)s” is on %(when)s."),
    ),
    "course_enrolled": (
        NotificationKind.COURSE,
        _("You are enrolled in the course “%(course)s”."),
    ),
    "course_waiting": (
        NotificationKind.COURSE,
        _("The course “%(course)s” is full: you are on the waiting list."),
    ),
    "course_promoted": (
        NotificationKind.COURSE,
        _("A place became free: you are now enrolled in the course “%(course)s”."),
    ),
    "course_certificate_withdrawn": (
        NotificationKind.COURSE,
        _(
            "Your attendance at “%(course)s” was corrected and is below the threshold: the "
            "certificate is no longer valid."
        ),
    ),
    "course_completed": (
        NotificationKind.COURSE,
        _("You completed “%(course)s”: your certificate of attendance is ready."),
    ),
    "moderation_needed": (
        NotificationKind.MODERATOR_QUEUE,
        _("A contribution to “%(consultation)s” waits for moderation."),
    ),
}


def _labels() -> dict[str, tuple[Any, bool]]:
    """Return the choices whose codes notifications store: parameter → (choices, lower case)."""
    from prossima.interventions.models import Stage

    return {
        "answer": (Answer, False),
        "state": (PledgeState, True),
        "kind": (PledgeKind, True),
        "stage": (Stage, False),
    }


def message(event: str, params: dict[str, Any]) -> str:
    """Return the sentence of an event in the active language.

    Codes of choices (an answer, a pledge's state or kind, a project's stage)
    are stored as codes and named here, so each person reads them in their language.
    """
    entry = EVENTS.get(event)
    if entry is None:
        return event
    shown = dict(params)
    if "when" in shown:
        try:
            moment = dt.datetime.fromisoformat(str(shown["when"]))
        except ValueError:
            pass  # written before times were stored as ISO: shown as stored
        else:
            shown["when"] = date_format(moment, "DATETIME_FORMAT")
    for key, (choices, lower) in _labels().items():
        value = shown.get(key)
        if value in choices.values:
            label = str(choices(value).label)
            shown[key] = label.lower() if lower else label
    try:
        return str(entry[1]) % shown
    except (KeyError, TypeError, ValueError):
        return str(entry[1])


def do_notify(
    recipients: Iterable[User | None], event: str, url: str = "", **params: Any
) -> list[Notification]:
    """Record a notification for each recipient and e-mail those who want it.

    Parameters must be plain values (str, int): they are stored as JSON and the
    sentence is written in each recipient's language. E-mails leave after the
    transaction commits, so a rolled-back action sends nothing.
    """
    kind = EVENTS[event][0]
    people = list({u.pk: u for u in recipients if u is not None and u.is_active}.values())
    # Everyone's choice for this kind in one query; no row means both channels.
    chosen = {
        p.user_id: (p.in_app, p.email)
        for p in NotificationPreference.objects.filter(user__in=people, kind=kind)
    }
    created: list[Notification] = []
    for user in people:
        in_app, by_email = chosen.get(user.pk, (True, True))
        if not in_app and not by_email:
            continue
        notification = Notification.objects.create(
            recipient=user,
            kind=kind,
            event=event,
            params={k: str(v) for k, v in params.items()},
            url=url,
            shown=in_app,
        )
        created.append(notification)
        if by_email and user.email:
            transaction.on_commit(partial(_send, notification))
    return created


def _send(notification: Notification) -> None:
    user = notification.recipient
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        text = message(notification.event, notification.params)
        link = ""
        if notification.url:
            link = "\n\n" + settings.PROSSIMA["SITE_URL"] + notification.url
        footer = str(
            _("You receive this because of your notification settings on Prossima: %(url)s")
        ) % {"url": settings.PROSSIMA["SITE_URL"] + "/dialogue/notifications/settings/"}
        sent = send_mail(
            text[:150], f"{text}{link}\n\n-- \n{footer}\n", None, [user.email], fail_silently=True
        )
    if sent:
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())


@transaction.atomic
def do_mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them unless ``ids`` are given)."""
    found = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        found = found.filter(pk__in=list(ids))
    return found.update(read_at=timezone.now())


@transaction.atomic
def do_set_preferences(user: User, choices: dict[str, tuple[bool, bool]]) -> None:
    """Store the person's channels per kind: {kind: (in the platform, by e-mail)}."""
    for kind, (in_app, email) in choices.items():
        if kind not in NotificationKind.values:
            continue
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"in_app": in_app, "email": email}
        )

"""Reads of the privacy app: a person's own data, the retention table, audit exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.utils import timezone

from prossima.accounts.models import AuditEvent, Organisation, User
from prossima.accounts.permissions import memberships_of
from prossima.privacy import retention

EXPORT_VERSION = 1


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _rows(queryset: QuerySet[Any], fields: str) -> list[dict[str, Any]]:
    """Return the rows of ``queryset`` with the space-separated ``fields``, dates as text."""
    return [{k: _iso(v) for k, v in row.items()} for row in queryset.values(*fields.split())]


def _citizen_reports(user: User) -> list[dict[str, Any]]:
    from prossima.incidents.models import CitizenReport

    found = (
        CitizenReport.objects.filter(reporter=user)
        .select_related("category", "comune")
        .prefetch_related("updates")
        .order_by("created_at", "pk")
    )
    return [
        {
            "id": report.pk,
            "title": report.title,
            "description": report.description,
            "title_as_submitted": report.original_title,
            "description_as_submitted": report.original_description,
            "category": report.category.code,
            "comune": report.comune.name,
            "lon": report.lon,
            "lat": report.lat,
            "status": report.status,
            "moderation_state": report.moderation_state,
            "has_photo": bool(report.photo),
            "submitted_at": _iso(report.created_at),
            "status_changed_at": _iso(report.status_changed_at),
            "timeline": [
                {
                    "at": _iso(update.created_at),
                    "old_status": update.old_status,
                    "new_status": update.new_status,
                    "comment": update.comment,
                }
                for update in report.updates.all()
            ],
        }
        for report in found
    ]


def personal_data(user: User) -> dict[str, Any]:
    """Return everything the platform holds about ``user``, for download (GDPR art. 15, 20).

    Only rows tied to this person are read; secrets (password hash, API token
    digests, certificate and follow-up codes of others) never appear.
    """
    from prossima.assets.models import ReuseProposal
    from prossima.counterfeit.models import Subscription
    from prossima.dialogue.models import (
        Block,
        Comment,
        Enrolment,
        Flag,
        Notification,
        NotificationPreference,
        Pledge,
        Proposal,
        Registration,
        Support,
    )
    from prossima.inclusion.models import SafetyAudit
    from prossima.reports.models import ResearchRequest

    return {
        "format": "prossima-personal-data",
        "version": EXPORT_VERSION,
        "exported_at": _iso(timezone.now()),
        "account": {
            "id": user.pk,
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "email_verified": user.email_verified,
            "preferred_language": user.preferred_language,
            "is_active": user.is_active,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "memberships": [
            {
                "organisation": m.organisation.name,
                "role": m.role,
                "since": _iso(m.created_at),
            }
            for m in memberships_of(user)
        ],
        "citizen_reports": _citizen_reports(user),
        "proposals": _rows(
            Proposal.objects.filter(author=user).order_by("pk"),
            "id consultation__title title body original_title original_body state "
            "answer answer_text support_count lon lat created_at",
        ),
        "comments": _rows(
            Comment.objects.filter(author=user).order_by("pk"),
            "id proposal_id proposal__title body original_body state created_at",
        ),
        "supports": _rows(
            Support.objects.filter(user=user).order_by("pk"),
            "proposal_id proposal__title created_at",
        ),
        "flags_raised": _rows(
            Flag.objects.filter(reporter=user).order_by("pk"),
            "proposal_id comment_id reason note decision decided_at created_at",
        ),
        "blocks": _rows(
            Block.objects.filter(user=user).order_by("pk"),
            "organisation__name reason created_at lifted_at",
        ),
        "pledges_made": _rows(
            Pledge.objects.filter(pledged_by=user).order_by("pk"),
            "id organisation__name proposal__title project__title kind amount_eur "
            "hours description state public created_at",
        ),
        "meeting_registrations": _rows(
            Registration.objects.filter(user=user).order_by("pk"),
            "meeting__title meeting__starts_at organisation__name state attended created_at",
        ),
        "course_enrolments": _rows(
            Enrolment.objects.filter(user=user).order_by("pk"),
            "course__title organisation__name state attended_hours completed_at "
            "certificate_code created_at",
        ),
        "notifications": _rows(
            Notification.objects.filter(recipient=user).order_by("pk"),
            "kind event params url created_at read_at emailed_at",
        ),
        "notification_preferences": _rows(
            NotificationPreference.objects.filter(user=user).order_by("kind"),
            "kind in_app email",
        ),
        "safety_audits": _rows(
            SafetyAudit.objects.filter(auditor=user).order_by("pk"),
            "campaign__title lon lat lighting openness visibility people security "
            "walk_path public_transport gender_usage feeling note created_at",
        ),
        "reuse_proposals": _rows(
            ReuseProposal.objects.filter(proposer=user).order_by("pk"),
            "asset_id title description beneficiaries organisation_name "
            "contact_name contact_email status created_at",
        ),
        "alert_subscriptions": _rows(
            Subscription.objects.filter(email__iexact=user.email).order_by("pk"),
            "email categories language confirmed_at created_at",
        ),
        "research_requests": _rows(
            ResearchRequest.objects.filter(requester=user).order_by("pk"),
            "title purpose organisation__name status created_at decided_at",
        ),
        "api_tokens": _rows(
            user.api_tokens.order_by("pk"),
            "name prefix created_at expires_at last_used_at revoked",
        ),
        "audit_events_as_actor": _rows(
            AuditEvent.objects.filter(actor=user).order_by("at", "pk"),
            "at action object_type object_id object_label ip_address",
        ),
    }


def personal_data_json(user: User) -> str:
    """Return :func:`personal_data` as indented JSON."""
    return json.dumps(personal_data(user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def retention_table() -> list[dict[str, Any]]:
    """Return the retention rules with their periods in force, for the public page."""
    overridden = retention.overrides()
    return [
        {
            "rule": r,
            "days": overridden.get(r.kind, r.days) if r.purged else None,
        }
        for r in retention.RETENTION
    ]


def exportable_organisations(user: Any) -> list[Organisation]:
    """Return the organisations whose audit log the user may export."""
    if getattr(user, "is_superuser", False):
        return list(Organisation.objects.order_by("name"))
    return sorted(
        {
            m.organisation
            for m in memberships_of(user)
            if user.has_perm("accounts.export_auditevent", m.organisation)
        },
        key=lambda o: o.name,
    )


def audit_events_between(
    organisation: Organisation | None, start: dt.date, end: dt.date
) -> QuerySet[AuditEvent]:
    """Return audit events from ``start`` to ``end`` (both included, local days), oldest first.

    ``organisation`` None means every event (platform administrators only).
    """
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    found = AuditEvent.objects.filter(at__gte=since, at__lt=until)
    if organisation is not None:
        found = found.filter(Q(organisation_id=organisation.pk))
    return found.order_by("at", "pk")


AUDIT_FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "organisation_id",
    "comune_code",
    "detail",
    "ip_address",
)


def audit_rows(events: QuerySet[AuditEvent]) -> list[dict[str, Any]]:
    """Return audit events as plain rows for CSV or JSON."""
    return [{k: _iso(v) for k, v in row.items()} for row in events.values(*AUDIT_FIELDS)]


def audit_csv(rows: list[dict[str, Any]]) -> str:
    """Return audit rows as CSV text; ``detail`` is written as JSON."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=AUDIT_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "detail": json.dumps(row["detail"], ensure_ascii=False)})
    return out.getvalue()

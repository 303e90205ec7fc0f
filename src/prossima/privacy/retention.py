"""How long the platform keeps each kind of personal data, and why.

One table, :data:`RETENTION`, read by the nightly purge
(:func:`prossima.privacy.actions.do_purge_expired`), the public page
``/privacy/retention/`` and ``docs/privacy.md``. Each rule names the models it
covers, so a test can check that every model declared ``personal`` in
:data:`prossima.accounts.permissions.DATA_KINDS` has a rule.

Periods are overridden with the ``PROSSIMA_RETENTION_DAYS`` environment
variable (``settings.PROSSIMA["RETENTION_DAYS"]``): comma-separated
``kind=days`` pairs, e.g. ``read_notifications=30,expired_sessions=1``. Rules
whose data is not purged (``keep``) have no period to override.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = ["ANONYMISE", "DELETE", "KEEP", "RETENTION", "RetentionRule", "days_for", "rule"]

DELETE = "delete"
ANONYMISE = "anonymise"
KEEP = "keep"

ACTION_LABELS: dict[str, Promise] = {
    DELETE: _("deleted"),
    ANONYMISE: _("anonymised"),
    KEEP: _("kept (not purged)"),
}


@dataclass(frozen=True)
class RetentionRule:
    """One kind of personal data: what it is, how long it stays, what happens, and why."""

    kind: str
    models: tuple[str, ...]
    title: Promise
    days: int | None
    action: str
    starts: Promise
    kept: Promise
    reason: Promise

    @property
    def action_label(self) -> Promise:
        """Return the translated name of what happens at the end of the period."""
        return ACTION_LABELS[self.action]

    @property
    def purged(self) -> bool:
        """Return whether the nightly purge acts on this kind."""
        return self.action != KEEP


RETENTION: tuple[RetentionRule, ...] = (
    RetentionRule(
        "read_notifications",
        ("dialogue.notification",),
        _("Notifications that were read"),
        90,
        DELETE,
        _("from when the person read it"),
        _("nothing"),
        _("A read message has done its job; three months let the person find it again."),
    ),
    RetentionRule(
        "unread_notifications",
        ("dialogue.notification",),
        _("Notifications never read"),
        365,
        DELETE,
        _("from when it was sent"),
        _("nothing"),
        _("A message unread for a year will not be read; e-mail copies went out already."),
    ),
    RetentionRule(
        "decided_flags",
        ("dialogue.flag",),
        _("Reports of content to moderators, once decided"),
        365,
        DELETE,
        _("from the moderator's decision"),
        _("the content's state and the reason it was hidden, on the content itself"),
        _(
            "A year lets moderators recognise repeated or abusive reporting and answer "
            "appeals; the decision itself stays on the content and in the audit log."
        ),
    ),
    RetentionRule(
        "lifted_blocks",
        ("dialogue.block",),
        _("Blocks from posting, once lifted"),
        730,
        DELETE,
        _("from when the block was lifted"),
        _("the audit log's record of the block and its lifting"),
        _("Two years let moderators recognise a repeated abuser; then the person starts afresh."),
    ),
    RetentionRule(
        "meeting_registrations",
        ("dialogue.registration",),
        _("Registrations for meetings"),
        365,
        DELETE,
        _("from the end of the meeting"),
        _("the meeting, its minutes and outcomes"),
        _(
            "A year after the meeting covers reimbursements and questions about attendance; "
            "the minutes record what was decided."
        ),
    ),
    RetentionRule(
        "course_enrolments",
        ("dialogue.enrolment",),
        _("Course enrolments without a certificate"),
        365,
        DELETE,
        _("from the end of the course's last session"),
        _("enrolments with a certificate: they are the person's record of training"),
        _(
            "A year after the course covers questions about attendance; certificates stay so "
            "that the person, and anyone they show the code to, can verify them."
        ),
    ),
    RetentionRule(
        "closed_citizen_reports",
        ("incidents.citizenreport",),
        _("Reporter of a citizen report, their contact data and photo"),
        180,
        ANONYMISE,
        _("from when the report was closed or resolved"),
        _(
            "the report's category, place, dates, status, timeline and moderated text, for "
            "statistics; the text as submitted is replaced by the moderated text"
        ),
        _(
            "Six months cover a reopening or a complaint about the handling; the statistics of "
            "concerns need no reporter."
        ),
    ),
    RetentionRule(
        "research_requests",
        ("reports.researchrequest",),
        _("Research requests rejected, withdrawn or past their download period"),
        365,
        DELETE,
        _("from the decision, the withdrawal or the last day of downloads"),
        _("the audit log's record of the request, the decision and every download"),
        _(
            "A year lets the association answer questions about a decision; the audit log "
            "keeps the accountable trace."
        ),
    ),
    RetentionRule(
        "expired_api_tokens",
        ("accounts.apitoken",),
        _("API tokens expired or revoked"),
        90,
        DELETE,
        _("from the expiry, or the last use of a revoked token"),
        _("nothing"),
        _("A dead token is useless; three months let its owner see why a script stopped."),
    ),
    RetentionRule(
        "expired_sessions",
        ("sessions.session",),
        _("Expired login sessions"),
        0,
        DELETE,
        _("from the session's expiry"),
        _("nothing"),
        _("An expired session can never be used again."),
    ),
    RetentionRule(
        "import_files",
        ("jobs.job",),
        _("Uploaded incident files of finished or failed imports"),
        30,
        DELETE,
        _("from the end of the import job"),
        _("the import's report (counts and rejected rows) and the incidents imported"),
        _(
            "Thirty days let an analyst retry a failed import; the imported rows are in the "
            "database, so the raw police file is not kept beside them."
        ),
    ),
    RetentionRule(
        "closed_referrals",
        ("inclusion.referral", "inclusion.referralevent"),
        _("Case code, reason and notes of closed referrals"),
        1825,
        ANONYMISE,
        _("from the closing of the referral"),
        _("the comune, service, age band, target group, steps and dates, for outcome statistics"),
        _(
            "Referrals are pseudonymous already; five years follow a young person's path, "
            "then the case code and free text that could lead back to them are removed."
        ),
    ),
    RetentionRule(
        "reuse_proposal_contacts",
        ("assets.reuseproposal",),
        _("Name and e-mail of people proposing the reuse of a confiscated asset"),
        730,
        ANONYMISE,
        _("from when the proposal was received"),
        _("the proposal's content, organisation and outcome, for the registry's history"),
        _("Two years cover the call, the concession that follows and any appeal."),
    ),
    RetentionRule(
        "unconfirmed_subscriptions",
        ("counterfeit.subscription",),
        _("Alert subscriptions never confirmed"),
        7,
        DELETE,
        _("from the subscription request"),
        _("nothing"),
        _("Without confirmation within a week the address may not be someone's consent."),
    ),
    RetentionRule(
        "login_attempts",
        ("axes.accessattempt", "axes.accessfailurelog", "axes.accesslog"),
        _("Login attempts and access logs (user name, address, browser)"),
        90,
        DELETE,
        _("from the attempt"),
        _("the audit log's record of logins"),
        _("Three months are enough to investigate an attack on accounts."),
    ),
    RetentionRule(
        "accounts",
        (
            "accounts.user",
            "dialogue.support",
            "dialogue.notificationpreference",
            "counterfeit.subscription",
        ),
        _("Accounts, supports, notification preferences, confirmed subscriptions"),
        None,
        KEEP,
        _("while the account (or the subscription) exists"),
        _("everything, until the person erases the account or unsubscribes"),
        _(
            "They are the person's own choices; the person erases them at any time from the "
            "page My data (subscriptions from the link in every e-mail)."
        ),
    ),
    RetentionRule(
        "patrol_visits",
        ("policing.visit",),
        _("Officers' logs of patrol visits"),
        None,
        KEEP,
        _("while the patrol plan exists"),
        _("everything: no data of citizens, only numbers and places"),
        _(
            "They are official records of police work, kept under the police command's own "
            "archive rules; an officer's log holds no data of citizens."
        ),
    ),
    RetentionRule(
        "audit_log",
        ("accounts.auditevent",),
        _("Audit log"),
        None,
        KEEP,
        _("always"),
        _("everything: the log is append-only"),
        _(
            "Accountability for every access to restricted data and every change is a legal "
            "duty; the database refuses changes and deletions, so nobody can rewrite history."
        ),
    ),
)


def rule(kind: str) -> RetentionRule:
    """Return the rule for ``kind``; raise KeyError naming the known kinds otherwise."""
    for found in RETENTION:
        if found.kind == kind:
            return found
    known = ", ".join(r.kind for r in RETENTION)
    raise KeyError(f"Unknown retention kind {kind!r}; known kinds: {known}.")


def overrides() -> dict[str, int]:
    """Return the periods set by PROSSIMA_RETENTION_DAYS, checked against the table."""
    raw = str(settings.PROSSIMA.get("RETENTION_DAYS", "") or "")
    purged = {r.kind for r in RETENTION if r.purged}
    result: dict[str, int] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        kind, sep, days = item.partition("=")
        kind = kind.strip()
        if not sep or kind not in purged or not days.strip().isdigit():
            raise ImproperlyConfigured(
                f"PROSSIMA_RETENTION_DAYS: {item.strip()!r} is not kind=days with a whole "
                f"number of days; kinds: {', '.join(sorted(purged))}."
            )
        result[kind] = int(days)
    return result


def days_for(kind: str) -> int:
    """Return the retention period of a purged kind, in days, after any override."""
    found = rule(kind)
    if found.days is None:
        raise ValueError(f"Retention kind {kind!r} is kept, not purged: it has no period.")
    return overrides().get(kind, found.days)


def cutoff_for(kind: str, now: datetime) -> datetime:
    """Return the instant before which data of ``kind`` is past its period."""
    return now - timedelta(days=days_for(kind))

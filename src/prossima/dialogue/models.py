"""Participatory dialogue: consultations, proposals, pledges, moderation, meetings, training.

Modelled on what Decidim and Consul Democracy offer (participatory processes
with phases, proposals with supports and official answers, accountability,
meetings, moderation), kept to urban security: proposals link to citizen
reports, confiscated assets and good practices, and an accepted proposal
links to an intervention project whose progress then shows on it.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from prossima.accounts.models import Organisation


def new_code() -> str:
    """Return a random code that is hard to guess (certificates, calendar feeds)."""
    return secrets.token_urlsafe(12)


class Access(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    MEMBERS = "members", _("Members of the organisation")
    INVITED = "invited", _("Members and invited organisations")


class Scope(models.TextChoices):
    COMUNE = "comune", _("The whole comune")
    SUBAREAS = "subareas", _("Some areas of the comune")
    NATIONAL = "national", _("National")


class PhaseKind(models.TextChoices):
    INFORMATION = "information", _("Information")
    PROPOSALS = "proposals", _("Proposals")
    DEBATE = "debate", _("Debate")
    EVALUATION = "evaluation", _("Evaluation")
    RESULTS = "results", _("Results")


# What participants may do in each phase (Decidim's "step settings").
PROPOSING_PHASES = frozenset({PhaseKind.PROPOSALS})
DISCUSSING_PHASES = frozenset({PhaseKind.PROPOSALS, PhaseKind.DEBATE})


class Consultation(models.Model):
    """A participatory process owned by an organisation, with phases and documents."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    summary = models.CharField(_("summary"), max_length=400)
    description = models.TextField(_("description"), blank=True)
    scope = models.CharField(_("territory"), max_length=16, choices=Scope.choices)
    comune = models.ForeignKey(
        "territory.Comune",
        verbose_name=_("comune"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
    )
    subareas = models.ManyToManyField(
        "territory.SubArea", verbose_name=_("areas"), blank=True, related_name="consultations"
    )
    access = models.CharField(
        _("open to"), max_length=16, choices=Access.choices, default=Access.PUBLIC
    )
    invited = models.ManyToManyField(
        Organisation,
        verbose_name=_("invited organisations"),
        blank=True,
        related_name="invited_consultations",
    )
    moderate_first = models.BooleanField(
        _("moderate before publication"),
        default=False,
        help_text=_("Proposals and comments appear only after a moderator has read them."),
    )
    hide_after_flags = models.PositiveSmallIntegerField(
        _("hide after this many reports"),
        default=3,
        help_text=_("Content reported by this many people is hidden until a moderator decides."),
    )
    published = models.BooleanField(_("published"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    is_illustrative = models.BooleanField(_("illustrative demo record"), default=False)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("dialogue:consultation", args=[self.slug])

    def phase_on(self, day: dt.date | None = None) -> Phase | None:
        """Return the phase that includes ``day`` (today by default), if any."""
        day = day or timezone.localdate()
        for phase in self.phases.all():
            if phase.starts_on <= day <= phase.ends_on:
                return phase
        return None


class Phase(models.Model):
    """A dated step of a consultation: information, proposals, debate, evaluation, results."""

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="phases",
    )
    kind = models.CharField(_("phase"), max_length=16, choices=PhaseKind.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["consultation", "starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="dialogue_phase_dates"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.starts_on} – {self.ends_on})"


class ConsultationDocument(models.Model):
    """A PDF attached to a consultation (a plan, a report, the rules of participation)."""

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="dialogue/documents/%Y/")
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("consultation document")
        verbose_name_plural = _("consultation documents")
        ordering = ["consultation", "title"]

    def __str__(self) -> str:
        return self.title


class ContentState(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    PUBLISHED = "published", _("Published")
    HIDDEN = "hidden", pgettext_lazy("contribution", "Hidden")
    WITHDRAWN = "withdrawn", _("Withdrawn by the author")


class Answer(models.TextChoices):
    NONE = "", _("Not answered yet")
    EVALUATING = "evaluating", pgettext_lazy("proposal", "Being evaluated")
    ACCEPTED = "accepted", pgettext_lazy("proposal", "Accepted")
    REJECTED = "rejected", pgettext_lazy("proposal", "Rejected")


class Proposal(models.Model):
    """A proposal made in a consultation, with supports, comments and an official answer."""

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="dialogue_proposals",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("on behalf of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dialogue_proposals",
        help_text=_("Empty when a person proposes as a citizen."),
    )
    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("proposal"))
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    citizen_reports = models.ManyToManyField(
        "incidents.CitizenReport",
        verbose_name=_("citizen reports"),
        blank=True,
        related_name="dialogue_proposals",
    )
    assets = models.ManyToManyField(
        "assets.Asset",
        verbose_name=_("confiscated assets"),
        blank=True,
        related_name="dialogue_proposals",
    )
    practices = models.ManyToManyField(
        "practices.Practice",
        verbose_name=_("good practices"),
        blank=True,
        related_name="dialogue_proposals",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ContentState.choices, default=ContentState.PUBLISHED
    )
    hidden_reason = models.CharField(_("why it is hidden"), max_length=300, blank=True)
    # A moderator's edit keeps what the author wrote.
    original_title = models.CharField(_("title as written"), max_length=150, blank=True)
    original_body = models.TextField(_("text as written"), blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("edited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    answer = models.CharField(
        _("answer"), max_length=16, choices=Answer.choices, default=Answer.NONE, blank=True
    )
    answer_text = models.TextField(_("official answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    project = models.ForeignKey(
        "interventions.Project",
        verbose_name=_("project"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dialogue_proposals",
    )
    support_count = models.PositiveIntegerField(_("supports"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    is_illustrative = models.BooleanField(_("illustrative demo record"), default=False)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["consultation", "state"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("dialogue:proposal", args=[self.consultation.slug, self.pk])

    @property
    def is_public(self) -> bool:
        """Return whether everyone who sees the consultation sees the proposal."""
        return self.state == ContentState.PUBLISHED


class Support(models.Model):
    """One person's support for a proposal (one per person)."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="supports"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="dialogue_supports",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "user"], name="dialogue_one_support")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.proposal}"


class Comment(models.Model):
    """A comment on a proposal, possibly a reply to another comment."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("reply to"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="dialogue_comments",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("on behalf of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dialogue_comments",
    )
    body = models.TextField(_("comment"))
    state = models.CharField(
        _("state"), max_length=16, choices=ContentState.choices, default=ContentState.PUBLISHED
    )
    hidden_reason = models.CharField(_("why it is hidden"), max_length=300, blank=True)
    original_body = models.TextField(_("text as written"), blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("edited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    is_illustrative = models.BooleanField(_("illustrative demo record"), default=False)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]

    @property
    def consultation(self) -> Consultation:
        """Return the consultation the comment belongs to."""
        return self.proposal.consultation


class FlagReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    OFFENSIVE = "offensive", _("Offensive, insulting or discriminatory")
    DOES_NOT_BELONG = "does_not_belong", _("Does not belong here")
    PERSONAL_DATA = "personal_data", _("Names or data of other people")


class FlagDecision(models.TextChoices):
    OPEN = "", _("To be reviewed")
    KEPT = "kept", _("Kept: not against the rules")
    HIDDEN = "hidden", _("Hidden")


class Flag(models.Model):
    """A user's report that a proposal or comment breaks the rules."""

    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("proposal"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="flags",
    )
    comment = models.ForeignKey(
        Comment,
        verbose_name=_("comment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="flags",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.CASCADE,
        related_name="dialogue_flags",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=FlagReason.choices)
    note = models.CharField(_("details"), max_length=500, blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=FlagDecision.choices, default="", blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("content report")
        verbose_name_plural = _("content reports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(proposal__isnull=False) & Q(comment__isnull=True))
                | (Q(proposal__isnull=True) & Q(comment__isnull=False)),
                name="dialogue_flag_one_target",
            ),
            models.UniqueConstraint(
                fields=["proposal", "reporter"],
                condition=Q(proposal__isnull=False),
                name="dialogue_one_flag_per_proposal",
            ),
            models.UniqueConstraint(
                fields=["comment", "reporter"],
                condition=Q(comment__isnull=False),
                name="dialogue_one_flag_per_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.proposal or self.comment}"


class Block(models.Model):
    """A person barred from posting in an organisation's spaces (or everywhere)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="dialogue_blocks",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("in the spaces of"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dialogue_blocks",
        help_text=_("Empty: blocked on the whole platform (platform administrators only)."),
    )
    reason = models.CharField(_("reason"), max_length=300)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("blocked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} ({self.organisation or '*'})"


class PledgeKind(models.TextChoices):
    FUNDING = "funding", _("Funding")
    IN_KIND = "in_kind", _("Goods in kind")
    VOLUNTEERING = "volunteering", _("Volunteer time")
    EXPERTISE = "expertise", _("Expertise")


class PledgeState(models.TextChoices):
    OFFERED = "offered", pgettext_lazy("pledge", "Offered")
    ACCEPTED = "accepted", pgettext_lazy("pledge", "Accepted")
    DELIVERED = "delivered", pgettext_lazy("pledge", "Delivered")
    DECLINED = "declined", pgettext_lazy("pledge", "Declined")
    WITHDRAWN = "withdrawn", pgettext_lazy("pledge", "Withdrawn")


# Pledges that count towards a project's totals.
COUNTED_PLEDGES = frozenset({PledgeState.ACCEPTED, PledgeState.DELIVERED})


class Pledge(models.Model):
    """Resources an organisation offers to a proposal or a project."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("pledged by"),
        on_delete=models.PROTECT,
        related_name="dialogue_pledges",
    )
    pledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person who pledged"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("proposal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
    )
    project = models.ForeignKey(
        "interventions.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dialogue_pledges",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PledgeKind.choices)
    amount_eur = models.DecimalField(
        _("amount (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    hours = models.PositiveIntegerField(_("hours"), null=True, blank=True)
    description = models.TextField(_("what is offered"))
    state = models.CharField(
        _("state"), max_length=16, choices=PledgeState.choices, default=PledgeState.OFFERED
    )
    public = models.BooleanField(
        _("show publicly"),
        default=False,
        help_text=_("The organisation agrees that its name and contribution appear publicly."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    is_illustrative = models.BooleanField(_("illustrative demo record"), default=False)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(proposal__isnull=False) | Q(project__isnull=False),
                name="dialogue_pledge_has_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_kind_display()}"


class MeetingKind(models.TextChoices):
    MAYORS = "mayors", _("Meeting of mayors")
    PROXIMITY_POLICING = "proximity_policing", _("Meeting on proximity policing")
    PUBLIC_ASSEMBLY = "public_assembly", _("Public assembly")
    WORKSHOP = "workshop", _("Workshop")
    OTHER = "other", _("Other meeting")


class MeetingState(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("meeting", "Scheduled")
    CANCELLED = "cancelled", pgettext_lazy("meeting", "Cancelled")


class Meeting(models.Model):
    """A meeting or event with agenda, place or link, registrations, minutes and outcomes."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="meetings"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=MeetingKind.choices)
    summary = models.CharField(_("summary"), max_length=400)
    agenda = models.TextField(_("agenda"), blank=True, help_text=_("One item per line."))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    languages = models.CharField(
        _("languages"), max_length=100, blank=True, help_text=_("e.g. Italian, English")
    )
    access = models.CharField(
        _("open to"), max_length=16, choices=Access.choices, default=Access.PUBLIC
    )
    invited = models.ManyToManyField(
        Organisation,
        verbose_name=_("invited organisations"),
        blank=True,
        related_name="invited_meetings",
    )
    capacity = models.PositiveIntegerField(
        _("places"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    registration_open = models.BooleanField(_("registration open"), default=True)
    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meetings",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=MeetingState.choices, default=MeetingState.SCHEDULED
    )
    published = models.BooleanField(_("published"), default=False)
    cancel_reason = models.CharField(_("why it is cancelled"), max_length=300, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    outcomes = models.TextField(_("outcomes"), blank=True)
    outcome_proposals = models.ManyToManyField(
        Proposal, verbose_name=_("proposals"), blank=True, related_name="meetings"
    )
    uid = models.CharField(_("calendar identifier"), max_length=40, default=new_code, unique=True)
    sequence = models.PositiveIntegerField(_("calendar revision"), default=0)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    is_illustrative = models.BooleanField(_("illustrative demo record"), default=False)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="dialogue_meeting_times"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("dialogue:meeting", args=[self.slug])


class RegistrationState(models.TextChoices):
    CONFIRMED = "confirmed", pgettext_lazy("registration", "Confirmed")
    WAITING = "waiting", _("On the waiting list")
    CANCELLED = "cancelled", pgettext_lazy("registration", "Cancelled")


class Registration(models.Model):
    """A person's registration for a meeting; beyond capacity it waits in line."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="dialogue_registrations",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("on behalf of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=16, choices=RegistrationState.choices)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    # Waiting lists are first come, first served; registering again queues again.
    queued_at = models.DateTimeField(_("in the queue since"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["meeting", "queued_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="dialogue_one_registration")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.meeting}"


class Course(models.Model):
    """A training course (e.g. for local police and officials) with modules and sessions."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="courses"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    summary = models.CharField(_("summary"), max_length=400)
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(
        _("for whom"), max_length=300, blank=True, help_text=_("e.g. local police officers")
    )
    access = models.CharField(
        _("open to"), max_length=16, choices=Access.choices, default=Access.PUBLIC
    )
    invited = models.ManyToManyField(
        Organisation,
        verbose_name=_("invited organisations"),
        blank=True,
        related_name="invited_courses",
    )
    capacity = models.PositiveIntegerField(
        _("places"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    enrolment_open = models.BooleanField(_("enrolment open"), default=True)
    min_attendance_percent = models.PositiveSmallIntegerField(
        _("attendance for the certificate (%)"),
        default=80,
        help_text=_("Share of the course's hours a person must attend to receive the certificate."),
    )
    published = models.BooleanField(_("published"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    is_illustrative = models.BooleanField(_("illustrative demo record"), default=False)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("dialogue:course", args=[self.slug])


class CourseModule(models.Model):
    """A unit of a course's programme."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="modules"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("course module")
        verbose_name_plural = _("course modules")
        ordering = ["course", "order", "pk"]

    def __str__(self) -> str:
        return self.title


class CourseSession(models.Model):
    """A dated lesson of a course, in a place or online; attendance is taken per session."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="sessions"
    )
    module = models.ForeignKey(
        CourseModule,
        verbose_name=_("module"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True)

    class Meta:
        verbose_name = _("course session")
        verbose_name_plural = _("course sessions")
        ordering = ["course", "starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="dialogue_session_times"
            )
        ]

    def __str__(self) -> str:
        return f"{self.course} · {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def hours(self) -> float:
        """Return the session's length in hours."""
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class EnrolmentState(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    WAITING = "waiting", _("On the waiting list")
    COMPLETED = "completed", pgettext_lazy("enrolment", "Completed")
    WITHDRAWN = "withdrawn", pgettext_lazy("enrolment", "Withdrawn")


class Enrolment(models.Model):
    """A person's enrolment in a course, their attendance and their certificate."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="enrolments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="dialogue_enrolments",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("on behalf of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=16, choices=EnrolmentState.choices)
    attended_sessions = models.ManyToManyField(
        CourseSession, verbose_name=_("sessions attended"), blank=True, related_name="attendees"
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    attended_hours = models.DecimalField(
        _("hours attended"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    certificate_code = models.CharField(_("certificate code"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("enrolled"), auto_now_add=True)
    queued_at = models.DateTimeField(_("in the queue since"), default=timezone.now)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["course", "queued_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="dialogue_one_enrolment"),
            models.UniqueConstraint(
                fields=["certificate_code"],
                condition=~Q(certificate_code=""),
                name="dialogue_unique_certificate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.course}"


class NotificationKind(models.TextChoices):
    PROPOSAL_ANSWERED = "proposal_answered", _("Official answers to my proposals")
    PROJECT_PROGRESS = "project_progress", _("Progress of projects linked to my proposals")
    COMMENT = "comment", _("Comments on my proposals and replies to my comments")
    MODERATION = "moderation", _("Moderation of my proposals and comments")
    PLEDGE = "pledge", _("Pledges: offered to us, accepted or delivered")
    MEETING = "meeting", _("Meeting registrations, changes and reminders")
    COURSE = "course", _("Course enrolment and certificates")
    MODERATOR_QUEUE = "moderator_queue", _("Content waiting for me as a moderator")


class Notification(models.Model):
    """A message to one person; its text is written at display time in their language."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="dialogue_notifications",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=NotificationKind.choices)
    event = models.CharField(_("event"), max_length=40)
    params = models.JSONField(_("details"), default=dict)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    shown = models.BooleanField(_("shown in the platform"), default=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.event}"


class NotificationPreference(models.Model):
    """Which channels one person wants for one kind of notification."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="dialogue_notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=NotificationKind.choices)
    in_app = models.BooleanField(_("in the platform"), default=True)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="dialogue_one_preference")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"

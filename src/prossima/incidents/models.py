"""Incident datasets of a tenant, their imports, the category taxonomy, the incidents,
and the citizen reports.

No victim or offender identity is ever stored: an incident is a category, a
time (or time range), a place and where the record came from.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation


class SourceKind(models.TextChoices):
    POLICE_RECORD = "police_record", _("Police record")
    CALL_FOR_SERVICE = "call_for_service", _("Call for service")
    CITIZEN_REPORT = "citizen_report", _("Citizen report")


class Category(models.Model):
    """One entry of a tenant's incident taxonomy."""

    tenant = models.ForeignKey(
        Organisation,
        verbose_name=_("tenant"),
        on_delete=models.CASCADE,
        related_name="incident_categories",
    )
    code = models.SlugField(_("code"), max_length=64)
    label_it = models.CharField(_("label (Italian)"), max_length=120)
    label_en = models.CharField(_("label (English)"), max_length=120)
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_("Sexual and domestic violence: never shown as points nor in small cells."),
    )

    class Meta:
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")
        ordering = ["tenant", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="unique_category_code")
        ]

    def __str__(self) -> str:
        return self.label_it


class CategoryMapping(models.Model):
    """How a category written in a source file maps to the tenant's taxonomy."""

    tenant = models.ForeignKey(
        Organisation,
        verbose_name=_("tenant"),
        on_delete=models.CASCADE,
        related_name="incident_category_mappings",
    )
    source_label = models.CharField(_("label in the source"), max_length=200)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="mappings"
    )

    class Meta:
        verbose_name = _("category mapping")
        verbose_name_plural = _("category mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source_label"], name="unique_category_mapping"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_label} → {self.category.code}"


class Dataset(models.Model):
    """A collection of incidents of one tenant from one source."""

    tenant = models.ForeignKey(
        Organisation, verbose_name=_("tenant"), on_delete=models.PROTECT, related_name="datasets"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source_kind = models.CharField(
        _("source"), max_length=32, choices=SourceKind.choices, default=SourceKind.POLICE_RECORD
    )
    attribution = models.CharField(
        _("attribution and licence"),
        max_length=300,
        blank=True,
        help_text=_("Shown wherever the data is shown, e.g. the publisher and licence."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("incident dataset")
        verbose_name_plural = _("incident datasets")
        ordering = ["tenant", "name"]

    def __str__(self) -> str:
        return self.name


class Import(models.Model):
    """One file read into a dataset, with its report."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.CASCADE, related_name="imports"
    )
    filename = models.CharField(_("file"), max_length=300)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, db_index=True)
    file_format = models.CharField(_("format"), max_length=32)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    accepted = models.PositiveIntegerField(_("rows accepted"), default=0)
    rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    created = models.PositiveIntegerField(_("incidents added"), default=0)
    duplicates = models.PositiveIntegerField(_("already present"), default=0)
    rejects_csv = models.TextField(_("rejected rows (CSV)"), blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident import")
        verbose_name_plural = _("incident imports")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"


class Incident(models.Model):
    """One incident: what, when, where and from which source; never who."""

    tenant = models.ForeignKey(
        Organisation, verbose_name=_("tenant"), on_delete=models.PROTECT, related_name="incidents"
    )
    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.CASCADE, related_name="incidents"
    )
    first_import = models.ForeignKey(
        Import,
        verbose_name=_("first imported by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="incidents",
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )
    source_category = models.CharField(_("category in the source"), max_length=200)
    occurred_from = models.DateTimeField(_("occurred from"))
    occurred_to = models.DateTimeField(_("occurred until"), null=True, blank=True)
    time_resolution = models.CharField(_("time resolution"), max_length=16)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    area_label = models.CharField(
        _("area in the source"),
        max_length=200,
        blank=True,
        help_text=_("Neighbourhood or district as written in the source file."),
    )
    subarea = models.ForeignKey(
        "territory.SubArea",
        verbose_name=_("sub-area"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
    )
    source_kind = models.CharField(_("source"), max_length=32, choices=SourceKind.choices)
    sensitive = models.BooleanField(_("sensitive"), default=False)
    # Hash of the source record (plus its rank among identical records), so that
    # importing the same file again adds nothing.
    fingerprint = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "fingerprint"], name="unique_incident_fingerprint"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "occurred_from"]),
            models.Index(fields=["dataset", "occurred_from"]),
            models.Index(fields=["tenant", "category"]),
        ]

    def __str__(self) -> str:
        return f"{self.source_category} {self.occurred_from:%Y-%m-%d}"


# --- Citizen reports -------------------------------------------------------------
#
# A citizen reports a safety concern on a map. The report belongs to the tenant
# whose comune contains the point, goes to the organisation that handles its
# category there, is moderated before the public sees it, and follows a
# lifecycle modelled on FixMyStreet's. The public never sees who reported, the
# exact point (only a ~100 m cell), the exact time or text a moderator replaced.


class ReportStateType(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")
    FIXED = "fixed", _("fixed")


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    CONFIRMED = "confirmed", _("Confirmed")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    NOT_RESPONSIBLE = "not_responsible", _("Not our responsibility")
    DUPLICATE = "duplicate", _("Duplicate")


# The state type of every status: what counts as still open, closed or fixed.
REPORT_STATE_TYPES: dict[str, str] = {
    ReportStatus.SUBMITTED: ReportStateType.OPEN,
    ReportStatus.CONFIRMED: ReportStateType.OPEN,
    ReportStatus.IN_PROGRESS: ReportStateType.OPEN,
    ReportStatus.RESOLVED: ReportStateType.FIXED,
    ReportStatus.NOT_RESPONSIBLE: ReportStateType.CLOSED,
    ReportStatus.DUPLICATE: ReportStateType.CLOSED,
}

# Allowed moves between statuses. Nothing goes back to "submitted"; a closed or
# fixed report can be reopened as confirmed (or put back in progress when fixed).
REPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    ReportStatus.SUBMITTED: frozenset(
        {
            ReportStatus.CONFIRMED,
            ReportStatus.IN_PROGRESS,
            ReportStatus.RESOLVED,
            ReportStatus.NOT_RESPONSIBLE,
            ReportStatus.DUPLICATE,
        }
    ),
    ReportStatus.CONFIRMED: frozenset(
        {
            ReportStatus.IN_PROGRESS,
            ReportStatus.RESOLVED,
            ReportStatus.NOT_RESPONSIBLE,
            ReportStatus.DUPLICATE,
        }
    ),
    ReportStatus.IN_PROGRESS: frozenset(
        {
            ReportStatus.CONFIRMED,
            ReportStatus.RESOLVED,
            ReportStatus.NOT_RESPONSIBLE,
            ReportStatus.DUPLICATE,
        }
    ),
    ReportStatus.RESOLVED: frozenset({ReportStatus.CONFIRMED, ReportStatus.IN_PROGRESS}),
    ReportStatus.NOT_RESPONSIBLE: frozenset({ReportStatus.CONFIRMED}),
    ReportStatus.DUPLICATE: frozenset({ReportStatus.CONFIRMED}),
}


class ModerationState(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    PUBLISHED = "published", _("Published")
    HIDDEN = "hidden", _("Hidden by the moderators")


class ReportCategory(models.Model):
    """A kind of safety concern citizens report; one list for every comune."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    label_it = models.CharField(_("label (Italian)"), max_length=120)
    label_en = models.CharField(_("label (English)"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position in lists"), default=0)
    active = models.BooleanField(_("offered to citizens"), default=True)
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_("Concerns people (e.g. harassment): never drawn as a point on public maps."),
    )

    class Meta:
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """Return the label in the active language (Italian unless English is chosen)."""
        return self.label_en if (get_language() or "it").startswith("en") else self.label_it


class ReportRouting(models.Model):
    """Which organisation handles one category of reports in one tenant.

    Without a routing the tenant itself receives the reports of that category.
    """

    tenant = models.ForeignKey(
        Organisation,
        verbose_name=_("tenant"),
        on_delete=models.CASCADE,
        related_name="report_routings",
    )
    category = models.ForeignKey(
        ReportCategory, verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("handled by"),
        on_delete=models.CASCADE,
        related_name="routed_report_categories",
    )

    class Meta:
        verbose_name = _("report routing")
        verbose_name_plural = _("report routings")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "category"], name="unique_report_routing")
        ]

    def __str__(self) -> str:
        return f"{self.tenant} · {self.category.code} → {self.organisation}"


def report_photo_path(instance: CitizenReport, filename: str) -> str:
    """Return where a report's photo is stored: a random name, nothing from the upload."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"report-photos/{secrets.token_hex(16)}.{suffix}"


class CitizenReport(models.Model):
    """A safety concern reported by a citizen, with its moderation and its lifecycle."""

    tenant = models.ForeignKey(
        Organisation,
        verbose_name=_("tenant"),
        on_delete=models.PROTECT,
        related_name="citizen_reports",
    )
    comune = models.ForeignKey(
        "territory.Comune",
        verbose_name=_("comune"),
        on_delete=models.PROTECT,
        related_name="citizen_reports",
    )
    category = models.ForeignKey(
        ReportCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    # What the citizen wrote; moderators edit title and description, never these.
    original_title = models.CharField(_("title as submitted"), max_length=120)
    original_description = models.TextField(_("description as submitted"))
    # Exact point (restricted) and the public ~100 m cell centre (see privacy.py).
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    public_lon = models.FloatField(_("public longitude (blurred)"))
    public_lat = models.FloatField(_("public latitude (blurred)"))
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    routed_to = models.ForeignKey(
        Organisation,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        related_name="handled_reports",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="citizen_reports",
    )
    reporter_email = models.EmailField(
        _("e-mail for updates"),
        blank=True,
        help_text=_("Only for anonymous reports: where the follow-up link is sent."),
    )
    # SHA-256 of the follow-up token; the token itself is shown once to the reporter.
    follow_digest = models.CharField(max_length=64, unique=True)
    moderation_state = models.CharField(
        _("moderation"),
        max_length=16,
        choices=ModerationState.choices,
        default=ModerationState.PENDING,
    )
    moderation_note = models.CharField(
        _("moderation note"),
        max_length=300,
        blank=True,
        help_text=_("Why the report was hidden or edited; shown to the reporter."),
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    photo = models.FileField(_("photo"), upload_to=report_photo_path, blank=True)
    photo_hidden = models.BooleanField(
        _("photo hidden"),
        default=False,
        help_text=_("Kept for the staff, never shown publicly."),
    )
    illustrative = models.BooleanField(
        _("illustrative example"),
        default=False,
        help_text=_("Created by the demo loader; not a real citizen's report."),
    )
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("citizen report")
        verbose_name_plural = _("citizen reports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["comune", "moderation_state", "created_at"]),
            models.Index(fields=["tenant", "moderation_state"]),
            models.Index(fields=["routed_to", "status"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:report", args=[self.pk])

    @staticmethod
    def follow_digest_of(raw: str) -> str:
        """Return the stored digest of a raw follow-up token."""
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    @property
    def state_type(self) -> str:
        """Return whether the report is open, closed or fixed."""
        return REPORT_STATE_TYPES[self.status]

    @property
    def is_public(self) -> bool:
        """Return whether the public may see the report (in its public form)."""
        return self.moderation_state == ModerationState.PUBLISHED

    @property
    def edited_by_moderators(self) -> bool:
        """Return whether the text differs from what the citizen submitted."""
        return (self.title, self.description) != (self.original_title, self.original_description)

    def get_state_type_display(self) -> str:
        """Return the translated state type."""
        return str(ReportStateType(self.state_type).label)


class ReportUpdate(models.Model):
    """One step of a report's public timeline: a status change and/or a comment by the staff."""

    report = models.ForeignKey(
        CitizenReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="updates"
    )
    old_status = models.CharField(
        _("previous status"), max_length=20, choices=ReportStatus.choices, blank=True
    )
    new_status = models.CharField(
        _("new status"), max_length=20, choices=ReportStatus.choices, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    # The staff member (restricted) and, publicly, the organisation they spoke for.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("on behalf of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("report update")
        verbose_name_plural = _("report updates")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.report_id} {self.old_status} → {self.new_status}"

"""Incident datasets of a tenant, their imports, the category taxonomy and the incidents.

No victim or offender identity is ever stored: an incident is a category, a
time (or time range), a place and where the record came from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
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

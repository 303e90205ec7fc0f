"""Pilot and requalification projects that follow SARA, and their impact evaluations.

SARA (Scanning, Analysis, Response, Assessment; Eck & Spelman 1987) is the
problem-oriented policing cycle: each stage has a checklist, and the
assessment is an impact evaluation that compares the project area with a
control area before and after the start.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation
from prossima.incidents.models import CitizenReport, Dataset


class Stage(models.TextChoices):
    SCANNING = "scanning", _("Scanning")
    ANALYSIS = "analysis", _("Analysis")
    RESPONSE = "response", _("Response")
    ASSESSMENT = "assessment", _("Assessment")


class ProjectKind(models.TextChoices):
    PROXIMITY_PILOT = "proximity_pilot", _("Proximity-policing pilot")
    REQUALIFICATION = "requalification", _("Urban requalification")
    YOUTH = "youth", _("Programme for young people")
    OTHER = "other", _("Other")


class Project(models.Model):
    """A crime-prevention project of a tenant, with its area, partners and SARA stage."""

    tenant = models.ForeignKey(
        Organisation, verbose_name=_("tenant"), on_delete=models.PROTECT, related_name="projects"
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=ProjectKind.choices)
    description = models.TextField(_("description"), blank=True)
    area = models.TextField(_("area (GeoJSON)"), help_text=_("Where the project acts."))
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.SCANNING
    )
    partners = models.ManyToManyField(
        Organisation, verbose_name=_("partners"), blank=True, related_name="partner_projects"
    )
    budget_eur = models.DecimalField(
        _("budget (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    reports = models.ManyToManyField(
        CitizenReport, verbose_name=_("citizen reports"), blank=True, related_name="projects"
    )
    dataset = models.ForeignKey(
        Dataset,
        verbose_name=_("incidents for the evaluation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
    )
    published = models.BooleanField(
        _("summary public"),
        default=False,
        help_text=_("The title, kind, stage, dates and the evaluation's verdict become public."),
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
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-start_date", "title"]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(models.Model):
    """One step of a SARA stage of a project."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="checklist"
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    order = models.PositiveIntegerField(_("order"))
    text = models.CharField(_("step"), max_length=300)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("checklist step")
        verbose_name_plural = _("checklist steps")
        ordering = ["project", "stage", "order"]

    def __str__(self) -> str:
        return self.text


class Evaluation(models.Model):
    """An impact evaluation of a project against a control area."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="evaluations"
    )
    control_area = models.TextField(_("control area (GeoJSON)"))
    control_label = models.CharField(_("control area"), max_length=200, blank=True)
    params = models.JSONField(_("parameters"), default=dict)
    result = models.JSONField(_("result"), default=dict)
    verdict = models.CharField(_("verdict"), max_length=40)
    chart_svg = models.TextField(_("chart (SVG)"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("made"), auto_now_add=True)

    class Meta:
        verbose_name = _("impact evaluation")
        verbose_name_plural = _("impact evaluations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.project} – {self.verdict}"

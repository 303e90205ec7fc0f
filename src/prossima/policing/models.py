"""Beats of neighbourhood officers, patrol plans for a shift, and officers' visit logs.

A beat plan is one version of a tenant's split into beats: the grid cells it
covers and the beat of each, with the workload and compactness of every beat.
Editing beats saves a new version; the old one stays for reference. Visit
logs hold what officers did in a box (time, how many people they spoke with,
problems seen), never personal data of the people met.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation
from prossima.incidents.models import Dataset


class BeatPlan(models.Model):
    """One version of a tenant's beats."""

    tenant = models.ForeignKey(
        Organisation, verbose_name=_("tenant"), on_delete=models.PROTECT, related_name="beat_plans"
    )
    dataset = models.ForeignKey(
        Dataset,
        verbose_name=_("dataset"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="beat_plans",
    )
    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveIntegerField(_("version"))
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("edited from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="edits",
    )
    n_beats = models.PositiveIntegerField(_("number of beats"))
    params = models.JSONField(_("parameters"), default=dict)
    crs = models.CharField(_("metric CRS"), max_length=32)
    # The study-area cells in grid order and the beat of each (0-based).
    cell_ids = models.JSONField(_("cells"), default=list)
    labels = models.JSONField(_("beat of each cell"), default=list)
    workload = models.JSONField(_("workload of each cell"), default=list)
    stats = models.JSONField(_("balance and compactness"), default=dict)
    geojson = models.TextField(_("beats (GeoJSON)"), blank=True)
    is_active = models.BooleanField(_("in use"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("computed"), null=True, blank=True)
    job = models.OneToOneField(
        "jobs.Job",
        verbose_name=_("job"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="beat_plan",
    )

    class Meta:
        verbose_name = _("beat plan")
        verbose_name_plural = _("beat plans")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"], name="unique_beat_plan_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Beat(models.Model):
    """One beat of a plan: its area, workload and the officer who knows it."""

    plan = models.ForeignKey(
        BeatPlan, verbose_name=_("beat plan"), on_delete=models.CASCADE, related_name="beats"
    )
    number = models.PositiveIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=120, blank=True)
    geometry = models.TextField(_("area (GeoJSON)"))
    cells = models.PositiveIntegerField(_("cells"))
    workload = models.FloatField(_("workload share"))
    compactness = models.FloatField(_("compactness"))

    class Meta:
        verbose_name = _("beat")
        verbose_name_plural = _("beats")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_beat_number")
        ]

    def __str__(self) -> str:
        return self.name or f"{self.number}"


class PatrolPlan(models.Model):
    """The boxes an officer should visit in a beat during one shift, with dosage."""

    beat = models.ForeignKey(
        Beat, verbose_name=_("beat"), on_delete=models.CASCADE, related_name="patrol_plans"
    )
    shift_start = models.DateTimeField(_("shift starts"))
    shift_end = models.DateTimeField(_("shift ends"))
    forecast_run = models.ForeignKey(
        "analytics.AnalysisRun",
        verbose_name=_("forecast"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patrol_plans",
    )
    minutes_per_visit = models.PositiveIntegerField(_("minutes per visit"), default=15)
    visits_per_box = models.PositiveIntegerField(_("visits per box"), default=2)
    notes = models.TextField(_("briefing notes"), blank=True)
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
        verbose_name = _("patrol plan")
        verbose_name_plural = _("patrol plans")
        ordering = ["-shift_start"]

    def __str__(self) -> str:
        return f"{self.beat} {self.shift_start:%Y-%m-%d %H:%M}"


class PatrolBox(models.Model):
    """One place of a patrol plan: a grid cell, its rank and why it was chosen."""

    plan = models.ForeignKey(
        PatrolPlan, verbose_name=_("patrol plan"), on_delete=models.CASCADE, related_name="boxes"
    )
    order = models.PositiveIntegerField(_("order"))
    cell_id = models.CharField(_("cell"), max_length=64)
    geometry = models.TextField(_("area (GeoJSON)"))
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    score = models.FloatField(_("forecast score"))
    rank_in_city = models.PositiveIntegerField(_("rank in the city"), null=True, blank=True)
    planned_minutes = models.PositiveIntegerField(_("planned minutes"))
    reasons = models.JSONField(_("why here"), default=dict)

    class Meta:
        verbose_name = _("patrol box")
        verbose_name_plural = _("patrol boxes")
        ordering = ["plan", "order"]

    def __str__(self) -> str:
        return f"{self.plan} #{self.order}"


class Visit(models.Model):
    """What an officer did in a box: time spent, people spoken with, problems seen."""

    box = models.ForeignKey(
        PatrolBox, verbose_name=_("box"), on_delete=models.CASCADE, related_name="visits"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.PROTECT,
        related_name="patrol_visits",
    )
    arrived_at = models.DateTimeField(_("arrived"))
    minutes = models.PositiveIntegerField(_("minutes in the box"))
    people_met = models.PositiveIntegerField(
        _("people spoken with"), default=0, help_text=_("A number only: no names.")
    )
    problems = models.TextField(
        _("problems seen"),
        blank=True,
        help_text=_("Places and things (a broken light, a blocked exit), never people."),
    )
    created_at = models.DateTimeField(_("logged"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-arrived_at"]

    def __str__(self) -> str:
        return f"{self.box} {self.arrived_at:%H:%M}"

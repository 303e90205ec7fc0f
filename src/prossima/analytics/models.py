"""Analysis runs on incident datasets and the layers they produce.

A run records what was asked (kind and parameters), on which version of the
dataset, and what came out (a summary and one or more layers), so a map can
be shown again later exactly as it was computed. Results are written all at
once when the computation ends: a run whose worker died has no layers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation
from prossima.incidents.models import Dataset
from prossima.jobs.models import Job


class RunKind(models.TextChoices):
    HOTSPOTS = "hotspots", _("Hotspots (KDE and Gi*)")
    NEARREPEAT = "nearrepeat", _("Near repeat (Knox test)")
    EMERGING = "emerging", _("Emerging hot spots")
    FORECAST = "forecast", _("Forecast")
    BACKTEST = "backtest", _("Backtest of forecast models")


class AnalysisRun(models.Model):
    """One analysis of a dataset with its parameters, its job and its results."""

    tenant = models.ForeignKey(
        Organisation, verbose_name=_("tenant"), on_delete=models.PROTECT, related_name="runs"
    )
    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.CASCADE, related_name="runs"
    )
    kind = models.CharField(_("analysis"), max_length=16, choices=RunKind.choices)
    # 1, 2, 3 ... per dataset and kind, so people can say "hotspots v3".
    version = models.PositiveIntegerField(_("version"))
    params = models.JSONField(_("parameters"), default=dict)
    dataset_version = models.PositiveIntegerField(
        _("dataset version"),
        help_text=_("Number of imports that had added incidents to the dataset at launch."),
    )
    job = models.OneToOneField(
        Job,
        verbose_name=_("job"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="analysis_run",
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    events_analysed = models.PositiveIntegerField(_("incidents analysed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("launched by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("launched"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    published_at = models.DateTimeField(
        _("published"),
        null=True,
        blank=True,
        help_text=_("When set, the aggregated layer is shown on the public page."),
    )
    public_min_count = models.PositiveIntegerField(
        _("minimum count shown publicly"), null=True, blank=True
    )
    # The public layer is computed once at publication (cells below the minimum
    # count removed) and served as stored text, never recomputed per request.
    public_layer = models.TextField(_("public layer (GeoJSON)"), blank=True)

    class Meta:
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "kind", "version"], name="unique_run_version"
            )
        ]
        indexes = [models.Index(fields=["tenant", "kind", "published_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} – {self.dataset}"

    @property
    def status(self) -> str:
        """Return done when results are stored, else the job's status."""
        if self.finished_at is not None:
            return Job.Status.DONE
        return self.job.status if self.job is not None else Job.Status.FAILED

    @property
    def is_published(self) -> bool:
        """Return whether the public page shows this run."""
        return self.published_at is not None


class RunLayer(models.Model):
    """One stored output of a run: a GeoJSON layer or a JSON table."""

    run = models.ForeignKey(
        AnalysisRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="layers"
    )
    name = models.SlugField(_("name"), max_length=40)
    content = models.TextField(_("content (JSON)"))
    features = models.PositiveIntegerField(_("features"), default=0)

    class Meta:
        verbose_name = _("run layer")
        verbose_name_plural = _("run layers")
        constraints = [models.UniqueConstraint(fields=["run", "name"], name="unique_run_layer")]

    def __str__(self) -> str:
        return f"{self.run} / {self.name}"

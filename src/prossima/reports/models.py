"""Stored indicator values per comune and year: the aggregates every comparison reads.

Values are computed by ``actions.do_compute_indicators`` from the platform's
own data (and ISTAT population) and kept with their numerator and
denominator, so a suppressed value can be told apart from a zero and every
figure can be recomputed from stored data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IndicatorValue(models.Model):
    """One indicator of one comune in one calendar year (optionally one category)."""

    comune = models.ForeignKey(
        "territory.Comune",
        verbose_name=_("comune"),
        on_delete=models.CASCADE,
        related_name="indicator_values",
    )
    indicator = models.CharField(_("indicator"), max_length=40)
    breakdown = models.CharField(
        _("breakdown"), max_length=40, blank=True, help_text=_("e.g. an incident category")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.FloatField(_("value"), null=True)
    numerator = models.FloatField(_("numerator"), null=True)
    denominator = models.FloatField(_("denominator"), null=True)
    # The count behind the value is under the public threshold: shown to nobody
    # but the comune's own staff.
    suppressed = models.BooleanField(_("suppressed (small count)"), default=False)
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["indicator", "year", "comune"]
        constraints = [
            models.UniqueConstraint(
                fields=["comune", "indicator", "breakdown", "year"], name="reports_one_value"
            )
        ]
        indexes = [models.Index(fields=["indicator", "year", "breakdown"])]

    def __str__(self) -> str:
        return f"{self.indicator} {self.comune_id} {self.year}: {self.value}"


class Level(models.TextChoices):
    COMUNE = "comune", _("Comune")
    PROVINCE = "province", _("Province")
    REGION = "region", _("Region")


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("research request", "Withdrawn")


class ResearchRequest(models.Model):
    """A researcher's request for an aggregated extract, and its decision."""

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="research_requests",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("for"),
        on_delete=models.PROTECT,
        related_name="research_requests",
    )
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(
        _("purpose"), help_text=_("The research question and why these data answer it.")
    )
    indicators = models.JSONField(_("indicators"), default=list)
    years = models.JSONField(_("years"), default=list)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("only this region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
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
    decision_note = models.TextField(_("decision note"), blank=True)
    expires_on = models.DateField(_("downloads allowed until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("research request")
        verbose_name_plural = _("research requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

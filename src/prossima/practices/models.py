"""Good practices in crime prevention and urban security, rated with EMMIE.

A practice is submitted by a member organisation, reviewed by the research
institute or the association, and public once published. Its evidence is
described along the five EMMIE dimensions (Johnson, Tilley & Bowers 2015:
Effect, Mechanism, Moderators, Implementation, Economic cost) and summed up
in the rating scale of CrimeSolutions (effective, promising, no effect,
negative effect, insufficient evidence).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Under review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Rating(models.TextChoices):
    """Summary rating, in the scale of CrimeSolutions (U.S. National Institute of Justice)."""

    EFFECTIVE = "effective", _("Effective")
    PROMISING = "promising", _("Promising")
    NO_EFFECT = "no_effect", _("No effect")
    NEGATIVE = "negative", _("Negative effect")
    INSUFFICIENT = "insufficient", _("Insufficient evidence")


# Ties in search results go to the stronger evidence first.
RATING_ORDER: dict[str, int] = {
    Rating.EFFECTIVE: 0,
    Rating.PROMISING: 1,
    Rating.INSUFFICIENT: 2,
    Rating.NO_EFFECT: 3,
    Rating.NEGATIVE: 4,
}


class Strength(models.TextChoices):
    """How strong the evidence is on one EMMIE dimension."""

    STRONG = "strong", _("Strong")
    MODERATE = "moderate", _("Moderate")
    LIMITED = "limited", _("Limited")
    NONE = "none", _("No evidence")


class TargetGroup(models.TextChoices):
    WOMEN = "women", _("Women")
    ELDERLY = "elderly", _("Elderly people")
    MIGRANTS = "migrants", _("Migrants")
    YOUTH = "youth", _("Young people")
    MINORS = "minors", _("Minors at risk")
    VICTIMS = "victims", _("Victims of crime")
    OFFENDERS = "offenders", _("Offenders")
    RESIDENTS = "residents", _("Residents")
    BUSINESSES = "businesses", _("Businesses")
    CONSUMERS = "consumers", _("Consumers")


class InterventionType(models.TextChoices):
    SITUATIONAL = "situational", _("Situational prevention")
    SOCIAL = "social", _("Social prevention")
    PROXIMITY_POLICING = "proximity_policing", _("Proximity policing")
    FOCUSED_POLICING = "focused_policing", _("Hot-spot and problem-oriented policing")
    REQUALIFICATION = "requalification", _("Urban requalification")
    ASSET_REUSE = "asset_reuse", _("Reuse of confiscated assets")
    ANTI_COUNTERFEITING = "anti_counterfeiting", _("Anti-counterfeiting")
    VICTIM_SUPPORT = "victim_support", _("Victim support")
    PARTICIPATION = "participation", _("Participation")
    TRAINING = "training", _("Training")


# Problems are the codes of the default incident taxonomy (incidents.taxonomy)
# plus a few that practices address and incidents do not record.
EXTRA_PROBLEMS: tuple[tuple[str, Any, Any], ...] = (
    ("insicurezza-percepita", "Insicurezza percepita", "Fear of crime"),
    ("criminalita-organizzata", "Criminalità organizzata", "Organised crime"),
    ("tratta-sfruttamento", "Tratta e sfruttamento", "Trafficking and exploitation"),
)


class AreaType(models.TextChoices):
    URBAN = "urban", _("Urban")
    SUBURBAN = "suburban", _("Suburban")
    RURAL = "rural", _("Rural")
    MIXED = "mixed", _("Several kinds of area")


class SizeClass(models.TextChoices):
    """Population classes of comuni, as in ANCI and ISTAT reports."""

    UP_TO_5K = "0-5k", _("Up to 5,000 residents")
    UP_TO_20K = "5k-20k", _("5,001 to 20,000 residents")
    UP_TO_60K = "20k-60k", _("20,001 to 60,000 residents")
    UP_TO_250K = "60k-250k", _("60,001 to 250,000 residents")
    OVER_250K = "250k+", _("Over 250,000 residents")


SIZE_CLASS_BOUNDS: tuple[tuple[int, str], ...] = (
    (5_000, SizeClass.UP_TO_5K),
    (20_000, SizeClass.UP_TO_20K),
    (60_000, SizeClass.UP_TO_60K),
    (250_000, SizeClass.UP_TO_250K),
)


def size_class_of(population: int | None) -> str:
    """Return the size class of a place with ``population`` residents ("" if unknown)."""
    if population is None:
        return ""
    for bound, code in SIZE_CLASS_BOUNDS:
        if population <= bound:
            return code
    return SizeClass.OVER_250K


class Language(models.TextChoices):
    ITALIAN = "it", _("Italian")
    ENGLISH = "en", _("English")


class Practice(models.Model):
    """One good practice: what was done, where, for whom, and what the evidence says."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("submitted by (organisation)"),
        on_delete=models.PROTECT,
        related_name="practices",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    revision_of = models.ForeignKey(
        "self",
        verbose_name=_("revision of"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="revisions",
        help_text=_("A proposed change to a published practice, reviewed like a new one."),
    )
    slug = models.SlugField(_("address"), max_length=120, unique=True)
    # Stemmed words of the text, padded with spaces (" furt abitazion "), kept by
    # actions.do_index_practice: the full-text index covers all three, and the
    # ranking looks in each (title above summary above the rest). The columns the
    # ranking reads come first in the row, so ranking thousands of matches reads
    # no overflow page on SQLite (benchmarks/README.md).
    terms_title = models.TextField(editable=False, default="")
    terms_summary = models.TextField(editable=False, default="")
    rating = models.CharField(
        _("evidence rating"), max_length=12, choices=Rating.choices, default=Rating.INSUFFICIENT
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    language = models.CharField(
        _("language of the text"), max_length=2, choices=Language.choices, default="it"
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    translated_title = models.CharField(
        _("title in the other language"), max_length=200, blank=True
    )
    translated_summary = models.TextField(_("summary in the other language"), blank=True)
    problems = models.JSONField(_("problems addressed"), default=list)
    problem_description = models.TextField(_("the problem"), blank=True)
    target_groups = models.JSONField(_("target groups"), default=list, blank=True)
    intervention_types = models.JSONField(_("intervention types"), default=list)
    # Context: where it was done.
    country = models.CharField(
        _("country"), max_length=2, default="IT", help_text=_("ISO 3166 code, e.g. IT, GB.")
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    comune = models.ForeignKey(
        "territory.Comune",
        verbose_name=_("comune"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practices",
    )
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practices",
    )
    population = models.PositiveIntegerField(
        _("population of the place"),
        null=True,
        blank=True,
        help_text=_("Residents of the place where it was done; taken from the comune if empty."),
    )
    area_type = models.CharField(
        _("kind of area"), max_length=10, choices=AreaType.choices, blank=True
    )
    # What was done.
    mechanism = models.TextField(
        _("how it is meant to work"), blank=True, help_text=_("The mechanism, in a few lines.")
    )
    implementation = models.TextField(_("implementation notes"), blank=True)
    partners = models.TextField(_("partners"), blank=True)
    cost = models.TextField(_("cost"), blank=True)
    cost_eur = models.DecimalField(
        _("cost in euro"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    start_year = models.PositiveSmallIntegerField(_("started in"), null=True, blank=True)
    duration = models.CharField(_("duration"), max_length=120, blank=True)
    outcomes = models.TextField(
        _("outcomes"), blank=True, help_text=_("What was measured and found, with its source.")
    )
    contact = models.TextField(_("contact"), blank=True)
    links = models.JSONField(
        _("sources and links"), default=list, blank=True, help_text=_("A list of {title, url}.")
    )
    # EMMIE: what the evidence says and how strong it is, for each dimension.
    effect = models.TextField(_("effect"), blank=True)
    effect_strength = models.CharField(
        _("strength of evidence on the effect"),
        max_length=10,
        choices=Strength.choices,
        default=Strength.NONE,
    )
    mechanism_evidence = models.TextField(_("mechanism"), blank=True)
    mechanism_strength = models.CharField(
        _("strength of evidence on the mechanism"),
        max_length=10,
        choices=Strength.choices,
        default=Strength.NONE,
    )
    moderators = models.TextField(_("moderators"), blank=True)
    moderators_strength = models.CharField(
        _("strength of evidence on the moderators"),
        max_length=10,
        choices=Strength.choices,
        default=Strength.NONE,
    )
    implementation_evidence = models.TextField(_("implementation"), blank=True)
    implementation_strength = models.CharField(
        _("strength of evidence on implementation"),
        max_length=10,
        choices=Strength.choices,
        default=Strength.NONE,
    )
    economic = models.TextField(_("economic cost"), blank=True)
    economic_strength = models.CharField(
        _("strength of evidence on the economic cost"),
        max_length=10,
        choices=Strength.choices,
        default=Strength.NONE,
    )
    project = models.ForeignKey(
        "interventions.Project",
        verbose_name=_("project on the platform"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practices",
    )
    is_illustrative = models.BooleanField(_("illustrative"), default=False)
    version = models.PositiveIntegerField(
        _("version"), default=0, help_text=_("The number of the version last published.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    terms_body = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("practice")
        verbose_name_plural = _("practices")
        ordering = ["-published_at", "title"]
        indexes = [models.Index(fields=["status", "revision_of"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("practices:detail", args=[self.slug])

    @property
    def is_public(self) -> bool:
        """Return whether anyone may read the practice."""
        return self.status == Status.PUBLISHED and self.revision_of_id is None

    @property
    def effective_population(self) -> int | None:
        """Return the population given, or the comune's."""
        if self.population is not None:
            return self.population
        return self.comune.population if self.comune_id and self.comune else None

    @property
    def size_class(self) -> str:
        """Return the population class of the place ("" if unknown)."""
        return size_class_of(self.effective_population)

    @property
    def title_in_language(self) -> str:
        """Return the title in the active language when a translation exists."""
        wanted = (get_language() or "it")[:2]
        if wanted != self.language and self.translated_title:
            return self.translated_title
        return self.title

    @property
    def summary_in_language(self) -> str:
        """Return the summary in the active language when a translation exists."""
        wanted = (get_language() or "it")[:2]
        if wanted != self.language and self.translated_summary:
            return self.translated_summary
        return self.summary


class PracticeVersion(models.Model):
    """A snapshot of a practice each time it is submitted or published."""

    practice = models.ForeignKey(
        Practice, verbose_name=_("practice"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    snapshot = models.JSONField(_("content"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("practice version")
        verbose_name_plural = _("practice versions")
        ordering = ["practice", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "number"], name="unique_practice_version")
        ]

    def __str__(self) -> str:
        return f"{self.practice} v{self.number}"


class Decision(models.TextChoices):
    CHANGES_REQUESTED = "changes_requested", _("Request changes")
    PUBLISHED = "published", _("Publish")


class PracticeReview(models.Model):
    """A reviewer's decision on a submitted practice, with the checklist they went through."""

    practice = models.ForeignKey(
        Practice, verbose_name=_("practice"), on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    checklist = models.JSONField(_("checklist"), default=dict)
    comment = models.TextField(_("comment"), blank=True)
    version = models.PositiveIntegerField(_("version reviewed"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("practice review")
        verbose_name_plural = _("practice reviews")
        ordering = ["practice", "-created_at"]

    def __str__(self) -> str:
        return f"{self.practice}: {self.get_decision_display()}"


class PracticeDocument(models.Model):
    """A PDF attached to a practice (evaluation report, guide, ...)."""

    practice = models.ForeignKey(
        Practice, verbose_name=_("practice"), on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="practices/%Y/")
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("practice document")
        verbose_name_plural = _("practice documents")
        ordering = ["practice", "created_at"]

    def __str__(self) -> str:
        return self.title


class Facet(models.TextChoices):
    PROBLEM = "problem", _("Problem")
    TARGET = "target", _("Target group")
    INTERVENTION = "intervention", _("Intervention type")
    RATING = "rating", _("Evidence rating")
    REGION = "region", _("Region")
    SIZE = "size", _("Size of the comune")
    COUNTRY = "country", _("Country")
    LANGUAGE = "language", _("Language")


class PracticeFacet(models.Model):
    """One facet value of a practice, kept by actions so that filters and counts are SQL."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="facets")
    facet = models.CharField(max_length=16, choices=Facet.choices)
    value = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("practice facet")
        verbose_name_plural = _("practice facets")
        indexes = [models.Index(fields=["facet", "value", "practice"])]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "facet", "value"], name="unique_practice_facet"
            )
        ]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}"

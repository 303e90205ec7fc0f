"""Regions, provinces, comuni with boundaries and population, and sub-areas of a comune.

Geometry is stored as GeoJSON text (WGS84) with an indexed bounding box and a
centroid; shapely does the geometry work, so no GIS extension is needed in
the database.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class BoundedArea(models.Model):
    """Fields shared by every area with a boundary."""

    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    centroid_lon = models.FloatField(null=True, blank=True)
    centroid_lat = models.FloatField(null=True, blank=True)
    boundary = models.TextField(_("boundary (GeoJSON)"), blank=True)
    boundary_simplified = models.TextField(_("simplified boundary (GeoJSON)"), blank=True)

    class Meta:
        abstract = True

    def bbox(self) -> tuple[float, float, float, float] | None:
        """Return (min_lon, min_lat, max_lon, max_lat), or None without a boundary."""
        if self.min_lon is None or self.min_lat is None:
            return None
        assert self.max_lon is not None
        assert self.max_lat is not None
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)


class Region(BoundedArea):
    code = models.CharField(_("ISTAT code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Province(BoundedArea):
    code = models.CharField(_("ISTAT code"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=100)
    abbreviation = models.CharField(_("abbreviation"), max_length=2)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="provinces"
    )

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Comune(BoundedArea):
    """An Italian municipality, identified by its six-digit ISTAT code."""

    istat_code = models.CharField(_("ISTAT code"), max_length=6, unique=True)
    cadastral_code = models.CharField(_("cadastral code"), max_length=4, db_index=True)
    name = models.CharField(_("name"), max_length=120, db_index=True)
    # Lower-cased, accent-free name for search that ignores "à/a" and case.
    search_name = models.CharField(max_length=120, db_index=True)
    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="comuni"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="comuni"
    )
    population = models.PositiveIntegerField(_("resident population"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)

    class Meta:
        verbose_name = _("comune")
        verbose_name_plural = _("comuni")
        ordering = ["name"]
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.province.abbreviation})"

    def get_absolute_url(self) -> str:
        return reverse("territory:comune", kwargs={"istat_code": self.istat_code})


class Population(models.Model):
    """Resident population of a comune by single year of age (0 … 100+) and sex."""

    comune = models.OneToOneField(
        Comune, verbose_name=_("comune"), on_delete=models.CASCADE, related_name="population_detail"
    )
    year = models.PositiveSmallIntegerField(_("reference year"))
    males = models.JSONField(_("males by age"))
    females = models.JSONField(_("females by age"))
    total = models.PositiveIntegerField(_("total"))
    minors = models.PositiveIntegerField(_("aged 0–17"))
    aged_65_plus = models.PositiveIntegerField(_("aged 65 and over"))
    aged_80_plus = models.PositiveIntegerField(_("aged 80 and over"))
    source = models.CharField(_("source"), max_length=200)

    class Meta:
        verbose_name = _("population")
        verbose_name_plural = _("population")

    def __str__(self) -> str:
        return f"{self.comune_id} {self.year}: {self.total}"

    def share(self, count: int) -> float | None:
        """Return ``count`` as a share of the total population."""
        return count / self.total if self.total else None

    def old_age_dependency(self) -> float | None:
        """Return residents 65+ per 100 residents aged 15–64 (ISTAT definition)."""
        working = sum(self.males[15:65]) + sum(self.females[15:65])
        return 100.0 * self.aged_65_plus / working if working else None


class SubAreaKind(models.TextChoices):
    NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood")
    DISTRICT = "district", _("District")
    CENSUS_SECTION = "census_section", _("Census section")
    OTHER = "other", _("Other area")


class SubArea(BoundedArea):
    """A part of a comune (neighbourhood, district, census section) imported from GeoJSON."""

    comune = models.ForeignKey(
        Comune, verbose_name=_("comune"), on_delete=models.CASCADE, related_name="subareas"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=SubAreaKind.choices)
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=300, blank=True)
    imported_at = models.DateTimeField(_("imported"), auto_now=True)

    class Meta:
        verbose_name = _("sub-area")
        verbose_name_plural = _("sub-areas")
        ordering = ["comune", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["comune", "kind", "code"], name="unique_subarea_code")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

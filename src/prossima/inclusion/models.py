"""Vulnerability indicators and indices, safety audits, services and referrals.

Referral cases are pseudonymous: a case code the referrer chooses and an age
band, never a name, a birth date or an address.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation


class IndicatorUpload(models.Model):
    """One file of sub-area indicators a comune uploaded."""

    tenant = models.ForeignKey(
        Organisation, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField(_("file"), max_length=300)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("indicator upload")
        verbose_name_plural = _("indicator uploads")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


class AreaIndicator(models.Model):
    """The value of one indicator in one sub-area of a comune."""

    tenant = models.ForeignKey(
        Organisation, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    subarea = models.ForeignKey(
        "territory.SubArea", verbose_name=_("sub-area"), on_delete=models.CASCADE,
        related_name="indicators",
    )  # fmt: skip
    code = models.SlugField(_("indicator"), max_length=64)
    value = models.FloatField(_("value"))
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    upload = models.ForeignKey(
        IndicatorUpload, verbose_name=_("upload"), on_delete=models.CASCADE,
        related_name="values",
    )  # fmt: skip

    class Meta:
        verbose_name = _("area indicator")
        verbose_name_plural = _("area indicators")
        constraints = [
            models.UniqueConstraint(fields=["subarea", "code"], name="unique_area_indicator")
        ]

    def __str__(self) -> str:
        return f"{self.subarea} {self.code}={self.value}"


class AuditCampaign(models.Model):
    """An organised safety walk, e.g. a women's night walk on a date along a route."""

    tenant = models.ForeignKey(
        Organisation, verbose_name=_("tenant"), on_delete=models.CASCADE,
        related_name="audit_campaigns",
    )  # fmt: skip
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"))
    description = models.TextField(_("description"), blank=True)
    route = models.TextField(_("route (GeoJSON)"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("safety-audit campaign")
        verbose_name_plural = _("safety-audit campaigns")
        ordering = ["-date"]

    def __str__(self) -> str:
        return self.title


# The eight Safetipin parameters, each scored 0 (worst) to 3 (best).
AUDIT_PARAMETERS: tuple[tuple[str, object], ...] = (
    ("lighting", _("Lighting")),
    ("openness", _("Openness (can you see around you?)")),
    ("visibility", _("Visibility (can others see you?)")),
    ("people", _("People around")),
    ("security", _("Security presence")),
    ("walk_path", _("Walk path")),
    ("public_transport", _("Public transport nearby")),
    ("gender_usage", _("Women and children present")),
)


class SafetyAudit(models.Model):
    """One point of a walking audit: eight scores, the feeling of safety, a note."""

    campaign = models.ForeignKey(
        AuditCampaign, verbose_name=_("campaign"), on_delete=models.CASCADE,
        related_name="audits",
    )  # fmt: skip
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("auditor"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    lighting = models.PositiveSmallIntegerField(_("lighting"))
    openness = models.PositiveSmallIntegerField(_("openness"))
    visibility = models.PositiveSmallIntegerField(_("visibility"))
    people = models.PositiveSmallIntegerField(_("people"))
    security = models.PositiveSmallIntegerField(_("security"))
    walk_path = models.PositiveSmallIntegerField(_("walk path"))
    public_transport = models.PositiveSmallIntegerField(_("public transport"))
    gender_usage = models.PositiveSmallIntegerField(_("gender usage"))
    feeling = models.PositiveSmallIntegerField(_("feeling of safety"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("safety audit")
        verbose_name_plural = _("safety audits")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.campaign} {self.lat:.4f},{self.lon:.4f}"

    @property
    def score(self) -> float:
        """Return the mean of the eight parameters on the 0-3 scale."""
        return sum(getattr(self, name) for name, _label in AUDIT_PARAMETERS) / len(AUDIT_PARAMETERS)


class TargetGroup(models.TextChoices):
    WOMEN = "women", _("Women")
    ELDERLY = "elderly", _("Elderly people")
    MIGRANTS = "migrants", _("Migrants")
    YOUTH = "youth", _("Young people and minors at risk")


class ServiceKind(models.TextChoices):
    SCHOOL = "school", _("School programme")
    TRAINING = "training", _("Vocational training")
    JOBS = "jobs", _("Job placement")
    ANTI_VIOLENCE = "anti_violence", _("Anti-violence centre")
    MIGRANT_SUPPORT = "migrant_support", _("Migrant support")
    ELDERLY_SUPPORT = "elderly_support", _("Elderly support")
    OTHER = "other", _("Other")


class Service(models.Model):
    """A service for one or more target groups, run by a provider organisation."""

    tenant = models.ForeignKey(
        Organisation, verbose_name=_("comune"), on_delete=models.CASCADE, related_name="services"
    )
    provider = models.ForeignKey(
        Organisation, verbose_name=_("provider"), on_delete=models.PROTECT,
        related_name="provided_services",
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=ServiceKind.choices)
    target_groups = models.JSONField(_("target groups"), default=list)
    eligibility = models.TextField(_("who can use it"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    contact = models.CharField(_("contact"), max_length=300, blank=True)
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    accepts_referrals = models.BooleanField(_("accepts referrals"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["tenant", "name"]

    def __str__(self) -> str:
        return self.name


class AgeBand(models.TextChoices):
    UNDER_14 = "under_14", _("under 14")
    B14_17 = "14_17", _("14-17")
    B18_20 = "18_20", _("18-20")
    B21_24 = "21_24", _("21-24")
    B25_PLUS = "25_plus", _("25 or over")


class ReferralStatus(models.TextChoices):
    REFERRED = "referred", _("referred")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    ENROLLED = "enrolled", _("enrolled")
    ATTENDING = "attending", _("attending")
    COMPLETED = "completed", _("completed")
    JOB_PLACEMENT = "job_placement", _("job placement")
    CLOSED = "closed", _("closed without completing")


class Referral(models.Model):
    """A pseudonymous case referred to a service: a case code and an age band, never a name."""

    tenant = models.ForeignKey(
        Organisation, verbose_name=_("comune"), on_delete=models.PROTECT, related_name="referrals"
    )
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="referrals"
    )
    case_code = models.CharField(
        _("case code"),
        max_length=40,
        help_text=_("A code of your own (e.g. SS-2026-014): never a name or a birth date."),
    )
    age_band = models.CharField(_("age band"), max_length=16, choices=AgeBand.choices)
    target_group = models.CharField(_("target group"), max_length=16, choices=TargetGroup.choices)
    reason = models.TextField(
        _("reason for the referral"),
        blank=True,
        help_text=_("Needs and goals, without details that identify the person."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReferralStatus.choices,
        default=ReferralStatus.REFERRED,
    )  # fmt: skip
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("referred by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    referrer_organisation = models.ForeignKey(
        Organisation, verbose_name=_("referring organisation"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("referred on"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.case_code


class ReferralEvent(models.Model):
    """One step of a referral: its new status and a note by whoever recorded it."""

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="events"
    )
    status = models.CharField(_("status"), max_length=16, choices=ReferralStatus.choices)
    note = models.TextField(_("note"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral step")
        verbose_name_plural = _("referral steps")
        ordering = ["referral", "at"]

    def __str__(self) -> str:
        return f"{self.referral} {self.status}"

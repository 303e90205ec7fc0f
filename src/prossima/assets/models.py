"""Assets confiscated from organised crime, their reuse, and the public list.

The registry follows the national agency's open data (ANBSC, OpenRE.G.I.O.):
an asset is known by the agency's code, kept as given. The judicial and
administrative stages are dates on the asset; ``stage`` is the furthest one
reached, changed only through ``actions.do_record_stage`` so that the order
of the stages and of their dates is checked. No field holds personal data of
former owners: the agency does not publish it and the law does not ask for it.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AssetKind(models.TextChoices):
    REAL_ESTATE = "real_estate", _("Real estate")
    COMPANY = "company", _("Company")


class RealEstateCategory(models.TextChoices):
    HOUSING = "housing", _("Housing")
    LAND = "land", _("Land")
    COMMERCIAL = "commercial", _("Commercial or industrial premises")
    COLLECTIVE = "collective", _("Collective lodging")
    OTHER = "other", _("Other real estate")


class Procedure(models.TextChoices):
    PREVENTION = "prevention", _("Prevention measure (D.Lgs. 159/2011)")
    CRIMINAL = "criminal", _("Criminal proceeding")
    UNKNOWN = "unknown", _("Not stated")


class Stage(models.TextChoices):
    """The stages an asset goes through, in order; each has its date on the asset."""

    SEIZED = "seized", _("Seized")
    CONFISCATED_FIRST = "confiscated_first", _("Confiscated (first instance)")
    CONFISCATED_APPEAL = "confiscated_appeal", _("Confiscated (appeal)")
    CONFISCATED_FINAL = "confiscated_final", _("Definitively confiscated")
    DESTINED = "destined", _("Destined (decree)")
    HANDED_OVER = "handed_over", _("Handed over to the comune")


STAGE_ORDER: tuple[str, ...] = tuple(Stage.values)
# The date field of every stage.
STAGE_DATE_FIELD: dict[str, str] = {
    Stage.SEIZED: "seized_on",
    Stage.CONFISCATED_FIRST: "confiscated_first_on",
    Stage.CONFISCATED_APPEAL: "confiscated_appeal_on",
    Stage.CONFISCATED_FINAL: "confiscated_final_on",
    Stage.DESTINED: "destination_decree_date",
    Stage.HANDED_OVER: "handed_over_on",
}


class Purpose(models.TextChoices):
    SOCIAL = "social", _("Social")
    INSTITUTIONAL = "institutional", _("Institutional")
    ECONOMIC = "economic", _("Economic (proceeds reinvested in social aims)")


class Asset(models.Model):
    """One confiscated asset: a property or a company."""

    code = models.CharField(
        _("agency code"),
        max_length=40,
        unique=True,
        help_text=_("The national agency's code, kept as given (e.g. I-PA-48475)."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AssetKind.choices)
    category = models.CharField(
        _("category"), max_length=16, choices=RealEstateCategory.choices, blank=True
    )
    category_source = models.CharField(
        _("category as published"), max_length=200, blank=True, help_text=_("Agency wording.")
    )
    subcategory = models.CharField(_("sub-category"), max_length=200, blank=True)
    typology = models.CharField(_("type"), max_length=200, blank=True)
    sector = models.CharField(
        _("economic sector"), max_length=200, blank=True, help_text=_("For companies.")
    )
    comune = models.ForeignKey(
        "territory.Comune",
        verbose_name=_("comune"),
        on_delete=models.PROTECT,
        related_name="confiscated_assets",
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    cadastral_sheet = models.CharField(_("cadastral sheet (foglio)"), max_length=20, blank=True)
    cadastral_parcel = models.CharField(
        _("cadastral parcel (particella)"), max_length=40, blank=True
    )
    cadastral_sub = models.CharField(_("cadastral unit (subalterno)"), max_length=40, blank=True)
    surface_m2 = models.DecimalField(
        _("surface (m²)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    estimated_value = models.DecimalField(
        _("estimated value (€)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    procedure = models.CharField(
        _("judicial procedure"),
        max_length=16,
        choices=Procedure.choices,
        default=Procedure.UNKNOWN,
    )
    stage = models.CharField(_("stage"), max_length=24, choices=Stage.choices)
    seized_on = models.DateField(_("seized on"), null=True, blank=True)
    confiscated_first_on = models.DateField(
        _("confiscated in first instance on"), null=True, blank=True
    )
    confiscated_appeal_on = models.DateField(_("confiscated on appeal on"), null=True, blank=True)
    confiscated_final_on = models.DateField(_("definitively confiscated on"), null=True, blank=True)
    destination_decree_number = models.CharField(
        _("destination decree number"), max_length=40, blank=True
    )
    destination_decree_date = models.DateField(_("destination decree date"), null=True, blank=True)
    recipient = models.CharField(
        _("destined to"),
        max_length=200,
        blank=True,
        help_text=_("The body the decree destines the asset to, as published."),
    )
    destination_purpose = models.CharField(
        _("purpose of the destination"), max_length=16, choices=Purpose.choices, blank=True
    )
    destination_mode = models.CharField(
        _("destination as published"),
        max_length=200,
        blank=True,
        help_text=_("For companies: rent, sale or liquidation, as the agency writes it."),
    )
    handed_over_on = models.DateField(_("handed over to the comune on"), null=True, blank=True)
    current_use = models.CharField(
        _("current use"),
        max_length=300,
        blank=True,
        help_text=_("What the asset is used for today, as it appears in the public list."),
    )
    direct_use_since = models.DateField(
        _("used directly by the comune since"),
        null=True,
        blank=True,
        help_text=_(
            "For institutional or social use run by the comune itself, without concession."
        ),
    )
    occupied = models.BooleanField(_("occupied"), default=False)
    illegally_built = models.BooleanField(_("illegally built (abuso edilizio)"), default=False)
    needs_works = models.BooleanField(_("needs works"), default=False)
    accessible = models.BooleanField(_("accessible"), default=True)
    notes = models.TextField(_("internal notes"), blank=True)
    is_illustrative = models.BooleanField(
        _("illustrative record"),
        default=False,
        help_text=_("Made up for the demo or the tests; not a real asset."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)

    class Meta:
        verbose_name = _("confiscated asset")
        verbose_name_plural = _("confiscated assets")
        ordering = ["comune__name", "code"]
        indexes = [models.Index(fields=["comune", "stage"])]

    def __str__(self) -> str:
        return self.code

    def stage_date(self, stage: str) -> date | None:
        """Return the date on which the asset reached ``stage``, if recorded."""
        value = getattr(self, STAGE_DATE_FIELD[stage])
        return value if isinstance(value, date) else None


class HolderKind(models.TextChoices):
    ASSOCIATION = "association", _("Association")
    COOPERATIVE = "cooperative", _("Social cooperative")
    PUBLIC_BODY = "public_body", _("Public body")
    FOUNDATION = "foundation", _("Foundation")
    OTHER = "other", _("Other third-sector body")


class Concession(models.Model):
    """An asset granted to a third party, with the reuse project it runs."""

    asset = models.ForeignKey(
        Asset, verbose_name=_("asset"), on_delete=models.CASCADE, related_name="concessions"
    )
    holder = models.CharField(_("holder"), max_length=200)
    holder_kind = models.CharField(_("kind of holder"), max_length=16, choices=HolderKind.choices)
    holder_tax_code = models.CharField(
        _("holder's tax code"),
        max_length=16,
        blank=True,
        help_text=_("Codice fiscale of the organisation (not of a person)."),
    )
    act_reference = models.CharField(
        _("act of concession"),
        max_length=200,
        help_text=_("Number and date of the act, e.g. Determina n. 123 del 4/5/2024."),
    )
    subject = models.CharField(_("subject of the concession"), max_length=300)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    starts_on = models.DateField(_("starts on"))
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"))
    ends_on = models.DateField(_("ends on"))
    ended_early_on = models.DateField(_("ended early on"), null=True, blank=True)
    project_title = models.CharField(_("reuse project"), max_length=200)
    goals = models.TextField(_("goals"))
    beneficiaries = models.CharField(
        _("beneficiaries"), max_length=300, help_text=_("Who the project serves.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("concession")
        verbose_name_plural = _("concessions")
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"{self.asset.code}: {self.holder}"

    def last_day(self) -> date:
        """Return the last day the concession is (or was) in force."""
        if self.ended_early_on is not None and self.ended_early_on < self.ends_on:
            return self.ended_early_on
        return self.ends_on

    def in_force(self, on: date) -> bool:
        """Return whether the concession is in force on ``on``."""
        return self.starts_on <= on <= self.last_day()


class ConcessionReport(models.Model):
    """The yearly report on a reuse project, due after each year of concession."""

    concession = models.ForeignKey(
        Concession, verbose_name=_("concession"), on_delete=models.CASCADE, related_name="reports"
    )
    year_number = models.PositiveSmallIntegerField(
        _("year of the concession"), help_text=_("1 for the first twelve months, and so on.")
    )
    received_on = models.DateField(_("received on"))
    people_reached = models.PositiveIntegerField(_("people reached"), null=True, blank=True)
    summary = models.TextField(_("summary"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("reuse report")
        verbose_name_plural = _("reuse reports")
        ordering = ["concession", "year_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["concession", "year_number"], name="one_report_per_concession_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.concession} — {self.year_number}"


class AlertKind(models.TextChoices):
    IDLE = "idle", _("Handed over but not in use")
    CONCESSION_EXPIRING = "concession_expiring", _("Concession expiring")
    CONCESSION_EXPIRED = "concession_expired", _("Concession expired")
    REPORT_OVERDUE = "report_overdue", _("Reuse report overdue")


class AssetAlert(models.Model):
    """A condition that needs the comune's attention, open until it no longer holds."""

    asset = models.ForeignKey(
        Asset, verbose_name=_("asset"), on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=AlertKind.choices)
    facts = models.JSONField(_("facts"), default=dict)
    opened_on = models.DateField(_("opened on"))
    cleared_on = models.DateField(_("cleared on"), null=True, blank=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("asset alert")
        verbose_name_plural = _("asset alerts")
        ordering = ["-opened_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "kind"],
                condition=models.Q(cleared_on__isnull=True),
                name="one_open_alert_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset.code}: {self.kind}"

    @property
    def detail(self) -> str:
        """Return the alert's facts in words, in the active language."""
        from prossima.assets.actions import describe_alert

        return describe_alert(self.kind, self.facts)


class FileKind(models.TextChoices):
    DESTINED_REAL_ESTATE = "destined_real_estate", _("Destined real estate (ANBSC)")
    DESTINED_COMPANIES = "destined_companies", _("Destined companies (ANBSC)")
    IN_MANAGEMENT = "in_management", _("Assets in management (ANBSC)")


class AssetImport(models.Model):
    """One import of an agency file, with what it did."""

    filename = models.CharField(_("file"), max_length=200)
    file_kind = models.CharField(_("kind of file"), max_length=24, choices=FileKind.choices)
    columns = models.JSONField(_("column mapping"), default=dict)
    scope = models.JSONField(
        _("comuni in scope"),
        default=list,
        help_text=_("ISTAT codes of the comuni the importer manages; empty for all."),
    )
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("assets added"), default=0)
    updated = models.PositiveIntegerField(_("assets updated"), default=0)
    unchanged = models.PositiveIntegerField(_("assets unchanged"), default=0)
    outside_scope = models.PositiveIntegerField(_("rows of other comuni"), default=0)
    unmatched = models.PositiveIntegerField(_("rows to fix"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("for"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="asset_imports",
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("asset import")
        verbose_name_plural = _("asset imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d})"


class PendingRow(models.Model):
    """A row whose comune could not be matched, kept until someone fixes or discards it."""

    source = models.ForeignKey(
        AssetImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="pending"
    )
    line = models.PositiveIntegerField(_("line"))
    code = models.CharField(_("agency code"), max_length=40)
    comune_name = models.CharField(_("comune as written"), max_length=200, blank=True)
    province_name = models.CharField(_("province as written"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    values = models.JSONField(_("values"), default=dict)
    resolved_asset = models.ForeignKey(
        Asset,
        verbose_name=_("imported as"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    discarded = models.BooleanField(_("discarded"), default=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("row to fix")
        verbose_name_plural = _("rows to fix")
        ordering = ["source", "line"]

    def __str__(self) -> str:
        return f"{self.source.filename}:{self.line}"

    @property
    def open(self) -> bool:
        """Return whether the row still waits for a decision."""
        return self.resolved_asset_id is None and not self.discarded


class CallStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", pgettext_lazy("a call for proposals", "Open")
    CLOSED = "closed", _("Closed, under evaluation")
    DECIDED = "decided", _("Outcome published")


class ReuseCall(models.Model):
    """A public call for proposals to reuse an asset, and its outcome."""

    asset = models.ForeignKey(
        Asset, verbose_name=_("asset"), on_delete=models.CASCADE, related_name="calls"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what the comune asks for"))
    closes_on = models.DateField(_("proposals accepted until"))
    status = models.CharField(
        _("status"), max_length=16, choices=CallStatus.choices, default=CallStatus.DRAFT
    )
    published_on = models.DateField(_("published on"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("call for reuse proposals")
        verbose_name_plural = _("calls for reuse proposals")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ProposalStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    SELECTED = "selected", _("Selected")
    NOT_SELECTED = "not_selected", _("Not selected")


class ReuseProposal(models.Model):
    """A proposal by a citizen or an organisation to reuse an asset."""

    asset = models.ForeignKey(
        Asset, verbose_name=_("asset"), on_delete=models.CASCADE, related_name="proposals"
    )
    call = models.ForeignKey(
        ReuseCall,
        verbose_name=_("call"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what you propose"))
    beneficiaries = models.CharField(_("who would benefit"), max_length=300)
    organisation_name = models.CharField(
        _("organisation"), max_length=200, blank=True, help_text=_("Empty if you propose alone.")
    )
    contact_name = models.CharField(_("your name"), max_length=120)
    contact_email = models.EmailField(_("e-mail"))
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.RECEIVED
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("reuse proposal")
        verbose_name_plural = _("reuse proposals")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

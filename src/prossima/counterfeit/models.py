"""Seizures of counterfeit and unsafe goods, and unsafe-product alerts.

Alerts follow the fields of the EU Safety Gate (the rapid alert system for
dangerous non-food products) so that its exports import as they are; a
comune's consumer office may add local alerts with the same fields. Seizure
details are police data: only the tenant's police and staff see them.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductCategory(models.TextChoices):
    """Product categories of the EU Safety Gate, shared by alerts and seized goods."""

    TOYS = "toys", _("Toys")
    CHILDCARE = "childcare", _("Childcare articles and children's equipment")
    CLOTHING = "clothing", _("Clothing, textiles and fashion items")
    FOOTWEAR = "footwear", _("Footwear")
    LEATHER = "leather_goods", _("Bags and leather goods")
    JEWELLERY = "jewellery", _("Jewellery and watches")
    COSMETICS = "cosmetics", _("Cosmetics")
    ELECTRICAL = "electrical", _("Electrical appliances and equipment")
    LIGHTING = "lighting", _("Lighting equipment")
    COMMUNICATION = "communication", _("Communication and media equipment")
    CHEMICAL = "chemical", _("Chemical products")
    MOTOR = "motor_vehicles", _("Motor vehicles and parts")
    PROTECTIVE = "protective", _("Protective equipment")
    SPORTS = "sports", _("Hobby and sports equipment")
    KITCHEN = "kitchen", _("Kitchen and cooking accessories")
    FURNITURE = "furniture", _("Furniture and decorative articles")
    MEDICINES = "medicines", _("Medicines and medical devices")
    FOOD_IMITATING = "food_imitating", _("Food-imitating products")
    OTHER = "other", _("Other")


class RiskType(models.TextChoices):
    CHEMICAL = "chemical", _("Chemical")
    CHOKING = "choking", _("Choking")
    ELECTRIC_SHOCK = "electric_shock", _("Electric shock")
    FIRE = "fire", _("Fire")
    BURNS = "burns", _("Burns")
    INJURIES = "injuries", _("Injuries")
    CUTS = "cuts", _("Cuts")
    STRANGULATION = "strangulation", _("Strangulation")
    SUFFOCATION = "suffocation", _("Suffocation")
    DROWNING = "drowning", _("Drowning")
    MICROBIOLOGICAL = "microbiological", _("Microbiological")
    HEARING = "hearing", _("Damage to hearing")
    SIGHT = "sight", _("Damage to sight")
    ENVIRONMENT = "environment", _("Environment")
    OTHER = "other", _("Other")


class RiskLevel(models.TextChoices):
    SERIOUS = "serious", _("Serious")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class MeasuresKind(models.TextChoices):
    COMPULSORY = "compulsory", _("Ordered by an authority")
    VOLUNTARY = "voluntary", _("Taken voluntarily by the business")
    BOTH = "both", _("Both")


def alert_photo_path(instance: ProductAlert, filename: str) -> str:
    """Return where an alert's photo is stored: a random name, nothing from the upload."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"alert-photos/{secrets.token_hex(16)}.{suffix}"


class AlertSource(models.TextChoices):
    SAFETY_GATE = "safety_gate", _("EU Safety Gate")
    LOCAL = "local", _("Local alert")


class ProductAlert(models.Model):
    """A dangerous product, as the Safety Gate or a local office describes it."""

    number = models.CharField(
        _("alert number"),
        max_length=40,
        unique=True,
        help_text=_("As published, e.g. A12/00123/24; local alerts get one of their own."),
    )
    source = models.CharField(_("source"), max_length=16, choices=AlertSource.choices)
    published_on = models.DateField(_("published on"))
    notifying_country = models.CharField(_("notifying country"), max_length=80)
    product_name = models.CharField(_("product"), max_length=300)
    brand = models.CharField(_("brand"), max_length=200, blank=True)
    model = models.CharField(_("model or type"), max_length=300, blank=True)
    category = models.CharField(_("category"), max_length=24, choices=ProductCategory.choices)
    origin_country = models.CharField(_("country of origin"), max_length=80, blank=True)
    counterfeit = models.BooleanField(_("counterfeit"), default=False)
    risk_types = models.JSONField(_("risks"), default=list)
    risk_level = models.CharField(_("risk level"), max_length=16, choices=RiskLevel.choices)
    description = models.TextField(_("what is dangerous"))
    measures = models.TextField(_("measures taken"), blank=True)
    measures_kind = models.CharField(
        _("measures"), max_length=16, choices=MeasuresKind.choices, blank=True
    )
    photo = models.FileField(_("photo"), upload_to=alert_photo_path, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="product_alerts",
        help_text=_("For local alerts: the comune's office that issued it."),
    )
    is_illustrative = models.BooleanField(
        _("illustrative record"),
        default=False,
        help_text=_("Made up for the demo or the tests; not a real alert."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)

    class Meta:
        verbose_name = _("product alert")
        verbose_name_plural = _("product alerts")
        ordering = ["-published_on", "number"]
        indexes = [models.Index(fields=["category", "published_on"])]

    def __str__(self) -> str:
        return f"{self.number} {self.product_name}"


class PlaceType(models.TextChoices):
    STREET = "street", _("Street")
    MARKET = "market", _("Market")
    SHOP = "shop", _("Shop")
    WAREHOUSE = "warehouse", _("Warehouse")
    PARCEL = "parcel", _("Online sale, parcel")


class Outcome(models.TextChoices):
    DESTROYED = "destroyed", _("Destroyed")
    EVIDENCE = "evidence", _("Held as evidence")
    RETURNED = "returned", _("Returned")


class Seizure(models.Model):
    """One operation of the local police in which goods were seized."""

    tenant = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("tenant"),
        on_delete=models.PROTECT,
        related_name="seizures",
    )
    reference = models.CharField(
        _("reference"),
        max_length=60,
        blank=True,
        help_text=_("The operation's reference in the police records; re-imports match on it."),
    )
    seized_on = models.DateField(_("date"))
    unit = models.CharField(_("police unit"), max_length=200, help_text=_("Which police unit."))
    comune = models.ForeignKey(
        "territory.Comune",
        verbose_name=_("comune"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="seizures",
    )
    place_type = models.CharField(_("place"), max_length=16, choices=PlaceType.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("linked incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("seizure")
        verbose_name_plural = _("seizures")
        ordering = ["-seized_on", "-pk"]
        indexes = [models.Index(fields=["tenant", "seized_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "reference"],
                condition=~models.Q(reference=""),
                name="one_seizure_per_tenant_reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.seized_on} {self.get_place_type_display()}"


class Nature(models.TextChoices):
    COUNTERFEIT = "counterfeit", _("Counterfeit")
    UNSAFE = "unsafe", _("Unsafe")
    BOTH = "both", _("Counterfeit and unsafe")


class QuantityUnit(models.TextChoices):
    PIECES = "pieces", _("pieces")
    PAIRS = "pairs", _("pairs")
    KG = "kg", _("kg")
    LITRES = "litres", _("litres")


class SeizedGoods(models.Model):
    """One line of goods in a seizure."""

    seizure = models.ForeignKey(
        Seizure, verbose_name=_("seizure"), on_delete=models.CASCADE, related_name="goods"
    )
    category = models.CharField(_("category"), max_length=24, choices=ProductCategory.choices)
    brand = models.CharField(
        _("brand claimed"), max_length=200, blank=True, help_text=_("The brand the goods bear.")
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    quantity_unit = models.CharField(
        _("unit of measure"),
        max_length=8,
        choices=QuantityUnit.choices,
        default=QuantityUnit.PIECES,
    )
    genuine_unit_value = models.DecimalField(
        _("market value of one genuine item (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    nature = models.CharField(_("nature"), max_length=16, choices=Nature.choices)
    health_risk = models.BooleanField(_("health risk"), default=False)
    alert = models.ForeignKey(
        ProductAlert,
        verbose_name=_("matching alert"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="seized_goods",
    )

    class Meta:
        verbose_name = _("seized goods")
        verbose_name_plural = _("seized goods")
        ordering = ["seizure", "pk"]

    def __str__(self) -> str:
        return f"{self.quantity} {self.quantity_unit} {self.get_category_display()}"

    @property
    def genuine_value(self) -> float | None:
        """Return the market value the goods would have if genuine (€)."""
        if self.genuine_unit_value is None:
            return None
        return float(self.genuine_unit_value * self.quantity)


class Audience(models.TextChoices):
    GENERAL = "general", _("General public")
    YOUNG = "young", _("Young people")
    SCHOOLS = "schools", _("Schools")
    TOURISTS = "tourists", _("Tourists")
    TRADERS = "traders", _("Traders and market stallholders")
    ONLINE = "online", _("Online shoppers")
    ELDERLY = "elderly", _("Older people")


class Channel(models.TextChoices):
    POSTERS = "posters", _("Posters and leaflets")
    SOCIAL = "social", _("Social media")
    PRESS = "press", _("Press")
    RADIO_TV = "radio_tv", _("Radio and television")
    WEBSITE = "website", _("Website")
    EVENTS = "events", _("Events and stands")
    SCHOOLS = "schools", _("Lessons in schools")
    MARKETS = "markets", _("Visits to markets and shops")


class Campaign(models.Model):
    """An awareness campaign against counterfeit and unsafe goods, and its reach."""

    tenant = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("tenant"),
        on_delete=models.PROTECT,
        related_name="counterfeit_campaigns",
    )
    topic = models.CharField(_("topic"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    product_category = models.CharField(
        _("product category"),
        max_length=24,
        choices=ProductCategory.choices,
        blank=True,
        help_text=_("When the campaign is about one kind of product."),
    )
    audience = models.CharField(_("target audience"), max_length=16, choices=Audience.choices)
    channels = models.JSONField(_("channels"), default=list)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    people_reached = models.PositiveIntegerField(_("people reached"), null=True, blank=True)
    reach_notes = models.TextField(
        _("how the reach was measured"),
        blank=True,
        help_text=_("e.g. leaflets handed out, views of the posts, pupils in the lessons."),
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
        verbose_name = _("awareness campaign")
        verbose_name_plural = _("awareness campaigns")
        ordering = ["-starts_on", "topic"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "topic", "starts_on"], name="one_campaign_per_topic_and_start"
            )
        ]

    def __str__(self) -> str:
        return self.topic


class Subscription(models.Model):
    """A consumer's subscription to new alerts in some product categories (double opt-in)."""

    email = models.EmailField(_("e-mail"))
    categories = models.JSONField(_("categories"), default=list)
    language = models.CharField(_("language"), max_length=8, default="it")
    token = models.CharField(max_length=64, unique=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last digest sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("alert subscription")
        verbose_name_plural = _("alert subscriptions")
        constraints = [models.UniqueConstraint(fields=["email"], name="one_subscription_per_email")]

    def __str__(self) -> str:
        return self.email

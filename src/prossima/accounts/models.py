"""Users, organisations (tenants), memberships with roles, API tokens and the audit log."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    COMUNE = "comune", _("Comune")
    ASSOCIATION = "association", _("Association of comuni")
    RESEARCH_INSTITUTE = "research_institute", _("Research institute")
    POLICE_COMMAND = "police_command", _("Police command")
    COMMUNITY = "community", _("Community organisation")
    COMPANY = "company", _("Private company")
    INTERNATIONAL = "international", _("International organisation")
    PARTNER_CITY = "partner_city", _("Partner city outside Italy")


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    OFFICER = "officer", _("Officer")
    ANALYST = "analyst", _("Analyst")
    MANAGER = "manager", _("Manager")
    MODERATOR = "moderator", _("Moderator")
    RESEARCHER = "researcher", _("Researcher")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    ADMINISTRATOR = "administrator", _("Administrator")


class User(AbstractUser):
    """A person using the platform; organisations come through memberships."""

    email = models.EmailField(_("e-mail address"), unique=True)
    email_verified = models.BooleanField(_("e-mail verified"), default=False)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, blank=True, default=""
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Organisation(models.Model):
    """A tenant: a comune, a police command, the association, the institute, a partner."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    comune = models.ForeignKey(
        "territory.Comune",
        verbose_name=_("comune"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        help_text=_("The comune this organisation governs or serves, when in Italy."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("belongs to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("For a police command: the comune or partner city it belongs to."),
    )
    country = models.CharField(_("country"), max_length=2, default="IT")
    city = models.CharField(
        _("city"), max_length=120, blank=True, help_text=_("For partner cities outside Italy.")
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Rome",
        help_text=_(
            "IANA time zone of the place, e.g. Europe/Rome: days, weeks and months of "
            "analyses are counted in it."
        ),
    )
    ipa_code = models.CharField(
        _("IPA code"),
        max_length=20,
        blank=True,
        help_text=_("Code in the Italian public administration index, for open-data metadata."),
    )
    website = models.URLField(_("website"), blank=True)
    is_demo = models.BooleanField(
        _("illustrative demo record"),
        default=False,
        help_text=_("Created by the demo loader; not a real institution's account."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def governing_comune_id(self) -> int | None:
        """Return the comune whose restricted data this organisation may hold."""
        if self.comune_id is not None:
            return self.comune_id
        if self.parent is not None:
            return self.parent.comune_id
        return None


class Membership(models.Model):
    """A user's role in an organisation."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="unique_membership_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 digest is stored."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(raw: str) -> str:
        """Return the stored digest of a raw token."""
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an audit record."""


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("The audit log is append-only: records cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit log is append-only: records cannot be deleted.")


class AuditEvent(models.Model):
    """One access to restricted data or one write. Never updated, never deleted.

    Database triggers (see the migration) refuse UPDATE and DELETE as well, so
    raw SQL cannot rewrite history either.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        EXPORT = "export", _("exported")
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        LOGIN = "login", _("logged in")
        IMPORT = "import", _("imported")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("who"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(_("who (as recorded)"), max_length=200)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=300, blank=True)
    organisation_id = models.BigIntegerField(_("organisation"), null=True, blank=True)
    comune_code = models.CharField(_("comune"), max_length=6, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects: ClassVar[AuditQuerySet] = AuditQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("The audit log is append-only: records cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit log is append-only: records cannot be deleted.")

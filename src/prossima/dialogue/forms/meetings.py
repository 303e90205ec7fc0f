"""Forms of meetings: organising one, registering, attendance and minutes."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.forms.models import fields_for_model, model_to_dict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation
from prossima.dialogue.actions.meetings import MEETING_FIELDS
from prossima.dialogue.models import Consultation, Meeting, Proposal
from prossima.web.forms import StyledMixin, style_fields

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
FIELDSETS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (_("The meeting"), ("title", "kind", "summary", "agenda", "languages")),
    (_("When"), ("starts_at", "ends_at")),
    (_("Where"), ("place", "address", "online_url", "lat", "lon")),
    (
        _("Who may come"),
        ("access", "invited", "capacity", "registration_open", "consultation", "published"),
    ),
)


def _zone(organisation: Organisation) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(organisation.timezone or "Europe/Rome")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/Rome")


def _formfield(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        # Links typed without a scheme are read as https (Django 6's default).
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class MeetingForm(forms.Form):
    """A meeting's details; times are read and shown in the organiser's time zone."""

    invited = forms.ModelMultipleChoiceField(
        label=_("Invited organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Their members see the meeting when it is open to invited organisations."),
    )

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        meeting: Meeting | None = None,
        **kwargs: Any,
    ) -> None:
        self.zone = _zone(organisation)
        if meeting is not None and "initial" not in kwargs:
            initial = model_to_dict(meeting, fields=[*MEETING_FIELDS, "invited"])
            kwargs["initial"] = initial
        initial = kwargs.get("initial") or {}
        for name in ("starts_at", "ends_at"):
            # Shown as the organiser's wall-clock time, whatever the visitor's time zone.
            value = initial.get(name)
            if value is not None and timezone.is_aware(value):
                initial[name] = timezone.make_naive(value, self.zone)
        super().__init__(*args, **kwargs)
        self.fields.update(
            fields_for_model(
                Meeting,
                fields=list(MEETING_FIELDS),
                formfield_callback=_formfield,
                widgets={
                    "starts_at": DATETIME_WIDGET,
                    "ends_at": DATETIME_WIDGET,
                    "summary": forms.Textarea(attrs={"rows": 2}),
                    "agenda": forms.Textarea(attrs={"rows": 6}),
                },
            )
        )
        zone_note = _("Time in %(zone)s.") % {"zone": self.zone.key}
        self.fields["starts_at"].help_text = zone_note
        self.fields["ends_at"].help_text = zone_note
        self.fields["invited"].queryset = Organisation.objects.exclude(  # type: ignore[attr-defined]
            pk=organisation.pk
        ).order_by("name")
        self.fields["consultation"].queryset = Consultation.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        ).order_by("title")
        self.fields["consultation"].help_text = _(
            "A consultation of the organiser that the meeting belongs to, if any."
        )
        self.fields["published"].help_text = _(
            "Until it is published only the organiser's members see the meeting."
        )
        self.order_fields([name for _legend, names in FIELDSETS for name in names])
        style_fields(self)

    def full_clean(self) -> None:
        # The times typed in are the organiser's local time, not the visitor's.
        with timezone.override(self.zone):
            super().full_clean()

    def fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """Return the fields grouped as the page shows them."""
        return [(legend, [self[name] for name in names]) for legend, names in FIELDSETS]

    def content(self) -> dict[str, Any]:
        """Return the cleaned details, named as the actions expect."""
        data = dict(self.cleaned_data)
        fields = {name: data[name] for name in MEETING_FIELDS}
        for name in ("place", "address", "online_url", "languages", "agenda", "summary"):
            fields[name] = fields[name] or ""
        return {**fields, "invited": list(data["invited"])}


class MinutesForm(StyledMixin, forms.Form):
    """The minutes, the outcomes and the proposals a meeting led to."""

    minutes = forms.CharField(
        label=_("Minutes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Who spoke, what was discussed, what was decided."),
    )
    outcomes = forms.CharField(
        label=_("Outcomes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What will happen next, who does it and by when."),
    )
    proposals = forms.ModelMultipleChoiceField(
        label=_("Proposals discussed or agreed"),
        queryset=Proposal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, choices: QuerySet[Proposal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["proposals"]
        field.queryset = choices  # type: ignore[attr-defined]
        field.label_from_instance = lambda p: f"{p.title} · {p.consultation.title}"  # type: ignore[attr-defined]

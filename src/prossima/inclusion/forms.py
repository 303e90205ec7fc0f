"""Forms of the vulnerability and safety-audit parts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from prossima.inclusion.models import AUDIT_PARAMETERS

SCORE_CHOICES = [
    (0, _("0 – poor")),
    (1, _("1 – fair")),
    (2, _("2 – good")),
    (3, _("3 – very good")),
]


class IndicatorUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Indicator file (CSV)"),
        help_text=_(
            "UTF-8 CSV, one row per sub-area: a subarea_code column, an optional year, then "
            "one column per indicator (e.g. foreign_share, living_alone_share, neet_share). "
            "Shares between 0 and 1; empty cells are missing values."
        ),
    )

    def clean_file(self) -> Any:
        """Return the upload, refusing files over ``INDICATOR_UPLOAD_MAX_MB``."""
        upload = self.cleaned_data["file"]
        limit = int(settings.PROSSIMA["INDICATOR_UPLOAD_MAX_MB"])
        if (upload.size or 0) > limit * 1024 * 1024:
            raise forms.ValidationError(
                _("%(file)s is larger than %(mb)s MB.") % {"file": upload.name, "mb": limit}
            )
        return upload


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.widget.attrs.setdefault("class", "form-control")


class SafetyAuditForm(forms.Form):
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)
    feeling = forms.TypedChoiceField(
        label=_("How safe do you feel here?"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What makes the place feel safe or unsafe; never names of people."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in AUDIT_PARAMETERS:
            self.fields[name] = forms.TypedChoiceField(
                label=str(label), choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect
            )
        order = ["lat", "lon", *[n for n, _l in AUDIT_PARAMETERS], "feeling", "note"]
        self.order_fields(order)
        for name in ("lat", "lon", "note"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")

    def scores(self) -> dict[str, int]:
        """Return the eight parameter scores."""
        return {name: int(self.cleaned_data[name]) for name, _l in AUDIT_PARAMETERS}

"""Forms of the incident pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from prossima.incidents.models import SourceKind

ENCODINGS = [
    ("utf-8", "UTF-8"),
    ("cp1252", "Windows-1252"),
    ("latin-1", "ISO-8859-1 (Latin-1)"),
]
FORMATS = [
    ("auto", _("Detect from the header")),
    ("policeuk", "police.uk"),
    ("toronto", "Toronto Police MCI"),
    ("generic", _("Other CSV (choose the columns)")),
    ("geojson", "GeoJSON"),
]


class DatasetForm(forms.Form):
    """Create an incident dataset."""

    name = forms.CharField(label=_("Name"), max_length=200)
    source_kind = forms.ChoiceField(label=_("Source"), choices=SourceKind.choices)
    attribution = forms.CharField(
        label=_("Attribution and licence"),
        max_length=300,
        required=False,
        help_text=_("Shown wherever the data is shown, e.g. the publisher and licence."),
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)


class UploadForm(forms.Form):
    """Choose an incident file to upload."""

    file = forms.FileField(label=_("Incident file"))


class MappingForm(forms.Form):
    """Confirm the format and, for other CSV files, name the columns."""

    file_format = forms.ChoiceField(label=_("Format"), choices=FORMATS)
    encoding = forms.ChoiceField(label=_("Text encoding"), choices=ENCODINGS)
    x = forms.CharField(label=_("Longitude column"), required=False, max_length=100)
    y = forms.CharField(label=_("Latitude column"), required=False, max_length=100)
    time = forms.CharField(label=_("Date and time column"), required=False, max_length=100)
    category = forms.CharField(label=_("Category column"), required=False, max_length=100)
    time_format = forms.CharField(
        label=_("How dates are written"),
        required=False,
        max_length=50,
        help_text=_("strftime codes, e.g. %d/%m/%Y %H:%M; empty for ISO 8601 (2024-05-01 14:30)."),
    )
    timezone = forms.CharField(
        label=_("Time zone of the times"), initial="Europe/Rome", max_length=50
    )

    def columns(self) -> dict[str, str] | None:
        """Return the column mapping for a generic CSV, or None for the known formats."""
        data = self.cleaned_data
        if data["file_format"] != "generic":
            return None
        mapping = {
            "x": data["x"],
            "y": data["y"],
            "time": data["time"],
            "category": data["category"] or None,
            "time_format": data["time_format"] or None,
            "timezone": data["timezone"],
        }
        return {k: v for k, v in mapping.items() if v is not None}

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("file_format") == "generic":
            for name in ("x", "y", "time"):
                if not data.get(name):
                    self.add_error(name, _("Name the column for a generic CSV file."))
        return data

"""Forms of the incident pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation
from prossima.incidents.actions import REPORT_DESCRIPTION_MAX, REPORT_TITLE_MAX
from prossima.incidents.models import (
    REPORT_TRANSITIONS,
    CitizenReport,
    ReportCategory,
    ReportStatus,
    SourceKind,
)
from prossima.incidents.photos import ACCEPTED
from prossima.incidents.queries import report_categories, routing_table, routing_targets

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


# --- Citizen reports -------------------------------------------------------------

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp," + ",".join(f".{s}" for s, _o in ACCEPTED.values())


class CategoryChoiceField(forms.ModelChoiceField):
    """Report categories labelled in the active language."""

    def label_from_instance(self, obj: ReportCategory) -> str:
        return obj.label


class ReportForm(forms.Form):
    """A citizen's report: what, where (map click or coordinates), an optional photo."""

    category = CategoryChoiceField(
        label=_("What is the concern?"),
        queryset=ReportCategory.objects.none(),
        empty_label=_("Choose…"),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=REPORT_TITLE_MAX,
        help_text=_("A few words, e.g. “Street lamp out in Via Zamboni”."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=REPORT_DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "What you saw, where exactly and since when. Do not name or describe people: "
            "reports are about places. For an emergency call 112."
        ),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        help_text=_("Click the place on the map, or type its coordinates (WGS84)."),
    )
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_(
            "JPEG, PNG or WebP. Its location and camera data are removed before it is stored."
        ),
    )
    reporter_email = forms.EmailField(
        label=_("Your e-mail (optional)"),
        required=False,
        help_text=_(
            "We send you the link to follow the report; it is never shown publicly. "
            "Log in instead to find your reports in your account."
        ),
    )

    def __init__(self, *args: Any, anonymous: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = report_categories()  # type: ignore[attr-defined]
        if not anonymous:
            del self.fields["reporter_email"]


class ModerationForm(forms.Form):
    """A moderator's decision on a report, with optional edits of its public text."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("publish", _("Publish")), ("hide", _("Hide"))],
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=_("Public title"), max_length=REPORT_TITLE_MAX)
    description = forms.CharField(
        label=_("Public description"),
        max_length=REPORT_DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Remove names and personal details; the original text stays kept."),
    )
    note = forms.CharField(
        label=_("Note to the reporter"),
        max_length=300,
        required=False,
        help_text=_("Needed when hiding: say why."),
    )
    hide_photo = forms.BooleanField(label=_("Do not show the photo publicly"), required=False)


class StatusForm(forms.Form):
    """A handler's status change or comment on a report."""

    status = forms.ChoiceField(label=_("New status"), required=False)
    comment = forms.CharField(
        label=_("Public comment"),
        max_length=REPORT_DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Shown to the reporter and, once published, to everyone, signed by your organisation."
        ),
    )
    duplicate_of = forms.IntegerField(
        label=_("Duplicate of report number"), required=False, min_value=1
    )

    def __init__(self, *args: Any, report: CitizenReport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = REPORT_TRANSITIONS[report.status]
        choices: list[tuple[str, Any]] = [("", _("Keep the status (comment only)"))]
        choices += [(s.value, s.label) for s in ReportStatus if s.value in allowed]
        self.fields["status"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("status") and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Choose a new status or write a comment."))
        if data.get("status") == ReportStatus.DUPLICATE and not data.get("duplicate_of"):
            self.add_error("duplicate_of", _("Give the number of the report this one duplicates."))
        return data


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.name


class RouteForm(forms.Form):
    """Send a report to another organisation of its tenant."""

    organisation = OrganisationChoiceField(
        label=_("Handled by"), queryset=Organisation.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, report: CitizenReport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.queryset = routing_targets(report.tenant)  # type: ignore[attr-defined]
        field.initial = report.routed_to_id


class RoutingForm(forms.Form):
    """Which organisation handles each category of reports in a tenant."""

    def __init__(self, *args: Any, tenant: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = routing_targets(tenant)
        self.rows = routing_table(tenant)
        for category, organisation in self.rows:
            self.fields[category.code] = OrganisationChoiceField(
                label=category.label, queryset=targets, initial=organisation.pk, empty_label=None
            )

"""Forms of the confiscated-asset registry."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from prossima.assets.agency import FIELDS
from prossima.assets.models import (
    Asset,
    Concession,
    FileKind,
    Purpose,
    ReuseProposal,
    Stage,
)
from prossima.web.forms import StyledMixin, style_fields

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

ASSET_FIELDS = [
    "code",
    "kind",
    "category",
    "subcategory",
    "typology",
    "sector",
    "address",
    "lat",
    "lon",
    "cadastral_sheet",
    "cadastral_parcel",
    "cadastral_sub",
    "surface_m2",
    "estimated_value",
    "procedure",
    "occupied",
    "illegally_built",
    "needs_works",
    "accessible",
    "notes",
]


class AssetForm(StyledMixin, forms.ModelForm):
    """Describe an asset (its stage is recorded separately)."""

    class Meta:
        model = Asset
        fields = ASSET_FIELDS
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True


class NewAssetForm(AssetForm):
    """Add an asset by hand, with the stage it has reached."""

    stage = forms.ChoiceField(
        label=_("Stage reached"),
        choices=[c for c in Stage.choices if c[0] != Stage.HANDED_OVER],
        initial=Stage.CONFISCATED_FINAL,
        help_text=_("Record the handover afterwards, from the asset's page."),
    )
    stage_date = forms.DateField(label=_("Date of that stage"), required=False, widget=DATE)
    destination_decree_number = forms.CharField(
        label=_("Destination decree number"), required=False, max_length=40
    )

    class Meta(AssetForm.Meta):
        fields = [*ASSET_FIELDS, "recipient", "destination_purpose"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("stage") == Stage.DESTINED and not data.get("destination_decree_number"):
            self.add_error(
                "destination_decree_number", _("Give the number of the destination decree.")
            )
        return data


class StageForm(StyledMixin, forms.Form):
    """Record the next stage an asset has reached."""

    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    on = forms.DateField(label=_("Date"), widget=DATE)
    decree_number = forms.CharField(
        label=_("Destination decree number"),
        required=False,
        max_length=40,
        help_text=_("For the destination stage."),
    )
    recipient = forms.CharField(label=_("Destined to"), required=False, max_length=200)
    purpose = forms.ChoiceField(
        label=_("Purpose"), required=False, choices=[("", "—"), *Purpose.choices]
    )

    def __init__(self, *args: Any, asset: Asset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        later = Stage.values[Stage.values.index(asset.stage) + 1 :] if asset.stage else []
        stage = self.fields["stage"]
        assert isinstance(stage, forms.ChoiceField)
        stage.choices = [c for c in Stage.choices if c[0] in later]


class DirectUseForm(StyledMixin, forms.Form):
    """Record that the comune uses the asset itself."""

    since = forms.DateField(label=_("In use since"), widget=DATE)
    use = forms.CharField(label=_("Use"), max_length=300)


class ConcessionForm(StyledMixin, forms.ModelForm):
    """Grant a handed-over asset to a third party."""

    class Meta:
        model = Concession
        fields = [
            "holder",
            "holder_kind",
            "holder_tax_code",
            "act_reference",
            "subject",
            "purpose",
            "starts_on",
            "duration_months",
            "project_title",
            "goals",
            "beneficiaries",
        ]
        widgets = {"starts_on": DATE, "goals": forms.Textarea(attrs={"rows": 3})}


class EndConcessionForm(StyledMixin, forms.Form):
    """End a concession early."""

    on = forms.DateField(label=_("Ended on"), widget=DATE)


class ReportForm(StyledMixin, forms.Form):
    """Record a yearly report of a reuse project."""

    year_number = forms.IntegerField(label=_("Year of the concession"), min_value=1)
    received_on = forms.DateField(label=_("Received on"), widget=DATE)
    people_reached = forms.IntegerField(label=_("People reached"), min_value=0, required=False)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}))


class CallForm(StyledMixin, forms.Form):
    """Prepare a call for reuse proposals."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("What the comune asks for"), widget=forms.Textarea(attrs={"rows": 4})
    )
    closes_on = forms.DateField(label=_("Proposals accepted until"), widget=DATE)
    publish = forms.BooleanField(label=_("Publish now"), required=False, initial=True)


class OutcomeForm(StyledMixin, forms.Form):
    """Publish the outcome of a call."""

    outcome = forms.CharField(
        label=_("Outcome for the public"), widget=forms.Textarea(attrs={"rows": 3})
    )
    selected = forms.ModelChoiceField(
        label=_("Selected proposal"),
        queryset=ReuseProposal.objects.none(),
        required=False,
        empty_label=_("None"),
    )

    def __init__(self, *args: Any, call: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        selected = self.fields["selected"]
        assert isinstance(selected, forms.ModelChoiceField)
        selected.queryset = call.proposals.all()


class ProposalForm(StyledMixin, forms.ModelForm):
    """Propose a reuse for an asset."""

    consent = forms.BooleanField(
        label=_(
            "I agree that the comune's asset office uses my name and e-mail to answer this "
            "proposal; they are not published."
        )
    )

    class Meta:
        model = ReuseProposal
        fields = [
            "title",
            "description",
            "beneficiaries",
            "organisation_name",
            "contact_name",
            "contact_email",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}


class UploadForm(StyledMixin, forms.Form):
    """Choose an agency file."""

    file = forms.FileField(
        label=_("Agency file (CSV)"),
        help_text=_(
            "Destined real estate, destined companies or assets in management, as published "
            "by the national agency (ANBSC); separators ; , or tab."
        ),
    )


ENCODINGS = [
    ("auto", _("Detect (UTF-8, else Windows-1252)")),
    ("utf-8", "UTF-8"),
    ("cp1252", "Windows-1252"),
    ("latin-1", "ISO-8859-1"),
]


class MappingForm(StyledMixin, forms.Form):
    """Confirm the kind of file and which column holds each field."""

    file_kind = forms.ChoiceField(label=_("Kind of file"), choices=FileKind.choices)
    encoding = forms.ChoiceField(label=_("Text encoding"), choices=ENCODINGS)

    def __init__(self, *args: Any, header: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("(not in the file)")), *[(h, h) for h in header]]
        for name, (label, _synonyms) in FIELDS.items():
            self.fields[f"col_{name}"] = forms.ChoiceField(
                label=label, choices=choices, required=False
            )
        style_fields(self)

    def columns(self) -> dict[str, str]:
        """Return our field -> the file's column, for the mapped fields."""
        return {
            name: self.cleaned_data[f"col_{name}"]
            for name in FIELDS
            if self.cleaned_data.get(f"col_{name}")
        }

    def column_fields(self) -> list[forms.BoundField]:
        """Return the column selectors, for the template."""
        return [self[f"col_{name}"] for name in FIELDS]

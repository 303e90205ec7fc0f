"""Forms of the unsafe-product alerts: the public search, the import, a local alert."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from prossima.counterfeit.models import (
    MeasuresKind,
    ProductAlert,
    ProductCategory,
    RiskLevel,
    RiskType,
)
from prossima.incidents.forms import PHOTO_ACCEPT
from prossima.web.forms import StyledMixin

COUNTERFEIT_CHOICES = [("", _("Either")), ("yes", _("Counterfeit")), ("no", _("Not counterfeit"))]


class AlertSearchForm(StyledMixin, forms.Form):
    """The public search: words, and filters on category, risk, level, brand, counterfeit."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Product, brand, model, alert number or words of the description."),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    risk = forms.ChoiceField(
        label=_("Risk"),
        required=False,
        choices=[("", _("Any risk")), *RiskType.choices],
    )
    level = forms.ChoiceField(label=_("Risk level"), required=False)
    brand = forms.CharField(label=_("Brand"), required=False, max_length=200)
    counterfeit = forms.ChoiceField(
        label=_("Counterfeit"), required=False, choices=COUNTERFEIT_CHOICES
    )

    def __init__(
        self,
        *args: Any,
        facets: dict[str, list[tuple[str, str, int]]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        counts = facets or {}
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("Any category")),
            *_with_counts(ProductCategory.choices, counts.get("category")),
        ]
        self.fields["level"].choices = [  # type: ignore[attr-defined]
            ("", _("Any level")),
            *_with_counts(RiskLevel.choices, counts.get("level")),
        ]

    def filters(self) -> dict[str, Any]:
        """Return the filters given with a valid value (others empty: an error is shown)."""
        names = ("q", "category", "risk", "level", "brand", "counterfeit")
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: (cleaned.get(name) or "").strip() for name in names}


def _with_counts(
    choices: list[tuple[str, Any]], counts: list[tuple[str, str, int]] | None
) -> list[tuple[str, str]]:
    if counts is None:
        return [(value, str(label)) for value, label in choices]
    return [(value, f"{label} ({n})") for value, label, n in counts]


class AlertImportForm(StyledMixin, forms.Form):
    """A Safety Gate export to import."""

    file = forms.FileField(
        label=_("Safety Gate export (CSV)"),
        help_text=_(
            "A CSV file with a header line, separated by commas or semicolons; column names "
            "in English or Italian."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}),
    )


class LocalAlertForm(StyledMixin, forms.ModelForm):
    """A comune's own alert; the number is given when it is saved."""

    risk_types = forms.MultipleChoiceField(
        label=_("Risks"),
        choices=RiskType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose every danger the product presents."),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_("JPEG, PNG or WebP. Camera data is removed before it is stored."),
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
    )

    class Meta:
        model = ProductAlert
        fields = [
            "published_on",
            "product_name",
            "brand",
            "model",
            "category",
            "origin_country",
            "counterfeit",
            "risk_types",
            "risk_level",
            "description",
            "measures",
            "measures_kind",
        ]
        widgets = {
            "published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 4}),
            "measures": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "description": _("What is dangerous, in words a consumer understands."),
            "measures": _("What the office or the business has done: withdrawal, recall…"),
        }

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measures_kind"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *MeasuresKind.choices,
        ]
        if editing and self.instance.photo:
            self.fields["remove_photo"] = forms.BooleanField(
                label=_("Remove the current photo"), required=False
            )

    def values(self) -> dict[str, Any]:
        """Return the alert's fields as do_create_local_alert takes them (without the photo)."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["risk_types"] = list(data["risk_types"])
        return data

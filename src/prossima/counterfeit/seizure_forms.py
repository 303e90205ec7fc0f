"""Forms of the seizure records: an operation, its lines of goods, the import, the filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from prossima.counterfeit.models import (
    Nature,
    Outcome,
    PlaceType,
    ProductCategory,
    QuantityUnit,
    Seizure,
)
from prossima.incidents.models import Incident
from prossima.territory.models import Comune
from prossima.territory.queries import find_comune
from prossima.web.forms import StyledMixin

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Empty lines offered on the record form: more are added by saving and editing.
EMPTY_LINES = 5
EMPTY_LINES_EDIT = 2
MAX_UPLOAD_MB = 10


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class SeizureForm(StyledMixin, forms.Form):
    """The operation: when, who, where, and what became of the goods."""

    reference = forms.CharField(
        label=_("Reference"),
        max_length=60,
        required=False,
        help_text=_("The operation's reference in the police records; re-imports match on it."),
    )
    seized_on = forms.DateField(label=_("Date"), widget=DATE)
    unit = forms.CharField(label=_("Police unit"), max_length=200)
    place_type = forms.ChoiceField(label=_("Place"), choices=_blank(PlaceType.choices))
    comune = forms.CharField(
        label=_("Comune"),
        max_length=120,
        required=False,
        help_text=_("Name or ISTAT code; the tenant's comune when left empty."),
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    lat = forms.FloatField(
        label=_("Latitude"), required=False, help_text=_("Decimal degrees, e.g. 44.4939.")
    )
    lon = forms.FloatField(
        label=_("Longitude"), required=False, help_text=_("Decimal degrees, e.g. 11.3426.")
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=_blank(Outcome.choices))
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    incident = forms.IntegerField(
        label=_("Linked incident"),
        required=False,
        min_value=1,
        help_text=_("The number of the incident in the platform's records, if one was recorded."),
    )

    def clean_incident(self) -> Incident | None:
        number = self.cleaned_data.get("incident")
        if number is None:
            return None
        found = Incident.objects.filter(pk=number).first()
        if found is None:
            raise forms.ValidationError(_("No incident has this number."))
        return found

    def clean_comune(self) -> Comune | None:
        text = self.cleaned_data.get("comune", "").strip()
        if not text:
            return None
        comune, reason = find_comune(text)
        if comune is None:
            raise forms.ValidationError(reason)
        return comune

    @staticmethod
    def initial_for(seizure: Seizure) -> dict[str, Any]:
        """Return the form's initial values for an operation already recorded."""
        return {
            "reference": seizure.reference,
            "seized_on": seizure.seized_on,
            "unit": seizure.unit,
            "place_type": seizure.place_type,
            "comune": seizure.comune.name if seizure.comune is not None else "",
            "address": seizure.address,
            "lat": seizure.lat,
            "lon": seizure.lon,
            "outcome": seizure.outcome,
            "notes": seizure.notes,
            "incident": seizure.incident_id,
        }


class GoodsLineForm(StyledMixin, forms.Form):
    """One line of goods; a line left entirely empty is ignored.

    Fields are optional here so that empty lines pass; the rules of a line
    (category, nature, a quantity above zero) are checked when it is saved.
    """

    category = forms.ChoiceField(
        label=_("Category"), choices=_blank(ProductCategory.choices), required=False
    )
    brand = forms.CharField(label=_("Brand claimed"), max_length=200, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=2, required=False
    )
    quantity_unit = forms.ChoiceField(
        label=_("Unit"), choices=QuantityUnit.choices, initial=QuantityUnit.PIECES
    )
    genuine_unit_value = forms.DecimalField(
        label=_("Market value of one genuine item (€)"),
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    nature = forms.ChoiceField(label=_("Nature"), choices=_blank(Nature.choices), required=False)
    health_risk = forms.BooleanField(label=_("Health risk"), required=False)
    alert = forms.CharField(
        label=_("Alert number"),
        max_length=40,
        required=False,
        help_text=_("The Safety Gate or local alert the goods match, e.g. A12/00123/24."),
    )

    WORDS = ("category", "brand", "quantity", "genuine_unit_value", "nature", "alert")
    # Widths that keep the values readable in the table of lines.
    WIDTHS = {
        "category": "14rem",
        "brand": "10rem",
        "quantity": "7rem",
        "quantity_unit": "8rem",
        "genuine_unit_value": "8rem",
        "nature": "11rem",
        "alert": "9rem",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, width in self.WIDTHS.items():
            self.fields[name].widget.attrs["style"] = f"min-width: {width}"

    def is_blank(self) -> bool:
        """Return whether nothing was written on the line (unit and health risk aside)."""
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) not in (None, "") for name in self.WORDS)

    def line(self) -> dict[str, Any]:
        """Return the line's values for ``do_record_seizure``."""
        data = self.cleaned_data
        return {
            "category": data.get("category", ""),
            "brand": data.get("brand", ""),
            "quantity": data.get("quantity"),
            "quantity_unit": data.get("quantity_unit") or QuantityUnit.PIECES,
            "genuine_unit_value": data.get("genuine_unit_value"),
            "nature": data.get("nature", ""),
            "health_risk": bool(data.get("health_risk")),
            "alert": data.get("alert", ""),
        }

    @staticmethod
    def initial_for(seizure: Seizure) -> list[dict[str, Any]]:
        """Return the formset's initial lines for an operation already recorded."""
        return [
            {
                "category": g.category,
                "brand": g.brand,
                "quantity": g.quantity,
                "quantity_unit": g.quantity_unit,
                "genuine_unit_value": g.genuine_unit_value,
                "nature": g.nature,
                "health_risk": g.health_risk,
                "alert": g.alert.number if g.alert is not None else "",
            }
            for g in seizure.goods.select_related("alert")
        ]


def goods_formset(
    data: Any = None, *, initial: list[dict[str, Any]] | None = None
) -> forms.BaseFormSet[GoodsLineForm]:
    """Return the lines of goods: the recorded ones and a few empty ones (no JavaScript needed)."""
    extra = EMPTY_LINES_EDIT if initial else EMPTY_LINES
    formset_class = forms.formset_factory(
        GoodsLineForm, extra=extra, can_delete=bool(initial), max_num=200
    )
    return formset_class(data, initial=initial, prefix="goods")


class ImportForm(StyledMixin, forms.Form):
    """A CSV of seizures, one row per line of goods."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Separated by semicolons or commas, with a header line in Italian or English."),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file: save nothing"), required=False, initial=False
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Accepted are CSV files (.csv, .txt)."))
        if (upload.size or 0) > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_MB}
            )
        return upload


class PeriodForm(StyledMixin, forms.Form):
    """The period of the totals (both days included)."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period comes before its start."))
        return data

    @staticmethod
    def default_period(on: dt.date) -> tuple[dt.date, dt.date]:
        """Return the last twelve months up to ``on``: from the first of the month 11 months ago."""
        month = on.month - 11
        year = on.year + (month - 1) // 12
        month = (month - 1) % 12 + 1
        return dt.date(year, month, 1), on


class FilterForm(PeriodForm):
    """The filters of the list of operations."""

    place_type = forms.ChoiceField(
        label=_("Place"), choices=_blank(PlaceType.choices), required=False
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=_blank(ProductCategory.choices), required=False
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=_blank(Outcome.choices), required=False)
    q = forms.CharField(
        label=_("Reference, brand, address or unit"), max_length=100, required=False
    )

"""Parameters of each kind of analysis run, validated the same way for the web and the API.

Defaults are the command line's (``prossima hotspots --help`` ...), so a run
launched from the platform and one launched from a terminal agree.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from prossima.analysis.forecast import DEFAULT_MODEL, MODELS
from prossima.analytics.models import RunKind
from prossima.incidents.models import Category, Dataset

BACKTEST_DEFAULT_MODELS = ["retrospective", "prospective", "sepp", "ensemble"]
STEP_CHOICES = [
    ("1W", _("week")),
    ("2W", _("two weeks")),
    ("1M", _("month")),
    ("3M", _("quarter")),
]


def _numbers(text: str, field: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValidationError(
            _("%(field)s: give numbers separated by commas, e.g. 0,200,400."),
            params={"field": field},
        ) from None
    if len(values) < 2 or any(b <= a for a, b in itertools.pairwise(values)):
        raise ValidationError(
            _("%(field)s: give at least two increasing numbers, e.g. 0,200,400."),
            params={"field": field},
        )
    return values


class RunForm(forms.Form):
    """Fields every analysis shares: which incidents go in."""

    kind: str = ""

    categories = forms.MultipleChoiceField(
        label=_("Categories"),
        required=False,
        help_text=_("None selected: every category."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("First day included (local date)."),
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("First day excluded (local date)."),
    )
    area = forms.ChoiceField(label=_("Area"), required=False)

    def __init__(self, *args: Any, dataset: Dataset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from prossima.analytics.queries import area_choices

        self.dataset = dataset
        categories = self.fields["categories"]
        area = self.fields["area"]
        assert isinstance(categories, forms.ChoiceField)
        assert isinstance(area, forms.ChoiceField)
        categories.choices = [
            (c.code, c.label_it) for c in Category.objects.filter(tenant=dataset.tenant)
        ]
        area.choices = [("", _("The whole territory")), *area_choices(dataset)]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until <= since:
            raise ValidationError(_("'Until' must come after 'From'."))
        return data

    def params(self) -> dict[str, Any]:
        """Return the cleaned values as JSON-ready run parameters."""
        out: dict[str, Any] = {}
        for key, value in self.cleaned_data.items():
            if isinstance(value, dt.date):
                out[key] = value.isoformat()
            elif value in (None, "", []):
                continue
            else:
                out[key] = value
        return out


class HotspotsForm(RunForm):
    kind = RunKind.HOTSPOTS

    cell = forms.FloatField(label=_("Cell side (m)"), initial=200, min_value=25, max_value=5000)
    bandwidth = forms.FloatField(
        label=_("Density search radius (m)"),
        required=False,
        min_value=10,
        max_value=20000,
        help_text=_("Empty: chosen from the spread of the incidents (Silverman's rule)."),
    )
    kernel = forms.ChoiceField(
        label=_("Kernel"),
        choices=[("quartic", _("quartic")), ("gaussian", _("gaussian"))],
        initial="quartic",
    )
    permutations = forms.IntegerField(
        label=_("Permutations"),
        initial=0,
        min_value=0,
        max_value=9999,
        help_text=_("0 uses the normal approximation; 999 is usual for pseudo p-values."),
    )
    seed = forms.IntegerField(label=_("Random seed"), required=False, min_value=0)
    fdr = forms.BooleanField(
        label=_("Correct for testing many cells (false discovery rate)"),
        required=False,
        initial=True,
    )


class NearRepeatForm(RunForm):
    kind = RunKind.NEARREPEAT

    space_bands = forms.CharField(
        label=_("Distance bands (m)"), initial="0,200,400,600,800", max_length=200
    )
    time_bands = forms.CharField(
        label=_("Time bands (days)"), initial="0,7,14,21,28", max_length=200
    )
    permutations = forms.IntegerField(
        label=_("Permutations"), initial=99, min_value=9, max_value=9999
    )
    seed = forms.IntegerField(label=_("Random seed"), required=False, min_value=0)

    def clean_space_bands(self) -> str:
        _numbers(self.cleaned_data["space_bands"], str(_("Distance bands")))
        return str(self.cleaned_data["space_bands"])

    def clean_time_bands(self) -> str:
        _numbers(self.cleaned_data["time_bands"], str(_("Time bands")))
        return str(self.cleaned_data["time_bands"])


class EmergingForm(RunForm):
    kind = RunKind.EMERGING

    cell = forms.FloatField(label=_("Cell side (m)"), initial=250, min_value=25, max_value=5000)
    step = forms.ChoiceField(label=_("Time step"), choices=STEP_CHOICES, initial="1M")
    time_window = forms.IntegerField(
        label=_("Previous steps counted as neighbours"), initial=1, min_value=0, max_value=12
    )
    alpha = forms.FloatField(
        label=_("Significance of a hot spot (p)"), initial=0.10, min_value=0.001, max_value=0.5
    )
    trend_alpha = forms.FloatField(
        label=_("Significance of a trend (p)"), initial=0.05, min_value=0.001, max_value=0.5
    )
    fdr = forms.BooleanField(
        label=_("Correct for testing many cells (false discovery rate)"), required=False
    )


class ForecastForm(RunForm):
    kind = RunKind.FORECAST

    model = forms.ChoiceField(
        label=_("Model"), choices=[(m, m) for m in MODELS], initial=DEFAULT_MODEL
    )
    origin = forms.DateField(
        label=_("Forecast from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: the day after the last incident. Only earlier incidents are used."),
    )
    horizon_days = forms.IntegerField(
        label=_("Days forecast"), initial=7, min_value=1, max_value=92
    )
    cell = forms.FloatField(label=_("Cell side (m)"), initial=150, min_value=25, max_value=5000)


class BacktestForm(RunForm):
    kind = RunKind.BACKTEST

    models = forms.MultipleChoiceField(
        label=_("Models"),
        choices=[(m, m) for m in MODELS],
        initial=BACKTEST_DEFAULT_MODELS,
        widget=forms.CheckboxSelectMultiple,
    )
    test_start = forms.DateField(
        label=_("First forecast day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    test_end = forms.DateField(
        label=_("Last day of the test"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    horizon_days = forms.IntegerField(
        label=_("Days per forecast"), initial=7, min_value=1, max_value=92
    )
    cell = forms.FloatField(label=_("Cell side (m)"), initial=150, min_value=25, max_value=5000)
    coverage = forms.CharField(
        label=_("Shares of cells flagged (%)"), initial="1,2,5,10", max_length=100
    )

    def clean_coverage(self) -> str:
        values = _numbers(self.cleaned_data["coverage"], str(_("Shares of cells flagged")))
        if values[0] <= 0 or values[-1] > 100:
            raise ValidationError(_("Shares of cells flagged must lie between 0 and 100."))
        return str(self.cleaned_data["coverage"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("test_start"), data.get("test_end")
        if start and end and end <= start:
            raise ValidationError(_("The last day of the test must come after the first."))
        return data


FORMS: dict[str, type[RunForm]] = {
    RunKind.HOTSPOTS: HotspotsForm,
    RunKind.NEARREPEAT: NearRepeatForm,
    RunKind.EMERGING: EmergingForm,
    RunKind.FORECAST: ForecastForm,
    RunKind.BACKTEST: BacktestForm,
}


def form_for(kind: str, dataset: Dataset, data: Any = None) -> RunForm:
    """Return the parameter form of ``kind`` for ``dataset``, bound to ``data`` if given."""
    try:
        cls = FORMS[kind]
    except KeyError:
        raise ValidationError(
            _("Unknown analysis %(kind)s; accepted: %(accepted)s."),
            params={"kind": kind, "accepted": ", ".join(FORMS)},
        ) from None
    return cls(data, dataset=dataset)

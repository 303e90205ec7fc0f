"""Forms of proximity policing: new beat plans, patrol plans and visit logs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prossima.incidents.models import Dataset
from prossima.policing.actions import DEFAULT_MINUTES_PER_VISIT, DEFAULT_WEIGHTS


class BeatPlanForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, initial=_("Neighbourhood beats"))
    n_beats = forms.IntegerField(label=_("Number of beats"), min_value=1, max_value=200, initial=8)
    dataset = forms.ModelChoiceField(
        label=_("Incidents used for the workload"), queryset=Dataset.objects.none(), required=False
    )
    cell_size = forms.FloatField(
        label=_("Cell side (m)"),
        min_value=100,
        max_value=1000,
        initial=250,
        help_text=_("Beats are made of square cells of this side."),
    )
    weight_risk = forms.FloatField(
        label=_("Weight of forecast risk"),
        min_value=0,
        max_value=1,
        initial=DEFAULT_WEIGHTS["risk"],
    )
    weight_incidents = forms.FloatField(
        label=_("Weight of last year's incidents"),
        min_value=0,
        max_value=1,
        initial=DEFAULT_WEIGHTS["incidents"],
    )
    weight_area = forms.FloatField(
        label=_("Weight of area"), min_value=0, max_value=1, initial=DEFAULT_WEIGHTS["area"]
    )
    keep_subareas = forms.BooleanField(
        label=_("Keep each sub-area (quartiere) in one beat"), required=False
    )

    def __init__(self, *args: Any, tenant: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["dataset"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Dataset.objects.filter(tenant=tenant)
        for f in self.fields.values():
            if not isinstance(f.widget, forms.CheckboxInput):
                f.widget.attrs.setdefault(
                    "class", "form-select" if isinstance(f.widget, forms.Select) else "form-control"
                )


def _tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


class PatrolPlanForm(forms.Form):
    day = forms.DateField(
        label=_("Day"),
        initial=_tomorrow,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    start = forms.TimeField(
        label=_("Shift starts"),
        initial=dt.time(14, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end = forms.TimeField(
        label=_("Shift ends"),
        initial=dt.time(20, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    minutes_per_visit = forms.IntegerField(
        label=_("Minutes per visit"),
        min_value=5,
        max_value=60,
        initial=DEFAULT_MINUTES_PER_VISIT,
        help_text=_("About 15 minutes keeps the deterrent effect longest (Koper 1995)."),
    )
    visits_per_box = forms.IntegerField(
        label=_("Visits per box in the shift"), min_value=1, max_value=6, initial=2
    )
    notes = forms.CharField(label=_("Briefing notes"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.widget.attrs.setdefault("class", "form-control")

    def shift(self) -> tuple[dt.datetime, dt.datetime]:
        """Return the shift's aware start and end; a shift ending after midnight ends next day."""
        tz = timezone.get_current_timezone()
        day = self.cleaned_data["day"]
        start = dt.datetime.combine(day, self.cleaned_data["start"], tzinfo=tz)
        end = dt.datetime.combine(day, self.cleaned_data["end"], tzinfo=tz)
        if end <= start:
            end += dt.timedelta(days=1)
        return start, end


class VisitForm(forms.Form):
    arrived = forms.TimeField(
        label=_("Arrived at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    minutes = forms.IntegerField(label=_("Minutes in the box"), min_value=1, max_value=480)
    people_met = forms.IntegerField(
        label=_("People spoken with"),
        min_value=0,
        max_value=500,
        initial=0,
        help_text=_("A number only: no names."),
    )
    problems = forms.CharField(
        label=_("Problems seen"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Places and things (a broken light, a blocked exit), never people."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.widget.attrs.setdefault("class", "form-control")

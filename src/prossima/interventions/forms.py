"""Forms of projects and their impact evaluations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation
from prossima.incidents.models import CitizenReport, Dataset
from prossima.interventions.models import ProjectKind
from prossima.web.forms import style_fields


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ProjectKind.choices)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    start_date = forms.DateField(
        label=_("Start"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end_date = forms.DateField(
        label=_("End"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    dataset = forms.ModelChoiceField(
        label=_("Incidents for the evaluation"), queryset=Dataset.objects.none(), required=False
    )
    budget_eur = forms.DecimalField(
        label=_("Budget (EUR)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Partners"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    reports = forms.ModelMultipleChoiceField(
        label=_("Linked citizen reports"),
        queryset=CitizenReport.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("Reports of the comune that the project answers."),
    )
    area = forms.CharField(
        label=_("Area (GeoJSON)"),
        widget=forms.Textarea(attrs={"rows": 3, "data-area-target": "1"}),
        help_text=_("Click the corners of the area on the map, or paste a GeoJSON Polygon."),
    )

    def __init__(self, *args: Any, tenant: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dataset = self.fields["dataset"]
        partners = self.fields["partners"]
        assert isinstance(dataset, forms.ModelChoiceField)
        assert isinstance(partners, forms.ModelChoiceField)
        dataset.queryset = Dataset.objects.filter(tenant=tenant)
        partners.queryset = Organisation.objects.exclude(pk=tenant.pk).order_by("name")
        reports = self.fields["reports"]
        assert isinstance(reports, forms.ModelChoiceField)
        reports.queryset = CitizenReport.objects.filter(tenant=tenant).order_by("-created_at")
        style_fields(self)


class EvaluationForm(forms.Form):
    control_area = forms.CharField(
        label=_("Control area (GeoJSON)"),
        widget=forms.Textarea(attrs={"rows": 3, "data-area-target": "1"}),
        help_text=_(
            "A comparable area where nothing changed: pick a suggestion, click its corners "
            "on the map, or paste a GeoJSON Polygon."
        ),
    )
    control_label = forms.CharField(label=_("Name of the control area"), required=False)
    buffer_m = forms.FloatField(
        label=_("Catchment around the project area (m)"),
        min_value=50,
        max_value=2000,
        initial=250,
        help_text=_("Where displacement or a diffusion of benefits would show."),
    )
    months_before = forms.IntegerField(
        label=_("Months before the start"), min_value=3, max_value=60, initial=12
    )
    months_after = forms.IntegerField(
        label=_("Months after the start"), min_value=1, max_value=60, initial=12
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

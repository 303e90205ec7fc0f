"""Forms of the research extracts: asking for one, and deciding on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation
from prossima.reports.actions.research import DEFAULT_VALIDITY
from prossima.reports.indicators import INDICATORS
from prossima.reports.models import IndicatorValue, Level, RequestStatus
from prossima.territory.models import Region
from prossima.web.forms import StyledMixin


def indicator_choices() -> list[tuple[str, str]]:
    """Return the indicators to choose from, restricted ones marked."""
    return [
        (i.code, f"{i.label}" if i.public else f"{i.label} ({_('police data')})")
        for i in INDICATORS
    ]


class RequestForm(StyledMixin, forms.Form):
    """What a researcher asks for: indicators, years, level, optionally one region."""

    organisation = forms.ModelChoiceField(
        label=_("On behalf of"), queryset=Organisation.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    purpose = forms.CharField(
        label=_("Purpose"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "The research question and why these data answer it. It is recorded with "
            "the request and shown to whoever decides on it."
        ),
    )
    indicators = forms.MultipleChoiceField(
        label=_("Indicators"), widget=forms.CheckboxSelectMultiple
    )
    years = forms.TypedMultipleChoiceField(
        label=_("Years"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    level = forms.ChoiceField(
        label=_("Level"), choices=Level.choices, initial=Level.COMUNE, widget=forms.RadioSelect
    )
    region = forms.ModelChoiceField(
        label=_("Only this region"),
        queryset=Region.objects.order_by("name"),
        required=False,
        empty_label=_("All regions"),
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            pk__in=[o.pk for o in organisations]
        ).order_by("name")
        self.fields["indicators"].choices = indicator_choices()  # type: ignore[attr-defined]
        years = sorted(
            set(IndicatorValue.objects.values_list("year", flat=True).distinct()), reverse=True
        )
        self.fields["years"].choices = [(y, str(y)) for y in years]  # type: ignore[attr-defined]


class DecisionForm(StyledMixin, forms.Form):
    """A decision on a request: approve until a date, or reject with a note."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (RequestStatus.APPROVED, _("Approve")),
            (RequestStatus.REJECTED, _("Reject")),
        ],
        widget=forms.RadioSelect,
    )
    expires_on = forms.DateField(
        label=_("Downloads allowed until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("One year from today unless you choose otherwise."),
    )
    decision_note = forms.CharField(
        label=_("Note to the requester"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when rejecting."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today: dt.date = timezone.localdate()
        self.fields["expires_on"].initial = today + DEFAULT_VALIDITY

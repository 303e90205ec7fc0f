"""Forms of the services directory and of referrals."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation
from prossima.inclusion.models import (
    AgeBand,
    ReferralStatus,
    Service,
    ServiceKind,
    TargetGroup,
)
from prossima.inclusion.referrals import TRANSITIONS, validate_case_code


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            continue
        widget.attrs.setdefault(
            "class", "form-select" if isinstance(widget, forms.Select) else "form-control"
        )


class ServiceFilterForm(forms.Form):
    tenant = forms.ModelChoiceField(
        label=_("Comune"), queryset=Organisation.objects.none(), required=False,
        to_field_name="slug", empty_label=_("All"),
    )  # fmt: skip
    target_group = forms.ChoiceField(
        label=_("For"), choices=[("", _("All")), *TargetGroup.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All")), *ServiceKind.choices], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tenant = self.fields["tenant"]
        assert isinstance(tenant, forms.ModelChoiceField)
        tenant.queryset = Organisation.objects.filter(
            pk__in=Service.objects.filter(active=True).values("tenant")
        ).order_by("name")
        _style(self)


class ServiceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    provider = forms.ModelChoiceField(
        label=_("Provider organisation"), queryset=Organisation.objects.none()
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ServiceKind.choices)
    target_groups = forms.MultipleChoiceField(
        label=_("Target groups"), choices=TargetGroup.choices,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    eligibility = forms.CharField(
        label=_("Who can use it"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    contact = forms.CharField(label=_("Contact"), max_length=300, required=False)
    capacity = forms.IntegerField(label=_("Places"), required=False, min_value=0)
    accepts_referrals = forms.BooleanField(
        label=_("Accepts referrals of young people at risk"), required=False
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provider = self.fields["provider"]
        assert isinstance(provider, forms.ModelChoiceField)
        provider.queryset = Organisation.objects.order_by("name")
        _style(self)


class ReferralForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none())
    case_code = forms.CharField(
        label=_("Case code"),
        max_length=40,
        help_text=_(
            "A code of your own, e.g. SS-2026-014: 3 to 40 letters, digits and _ . / -, with "
            "at least one digit and no more than four letters in a row. Never a name, a birth "
            "date or a tax code."
        ),
    )
    age_band = forms.ChoiceField(label=_("Age band"), choices=AgeBand.choices)
    target_group = forms.ChoiceField(
        label=_("Target group"), choices=TargetGroup.choices, initial=TargetGroup.YOUTH
    )
    reason = forms.CharField(
        label=_("Reason for the referral"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needs and goals, without details that identify the person."),
    )

    def __init__(self, *args: Any, tenant: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = self.fields["service"]
        assert isinstance(service, forms.ModelChoiceField)
        service.queryset = Service.objects.filter(
            tenant=tenant, active=True, accepts_referrals=True
        ).order_by("name")
        _style(self)

    def clean_case_code(self) -> str:
        try:
            return validate_case_code(self.cleaned_data["case_code"])
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["case_code"]) from None


class ReferralStepForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=ReferralStatus.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What happened, without details that identify the person."),
    )

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        allowed = TRANSITIONS.get(current, frozenset())
        status.choices = [(v, label) for v, label in ReferralStatus.choices if v in allowed]
        _style(self)

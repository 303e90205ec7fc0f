"""Forms of the privacy pages: erasing one's account and exporting an audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation

MAX_EXPORT_DAYS = 366 * 5


class ErasureForm(forms.Form):
    """Ask for the password and an explicit confirmation before erasing the account."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account is erased for good and cannot be restored."),
        required=True,
    )


class AuditExportForm(forms.Form):
    """Choose the organisation, the days and the format of an audit-log export."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("All organisations"),
    )
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=[("csv", "CSV"), ("json", "JSON")], initial="csv"
    )

    def __init__(self, *args: Any, organisations: list[Organisation], all_allowed: bool,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organisation.objects.filter(pk__in=[o.pk for o in organisations])
        # Only platform administrators may export every organisation's events at once.
        field.required = not all_allowed
        if not all_allowed:
            field.empty_label = None
        for name, widget_field in self.fields.items():
            css = "form-select" if name in ("organisation", "format") else "form-control"
            widget_field.widget.attrs.setdefault("class", css)
        today = timezone.localdate()
        self.fields["start"].initial = today - dt.timedelta(days=30)
        self.fields["end"].initial = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The last day comes before the first day."))
            elif (end - start).days > MAX_EXPORT_DAYS:
                self.add_error(
                    "end",
                    _("Export at most %(days)s days at a time.") % {"days": MAX_EXPORT_DAYS},
                )
        return data

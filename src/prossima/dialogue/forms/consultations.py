"""Forms of consultations, proposals, comments, answers, moderation and pledges."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation
from prossima.dialogue.models import (
    Answer,
    Consultation,
    FlagReason,
    PhaseKind,
    PledgeKind,
)
from prossima.web.forms import StyledMixin

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ConsultationForm(StyledMixin, forms.ModelForm):
    """The consultation's text, territory, audience and moderation, with one row per phase."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False
    )
    field_order = ["organisation"]

    class Meta:
        model = Consultation
        fields = [
            "title",
            "summary",
            "description",
            "scope",
            "comune",
            "subareas",
            "access",
            "invited",
            "moderate_first",
            "hide_after_flags",
            "published",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "subareas": forms.CheckboxSelectMultiple,
            "invited": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(
        self,
        *args: Any,
        organisations: list[Organisation],
        creating: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.phase_rows: list[tuple[str, Any, str, str, str]] = []
        comune_ids: set[int] = {
            c for c in (o.governing_comune_id() for o in organisations) if c is not None
        }
        if self.instance.pk and self.instance.comune_id:
            comune_ids.add(self.instance.comune_id)
        from prossima.territory.models import Comune, SubArea

        self.fields["comune"].queryset = Comune.objects.filter(pk__in=comune_ids)  # type: ignore[attr-defined]
        self.fields["subareas"].queryset = SubArea.objects.filter(comune_id__in=comune_ids)  # type: ignore[attr-defined]
        self.fields["invited"].queryset = Organisation.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["invited"].required = False
        self.fields["subareas"].required = False
        if creating:
            self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
                pk__in=[o.pk for o in organisations]
            )
            self.fields["organisation"].required = True
            if len(organisations) == 1:
                self.fields["organisation"].initial = organisations[0].pk
        else:
            del self.fields["organisation"]
        existing = {}
        if self.instance.pk:
            existing = {p.kind: p for p in self.instance.phases.all()}
        for kind, label in PhaseKind.choices:
            phase = existing.get(kind)
            self.fields[f"{kind}_starts_on"] = forms.DateField(
                label=_("From"), required=False, widget=DATE, initial=phase and phase.starts_on
            )
            self.fields[f"{kind}_ends_on"] = forms.DateField(
                label=_("To"), required=False, widget=DATE, initial=phase and phase.ends_on
            )
            self.fields[f"{kind}_description"] = forms.CharField(
                label=_("What happens"),
                required=False,
                max_length=1000,
                initial=phase.description if phase else "",
            )
            for suffix in ("starts_on", "ends_on", "description"):
                self.fields[f"{kind}_{suffix}"].widget.attrs.setdefault("class", "form-control")
            self.phase_rows.append(
                (kind, label, f"{kind}_starts_on", f"{kind}_ends_on", f"{kind}_description")
            )

    def phases(self) -> list[dict[str, Any]]:
        """Return the phases filled in (a row with any date counts)."""
        result = []
        for kind, _label, start, end, description in self.phase_rows:
            starts_on: dt.date | None = self.cleaned_data.get(start)
            ends_on: dt.date | None = self.cleaned_data.get(end)
            if starts_on or ends_on:
                result.append(
                    {
                        "kind": kind,
                        "starts_on": starts_on,
                        "ends_on": ends_on,
                        "description": self.cleaned_data.get(description, ""),
                    }
                )
        return result

    def main_fields(self) -> list[Any]:
        """Return the bound fields other than the phase rows, in order."""
        phase_fields = {name for row in self.phase_rows for name in row[2:]}
        return [self[name] for name in self.fields if name not in phase_fields]

    def bound_phase_rows(self) -> list[tuple[Any, Any, Any, Any]]:
        """Return (label, start, end, description) bound fields for the template."""
        return [(label, self[s], self[e], self[d]) for _k, label, s, e, d in self.phase_rows]


class DocumentForm(StyledMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("PDF file (at most 10 MB)"))


def _organisation_choices(organisations: list[Organisation], citizen_label: Any) -> list[Any]:
    return [("", citizen_label), *[(o.pk, o.name) for o in organisations]]


class ProposalForm(StyledMixin, forms.Form):
    """A proposal with its optional place on the map and links to public records."""

    title = forms.CharField(label=_("Title"), max_length=150)
    body = forms.CharField(
        label=_("Proposal"),
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("What should be done, where, and why it would make the area safer."),
    )
    organisation = forms.TypedChoiceField(
        label=_("You propose as"), required=False, coerce=int, empty_value=None
    )
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    citizen_reports = forms.TypedMultipleChoiceField(
        label=_("Citizen reports it answers"), required=False, coerce=int
    )
    assets = forms.TypedMultipleChoiceField(
        label=_("Confiscated assets it concerns"), required=False, coerce=int
    )
    practices = forms.TypedMultipleChoiceField(
        label=_("Good practices it builds on"), required=False, coerce=int
    )

    def __init__(
        self,
        *args: Any,
        organisations: list[Organisation],
        reports: list[tuple[int, str]],
        assets: list[tuple[int, str]],
        practices: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = _organisation_choices(  # type: ignore[attr-defined]
            organisations, _("Myself, as a citizen")
        )
        for name, choices in (
            ("citizen_reports", reports),
            ("assets", assets),
            ("practices", practices),
        ):
            self.fields[name].choices = choices  # type: ignore[attr-defined]
            self.fields[name].widget.attrs["size"] = min(6, max(2, len(choices)))
            if not choices:
                del self.fields[name]


class CommentForm(StyledMixin, forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    organisation = forms.TypedChoiceField(
        label=_("You write as"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organisations:
            self.fields["organisation"].choices = _organisation_choices(  # type: ignore[attr-defined]
                organisations, _("Myself")
            )
        else:
            del self.fields["organisation"]


class AnswerForm(StyledMixin, forms.Form):
    answer = forms.ChoiceField(
        label=_("Answer"),
        choices=[(a.value, a.label) for a in Answer if a.value],
        widget=forms.RadioSelect,
    )
    answer_text = forms.CharField(
        label=_("Official answer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Required when the proposal is rejected: say why."),
    )
    project = forms.TypedChoiceField(
        label=_("Project that carries it out"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, projects: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", _("No project yet")), *projects]  # type: ignore[attr-defined]


class FlagForm(StyledMixin, forms.Form):
    reason = forms.ChoiceField(label=_("Why"), choices=FlagReason.choices)
    note = forms.CharField(label=_("Details (optional)"), max_length=500, required=False)


class ModerateForm(StyledMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("publish", _("Publish as it is (the reports are not founded)")),
            ("edit", _("Publish with my edits (the original is kept)")),
            ("hide", _("Hide")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (shown to the author when hidden)"), max_length=300, required=False
    )
    title = forms.CharField(label=_("Title"), max_length=150, required=False)
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    block_author = forms.BooleanField(label=_("Also block the author from posting"), required=False)
    block_reason = forms.CharField(
        label=_("Why the author is blocked"), max_length=300, required=False
    )


class PledgeForm(StyledMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation that pledges"), queryset=Organisation.objects.none()
    )
    kind = forms.ChoiceField(label=_("What you pledge"), choices=PledgeKind.choices)
    amount_eur = forms.DecimalField(
        label=_("Amount (EUR)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    hours = forms.IntegerField(label=_("Volunteer hours"), required=False, min_value=1)
    description = forms.CharField(
        label=_("What is offered, when and on which conditions"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    public = forms.BooleanField(
        label=_("We agree that our name and contribution are shown publicly once accepted"),
        required=False,
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            pk__in=[o.pk for o in organisations]
        )
        if len(organisations) == 1:
            self.fields["organisation"].initial = organisations[0].pk


class PledgeMoveForm(forms.Form):
    state = forms.CharField(max_length=16)
    note = forms.CharField(max_length=300, required=False)

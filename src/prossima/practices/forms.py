"""Forms of the practices: writing one, reviewing it, documents, and finding similar places."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext_lazy as _

from prossima.practices.actions import REVIEW_CHECKLIST
from prossima.practices.models import Decision, InterventionType, Practice, TargetGroup
from prossima.practices.queries import problem_label, problem_labels
from prossima.territory.models import Comune
from prossima.territory.queries import find_comune
from prossima.web.forms import StyledMixin, style_fields

MODEL_FIELDS = (
    "language",
    "title",
    "summary",
    "translated_title",
    "translated_summary",
    "problem_description",
    "country",
    "place",
    "region",
    "population",
    "area_type",
    "mechanism",
    "implementation",
    "partners",
    "cost",
    "cost_eur",
    "start_year",
    "duration",
    "contact",
    "outcomes",
    "effect",
    "effect_strength",
    "mechanism_evidence",
    "mechanism_strength",
    "moderators",
    "moderators_strength",
    "implementation_evidence",
    "implementation_strength",
    "economic",
    "economic_strength",
    "rating",
    "project",
)
FIELDSETS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (
        _("The practice"),
        ("language", "title", "summary", "translated_title", "translated_summary"),
    ),
    (
        _("Problem and people"),
        ("problems", "problem_description", "target_groups", "intervention_types"),
    ),
    (
        _("Where"),
        ("country", "place", "comune", "region", "population", "area_type"),
    ),
    (
        _("What was done"),
        (
            "mechanism",
            "implementation",
            "partners",
            "start_year",
            "duration",
            "cost",
            "cost_eur",
            "contact",
        ),
    ),
    (_("Results and sources"), ("outcomes", "links")),
    (
        _("Evidence (EMMIE)"),
        (
            "effect",
            "effect_strength",
            "mechanism_evidence",
            "mechanism_strength",
            "moderators",
            "moderators_strength",
            "implementation_evidence",
            "implementation_strength",
            "economic",
            "economic_strength",
            "rating",
        ),
    ),
    (_("On the platform"), ("project",)),
)
EMMIE_HELP = {
    "effect": _("Did crime or harm go down, by how much, and how sure is it?"),
    "mechanism_evidence": _("What does the evidence say about how it works?"),
    "moderators": _("Where and for whom does it work, or not?"),
    "implementation_evidence": _("What makes it hard or easy to put in place?"),
    "economic": _("What does it cost, and what does it save?"),
    "rating": _(
        "Effective or no/negative effect: consistent evidence from evaluations with a "
        "comparison. Promising: some evidence of an effect. Insufficient: not yet evaluated."
    ),
}


def _links_text(links: list[dict[str, str]]) -> str:
    return "\n".join(f"{link.get('title', '')} | {link.get('url', '')}" for link in links or [])


class PracticeForm(forms.Form):
    """The content of a practice; :meth:`content` gives the fields for the actions."""

    problems = forms.MultipleChoiceField(
        label=_("Problems addressed"), required=False, widget=forms.CheckboxSelectMultiple
    )
    target_groups = forms.MultipleChoiceField(
        label=_("Target groups"),
        required=False,
        choices=TargetGroup.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    intervention_types = forms.MultipleChoiceField(
        label=_("Intervention types"),
        required=False,
        choices=InterventionType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    comune = forms.CharField(
        label=_("Comune"),
        required=False,
        max_length=120,
        help_text=_("Name or ISTAT code, for a practice of one Italian comune."),
    )
    links = forms.CharField(
        label=_("Sources and links"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line: the title, a vertical bar, the address. "
            "E.g. Evaluation report | https://example.org/report.pdf"
        ),
    )

    def __init__(
        self,
        *args: Any,
        practice: Practice | None = None,
        projects: Any = None,
        **kwargs: Any,
    ) -> None:
        if practice is not None and "initial" not in kwargs:
            initial = model_to_dict(practice, fields=[*MODEL_FIELDS, "problems"])
            initial["target_groups"] = practice.target_groups
            initial["intervention_types"] = practice.intervention_types
            initial["comune"] = practice.comune.istat_code if practice.comune else ""
            initial["links"] = _links_text(practice.links)
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        model_fields = fields_for_model(Practice, fields=MODEL_FIELDS)
        for name, field in model_fields.items():
            if name in EMMIE_HELP:
                field.help_text = EMMIE_HELP[name]
            self.fields[name] = field
        self.fields["problems"].choices = [  # type: ignore[attr-defined]
            (code, problem_label(code)) for code in problem_labels()
        ]
        project_field = self.fields["project"]
        project_field.queryset = projects if projects is not None else project_field.queryset.none()  # type: ignore[attr-defined]
        project_field.help_text = _(
            "A project of your organisation on the platform: its measured impact is shown "
            "on the practice page once the project is published."
        )
        style_fields(self)

    def clean_comune(self) -> Comune | None:
        text = self.cleaned_data.get("comune", "").strip()
        if not text:
            return None
        comune, reason = find_comune(text)
        if comune is None:
            raise forms.ValidationError(reason)
        return comune

    def clean_country(self) -> str:
        code = (self.cleaned_data.get("country") or "").strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise forms.ValidationError(_("Write the two-letter ISO code, e.g. IT or GB."))
        return code

    def clean_links(self) -> list[dict[str, str]]:
        links: list[dict[str, str]] = []
        errors: list[str] = []
        for n, line in enumerate((self.cleaned_data.get("links") or "").splitlines(), start=1):
            if not line.strip():
                continue
            title, bar, url = line.rpartition("|")
            if not bar:
                title, url = "", line
            url = url.strip()
            if not url.startswith(("https://", "http://")):
                errors.append(
                    str(_("Line %(n)d: the address must start with https:// or http://."))
                    % {"n": n}
                )
                continue
            links.append({"title": title.strip() or url, "url": url})
        if errors:
            raise forms.ValidationError(errors)
        return links

    def fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """Return the fields grouped as the page shows them."""
        return [(legend, [self[name] for name in names]) for legend, names in FIELDSETS]

    def content(self) -> dict[str, Any]:
        """Return the cleaned content, named as the actions expect."""
        data = dict(self.cleaned_data)
        return {
            name: data[name]
            for name in (
                *MODEL_FIELDS,
                "problems",
                "target_groups",
                "intervention_types",
                "comune",
                "links",
            )
        }


class ReviewForm(StyledMixin, forms.Form):
    """A reviewer's decision with the checklist."""

    checklist = forms.MultipleChoiceField(
        label=_("Checklist"),
        required=False,
        choices=REVIEW_CHECKLIST,
        widget=forms.CheckboxSelectMultiple,
    )
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment for the authors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Needed when you request changes."),
    )


class DocumentForm(StyledMixin, forms.Form):
    title = forms.CharField(label=_("Title of the document"), max_length=200)
    file = forms.FileField(
        label=_("PDF file"),
        help_text=_("At most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )


class WithdrawForm(StyledMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is the practice withdrawn?"), widget=forms.Textarea(attrs={"rows": 3})
    )


class LikeMineForm(StyledMixin, forms.Form):
    """Which comune to compare with, and which problems matter there."""

    comune = forms.CharField(
        label=_("Your comune"), max_length=120, help_text=_("Name or ISTAT code.")
    )
    problems = forms.MultipleChoiceField(
        label=_("Problems that matter there"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Used when the comune has no incident data on the platform you may see."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problems"].choices = [  # type: ignore[attr-defined]
            (code, problem_label(code)) for code in problem_labels()
        ]

    def clean_comune(self) -> Comune:
        comune, reason = find_comune(self.cleaned_data.get("comune", ""))
        if comune is None:
            raise forms.ValidationError(reason)
        return comune

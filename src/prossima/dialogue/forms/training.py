"""Forms of the training: a course, its modules and sessions, enrolment and attendance."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation
from prossima.dialogue.actions.training import COURSE_FIELDS
from prossima.dialogue.models import Course, CourseModule, CourseSession
from prossima.web.forms import StyledMixin, style_fields

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


class CourseForm(forms.Form):
    """A course's own fields; :meth:`content` gives them as the actions expect."""

    invited = forms.ModelMultipleChoiceField(
        label=_("Invited organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Used when the course is open to members and invited organisations."),
    )

    def __init__(self, *args: Any, course: Course | None = None, **kwargs: Any) -> None:
        if course is not None and "initial" not in kwargs:
            initial = model_to_dict(course, fields=list(COURSE_FIELDS))
            initial["invited"] = list(course.invited.values_list("pk", flat=True))
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for name, field in fields_for_model(Course, fields=list(COURSE_FIELDS)).items():
            self.fields[name] = field
        self.fields["description"].widget = forms.Textarea(attrs={"rows": 5})
        self.fields["summary"].widget = forms.Textarea(attrs={"rows": 2})
        invited = self.fields["invited"]
        others = Organisation.objects.order_by("name")
        if course is not None:
            others = others.exclude(pk=course.organisation_id)
        invited.queryset = others  # type: ignore[attr-defined]
        # The invited organisations come last, after "open to".
        self.fields["invited"] = self.fields.pop("invited")
        style_fields(self)

    def content(self) -> dict[str, Any]:
        """Return the cleaned fields, named as the actions expect."""
        data = dict(self.cleaned_data)
        content = {name: data[name] for name in COURSE_FIELDS}
        content["invited"] = list(data.get("invited") or [])
        return content


class ModuleForm(StyledMixin, forms.Form):
    """A module of the programme."""

    title = forms.CharField(label=_("Title of the module"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=32767,
        required=False,
        help_text=_("Empty: at the end of the programme."),
    )

    @classmethod
    def for_module(cls, module: CourseModule, **kwargs: Any) -> ModuleForm:
        """Return the form filled in with a module's values."""
        return cls(
            initial={
                "title": module.title,
                "description": module.description,
                "order": module.order,
            },
            prefix=f"module-{module.pk}",
            **kwargs,
        )


class SessionForm(StyledMixin, forms.Form):
    """A dated session, in a place or online, possibly part of a module."""

    module = forms.ModelChoiceField(
        label=_("Module"),
        queryset=CourseModule.objects.none(),
        required=False,
        empty_label=_("No module"),
    )
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=_datetime_widget(), input_formats=[DATETIME_FORMAT]
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=_datetime_widget(), input_formats=[DATETIME_FORMAT]
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    online_url = forms.URLField(label=_("Online link"), required=False, assume_scheme="https")

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = course.modules.order_by("order", "pk")  # type: ignore[attr-defined]

    @classmethod
    def for_session(cls, session: CourseSession, **kwargs: Any) -> SessionForm:
        """Return the form filled in with a session's values."""
        return cls(
            initial={
                "module": session.module_id,
                "starts_at": session.starts_at,
                "ends_at": session.ends_at,
                "place": session.place,
                "online_url": session.online_url,
            },
            course=session.course,
            prefix=f"session-{session.pk}",
            **kwargs,
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The session must end after it starts."))
        return data

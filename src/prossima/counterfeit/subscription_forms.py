"""Forms of the alert subscriptions: sign up, change the categories."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from prossima.counterfeit.models import ProductCategory
from prossima.web.forms import StyledMixin


def _categories_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Categories"),
        choices=ProductCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("You receive the new alerts of the categories you tick."),
        error_messages={"required": _("Choose at least one category.")},
    )


class SubscribeForm(StyledMixin, forms.Form):
    """Sign up for the alerts: address, categories and consent."""

    email = forms.EmailField(label=_("E-mail"), max_length=254)
    categories = _categories_field()
    consent = forms.BooleanField(
        label=_(
            "I agree that my e-mail address is used only to send me these alerts and the "
            "links to manage them; it is deleted as soon as I unsubscribe."
        ),
        error_messages={"required": _("Your agreement is needed to send you the alerts.")},
    )


class ManageSubscriptionForm(StyledMixin, forms.Form):
    """Change the categories of a subscription."""

    categories = _categories_field()

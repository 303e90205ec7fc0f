"""Forms of the awareness campaigns: a campaign, the filter of the list, the import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation
from prossima.counterfeit.models import Audience, Campaign, Channel, ProductCategory
from prossima.counterfeit.seizure_forms import DATE, ImportForm
from prossima.web.forms import StyledMixin

__all__ = ["CampaignFilterForm", "CampaignForm", "CampaignImportForm"]


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class CampaignForm(StyledMixin, forms.Form):
    """A campaign: what, for whom, through which channels, when, and whom it reached.

    The rules (an end not before the start, at least one channel) are checked
    when it is saved, so that the form and the import say the same.
    """

    topic = forms.CharField(label=_("Topic"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    product_category = forms.ChoiceField(
        label=_("Product category"),
        choices=_blank(ProductCategory.choices),
        required=False,
        help_text=_("When the campaign is about one kind of product."),
    )
    audience = forms.ChoiceField(label=_("Target audience"), choices=_blank(Audience.choices))
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    people_reached = forms.IntegerField(
        label=_("People reached"),
        required=False,
        help_text=_("Leave empty until the reach is known."),
    )
    reach_notes = forms.CharField(
        label=_("How the reach was measured"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("e.g. leaflets handed out, views of the posts, pupils in the lessons."),
    )

    @staticmethod
    def initial_for(campaign: Campaign) -> dict[str, Any]:
        """Return the form's initial values for a campaign already recorded."""
        return {
            "topic": campaign.topic,
            "description": campaign.description,
            "product_category": campaign.product_category,
            "audience": campaign.audience,
            "channels": list(campaign.channels),
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "people_reached": campaign.people_reached,
            "reach_notes": campaign.reach_notes,
        }


class CampaignFilterForm(StyledMixin, forms.Form):
    """The filters of the public list: the comune (tenant) and the audience."""

    tenant = forms.ChoiceField(label=_("Comune"), required=False)
    audience = forms.ChoiceField(
        label=_("Target audience"), choices=_blank(Audience.choices), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tenants = Organisation.objects.filter(counterfeit_campaigns__isnull=False).distinct()
        field = self.fields["tenant"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _blank((t.slug, t.name) for t in tenants.order_by("name"))


class CampaignImportForm(ImportForm):
    """A CSV of campaigns, one row each."""

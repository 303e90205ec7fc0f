"""The modules of the platform (see DESIGN.md) and whether each is built yet."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Module:
    """One module of the platform as shown in the navigation."""

    slug: str
    title: str | Promise
    summary: str | Promise
    agreement: str | Promise
    url_name: str = ""  # set when the module is built; empty means "not built yet"

    @property
    def built(self) -> bool:
        """Return whether the module has working pages."""
        return bool(self.url_name)


MODULES: tuple[Module, ...] = (
    Module(
        "incidents",
        _("Incidents and analysis"),
        _(
            "Import incident data, find hotspots and near-repeat patterns, forecast where "
            "harm is likely next, with public maps aggregated for privacy."
        ),
        _("Crime prevention and reduction of vulnerabilities, grounded in evidence."),
        "incidents:index",
    ),
    Module(
        "policing",
        _("Proximity policing"),
        _(
            "Neighbourhood-officer beats, patrol plans with suggested dwell times, and "
            "officers' visit logs."
        ),
        _("Proximity policing by local police and pilot projects."),
        "policing:index",
    ),
    Module(
        "interventions",
        _("Interventions"),
        _(
            "Pilot and requalification projects following Scanning, Analysis, Response, "
            "Assessment, with impact evaluation."
        ),
        _("Urban security through urban development and requalification projects."),
        "interventions:index",
    ),
    Module(
        "inclusion",
        _("Inclusion"),
        _(
            "Vulnerability indices, safety walks and services and referrals for young "
            "people at risk."
        ),
        _("Less vulnerability for women, elderly, migrants, youth and minors at risk."),
        "inclusion:index",
    ),
    Module(
        "assets",
        _("Confiscated assets"),
        _(
            "Registry of assets confiscated from organised crime, their reuse, and the "
            "public list every comune must publish."
        ),
        _("Reuse of assets confiscated from organised crime."),
        "assets:index",
    ),
    Module(
        "counterfeit",
        _("Counterfeiting"),
        _(
            "Seizures of counterfeit and unsafe goods, product-safety alerts and awareness "
            "campaigns."
        ),
        _("Fight against counterfeiting and product safety."),
        "counterfeit:index",
    ),
    Module(
        "practices",
        _("Good practices"),
        _(
            "A searchable knowledge base of prevention practices rated by the strength of "
            "their evidence."
        ),
        _("Exchange of good practices and shared knowledge."),
        "practices:index",
    ),
    Module(
        "dialogue",
        _("Participation"),
        _("Consultations, proposals, pledges of resources, meetings of mayors and training."),
        _("Participatory dialogue between institutions, communities and private sector."),
        "dialogue:index",
    ),
    Module(
        "reports",
        _("Indicators and open data"),
        _(
            "Indicators per comune, comparisons between similar comuni, yearly reports and "
            "the open-data catalogue."
        ),
        _("Comparison between cities and better local services."),
        "reports:index",
    ),
)


def module_by_slug(slug: str) -> Module | None:
    """Return the module with this slug, or None."""
    return next((m for m in MODULES if m.slug == slug), None)

"""DCAT-AP_IT metadata (JSON-LD) of the public lists of confiscated assets.

DCAT-AP_IT is the Italian profile of DCAT-AP that dati.gov.it harvests. Each
comune's list is one ``dcatapit:Dataset`` with three distributions (CSV, JSON,
GeoJSON); frequency, theme, language, file types and licence use the EU
controlled vocabularies the profile requires.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from prossima.accounts.models import Organisation, OrganisationKind
from prossima.assets.models import Asset
from prossima.assets.queries import last_updated
from prossima.territory.models import Comune

EU = "http://publications.europa.eu/resource/authority"
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatapit": "http://dati.gov.it/onto/dcatapit#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "locn": "http://www.w3.org/ns/locn#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
FORMATS = {"csv": "CSV", "json": "JSON", "geojson": "GEOJSON"}


def _agent(comune: Comune, organisation: Organisation | None) -> dict[str, Any]:
    name = organisation.name if organisation else f"Comune di {comune.name}"
    identifier = (organisation.ipa_code if organisation else "") or comune.istat_code
    return {
        "@type": ["foaf:Agent", "dcatapit:Agent"],
        "foaf:name": name,
        "dct:identifier": identifier,
    }


def dataset(request: HttpRequest, comune: Comune, modified: dt.datetime | None) -> dict[str, Any]:
    """Return the DCAT-AP_IT Dataset of a comune's public list, with its @context."""
    return {"@context": CONTEXT, **_dataset(request, comune, modified)}


def _dataset(request: HttpRequest, comune: Comune, modified: dt.datetime | None) -> dict[str, Any]:
    organisation = Organisation.objects.filter(
        kind=OrganisationKind.COMUNE, comune=comune, is_demo=False
    ).first()
    page = request.build_absolute_uri(reverse("assets:public_comune", args=[comune.istat_code]))
    agent = _agent(comune, organisation)
    contact: dict[str, Any] = {
        "@type": ["vcard:Organization", "dcatapit:Organization"],
        "vcard:fn": agent["foaf:name"],
    }
    if organisation is not None and organisation.website:
        contact["vcard:hasURL"] = {"@id": organisation.website}
    title = f"Beni confiscati trasferiti al Comune di {comune.name}"
    return {
        "@id": page,
        "@type": ["dcat:Dataset", "dcatapit:Dataset"],
        "dct:identifier": f"{agent['dct:identifier']}:beni-confiscati",
        "dct:title": [
            {"@language": "it", "@value": title},
            {"@language": "en", "@value": f"Confiscated assets transferred to {comune.name}"},
        ],
        "dct:description": [
            {
                "@language": "it",
                "@value": (
                    "Elenco dei beni confiscati alla criminalità organizzata trasferiti al "
                    "patrimonio del comune (art. 48 c.3 lett. c D.Lgs. 159/2011): consistenza, "
                    "destinazione, utilizzo e, per i beni concessi a terzi, concessionario, "
                    "estremi, oggetto e durata dell'atto di concessione."
                ),
            }
        ],
        "dct:modified": {
            "@type": "xsd:date",
            "@value": (modified.date() if modified else timezone.localdate()).isoformat(),
        },
        "dct:accrualPeriodicity": {"@id": f"{EU}/frequency/MONTHLY"},
        "dcat:theme": [{"@id": f"{EU}/data-theme/GOVE"}, {"@id": f"{EU}/data-theme/JUST"}],
        "dct:language": {"@id": f"{EU}/language/ITA"},
        "dcat:keyword": ["beni confiscati", "riutilizzo sociale", "D.Lgs. 159/2011"],
        "dct:spatial": {
            "@type": "dct:Location",
            "locn:geographicalName": comune.name,
            "dcatapit:geographicalIdentifier": comune.istat_code,
        },
        "dct:publisher": agent,
        "dct:rightsHolder": agent,
        "dcat:contactPoint": contact,
        "dcat:landingPage": {"@id": page},
        "dcat:distribution": [
            {
                "@type": ["dcat:Distribution", "dcatapit:Distribution"],
                "dct:title": f"{title} ({label})",
                "dct:format": {"@id": f"{EU}/file-type/{label}"},
                "dcat:accessURL": {"@id": page},
                "dcat:downloadURL": {
                    "@id": request.build_absolute_uri(
                        reverse("assets:public_download", args=[comune.istat_code, fmt])
                    )
                },
                "dct:license": {
                    "@id": LICENCE,
                    "@type": ["dct:LicenseDocument", "dcatapit:LicenseDocument"],
                    "foaf:name": "CC BY 4.0",
                },
            }
            for fmt, label in FORMATS.items()
        ],
    }


def catalog(request: HttpRequest) -> dict[str, Any]:
    """Return the DCAT-AP_IT Catalog of every comune's list that has assets."""
    comuni = Comune.objects.filter(
        pk__in=Asset.objects.values("comune").annotate(n=Count("pk")).values("comune")
    ).order_by("istat_code")
    home = request.build_absolute_uri(reverse("assets:national"))
    return {
        "@context": CONTEXT,
        "@id": home,
        "@type": ["dcat:Catalog", "dcatapit:Catalog"],
        "dct:title": "Prossima — beni confiscati",
        "dct:description": "Elenchi comunali dei beni confiscati alla criminalità organizzata.",
        "dct:modified": {"@type": "xsd:date", "@value": timezone.localdate().isoformat()},
        "dct:language": {"@id": f"{EU}/language/ITA"},
        "foaf:homepage": {"@id": home},
        "dcat:dataset": [_dataset(request, c, last_updated(c)) for c in comuni],
    }

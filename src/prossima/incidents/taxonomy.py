"""The default Italian incident taxonomy and how known source formats map onto it.

Codes follow the offence groups Italian local police and ISTAT use in crime
statistics; a tenant can add categories and mappings of its own. Sexual and
domestic violence are sensitive: never shown as points, nor in public cells
below the disclosure threshold.
"""

from __future__ import annotations

from typing import NamedTuple


class DefaultCategory(NamedTuple):
    code: str
    label_it: str
    label_en: str
    sensitive: bool = False


DEFAULT_CATEGORIES: tuple[DefaultCategory, ...] = (
    DefaultCategory("furto-abitazione", "Furto in abitazione", "Residential burglary"),
    DefaultCategory("furto-esercizio", "Furto in esercizio commerciale", "Commercial burglary"),
    DefaultCategory("furto-veicolo", "Furto di veicolo", "Vehicle theft"),
    DefaultCategory("furto-da-veicolo", "Furto da veicolo", "Theft from a vehicle"),
    DefaultCategory("furto-con-destrezza", "Borseggio e furto con destrezza", "Pickpocketing"),
    DefaultCategory("furto-altro", "Altro furto", "Other theft"),
    DefaultCategory("rapina", "Rapina", "Robbery"),
    DefaultCategory("lesioni-aggressioni", "Lesioni e aggressioni", "Assault"),
    DefaultCategory("violenza-sessuale", "Violenza sessuale", "Sexual violence", True),
    DefaultCategory(
        "maltrattamenti-famiglia", "Maltrattamenti in famiglia", "Domestic violence", True
    ),
    DefaultCategory(
        "violenza-reati-sessuali",
        "Violenza e reati sessuali",
        "Violence and sexual offences",
        True,
    ),
    DefaultCategory("danneggiamento", "Danneggiamento e vandalismo", "Criminal damage"),
    DefaultCategory("stupefacenti", "Stupefacenti", "Drug offences"),
    DefaultCategory("armi", "Armi", "Weapons"),
    DefaultCategory("ordine-pubblico", "Ordine pubblico e disturbo", "Public order"),
    DefaultCategory("truffa", "Truffa e frode", "Fraud"),
    DefaultCategory(
        "commercio-abusivo",
        "Commercio abusivo e contraffazione",
        "Illegal street trading and counterfeiting",
    ),
    DefaultCategory(
        "comportamento-antisociale", "Comportamento antisociale", "Anti-social behaviour"
    ),
    DefaultCategory("altro", "Altro", "Other"),
)

# Category labels of the formats the analytic core reads, mapped to the default codes.
KNOWN_SOURCE_LABELS: dict[str, str] = {
    # Toronto Police Service, Major Crime Indicators
    "Assault": "lesioni-aggressioni",
    "Break and Enter": "furto-abitazione",
    "Auto Theft": "furto-veicolo",
    "Robbery": "rapina",
    "Theft Over": "furto-altro",
    # data.police.uk street-level crime ("Robbery" as above)
    "Anti-social behaviour": "comportamento-antisociale",
    "Bicycle theft": "furto-altro",
    "Burglary": "furto-abitazione",
    "Criminal damage and arson": "danneggiamento",
    "Drugs": "stupefacenti",
    "Other crime": "altro",
    "Other theft": "furto-altro",
    "Possession of weapons": "armi",
    "Public order": "ordine-pubblico",
    "Shoplifting": "furto-esercizio",
    "Theft from the person": "furto-con-destrezza",
    "Vehicle crime": "furto-da-veicolo",
    # police.uk groups violence with sexual offences: the group is sensitive as a whole.
    "Violence and sexual offences": "violenza-reati-sessuali",
}


class DefaultReportCategory(NamedTuple):
    code: str
    label_it: str
    label_en: str
    sensitive: bool = False


# What citizens report: concerns about places, not crimes to be counted. Drug
# dealing and illegal street trading usually go to the local police, the others
# to the comune's offices; each tenant can route them (ReportRouting).
DEFAULT_REPORT_CATEGORIES: tuple[DefaultReportCategory, ...] = (
    DefaultReportCategory("illuminazione-carente", "Illuminazione carente", "Poor street lighting"),
    DefaultReportCategory("edificio-abbandonato", "Edificio abbandonato", "Abandoned building"),
    DefaultReportCategory(
        "area-degradata", "Area verde o spazio pubblico degradato", "Neglected park or public space"
    ),
    DefaultReportCategory("vandalismo", "Vandalismo e graffiti", "Vandalism and graffiti"),
    DefaultReportCategory("rifiuti-abbandonati", "Rifiuti abbandonati", "Dumped rubbish"),
    DefaultReportCategory("spaccio", "Spaccio di droga", "Drug dealing"),
    DefaultReportCategory("commercio-abusivo", "Commercio abusivo", "Illegal street trading"),
    DefaultReportCategory("molestie", "Molestie", "Harassment", sensitive=True),
    DefaultReportCategory("altro", "Altro", "Other"),
)

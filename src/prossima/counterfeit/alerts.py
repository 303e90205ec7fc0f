"""Unsafe-product alerts: the import of EU Safety Gate exports, and local alerts.

A Safety Gate export is a CSV whose column names change with the language of
the portal and with whoever re-publishes it, so columns are recognised by
name in English or Italian, without regard to case, accents, punctuation or
small words ("Numero d'allerta", "numero di allerta" and "NUMERO ALLERTA" are
one column). Every value is checked; a problem names the line, the column,
the value, and what is accepted. An import is all-or-nothing and matched on
the alert number, so importing the same file again changes nothing. Alerts a
comune publishes itself (source ``local``) are never overwritten by an import.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.accounts.permissions import TENANT_KINDS
from prossima.assets import agency
from prossima.counterfeit.models import (
    AlertSource,
    MeasuresKind,
    ProductAlert,
    ProductCategory,
    RiskLevel,
    RiskType,
)
from prossima.incidents.photos import PhotoError, clean_photo

OBJECT_TYPE = "counterfeit.productalert"

# Words left out when comparing column names and values ("Numero di allerta" = "Numero allerta").
SMALL_WORDS = frozenset(
    {
        "a",
        "and",
        "by",
        "d",
        "da",
        "dal",
        "dalla",
        "dei",
        "degli",
        "del",
        "della",
        "delle",
        "dell",
        "di",
        "e",
        "ed",
        "il",
        "l",
        "la",
        "le",
        "lo",
        "of",
        "per",
        "the",
    }
)


def key(text: str) -> str:
    """Return text as compared: lower case, no accents, punctuation or small words."""
    words = re.sub(r"[^a-z0-9]+", " ", agency.normalise(text)).split()
    return " ".join(w for w in words if w not in SMALL_WORDS)


# Our fields, their labels, and the names exports give their columns, tried in
# order (the first five are shown when a required column is missing).
COLUMNS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "number": (
        gettext_lazy("Alert number"),
        (
            "Alert number",
            "Numero di allerta",
            "Numero allerta",
            "Alert",
            "Alert no",
            "Alert reference",
            "Reference",
            "Reference number",
            "Riferimento",
            "Case number",
            "Numero",
            "Number",
        ),
    ),
    "published_on": (
        gettext_lazy("Date"),
        (
            "Date",
            "Data",
            "Alert date",
            "Data allerta",
            "Publication date",
            "Date of publication",
            "Data di pubblicazione",
            "Published",
            "Published on",
            "Pubblicato il",
            "Notification date",
            "Data di notifica",
        ),
    ),
    "notifying_country": (
        gettext_lazy("Notifying country"),
        (
            "Notifying country",
            "Alert submitted by",
            "Submitted by",
            "Notified by",
            "Paese notificante",
            "Paese che ha notificato",
            "Stato notificante",
            "Stato membro notificante",
            "Notificato da",
            "Segnalato da",
            "Allerta presentata da",
        ),
    ),
    "product_name": (
        gettext_lazy("Product name"),
        (
            "Product name",
            "Nome del prodotto",
            "Nome prodotto",
            "Product",
            "Prodotto",
            "Name",
            "Nome",
        ),
    ),
    "brand": (gettext_lazy("Brand"), ("Brand", "Marca", "Marchio", "Trademark")),
    "model": (
        gettext_lazy("Model or type"),
        (
            "Type/number of model",
            "Model",
            "Model/type",
            "Type/model",
            "Model type",
            "Type",
            "Tipo/numero del modello",
            "Modello",
            "Modello/tipo",
            "Tipo/modello",
            "Tipo",
        ),
    ),
    "category": (
        gettext_lazy("Product category"),
        (
            "Product category",
            "Category",
            "Categoria",
            "Categoria di prodotto",
            "Categoria del prodotto",
            "Categoria prodotto",
        ),
    ),
    "origin_country": (
        gettext_lazy("Country of origin"),
        (
            "Country of origin",
            "Origin",
            "Origin country",
            "Paese di origine",
            "Paese d'origine",
            "Origine",
        ),
    ),
    "counterfeit": (
        gettext_lazy("Counterfeit"),
        ("Counterfeit", "Contraffatto", "Contraffazione", "Prodotto contraffatto"),
    ),
    "risk_types": (
        gettext_lazy("Risk type"),
        (
            "Risk type",
            "Risk types",
            "Type of risk",
            "Types of risk",
            "Tipo di rischio",
            "Tipi di rischio",
            "Tipologia di rischio",
            "Rischi",
        ),
    ),
    "risk_level": (
        gettext_lazy("Risk level"),
        (
            "Risk level",
            "Level of risk",
            "Livello di rischio",
            "Livello del rischio",
            "Gravità",
            "Gravità del rischio",
        ),
    ),
    "description": (
        gettext_lazy("Description"),
        # The danger's own column first: some exports describe the product in "Description".
        (
            "Risk description",
            "Description of the risk",
            "Descrizione del rischio",
            "Description",
            "Descrizione",
            "Danger",
            "Pericolo",
            "Risk",
            "Rischio",
        ),
    ),
    "measures": (
        gettext_lazy("Measures taken"),
        (
            "Measures",
            "Measures taken",
            "Measures adopted",
            "Measures adopted by notifying country",
            "Misure",
            "Misure adottate",
            "Provvedimenti",
            "Provvedimenti adottati",
        ),
    ),
    "measures_kind": (
        gettext_lazy("Kind of measures"),
        (
            "Kind of measures",
            "Type of measures",
            "Measures kind",
            "Measure type",
            "Tipo di misure",
            "Tipo di misura",
            "Tipologia delle misure",
            "Natura delle misure",
        ),
    ),
}
REQUIRED = (
    "number",
    "published_on",
    "notifying_country",
    "product_name",
    "category",
    "risk_types",
    "risk_level",
    "description",
)
# The fields an import owns: a re-import changes them; nothing else of an alert.
IMPORTED_FIELDS = (
    "published_on",
    "notifying_country",
    "product_name",
    "brand",
    "model",
    "category",
    "origin_country",
    "counterfeit",
    "risk_types",
    "risk_level",
    "description",
    "measures",
    "measures_kind",
    "is_illustrative",
)

# Names of each value: the Safety Gate's English label first, its Italian label
# second (both shown in a problem's text), then variants and our own labels.
CATEGORY_NAMES: dict[str, tuple[str, ...]] = {
    ProductCategory.TOYS: ("Toys", "Giocattoli", "Toy", "Giocattolo"),
    ProductCategory.CHILDCARE: (
        "Childcare articles and children's equipment",
        "Articoli per l'infanzia e attrezzature per bambini",
        "Childcare articles",
        "Children's equipment",
        "Articoli per l'infanzia",
        "Articoli per la cura dei bambini e attrezzature per bambini",
        "Prodotti per l'infanzia",
    ),
    ProductCategory.CLOTHING: (
        "Clothing, textiles and fashion items",
        "Abbigliamento, tessili e articoli di moda",
        "Abbigliamento, prodotti tessili e articoli di moda",
        "Clothing",
        "Textiles",
        "Abbigliamento",
        "Tessili",
    ),
    ProductCategory.FOOTWEAR: ("Footwear", "Calzature", "Shoes", "Scarpe"),
    ProductCategory.LEATHER: (
        "Bags and leather goods",
        "Borse e pelletteria",
        "Leather goods",
        "Bags",
        "Pelletteria",
        "Borse",
    ),
    ProductCategory.JEWELLERY: (
        "Jewellery and watches",
        "Gioielli e orologi",
        "Jewellery",
        "Jewelry",
        "Watches",
        "Gioielli",
        "Gioielleria",
        "Bigiotteria",
        "Orologi",
    ),
    ProductCategory.COSMETICS: ("Cosmetics", "Cosmetici", "Prodotti cosmetici"),
    ProductCategory.ELECTRICAL: (
        "Electrical appliances and equipment",
        "Apparecchi e attrezzature elettriche",
        "Electrical appliances",
        "Electrical equipment",
        "Apparecchiature elettriche",
        "Apparecchi elettrici",
        "Elettrodomestici",
    ),
    ProductCategory.LIGHTING: (
        "Lighting equipment",
        "Apparecchi di illuminazione",
        "Lighting chains",
        "Lighting",
        "Attrezzature di illuminazione",
        "Catene luminose",
        "Illuminazione",
    ),
    ProductCategory.COMMUNICATION: (
        "Communication and media equipment",
        "Apparecchiature di comunicazione e multimediali",
        "Communication equipment",
        "Apparecchiature per la comunicazione e i media",
        "Apparecchi di comunicazione",
    ),
    ProductCategory.CHEMICAL: ("Chemical products", "Prodotti chimici", "Chemicals"),
    ProductCategory.MOTOR: (
        "Motor vehicles",
        "Veicoli a motore",
        "Motor vehicles and parts",
        "Veicoli a motore e ricambi",
        "Autoveicoli",
    ),
    ProductCategory.PROTECTIVE: (
        "Protective equipment",
        "Dispositivi di protezione",
        "Personal protective equipment",
        "Dispositivi di protezione individuale",
        "Attrezzature di protezione",
    ),
    ProductCategory.SPORTS: (
        "Hobby/sports equipment",
        "Attrezzature per hobby e sport",
        "Hobby and sports equipment",
        "Sports equipment",
        "Articoli per hobby e sport",
        "Articoli sportivi",
    ),
    ProductCategory.KITCHEN: (
        "Kitchen/cooking accessories",
        "Accessori da cucina",
        "Kitchen and cooking accessories",
        "Accessori per la cucina",
        "Utensili da cucina",
    ),
    ProductCategory.FURNITURE: (
        "Furniture",
        "Mobili",
        "Furniture and decorative articles",
        "Decorative articles",
        "Mobili e articoli decorativi",
        "Articoli decorativi",
        "Arredamento",
    ),
    ProductCategory.MEDICINES: (
        "Medical devices",
        "Dispositivi medici",
        "Medicines and medical devices",
        "Medicinali e dispositivi medici",
        "Medicinali",
    ),
    ProductCategory.FOOD_IMITATING: (
        "Food-imitating products",
        "Prodotti che imitano alimenti",
        "Prodotti che imitano i prodotti alimentari",
    ),
    ProductCategory.OTHER: ("Other", "Altro", "Altri"),
}
RISK_NAMES: dict[str, tuple[str, ...]] = {
    RiskType.CHEMICAL: ("Chemical", "Chimico", "Rischio chimico"),
    RiskType.CHOKING: ("Choking", "Soffocamento"),
    RiskType.ELECTRIC_SHOCK: ("Electric shock", "Scossa elettrica", "Shock elettrico"),
    RiskType.FIRE: ("Fire", "Incendio"),
    RiskType.BURNS: ("Burns", "Ustioni", "Ustione"),
    RiskType.INJURIES: ("Injuries", "Lesioni", "Injury", "Lesione", "Ferite"),
    RiskType.CUTS: ("Cuts", "Tagli", "Taglio"),
    RiskType.STRANGULATION: ("Strangulation", "Strangolamento"),
    RiskType.SUFFOCATION: ("Suffocation", "Asfissia", "Asphyxiation"),
    RiskType.DROWNING: ("Drowning", "Annegamento"),
    RiskType.MICROBIOLOGICAL: ("Microbiological", "Microbiologico", "Rischio microbiologico"),
    RiskType.HEARING: (
        "Damage to hearing",
        "Danni all'udito",
        "Hearing damage",
        "Danno all'udito",
    ),
    RiskType.SIGHT: ("Damage to sight", "Danni alla vista", "Sight damage", "Danno alla vista"),
    RiskType.ENVIRONMENT: ("Environment", "Ambiente", "Rischio ambientale"),
    # Safety Gate types we do not tell apart are kept as "other".
    RiskType.OTHER: (
        "Other",
        "Altro",
        "Health risk",
        "Rischio per la salute",
        "Entrapment",
        "Intrappolamento",
        "Security",
        "Sicurezza",
        "Energy consumption",
        "Consumo energetico",
    ),
}
LEVEL_NAMES: dict[str, tuple[str, ...]] = {
    RiskLevel.SERIOUS: ("Serious", "Grave", "Serious risk", "Rischio grave"),
    RiskLevel.HIGH: ("High", "Alto", "High risk", "Elevato", "Rischio alto", "Rischio elevato"),
    RiskLevel.MEDIUM: ("Medium", "Medio", "Medium risk", "Rischio medio"),
    RiskLevel.LOW: ("Low", "Basso", "Low risk", "Rischio basso"),
}
MEASURES_KIND_NAMES: dict[str, tuple[str, ...]] = {
    MeasuresKind.COMPULSORY: (
        "Compulsory",
        "Obbligatorie",
        "Compulsory measures",
        "Mandatory",
        "Misure obbligatorie",
        "Obbligatoria",
        "Imposte",
    ),
    MeasuresKind.VOLUNTARY: (
        "Voluntary",
        "Volontarie",
        "Voluntary measures",
        "Misure volontarie",
        "Volontaria",
    ),
    MeasuresKind.BOTH: (
        "Both",
        "Entrambe",
        "Compulsory and voluntary",
        "Compulsory and voluntary measures",
        "Obbligatorie e volontarie",
    ),
}
YES = ("yes", "y", "sì", "si", "true", "1", "x")
NO = ("no", "n", "false", "0", "unknown", "sconosciuto", "non noto")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
# Alert numbers end up in addresses: A12/00123/24, SR/01234/22, LOC-037006-2026-1.
NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/._-]*$")
ILLUSTRATIVE_PREFIX = "DEMO"
MAX_PROBLEMS_SHOWN = 200


def _table(names: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Return compared name -> our value, for every name and our own codes."""
    table: dict[str, str] = {}
    for value, aliases in names.items():
        code = str(value)  # the plain code, not the enum member
        table[key(code)] = code
        for alias in aliases:
            table.setdefault(key(alias), code)
    return table


CATEGORIES = _table(CATEGORY_NAMES)
RISKS = _table(RISK_NAMES)
LEVELS = _table(LEVEL_NAMES)
MEASURES_KINDS = _table(MEASURES_KIND_NAMES)


def accepted(names: dict[str, tuple[str, ...]]) -> str:
    """Return each value's English and Italian name, for a problem's text."""
    return ", ".join(f"{aliases[0]} ({aliases[1]})" for aliases in names.values())


class AlertFileError(ValueError):
    """Raised when a file cannot be read at all; the message says why."""


@dataclass
class AlertProblem:
    """One value (or missing column) that cannot be used; line 1 is the header."""

    line: int
    column: str
    value: str
    reason: str


@dataclass
class AlertImportError(Exception):
    """Raised when a file has problems: nothing was saved."""

    problems: list[AlertProblem]

    def __str__(self) -> str:
        return ngettext(
            "%(count)s problem in the file; nothing was imported.",
            "%(count)s problems in the file; nothing was imported.",
            len(self.problems),
        ) % {"count": len(self.problems)}


@dataclass
class AlertImportResult:
    """What an import did."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def today() -> dt.date:
    """Return today's date in the platform's time zone."""
    return timezone.localdate()


def find_columns(header: list[str]) -> dict[str, int]:
    """Return our field -> the index of its column, for the columns recognised by name."""
    by_key: dict[str, int] = {}
    for at, name in enumerate(header):
        by_key.setdefault(key(name), at)
    found: dict[str, int] = {}
    taken: set[int] = set()
    # Fields in the order of COLUMNS, each taking the first of its names present: a
    # column goes to one field only ("Product" is the product's name, not a model).
    for name, (_label, synonyms) in COLUMNS.items():
        for synonym in synonyms:
            index = by_key.get(key(synonym))
            if index is not None and index not in taken:
                found[name] = index
                taken.add(index)
                break
    return found


def _date(text: str) -> dt.date:
    value = text.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", value):
        value = value[:10]  # an ISO date and time: the day is what matters
    for fmt in DATE_FORMATS:
        try:
            # Only the date is kept, so no time zone is involved.
            return dt.datetime.strptime(value, fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise ValueError(_("not a date; accepted: 31/12/2025 or 2025-12-31"))


def _lookup(table: dict[str, str], text: str, names: dict[str, tuple[str, ...]]) -> str:
    found = table.get(key(text))
    if found is None:
        raise ValueError(_("unknown value; accepted: %(accepted)s") % {"accepted": accepted(names)})
    return found


def _risk_types(text: str) -> list[str]:
    found: list[str] = []
    unknown: list[str] = []
    for part in re.split(r"[,;/|]", text):
        if not part.strip():
            continue
        risk = RISKS.get(key(part))
        if risk is None:
            unknown.append(part.strip())
        elif risk not in found:
            found.append(risk)
    if unknown:
        raise ValueError(
            _("unknown risk %(risks)s; accepted, separated by , ; or /: %(accepted)s")
            % {"risks": ", ".join(f"“{u}”" for u in unknown), "accepted": accepted(RISK_NAMES)}
        )
    return found


def _yes_no(text: str) -> bool:
    value = agency.normalise(text)
    if value in YES:
        return True
    if value in NO or value in ("", "-"):
        return False
    raise ValueError(_("not yes or no; accepted: yes, no, sì, true, false, 1, 0, unknown"))


@dataclass
class ParsedAlerts:
    """The checked rows of an export (line, values) and the problems found."""

    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[AlertProblem] = field(default_factory=list)
    row_count: int = 0
    number_column: str = ""


def parse(text: str, filename: str, on: dt.date | None = None) -> ParsedAlerts:
    """Check every row of an export and normalise its values (nothing touches the database)."""
    try:
        header, rows, lines = agency.read_table_lines(text, filename)
    except agency.AgencyFileError as exc:
        raise AlertFileError(str(exc)) from exc
    columns = find_columns(header)
    result = ParsedAlerts(row_count=len(rows))
    for name in REQUIRED:
        if name not in columns:
            label, synonyms = COLUMNS[name]
            result.problems.append(
                AlertProblem(
                    1,
                    str(label),
                    "",
                    _("the file has no column for this; accepted column names: %(names)s")
                    % {"names": ", ".join(synonyms[:5])},
                )
            )
    if result.problems:
        return result
    result.number_column = header[columns["number"]]
    limit = on or today()
    first_line: dict[str, int] = {}
    for raw, line in zip(rows, lines, strict=True):
        cells = {n: (raw[i].strip() if i < len(raw) else "") for n, i in columns.items()}
        row_problems: list[AlertProblem] = []

        def problem(
            name: str,
            reason: str,
            cells: dict[str, str] = cells,
            line: int = line,
            found: list[AlertProblem] = row_problems,
        ) -> None:
            found.append(AlertProblem(line, header[columns[name]], cells.get(name, ""), reason))

        values: dict[str, Any] = {}
        for name in REQUIRED:
            if not cells.get(name):
                problem(name, _("the value is empty; it is required"))
        number = cells["number"]
        if number:
            if not NUMBER_RE.match(number):
                problem(
                    "number",
                    _("accepted: letters, digits and / - . _ only, e.g. A12/00123/24"),
                )
            elif number in first_line:
                problem(
                    "number",
                    _("the same alert is on line %(line)s; each alert must appear once")
                    % {"line": first_line[number]},
                )
            else:
                first_line[number] = line
        values["number"] = number
        if cells["published_on"]:
            try:
                published = _date(cells["published_on"])
            except ValueError as exc:
                problem("published_on", str(exc))
            else:
                if published > limit:
                    problem(
                        "published_on",
                        _("the date is in the future; accepted: dates up to %(today)s")
                        % {"today": limit.strftime("%d/%m/%Y")},
                    )
                values["published_on"] = published
        if cells["category"]:
            try:
                values["category"] = _lookup(CATEGORIES, cells["category"], CATEGORY_NAMES)
            except ValueError as exc:
                problem("category", str(exc))
        if cells["risk_types"]:
            try:
                values["risk_types"] = _risk_types(cells["risk_types"])
            except ValueError as exc:
                problem("risk_types", str(exc))
        if cells["risk_level"]:
            try:
                values["risk_level"] = _lookup(LEVELS, cells["risk_level"], LEVEL_NAMES)
            except ValueError as exc:
                problem("risk_level", str(exc))
        values["measures_kind"] = ""
        if cells.get("measures_kind"):
            try:
                values["measures_kind"] = _lookup(
                    MEASURES_KINDS, cells["measures_kind"], MEASURES_KIND_NAMES
                )
            except ValueError as exc:
                problem("measures_kind", str(exc))
        try:
            values["counterfeit"] = _yes_no(cells.get("counterfeit", ""))
        except ValueError as exc:
            problem("counterfeit", str(exc))
        for name in (
            "notifying_country",
            "product_name",
            "brand",
            "model",
            "origin_country",
            "description",
            "measures",
        ):
            values[name] = cells.get(name, "")
        values["is_illustrative"] = number.upper().startswith(ILLUSTRATIVE_PREFIX)
        if not row_problems:
            # Lengths and the like, as the database will check them.
            alert = ProductAlert(source=AlertSource.SAFETY_GATE, **values)
            try:
                alert.full_clean(exclude=["photo", "organisation"], validate_unique=False)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    if name in columns:
                        problem(name, " ".join(messages))
                    else:
                        row_problems.append(AlertProblem(line, name, "", " ".join(messages)))
        if row_problems:
            result.problems.extend(row_problems)
        else:
            result.rows.append((line, values))
    return result


@transaction.atomic
def do_import_alerts(
    actor: Any, *, raw: bytes, filename: str, encoding: str = "auto"
) -> AlertImportResult:
    """Import a Safety Gate export: every row or none, matched on the alert number.

    Raises AlertFileError when the file cannot be read and AlertImportError
    (with every problem) when any value cannot be used; nothing is saved then.
    ``actor`` None is the command line.
    """
    check_perm(actor, "counterfeit.import_alerts")
    try:
        text = agency.decode(raw, encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise AlertFileError(
            _("%(file)s: the text is not in %(encoding)s.")
            % {"file": filename, "encoding": encoding}
        ) from exc
    parsed = parse(text, filename)
    existing = {
        a.number: a
        for a in ProductAlert.objects.filter(
            number__in=[values["number"] for _line, values in parsed.rows]
        ).select_related("organisation")
    }
    result = AlertImportResult(rows=parsed.row_count)
    to_create: list[ProductAlert] = []
    to_update: list[ProductAlert] = []
    for line, values in parsed.rows:
        alert = existing.get(values["number"])
        if alert is None:
            to_create.append(ProductAlert(source=AlertSource.SAFETY_GATE, **values))
            continue
        if alert.source == AlertSource.LOCAL:
            parsed.problems.append(
                AlertProblem(
                    line,
                    parsed.number_column,
                    values["number"],
                    _(
                        "this number belongs to a local alert of %(org)s, which an import "
                        "never changes; accepted: Safety Gate numbers"
                    )
                    % {"org": alert.organisation or "?"},
                )
            )
            continue
        changed = [name for name in IMPORTED_FIELDS if getattr(alert, name) != values[name]]
        if changed:
            for name in changed:
                setattr(alert, name, values[name])
            to_update.append(alert)
        else:
            result.unchanged += 1
    if parsed.problems:
        raise AlertImportError(sorted(parsed.problems, key=lambda p: p.line))
    ProductAlert.objects.bulk_create(to_create, batch_size=500)
    for alert in to_update:
        alert.save()
    result.created = len(to_create)
    result.updated = len(to_update)
    do_record_audit(
        actor,
        AuditEvent.Action.IMPORT,
        OBJECT_TYPE,
        "",
        f"{filename}: +{result.created} ~{result.updated} ={result.unchanged}",
        detail={"rows": result.rows, "created": result.created, "updated": result.updated},
    )
    return result


# --- Local alerts ------------------------------------------------------------------

# What a comune's office writes for a local alert.
LOCAL_FIELDS = frozenset(
    {
        "published_on",
        "notifying_country",
        "product_name",
        "brand",
        "model",
        "category",
        "origin_country",
        "counterfeit",
        "risk_types",
        "risk_level",
        "description",
        "measures",
        "measures_kind",
    }
)
LOCAL_PREFIX = "LOC"


def local_prefix(organisation: Organisation, year: int) -> str:
    """Return the start of the numbers of an organisation's local alerts of a year."""
    comune = organisation.comune
    place = comune.istat_code if comune is not None else organisation.slug[:20].upper()
    return f"{LOCAL_PREFIX}-{place}-{year}-"


def next_local_number(organisation: Organisation, year: int) -> str:
    """Return the number of the organisation's next local alert of the year."""
    prefix = local_prefix(organisation, year)
    taken = ProductAlert.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    last = max((int(n[len(prefix) :]) for n in taken if n[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{last + 1}"


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - LOCAL_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be set on a local alert: %(names)s.")
            % {"names": ", ".join(sorted(unknown))}
        )
    risks = fields.get("risk_types")
    if risks is not None:
        if not risks:
            raise ValidationError({"risk_types": _("Choose at least one risk.")})
        bad = [r for r in risks if r not in RiskType.values]
        if bad:
            raise ValidationError({"risk_types": _("Unknown risk: %(r)s.") % {"r": bad[0]}})


def _clean_photo(photo: IO[bytes]) -> Any:
    try:
        return clean_photo(
            photo, getattr(photo, "name", None) or "photo", getattr(photo, "size", None)
        )
    except PhotoError as exc:
        raise ValidationError({"photo": str(exc)}) from exc


@transaction.atomic
def do_create_local_alert(
    actor: Any, organisation: Organisation, *, photo: IO[bytes] | None = None, **fields: Any
) -> ProductAlert:
    """Publish a comune's own alert; it gets a number of its own and is never imported over."""
    check_perm(actor, "counterfeit.manage_alerts", organisation)
    if organisation.kind not in TENANT_KINDS:
        raise ValidationError(_("Only a comune or a partner city publishes local alerts."))
    _check_fields(fields)
    if not fields.get("published_on"):
        fields["published_on"] = today()
    if fields["published_on"] > today():
        raise ValidationError({"published_on": _("The date is in the future.")})
    if not fields.get("notifying_country"):
        # Local alerts are notified by the comune's own country.
        fields["notifying_country"] = (
            "Italia" if organisation.country == "IT" else organisation.country
        )
    published_on = fields["published_on"]
    alert = ProductAlert(
        number=next_local_number(organisation, published_on.year),
        source=AlertSource.LOCAL,
        organisation=organisation,
        is_illustrative=organisation.is_demo,
        **fields,
    )
    alert.full_clean(exclude=["photo"])
    if photo is not None:
        cleaned = _clean_photo(photo)
        alert.photo.save(cleaned.name or "photo.jpg", cleaned, save=False)
    alert.save()
    do_record_audit(
        actor,
        AuditEvent.Action.CREATE,
        OBJECT_TYPE,
        alert.pk,
        str(alert),
        organisation=organisation,
    )
    return alert


@transaction.atomic
def do_update_local_alert(
    actor: Any,
    alert: ProductAlert,
    *,
    photo: IO[bytes] | None = None,
    remove_photo: bool = False,
    **fields: Any,
) -> ProductAlert:
    """Change a local alert (its number, source and office stay as they are)."""
    alert = ProductAlert.objects.select_for_update(of=("self",)).get(pk=alert.pk)
    check_perm(actor, "counterfeit.manage_alerts", alert.organisation)
    if alert.source != AlertSource.LOCAL:
        raise ValidationError(
            _("Only local alerts are changed here; Safety Gate alerts change with the next import.")
        )
    _check_fields(fields)
    if fields.get("published_on") and fields["published_on"] > today():
        raise ValidationError({"published_on": _("The date is in the future.")})
    changed = [name for name, value in fields.items() if getattr(alert, name) != value]
    for name in changed:
        setattr(alert, name, fields[name])
    alert.full_clean(exclude=["photo"])
    if photo is not None:
        cleaned = _clean_photo(photo)
        alert.photo.save(cleaned.name or "photo.jpg", cleaned, save=False)
        changed.append("photo")
    elif remove_photo and alert.photo:
        alert.photo.delete(save=False)
        changed.append("photo")
    if changed:
        alert.save()
        do_record_audit(
            actor,
            AuditEvent.Action.UPDATE,
            OBJECT_TYPE,
            alert.pk,
            str(alert),
            organisation=alert.organisation,
            detail={"changed": sorted(changed)},
        )
    return alert

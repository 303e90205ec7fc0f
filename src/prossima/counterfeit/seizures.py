"""Every write to the seizure records, with its business rules, and the CSV import.

An operation (``Seizure``) has at least one line of goods; quantities are more
than zero, market values are not negative, the date is not in the future, and
a point given must fall inside the comune given. Every write is all-or-nothing
and audited. The import reads one row per line of goods and groups the rows
into operations by their reference: re-importing a file adds nothing, and an
operation's lines are replaced only when the file says something else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.accounts.permissions import TENANT_KINDS
from prossima.assets import agency
from prossima.counterfeit.models import (
    Nature,
    Outcome,
    PlaceType,
    ProductAlert,
    ProductCategory,
    QuantityUnit,
    SeizedGoods,
    Seizure,
)
from prossima.territory.models import Comune
from prossima.territory.queries import comune_at, find_comune

# What an operation and a line of goods are made of (the keyword arguments accepted).
SEIZURE_FIELDS = (
    "reference",
    "seized_on",
    "unit",
    "comune",
    "place_type",
    "address",
    "lon",
    "lat",
    "outcome",
    "incident",
    "notes",
)
GOODS_FIELDS = (
    "category",
    "brand",
    "quantity",
    "quantity_unit",
    "genuine_unit_value",
    "nature",
    "health_risk",
    "alert",
)
CENT = Decimal("0.01")


def today() -> dt.date:
    """Return today's date in the platform's time zone."""
    return timezone.localdate()


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _accepted(choices: Iterable[tuple[str, Any]]) -> str:
    return ", ".join(str(label) for _value, label in choices)


def goods_key(index: int, name: str) -> str:
    """Return the error key of field ``name`` of the ``index``-th line of goods (from 0)."""
    return f"goods-{index}-{name}"


# --- Checks shared by the forms, the API and the import --------------------------------


def point_in_comune(comune: Comune, lon: float, lat: float) -> bool:
    """Return whether the point lies inside the comune (its boundary included)."""
    found = comune_at(lon, lat)
    return found is not None and found.pk == comune.pk


def seizure_errors(
    tenant: Organisation,
    seizure: Seizure,
    *,
    check_reference: bool = True,
    inside: Any = point_in_comune,
) -> dict[str, list[str]]:
    """Return what is wrong with an operation (field -> messages); empty when it can be saved."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if seizure.seized_on is None:
        add("seized_on", _("Give the date of the seizure."))
    elif seizure.seized_on > today():
        add(
            "seized_on",
            _("The date %(date)s is in the future.") % {"date": seizure.seized_on.isoformat()},
        )
    if not (seizure.unit or "").strip():
        add("unit", _("Say which police unit made the seizure."))
    if seizure.place_type not in PlaceType.values:
        add(
            "place_type",
            _("Unknown place; accepted: %(accepted)s.")
            % {"accepted": _accepted(PlaceType.choices)},
        )
    if seizure.outcome not in Outcome.values:
        add(
            "outcome",
            _("Unknown outcome; accepted: %(accepted)s.")
            % {"accepted": _accepted(Outcome.choices)},
        )
    lon, lat = seizure.lon, seizure.lat
    if (lon is None) != (lat is None):
        add(
            "lat" if lat is None else "lon",
            _("Give both the latitude and the longitude, or neither."),
        )
    elif lon is not None and lat is not None:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            add(
                "lat",
                _(
                    "The point %(lat)s, %(lon)s is not a position on Earth (are they swapped?); "
                    "accepted: latitude -90 to 90, longitude -180 to 180, in decimal degrees."
                )
                % {"lat": lat, "lon": lon},
            )
        elif seizure.comune_id is not None and not inside(seizure.comune, lon, lat):
            add(
                "lat",
                _("The point %(lat)s, %(lon)s is outside the comune of %(comune)s.")
                % {"lat": lat, "lon": lon, "comune": seizure.comune.name},  # type: ignore[union-attr]
            )
    if seizure.incident_id is not None and seizure.incident.tenant_id != tenant.pk:  # type: ignore[union-attr]
        add("incident", _("The linked incident belongs to another organisation."))
    reference = (seizure.reference or "").strip()
    if check_reference and reference:
        clash = Seizure.objects.filter(tenant=tenant, reference=reference)
        if seizure.pk is not None:
            clash = clash.exclude(pk=seizure.pk)
        if clash.exists():
            add(
                "reference",
                _("An operation with reference %(reference)s is already recorded.")
                % {"reference": reference},
            )
    try:
        seizure.full_clean(
            exclude=["tenant", "comune", "incident", "recorded_by", *errors],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    return errors


def _decimal_value(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(str(value).strip())


def _alert(value: Any) -> ProductAlert | None:
    """Return the alert of a line: an alert, its number, or nothing; LookupError if unknown."""
    if value is None or isinstance(value, ProductAlert):
        return value
    number = str(value).strip()
    if not number:
        return None
    found = (
        ProductAlert.objects.filter(number=number).first()
        or ProductAlert.objects.filter(number__iexact=number).first()
    )
    if found is None:
        raise LookupError(number)
    return found


def goods_errors(values: dict[str, Any]) -> tuple[SeizedGoods, dict[str, list[str]]]:
    """Return a line of goods built from ``values`` and what is wrong with it (field -> messages).

    ``alert`` may be an alert or an alert number; the line is not saved.
    """
    unknown = set(values) - set(GOODS_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields of a line of goods: {', '.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    line = SeizedGoods(
        category=values.get("category") or "",
        brand=(values.get("brand") or "").strip(),
        quantity_unit=values.get("quantity_unit") or QuantityUnit.PIECES,
        nature=values.get("nature") or "",
        health_risk=bool(values.get("health_risk", False)),
    )
    if not line.category:
        add("category", _("Choose the category of the goods."))
    elif line.category not in ProductCategory.values:
        add(
            "category",
            _("Unknown category; accepted: %(accepted)s.")
            % {"accepted": _accepted(ProductCategory.choices)},
        )
    if not line.nature:
        add("nature", _("Say whether the goods are counterfeit, unsafe or both."))
    elif line.nature not in Nature.values:
        add(
            "nature",
            _("Unknown nature; accepted: %(accepted)s.") % {"accepted": _accepted(Nature.choices)},
        )
    if line.quantity_unit not in QuantityUnit.values:
        add(
            "quantity_unit",
            _("Unknown unit; accepted: %(accepted)s.")
            % {"accepted": _accepted(QuantityUnit.choices)},
        )
    quantity = values.get("quantity")
    if quantity in (None, ""):
        add("quantity", _("Give the quantity seized."))
    else:
        try:
            line.quantity = _decimal_value(quantity)
        except (InvalidOperation, ValueError):
            add("quantity", _("The quantity is not a number."))
        else:
            if not line.quantity.is_finite() or line.quantity <= 0:
                add("quantity", _("The quantity must be more than zero."))
    value = values.get("genuine_unit_value")
    if value not in (None, ""):
        try:
            line.genuine_unit_value = _decimal_value(value)
        except (InvalidOperation, ValueError):
            add("genuine_unit_value", _("The market value is not a number."))
        else:
            if not line.genuine_unit_value.is_finite() or line.genuine_unit_value < 0:
                add("genuine_unit_value", _("The market value must not be negative."))
    try:
        line.alert = _alert(values.get("alert"))
    except LookupError as exc:
        add("alert", _("No alert has number %(number)s.") % {"number": exc.args[0]})
    try:
        line.full_clean(exclude=["seizure", "alert", *errors], validate_unique=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    return line, errors


def _check_tenant(tenant: Organisation) -> None:
    if tenant.kind not in TENANT_KINDS:
        raise ValidationError(_("Seizures are recorded for a comune or a partner city."))


def _check(
    tenant: Organisation, seizure: Seizure, goods: Sequence[dict[str, Any]]
) -> list[SeizedGoods]:
    """Return the lines of goods, or raise ValidationError with everything that is wrong."""
    errors = seizure_errors(tenant, seizure)
    lines: list[SeizedGoods] = []
    if not goods:
        errors.setdefault("goods", []).append(_("Record at least one line of goods."))
    for index, values in enumerate(goods):
        line, problems = goods_errors(values)
        lines.append(line)
        for name, messages in problems.items():
            errors[goods_key(index, name)] = messages
    if errors:
        raise ValidationError(errors)
    return lines


def _fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(SEIZURE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields of a seizure: {', '.join(sorted(unknown))}")
    cleaned = dict(fields)
    for name in ("reference", "unit", "address", "notes"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    return cleaned


def line_signature(line: SeizedGoods) -> tuple[Any, ...]:
    """Return what a line of goods says, to tell whether a new version changes it."""
    value = line.genuine_unit_value
    return (
        line.category,
        line.brand,
        Decimal(line.quantity).quantize(CENT),
        line.quantity_unit,
        None if value is None else Decimal(value).quantize(CENT),
        line.nature,
        bool(line.health_risk),
        line.alert_id,
    )


def _lines_differ(old: Iterable[SeizedGoods], new: Iterable[SeizedGoods]) -> bool:
    return sorted(map(line_signature, old), key=repr) != sorted(map(line_signature, new), key=repr)


def _label(seizure: Seizure) -> str:
    return f"{seizure.reference or seizure.pk} {seizure.seized_on.isoformat()}"


def _audit(actor: Any, action: str, seizure: Seizure, lines: int) -> None:
    do_record_audit(
        actor,
        action,
        "counterfeit.seizure",
        seizure.pk,
        _label(seizure),
        organisation=seizure.tenant,
        comune_code=seizure.comune.istat_code if seizure.comune is not None else "",
        detail={"lines": lines},
    )


@transaction.atomic
def do_record_seizure(
    actor: Any, tenant: Organisation, *, goods: Sequence[dict[str, Any]], **fields: Any
) -> Seizure:
    """Record an operation and its lines of goods; nothing is saved when anything is wrong.

    ``fields`` are those of :data:`SEIZURE_FIELDS`; the comune defaults to the
    tenant's. Each line of ``goods`` gives the fields of :data:`GOODS_FIELDS`
    (``alert`` an alert or its number). A ValidationError names the fields,
    ``goods-N-field`` for the N-th line (from 0).
    """
    check_perm(actor, "counterfeit.record_seizure", tenant)
    _check_tenant(tenant)
    values = _fields(fields)
    values.setdefault("comune", tenant.comune)
    seizure = Seizure(tenant=tenant, recorded_by=_user(actor), **values)
    lines = _check(tenant, seizure, goods)
    seizure.save()
    for line in lines:
        line.seizure = seizure
    SeizedGoods.objects.bulk_create(lines)
    _audit(actor, AuditEvent.Action.CREATE, seizure, len(lines))
    return seizure


@transaction.atomic
def do_update_seizure(
    actor: Any, seizure: Seizure, *, goods: Sequence[dict[str, Any]], **fields: Any
) -> Seizure:
    """Change an operation's fields and replace its lines of goods, with the same checks."""
    check_perm(actor, "counterfeit.record_seizure", seizure.tenant)
    values = _fields(fields)
    seizure = (
        Seizure.objects.select_for_update(of=("self",))
        .select_related("tenant", "comune")
        .get(pk=seizure.pk)
    )
    for name, value in values.items():
        setattr(seizure, name, value)
    lines = _check(seizure.tenant, seizure, goods)
    seizure.save()
    old = list(seizure.goods.all())
    if _lines_differ(old, lines):
        seizure.goods.all().delete()
        for line in lines:
            line.seizure = seizure
        SeizedGoods.objects.bulk_create(lines)
    _audit(actor, AuditEvent.Action.UPDATE, seizure, len(lines))
    return seizure


# --- Import ---------------------------------------------------------------------------

# Our fields, their labels, and the column names accepted (in the form of agency.header_key).
COLUMNS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "reference": (
        gettext_lazy("Reference"),
        ("riferimento", "rif", "verbale", "numero_verbale", "operazione", "reference", "ref"),
    ),
    "seized_on": (
        gettext_lazy("Date"),
        ("data", "data_sequestro", "data_operazione", "date", "seized_on", "seizure_date"),
    ),
    "unit": (
        gettext_lazy("Police unit"),
        ("reparto", "unita", "nucleo", "comando", "unit", "police_unit"),
    ),
    "comune": (
        gettext_lazy("Comune (ISTAT code or name)"),
        ("comune", "codice_istat", "istat", "comune_istat", "municipality", "istat_code"),
    ),
    "place_type": (gettext_lazy("Place"), ("luogo", "tipo_luogo", "place", "place_type")),
    "address": (gettext_lazy("Address"), ("indirizzo", "address")),
    "lon": (gettext_lazy("Longitude"), ("lon", "lng", "longitudine", "longitude")),
    "lat": (gettext_lazy("Latitude"), ("lat", "latitudine", "latitude")),
    "outcome": (gettext_lazy("Outcome"), ("esito", "destinazione", "outcome")),
    "notes": (gettext_lazy("Notes"), ("note", "notes")),
    "category": (gettext_lazy("Category"), ("categoria", "category")),
    "brand": (gettext_lazy("Brand"), ("marchio", "marca", "brand")),
    "quantity": (gettext_lazy("Quantity"), ("quantita", "qta", "quantity")),
    "quantity_unit": (
        gettext_lazy("Unit of measure"),
        (
            "unita_di_misura",
            "unita_misura",
            "um",
            "misura",
            "quantity_unit",
            "unit_of_measure",
            "measure",
        ),
    ),
    "genuine_unit_value": (
        gettext_lazy("Market value of one genuine item (€)"),
        (
            "valore_unitario",
            "valore_unitario_originale",
            "valore_originale",
            "genuine_unit_value",
            "unit_value",
        ),
    ),
    "nature": (gettext_lazy("Nature"), ("natura", "nature")),
    "health_risk": (
        gettext_lazy("Health risk"),
        ("rischio_salute", "rischio_sanitario", "health_risk"),
    ),
    "alert": (gettext_lazy("Alert number"), ("allerta", "numero_allerta", "alert", "alert_number")),
}
REQUIRED_COLUMNS = (
    "reference",
    "seized_on",
    "unit",
    "place_type",
    "outcome",
    "category",
    "quantity",
    "nature",
)
# The fields of the operation: every row of one reference says the same (or leaves them empty).
OPERATION_COLUMNS = (
    "seized_on",
    "unit",
    "comune",
    "place_type",
    "address",
    "lon",
    "lat",
    "outcome",
    "notes",
)
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")

# Words a police file uses for each value, besides our codes and the English labels.
# The first word of each is the one named in the list of accepted values.
PLACE_WORDS: dict[str, tuple[str, ...]] = {
    PlaceType.STREET: ("strada", "via", "piazza", "area pubblica", "ambulante"),
    PlaceType.MARKET: ("mercato", "fiera"),
    PlaceType.SHOP: ("negozio", "esercizio commerciale", "esercizio"),
    PlaceType.WAREHOUSE: ("magazzino", "deposito"),
    PlaceType.PARCEL: ("pacco", "spedizione", "vendita online", "online", "corriere"),
}
OUTCOME_WORDS: dict[str, tuple[str, ...]] = {
    Outcome.DESTROYED: ("distrutto", "distrutta", "distrutti", "distruzione"),
    Outcome.EVIDENCE: ("reperto", "corpo di reato", "in custodia", "custodia"),
    Outcome.RETURNED: ("restituito", "restituita", "restituiti", "dissequestro"),
}
NATURE_WORDS: dict[str, tuple[str, ...]] = {
    Nature.COUNTERFEIT: ("contraffatto", "contraffatta", "contraffatti", "contraffazione"),
    Nature.UNSAFE: ("non sicuro", "non sicura", "non sicuri", "pericoloso", "non conforme"),
    Nature.BOTH: ("contraffatto e non sicuro", "entrambi", "contraffatto e pericoloso"),
}
UNIT_WORDS: dict[str, tuple[str, ...]] = {
    QuantityUnit.PIECES: ("pezzi", "pz", "pezzo", "nr", "n"),
    QuantityUnit.PAIRS: ("paia", "paio", "pair", "pairs"),
    QuantityUnit.KG: ("kg", "chili", "chilogrammi"),
    QuantityUnit.LITRES: ("litri", "l", "lt", "liters", "liter", "litre"),
}
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    ProductCategory.TOYS: ("giocattoli", "giocattolo"),
    ProductCategory.CHILDCARE: ("puericultura", "articoli per l'infanzia", "infanzia"),
    ProductCategory.CLOTHING: ("abbigliamento", "tessili", "moda"),
    ProductCategory.FOOTWEAR: ("calzature", "scarpe"),
    ProductCategory.LEATHER: ("pelletteria", "borse"),
    ProductCategory.JEWELLERY: ("gioielli", "bigiotteria", "orologi", "gioielleria"),
    ProductCategory.COSMETICS: ("cosmetici", "profumi", "cosmetica"),
    ProductCategory.ELECTRICAL: ("apparecchi elettrici", "elettrici", "materiale elettrico"),
    ProductCategory.LIGHTING: ("illuminazione", "lampade"),
    ProductCategory.COMMUNICATION: ("elettronica", "comunicazione", "telefonia"),
    ProductCategory.CHEMICAL: ("prodotti chimici", "chimici", "detergenti"),
    ProductCategory.MOTOR: ("ricambi auto", "veicoli", "ricambi"),
    ProductCategory.PROTECTIVE: ("dispositivi di protezione", "dpi", "protezione"),
    ProductCategory.SPORTS: ("articoli sportivi", "sport", "hobby"),
    ProductCategory.KITCHEN: ("cucina", "casalinghi"),
    ProductCategory.FURNITURE: ("arredo", "mobili", "oggettistica"),
    ProductCategory.MEDICINES: ("medicinali", "farmaci", "dispositivi medici"),
    ProductCategory.FOOD_IMITATING: ("imitazione alimenti", "simil alimentari"),
    ProductCategory.OTHER: ("altro", "altri"),
}
YES = frozenset({"si", "s", "yes", "y", "true", "vero", "1", "x"})
NO = frozenset({"no", "n", "false", "falso", "0", ""})


class SeizureFileError(ValueError):
    """Raised when a file cannot be read at all; the message says why."""


@dataclass
class SeizureImportRefusedError(Exception):
    """Raised when a file has values that cannot be used: nothing was imported."""

    problems: list[agency.RowProblem]

    def __str__(self) -> str:
        return ngettext(
            "%(count)s value cannot be used; nothing was imported.",
            "%(count)s values cannot be used; nothing was imported.",
            len(self.problems),
        ) % {"count": len(self.problems)}


@dataclass
class SeizureImportResult:
    """What an import did (or, checked only, would do)."""

    filename: str
    rows: int = 0
    operations: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    saved: bool = True
    ignored_columns: list[str] = field(default_factory=list)


def _word(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", agency.normalise(text)).strip()


_TABLES: dict[str, dict[str, str]] = {}


def _table(choices: Any, words: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Return normalised word -> value: our codes, the English and Italian labels, the synonyms."""
    if choices.__name__ in _TABLES:
        return _TABLES[choices.__name__]
    table: dict[str, str] = {}
    for value, label in choices.choices:
        table[_word(value)] = value
        with translation.override("en"):
            table[_word(str(label))] = value
        with translation.override("it"):
            table[_word(str(label))] = value
    for value, synonyms in words.items():
        for synonym in synonyms:
            table[_word(synonym)] = value
    _TABLES[choices.__name__] = table
    return table


def _lookup(choices: Any, words: dict[str, tuple[str, ...]], text: str) -> str:
    found = _table(choices, words).get(_word(text))
    if found is None:
        raise ValueError(
            _("unknown value; accepted: %(accepted)s")
            % {"accepted": ", ".join(w[0] for w in words.values())}
        )
    return found


def _date(text: str) -> dt.date:
    for fmt in DATE_FORMATS:
        try:
            # Only the date is kept, so no time zone is involved.
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise ValueError(_("not a date; accepted: 31/12/2024 or 2024-12-31"))


def _number(text: str) -> Decimal:
    cleaned = text.replace("€", "").replace(" ", "").replace("\u00a0", "")
    # "1.234,56" (Italian) and "1234.56" are both common.
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(_("not a number; accepted: 120,5 or 120.5")) from exc
    if not value.is_finite():
        raise ValueError(_("not a number; accepted: 120,5 or 120.5"))
    return value


def _coordinate(text: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError as exc:
        raise ValueError(_("not a coordinate; accepted: decimal degrees, e.g. 44.4939")) from exc


def _boolean(text: str) -> bool:
    key = _word(text)
    if key in YES:
        return True
    if key in NO:
        return False
    raise ValueError(_("accepted: sì or no"))


class ComuneFinder:
    """Find a comune by ISTAT code or by its exact name, remembering what it found."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[Comune | None, str]] = {}

    def __call__(self, text: str) -> tuple[Comune | None, str]:
        """Return the comune written as ``text``, or None with the reason."""
        key = text.strip()
        if key not in self.found:
            self.found[key] = find_comune(key)
        return self.found[key]


@dataclass
class _Row:
    line: int
    cells: dict[str, str]
    operation: dict[str, Any]
    goods: dict[str, Any]


def _guess_columns(header: list[str]) -> tuple[dict[str, str], list[str]]:
    """Return our field -> the file's column, and the columns left unused."""
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for column in header:
        key = agency.header_key(column)
        name = next((n for n, (_l, synonyms) in COLUMNS.items() if key in synonyms), None)
        if name is None or name in columns:
            if column:
                ignored.append(column)
            continue
        columns[name] = column
    return columns, ignored


def _parse_row(
    line: int,
    raw: list[str],
    index: dict[str, int],
    columns: dict[str, str],
    problems: list[agency.RowProblem],
    alerts: dict[str, ProductAlert],
) -> _Row | None:
    """Check one row's values one by one; return them, or None when one cannot be used."""
    cells = {name: (raw[i].strip() if i < len(raw) else "") for name, i in index.items()}
    found: list[agency.RowProblem] = []

    def problem(name: str, reason: str) -> None:
        found.append(agency.RowProblem(line, columns.get(name, name), cells.get(name, ""), reason))

    operation: dict[str, Any] = {}
    goods: dict[str, Any] = {}
    if not cells.get("reference"):
        problem("reference", _("the reference is empty; every row names its operation"))
    if cells.get("seized_on"):
        try:
            operation["seized_on"] = _date(cells["seized_on"])
        except ValueError as exc:
            problem("seized_on", str(exc))
    operation_lookups: list[tuple[str, Any, dict[str, tuple[str, ...]]]] = [
        ("place_type", PlaceType, PLACE_WORDS),
        ("outcome", Outcome, OUTCOME_WORDS),
    ]
    for name, choices, words in operation_lookups:
        if cells.get(name):
            try:
                operation[name] = _lookup(choices, words, cells[name])
            except ValueError as exc:
                problem(name, str(exc))
    for name in ("unit", "address", "notes", "comune"):
        operation[name] = cells.get(name, "")
    for name in ("lon", "lat"):
        if cells.get(name):
            try:
                operation[name] = _coordinate(cells[name])
            except ValueError as exc:
                problem(name, str(exc))
    goods_lookups: list[tuple[str, Any, dict[str, tuple[str, ...]]]] = [
        ("category", ProductCategory, CATEGORY_WORDS),
        ("nature", Nature, NATURE_WORDS),
        ("quantity_unit", QuantityUnit, UNIT_WORDS),
    ]
    for name, choices, words in goods_lookups:
        if cells.get(name):
            try:
                goods[name] = _lookup(choices, words, cells[name])
            except ValueError as exc:
                problem(name, str(exc))
        elif name != "quantity_unit":
            problem(name, _("the value is empty"))
    goods["brand"] = cells.get("brand", "")
    if not cells.get("quantity"):
        problem("quantity", _("the value is empty"))
    else:
        try:
            goods["quantity"] = _number(cells["quantity"])
        except ValueError as exc:
            problem("quantity", str(exc))
        else:
            if goods["quantity"] <= 0:
                problem("quantity", _("the quantity must be more than zero"))
    if cells.get("genuine_unit_value"):
        try:
            goods["genuine_unit_value"] = _number(cells["genuine_unit_value"])
        except ValueError as exc:
            problem("genuine_unit_value", str(exc))
        else:
            if goods["genuine_unit_value"] < 0:
                problem("genuine_unit_value", _("the market value must not be negative"))
    try:
        goods["health_risk"] = _boolean(cells.get("health_risk", ""))
    except ValueError as exc:
        problem("health_risk", str(exc))
    number = cells.get("alert", "")
    if number:
        alert = alerts.get(number.upper())
        if alert is None:
            problem(
                "alert",
                _("no alert has number %(number)s; give the number as published, e.g. %(example)s")
                % {"number": number, "example": "A12/00123/24"},
            )
        goods["alert"] = alert
    problems.extend(found)
    if found:
        return None
    return _Row(line, cells, operation, goods)


def _same(name: str, a: Any, b: Any) -> bool:
    if name in ("unit", "address", "notes", "comune"):
        return _word(str(a)) == _word(str(b))
    return bool(a == b)


def _group(
    rows: list[_Row], problems: list[agency.RowProblem], columns: dict[str, str]
) -> dict[str, list[_Row]]:
    """Return the rows by reference; rows of one operation must agree on its fields."""
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        reference = row.cells["reference"]
        group = groups.setdefault(reference, [])
        if group:
            first = group[0]
            for name in OPERATION_COLUMNS:
                if not row.cells.get(name):
                    continue  # left empty: the first row's value holds
                if not first.cells.get(name):
                    first.operation[name] = row.operation.get(name, row.cells[name])
                    first.cells[name] = row.cells[name]
                elif not _same(name, first.operation.get(name), row.operation.get(name)):
                    problems.append(
                        agency.RowProblem(
                            row.line,
                            columns[name],
                            row.cells[name],
                            _(
                                "line %(line)s of operation %(reference)s says “%(value)s”; "
                                "the rows of one operation share its date, unit, comune, place, "
                                "address, coordinates and outcome"
                            )
                            % {
                                "line": first.line,
                                "reference": reference,
                                "value": first.cells[name],
                            },
                        )
                    )
        group.append(row)
    return groups


@transaction.atomic
def do_import_seizures(
    actor: Any,
    tenant: Organisation,
    *,
    raw: bytes,
    filename: str,
    dry_run: bool = False,
) -> SeizureImportResult:
    """Import a CSV of seizures, one row per line of goods, grouped by the reference column.

    Headers may be in Italian or English (see :data:`COLUMNS`). Nothing is
    saved when any value cannot be used (SeizureImportRefusedError lists each
    with its line and column); with ``dry_run`` nothing is saved either way.
    Operations already recorded with the same reference are updated, and
    their lines replaced only when the file's differ.
    """
    check_perm(actor, "counterfeit.record_seizure", tenant)
    _check_tenant(tenant)
    try:
        text = agency.decode(raw)
        header, table, lines = agency.read_table_lines(text, filename)
    except UnicodeDecodeError as exc:
        raise SeizureFileError(
            _("%(file)s: the text is not in UTF-8 or Windows-1252.") % {"file": filename}
        ) from exc
    except agency.AgencyFileError as exc:
        raise SeizureFileError(str(exc)) from exc
    columns, ignored = _guess_columns(header)
    missing = [str(COLUMNS[n][0]) for n in REQUIRED_COLUMNS if n not in columns]
    if missing:
        raise SeizureFileError(
            _("%(file)s: columns missing: %(missing)s. Accepted headers: %(accepted)s.")
            % {
                "file": filename,
                "missing": ", ".join(missing),
                "accepted": "; ".join(
                    f"{label} ({synonyms[0]}, {synonyms[-1]})"
                    for label, synonyms in COLUMNS.values()
                ),
            }
        )
    index = {name: header.index(column) for name, column in columns.items()}
    numbers = set()
    if "alert" in index:
        at = index["alert"]
        numbers = {r[at].strip() for r in table if at < len(r) and r[at].strip()}
    alerts: dict[str, ProductAlert] = {}
    if numbers:
        wanted = {n.upper() for n in numbers}
        for alert in ProductAlert.objects.filter(number__in=numbers | wanted):
            alerts[alert.number.upper()] = alert
        for number in wanted - set(alerts):
            found = ProductAlert.objects.filter(number__iexact=number).first()
            if found is not None:
                alerts[number] = found
    problems: list[agency.RowProblem] = []
    parsed: list[_Row] = []
    # Operations with a row already refused are not checked further: what is
    # missing from the other rows may be on the refused one.
    refused: set[str] = set()
    for raw_row, line_number in zip(table, lines, strict=True):
        row = _parse_row(line_number, raw_row, index, columns, problems, alerts)
        if row is not None:
            parsed.append(row)
        else:
            at = index["reference"]
            refused.add(raw_row[at].strip() if at < len(raw_row) else "")
    groups = _group(parsed, problems, columns)
    existing = {
        s.reference: s
        for s in Seizure.objects.filter(tenant=tenant, reference__in=list(groups))
        .select_related("comune", "incident")
        .prefetch_related("goods")
    }
    finder = ComuneFinder()
    checked_points: dict[tuple[int, float, float], bool] = {}

    def inside(comune: Comune, lon: float, lat: float) -> bool:
        key = (comune.pk, lon, lat)
        if key not in checked_points:
            checked_points[key] = point_in_comune(comune, lon, lat)
        return checked_points[key]

    plan: list[tuple[Seizure, list[SeizedGoods], str]] = []
    result = SeizureImportResult(
        filename=filename, rows=len(table), operations=len(groups), ignored_columns=ignored
    )
    for reference, group in groups.items():
        if reference in refused:
            continue
        first = group[0]
        values = dict(first.operation)
        comune_text = values.pop("comune", "")
        comune: Comune | None = tenant.comune
        if comune_text:
            comune, reason = finder(comune_text)
            if comune is None:
                problems.append(
                    agency.RowProblem(first.line, columns["comune"], comune_text, reason)
                )
                continue
        old = existing.get(reference)
        seizure = old or Seizure(tenant=tenant, reference=reference, recorded_by=_user(actor))
        before = _operation_signature(seizure) if old is not None else None
        # A field whose column the file lacks keeps what is recorded (for a new
        # operation: the tenant's comune, or nothing); an empty cell clears it.
        if "comune" in columns or old is None:
            seizure.comune = comune
        for name in (
            "seized_on",
            "unit",
            "place_type",
            "address",
            "lon",
            "lat",
            "outcome",
            "notes",
        ):
            if name in columns or old is None:
                empty = (
                    "" if name in ("unit", "address", "notes", "place_type", "outcome") else None
                )
                setattr(seizure, name, values.get(name, empty))
        for name, messages in seizure_errors(
            tenant, seizure, check_reference=False, inside=inside
        ).items():
            column_field = name if name in COLUMNS else "reference"
            problems.append(
                agency.RowProblem(
                    first.line,
                    columns.get(column_field, column_field),
                    first.cells.get(column_field, ""),
                    " ".join(messages),
                )
            )
        new_lines: list[SeizedGoods] = []
        for row in group:
            goods_line, line_problems = goods_errors(row.goods)
            new_lines.append(goods_line)
            for name, messages in line_problems.items():
                problems.append(
                    agency.RowProblem(
                        row.line,
                        columns.get(name, name),
                        row.cells.get(name, ""),
                        " ".join(messages),
                    )
                )
        if old is None:
            plan.append((seizure, new_lines, "create"))
        else:
            lines_changed = _lines_differ(old.goods.all(), new_lines)
            if lines_changed:
                plan.append((seizure, new_lines, "replace"))
            elif before != _operation_signature(seizure):
                plan.append((seizure, new_lines, "update"))
            else:
                plan.append((seizure, new_lines, "unchanged"))
    if problems:
        raise SeizureImportRefusedError(sorted(problems, key=lambda p: (p.line, p.field)))
    for _seizure, _lines, what in plan:
        if what == "create":
            result.created += 1
        elif what == "unchanged":
            result.unchanged += 1
        else:
            result.updated += 1
    if dry_run:
        result.saved = False
        return result
    for seizure, new_lines, what in plan:
        if what == "unchanged":
            continue
        seizure.save()
        if what in ("create", "replace"):
            if what == "replace":
                seizure.goods.all().delete()
            for goods_line in new_lines:
                goods_line.seizure = seizure
            SeizedGoods.objects.bulk_create(new_lines)
    do_record_audit(
        actor,
        AuditEvent.Action.IMPORT,
        "counterfeit.seizure",
        "",
        f"{filename}: +{result.created} ~{result.updated} ={result.unchanged}",
        organisation=tenant,
        comune_code=tenant.comune.istat_code if tenant.comune is not None else "",
        detail={
            "rows": result.rows,
            "operations": result.operations,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )
    return result


def _operation_signature(seizure: Seizure) -> tuple[Any, ...]:
    return (
        seizure.seized_on,
        seizure.unit,
        seizure.comune_id,
        seizure.place_type,
        seizure.address,
        seizure.lon,
        seizure.lat,
        seizure.outcome,
        seizure.notes,
    )

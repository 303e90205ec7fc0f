"""Every write to the awareness campaigns, with its rules, the CSV import, and before/after.

A campaign has a topic, a target audience, at least one channel, and a period
whose end is not before its start; the people reached, when known, are not
negative. A tenant has one campaign per topic and start date: the import
matches on that, so re-importing a file adds nothing. Every write is
all-or-nothing and audited.

:func:`before_after` puts side by side the tenant's seizures in the weeks
before a campaign and in the weeks after it. It only describes: seizures
depend on how much the police look, on the season and on much else, so a
difference says nothing about what the campaign caused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.accounts.permissions import TENANT_KINDS
from prossima.assets import agency
from prossima.counterfeit import seizure_queries
from prossima.counterfeit.models import Audience, Campaign, Channel, ProductCategory
from prossima.counterfeit.seizures import CATEGORY_WORDS, _date, _lookup

# The fields of a campaign (the keyword arguments accepted by the do_* functions).
CAMPAIGN_FIELDS = (
    "topic",
    "description",
    "product_category",
    "audience",
    "channels",
    "starts_on",
    "ends_on",
    "people_reached",
    "reach_notes",
)
TEXT_FIELDS = ("topic", "description", "reach_notes")
DEFAULT_WEEKS = 12
MAX_WEEKS = 52


def today() -> dt.date:
    """Return today's date in the platform's time zone."""
    return timezone.localdate()


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _accepted(choices: Any) -> str:
    return ", ".join(str(label) for _value, label in choices)


# --- Rules -------------------------------------------------------------------------------


def campaign_errors(
    tenant: Organisation, campaign: Campaign, *, check_unique: bool = True
) -> dict[str, list[str]]:
    """Return what is wrong with a campaign (field -> messages); empty when it can be saved."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not (campaign.topic or "").strip():
        add("topic", _("Give the campaign's topic."))
    if not campaign.audience:
        add("audience", _("Choose the target audience."))
    elif campaign.audience not in Audience.values:
        add(
            "audience",
            _("Unknown audience; accepted: %(accepted)s.")
            % {"accepted": _accepted(Audience.choices)},
        )
    if campaign.product_category and campaign.product_category not in ProductCategory.values:
        add(
            "product_category",
            _("Unknown category; accepted: %(accepted)s.")
            % {"accepted": _accepted(ProductCategory.choices)},
        )
    channels = campaign.channels
    if not isinstance(channels, list | tuple) or not channels:
        add("channels", _("Choose at least one channel."))
    else:
        unknown = [str(c) for c in channels if c not in Channel.values]
        if unknown:
            add(
                "channels",
                _("Unknown channel %(value)s; accepted: %(accepted)s.")
                % {"value": ", ".join(unknown), "accepted": _accepted(Channel.choices)},
            )
    if campaign.starts_on is None:
        add("starts_on", _("Give the date the campaign starts."))
    if campaign.ends_on is None:
        add("ends_on", _("Give the date the campaign ends."))
    if (
        campaign.starts_on is not None
        and campaign.ends_on is not None
        and campaign.ends_on < campaign.starts_on
    ):
        add(
            "ends_on",
            _("The campaign ends (%(end)s) before it starts (%(start)s).")
            % {"end": campaign.ends_on.isoformat(), "start": campaign.starts_on.isoformat()},
        )
    reached = campaign.people_reached
    if reached is not None and (
        isinstance(reached, bool) or not isinstance(reached, int) or reached < 0
    ):
        add("people_reached", _("The people reached are a whole number, zero or more."))
    if check_unique and "topic" not in errors and campaign.starts_on is not None:
        clash = Campaign.objects.filter(
            tenant=tenant, topic=campaign.topic, starts_on=campaign.starts_on
        )
        if campaign.pk is not None:
            clash = clash.exclude(pk=campaign.pk)
        if clash.exists():
            add(
                "topic",
                _("A campaign on “%(topic)s” starting on %(date)s is already recorded.")
                % {"topic": campaign.topic, "date": campaign.starts_on.isoformat()},
            )
    try:
        campaign.full_clean(
            exclude=["tenant", "created_by", *errors],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    return errors


def _fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields of a campaign: {', '.join(sorted(unknown))}")
    cleaned = dict(fields)
    for name in TEXT_FIELDS:
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    if "product_category" in cleaned:
        cleaned["product_category"] = cleaned["product_category"] or ""
    if isinstance(cleaned.get("channels"), list | tuple):
        # Each channel once, in the order of the list of channels (unknown ones kept to be named).
        given = [str(c) for c in cleaned["channels"]]
        known = [c for c in Channel.values if c in given]
        cleaned["channels"] = known + [c for c in dict.fromkeys(given) if c not in known]
    return cleaned


def _check_tenant(tenant: Organisation) -> None:
    if tenant.kind not in TENANT_KINDS:
        raise ValidationError(_("Campaigns are recorded for a comune or a partner city."))


def _audit(actor: Any, action: str, campaign: Campaign) -> None:
    tenant = campaign.tenant
    do_record_audit(
        actor,
        action,
        "counterfeit.campaign",
        campaign.pk,
        f"{campaign.topic} {campaign.starts_on.isoformat()}",
        organisation=tenant,
        comune_code=tenant.comune.istat_code if tenant.comune is not None else "",
        detail={"people_reached": campaign.people_reached},
    )


@transaction.atomic
def do_record_campaign(actor: Any, tenant: Organisation, **fields: Any) -> Campaign:
    """Record a campaign of the tenant; nothing is saved when anything is wrong.

    ``fields`` are those of :data:`CAMPAIGN_FIELDS`; ``channels`` is a list of
    :class:`Channel` values. A ValidationError names the fields.
    """
    check_perm(actor, "counterfeit.manage_campaigns", tenant)
    _check_tenant(tenant)
    campaign = Campaign(tenant=tenant, created_by=_user(actor), **_fields(fields))
    errors = campaign_errors(tenant, campaign)
    if errors:
        raise ValidationError(errors)
    campaign.save()
    _audit(actor, AuditEvent.Action.CREATE, campaign)
    return campaign


@transaction.atomic
def do_update_campaign(actor: Any, campaign: Campaign, **fields: Any) -> Campaign:
    """Change a campaign's fields (e.g. the reach, once measured), with the same rules."""
    check_perm(actor, "counterfeit.manage_campaigns", campaign.tenant)
    values = _fields(fields)
    campaign = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("tenant", "tenant__comune")
        .get(pk=campaign.pk)
    )
    for name, value in values.items():
        setattr(campaign, name, value)
    errors = campaign_errors(campaign.tenant, campaign)
    if errors:
        raise ValidationError(errors)
    campaign.save()
    _audit(actor, AuditEvent.Action.UPDATE, campaign)
    return campaign


# --- Import ------------------------------------------------------------------------------

# Our fields, their labels, and the column names accepted (in the form of agency.header_key).
COLUMNS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "topic": (gettext_lazy("Topic"), ("tema", "argomento", "titolo", "topic", "title")),
    "description": (gettext_lazy("Description"), ("descrizione", "description")),
    "product_category": (
        gettext_lazy("Product category"),
        ("categoria", "categoria_prodotto", "product_category", "category"),
    ),
    "audience": (
        gettext_lazy("Target audience"),
        ("pubblico", "destinatari", "target", "audience"),
    ),
    "channels": (gettext_lazy("Channels"), ("canali", "canale", "channels", "channel")),
    "starts_on": (
        gettext_lazy("Starts on"),
        ("inizio", "data_inizio", "dal", "starts_on", "start", "start_date"),
    ),
    "ends_on": (
        gettext_lazy("Ends on"),
        ("fine", "data_fine", "al", "ends_on", "end", "end_date"),
    ),
    "people_reached": (
        gettext_lazy("People reached"),
        ("persone_raggiunte", "raggiunti", "copertura", "people_reached", "reach"),
    ),
    "reach_notes": (
        gettext_lazy("How the reach was measured"),
        ("note_copertura", "note", "reach_notes", "notes"),
    ),
}
REQUIRED_COLUMNS = ("topic", "audience", "channels", "starts_on", "ends_on")
# Several channels in one cell: separated by ; or | (or a comma).
CHANNEL_SEPARATORS = re.compile(r"[;|,]")

# Words a comune's file uses for each value, besides our codes and the English labels.
# The first word of each is the one named in the list of accepted values.
AUDIENCE_WORDS: dict[str, tuple[str, ...]] = {
    Audience.GENERAL: ("cittadinanza", "tutti", "pubblico generale", "generale"),
    Audience.YOUNG: ("giovani", "ragazzi"),
    Audience.SCHOOLS: ("scuole", "studenti", "scuola"),
    Audience.TOURISTS: ("turisti", "turismo"),
    Audience.TRADERS: ("commercianti", "ambulanti", "esercenti"),
    Audience.ONLINE: ("acquirenti online", "online", "e-commerce"),
    Audience.ELDERLY: ("anziani", "terza eta"),
}
CHANNEL_WORDS: dict[str, tuple[str, ...]] = {
    Channel.POSTERS: ("manifesti", "volantini", "affissioni", "manifesti e volantini"),
    Channel.SOCIAL: ("social", "social network", "social media"),
    Channel.PRESS: ("stampa", "giornali", "comunicato stampa"),
    Channel.RADIO_TV: ("radio e tv", "radio", "tv", "televisione"),
    Channel.WEBSITE: ("sito", "sito web", "web", "sito internet"),
    Channel.EVENTS: ("eventi", "evento", "stand", "banchetti"),
    Channel.SCHOOLS: ("lezioni nelle scuole", "lezioni", "incontri nelle scuole"),
    Channel.MARKETS: ("mercati", "visite ai mercati", "negozi", "visite"),
}


class CampaignFileError(ValueError):
    """Raised when a file cannot be read at all; the message says why."""


@dataclass
class CampaignImportRefusedError(Exception):
    """Raised when a file has values that cannot be used: nothing was imported."""

    problems: list[agency.RowProblem]

    def __str__(self) -> str:
        return ngettext(
            "%(count)s value cannot be used; nothing was imported.",
            "%(count)s values cannot be used; nothing was imported.",
            len(self.problems),
        ) % {"count": len(self.problems)}


@dataclass
class CampaignImportResult:
    """What an import did (or, checked only, would do)."""

    filename: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    saved: bool = True
    ignored_columns: list[str] = field(default_factory=list)


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


def _people(text: str) -> int:
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace(".", "").replace("'", "")
    if not cleaned.isdigit():
        raise ValueError(_("not a whole number of people; accepted: 0 or more, e.g. 1500"))
    return int(cleaned)


def _channels(text: str) -> list[str]:
    found: list[str] = []
    for part in CHANNEL_SEPARATORS.split(text):
        if part.strip():
            found.append(_lookup(Channel, CHANNEL_WORDS, part))
    if not found:
        raise ValueError(_("no channel given"))
    return found


def _parse_row(
    line: int,
    raw: list[str],
    index: dict[str, int],
    columns: dict[str, str],
    problems: list[agency.RowProblem],
) -> tuple[dict[str, str], dict[str, Any]] | None:
    """Check one row's values one by one; return its cells and values, or None."""
    cells = {name: (raw[i].strip() if i < len(raw) else "") for name, i in index.items()}
    found: list[agency.RowProblem] = []

    def problem(name: str, reason: str) -> None:
        found.append(agency.RowProblem(line, columns.get(name, name), cells.get(name, ""), reason))

    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in cells:
            values[name] = cells[name]
    for name in REQUIRED_COLUMNS:
        if not cells.get(name):
            problem(name, _("the value is empty"))
    for name in ("starts_on", "ends_on"):
        if cells.get(name):
            try:
                values[name] = _date(cells[name])
            except ValueError as exc:
                problem(name, str(exc))
    if cells.get("audience"):
        try:
            values["audience"] = _lookup(Audience, AUDIENCE_WORDS, cells["audience"])
        except ValueError as exc:
            problem("audience", str(exc))
    if "product_category" in cells:
        values["product_category"] = ""
        if cells["product_category"]:
            try:
                values["product_category"] = _lookup(
                    ProductCategory, CATEGORY_WORDS, cells["product_category"]
                )
            except ValueError as exc:
                problem("product_category", str(exc))
    if cells.get("channels"):
        try:
            values["channels"] = _channels(cells["channels"])
        except ValueError as exc:
            problem("channels", str(exc))
    if "people_reached" in cells:
        values["people_reached"] = None
        if cells["people_reached"]:
            try:
                values["people_reached"] = _people(cells["people_reached"])
            except ValueError as exc:
                problem("people_reached", str(exc))
    problems.extend(found)
    if found:
        return None
    return cells, values


def _signature(campaign: Campaign) -> tuple[Any, ...]:
    return tuple(
        sorted(campaign.channels) if name == "channels" else getattr(campaign, name)
        for name in CAMPAIGN_FIELDS
    )


@transaction.atomic
def do_import_campaigns(
    actor: Any, tenant: Organisation, raw: bytes, filename: str, *, dry_run: bool = False
) -> CampaignImportResult:
    """Import a CSV of campaigns, one row each, headers in Italian or English.

    Nothing is saved when any value cannot be used (CampaignImportRefusedError
    lists each with its line, column, value and the values accepted); with
    ``dry_run`` nothing is saved either way. A campaign already recorded with
    the same topic and start date is updated when the file says something
    else, so importing the same file again changes nothing.
    """
    check_perm(actor, "counterfeit.manage_campaigns", tenant)
    _check_tenant(tenant)
    try:
        text = agency.decode(raw)
        header, table, lines = agency.read_table_lines(text, filename)
    except UnicodeDecodeError as exc:
        raise CampaignFileError(
            _("%(file)s: the text is not in UTF-8 or Windows-1252.") % {"file": filename}
        ) from exc
    except agency.AgencyFileError as exc:
        raise CampaignFileError(str(exc)) from exc
    columns, ignored = _guess_columns(header)
    missing = [str(COLUMNS[n][0]) for n in REQUIRED_COLUMNS if n not in columns]
    if missing:
        raise CampaignFileError(
            _("%(file)s: columns missing: %(missing)s. Accepted headers: %(accepted)s.")
            % {
                "file": filename,
                "missing": ", ".join(missing),
                "accepted": "; ".join(
                    f"{label} ({', '.join(synonyms)})" for label, synonyms in COLUMNS.values()
                ),
            }
        )
    index = {name: header.index(column) for name, column in columns.items()}
    problems: list[agency.RowProblem] = []
    existing = {(c.topic, c.starts_on): c for c in Campaign.objects.filter(tenant=tenant)}
    seen: dict[tuple[str, dt.date], int] = {}
    plan: list[tuple[Campaign, str]] = []
    result = CampaignImportResult(filename=filename, rows=len(table), ignored_columns=ignored)
    for raw_row, line in zip(table, lines, strict=True):
        parsed = _parse_row(line, raw_row, index, columns, problems)
        if parsed is None:
            continue
        cells, values = parsed
        key = (values["topic"], values["starts_on"])
        if key in seen:
            problems.append(
                agency.RowProblem(
                    line,
                    columns["topic"],
                    cells["topic"],
                    _(
                        "line %(line)s has the same topic and start date; a comune has one "
                        "campaign per topic and start date"
                    )
                    % {"line": seen[key]},
                )
            )
            continue
        seen[key] = line
        old = existing.get(key)
        campaign = old or Campaign(tenant=tenant, created_by=_user(actor))
        before = _signature(old) if old is not None else None
        # A field whose column the file lacks keeps what is recorded.
        for name, value in values.items():
            setattr(campaign, name, value)
        for name, messages in campaign_errors(tenant, campaign, check_unique=False).items():
            column_field = name if name in columns else "topic"
            problems.append(
                agency.RowProblem(
                    line,
                    columns.get(column_field, column_field),
                    cells.get(column_field, ""),
                    " ".join(messages),
                )
            )
        if old is None:
            plan.append((campaign, "create"))
        elif before != _signature(campaign):
            plan.append((campaign, "update"))
        else:
            plan.append((campaign, "unchanged"))
    if problems:
        raise CampaignImportRefusedError(sorted(problems, key=lambda p: (p.line, p.field)))
    for _campaign, what in plan:
        if what == "create":
            result.created += 1
        elif what == "update":
            result.updated += 1
        else:
            result.unchanged += 1
    if dry_run:
        result.saved = False
        return result
    for campaign, what in plan:
        if what != "unchanged":
            campaign.save()
    do_record_audit(
        actor,
        AuditEvent.Action.IMPORT,
        "counterfeit.campaign",
        "",
        f"{filename}: +{result.created} ~{result.updated} ={result.unchanged}",
        organisation=tenant,
        comune_code=tenant.comune.istat_code if tenant.comune is not None else "",
        detail={
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )
    return result


def channel_labels(campaign: Campaign) -> list[str]:
    """Return the labels of a campaign's channels, in their order."""
    labels = dict(Channel.choices)
    return [str(labels.get(c, c)) for c in campaign.channels]


# --- Before and after --------------------------------------------------------------------


@dataclass
class Window:
    """The seizures of the tenant in a stretch of weeks (both days included)."""

    date_from: dt.date
    date_to: dt.date
    weeks: int
    operations: int
    lines: int
    quantities: list[tuple[str, str, Any]]


@dataclass
class BeforeAfter:
    """The seizures in the weeks before a campaign and in the weeks after it (descriptive)."""

    campaign: Campaign
    weeks: int
    category: str
    before: Window
    after: Window | None
    weeks_after_passed: int


def _window(campaign: Campaign, date_from: dt.date, date_to: dt.date, weeks: int) -> Window:
    totals = seizure_queries.totals(campaign.tenant, date_from, date_to)
    row = totals.overall
    if campaign.product_category:
        row = next(
            (r for r in totals.by_category if r.key == campaign.product_category),
            seizure_queries.TotalRow(campaign.product_category, ""),
        )
    return Window(date_from, date_to, weeks, row.operations, row.lines, row.quantities)


def before_after(campaign: Campaign, weeks: int = DEFAULT_WEEKS) -> BeforeAfter:
    """Return the tenant's seizures in the ``weeks`` before the start and after the end.

    Only goods of the campaign's product category count when it has one (an
    operation counts when it seized any). After the end, only whole weeks that
    have passed are counted; ``after`` is None until one has. The figures
    describe; they do not measure what the campaign caused.
    """
    weeks = max(1, min(int(weeks), MAX_WEEKS))
    before = _window(
        campaign,
        campaign.starts_on - dt.timedelta(weeks=weeks),
        campaign.starts_on - dt.timedelta(days=1),
        weeks,
    )
    # A week has passed when its last day is before today.
    passed = max(0, min(weeks, ((today() - campaign.ends_on).days - 1) // 7))
    after = None
    if passed:
        after = _window(
            campaign,
            campaign.ends_on + dt.timedelta(days=1),
            campaign.ends_on + dt.timedelta(weeks=passed),
            passed,
        )
    return BeforeAfter(campaign, weeks, campaign.product_category, before, after, passed)

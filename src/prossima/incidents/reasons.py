"""Translate the reasons the analytic core gives for rejected rows.

The core is pure Python without gettext, so its reasons are English data; the
import report shows them in the reader's language. Unknown reasons are shown
as written.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EXACT: dict[str, str | Promise] = {
    "missing coordinates": _("missing coordinates"),
    "longitude is not a number": _("longitude is not a number"),
    "latitude is not a number": _("latitude is not a number"),
    "x is not a number": _("x is not a number"),
    "y is not a number": _("y is not a number"),
    "coordinates are 0,0 (placeholder for unknown location)": _(
        "coordinates are 0,0 (placeholder for unknown location)"
    ),
    "outside the boundary": _("outside the boundary of the comune"),
    "empty line": _("empty line"),
    "Crime type (category) is empty": _("Crime type (category) is empty"),
    "MCI (category) is empty": _("MCI (category) is empty"),
    "Month is not a month (expected YYYY-MM)": _("Month is not a month (expected YYYY-MM)"),
    "occurrencehour is not a whole hour 0-23": _("occurrencehour is not a whole hour 0-23"),
    "occurrencedate is not a date (expected YYYY/MM/DD or YYYY-MM-DD at the start)": _(
        "occurrencedate is not a date (expected YYYY/MM/DD or YYYY-MM-DD at the start)"
    ),
    "weight is not a number >= 0": _("weight is not a number >= 0"),
    "date in the future": _("date in the future"),
}
PATTERNS: list[tuple[re.Pattern[str], str | Promise]] = [
    (
        re.compile(r"^outside the study bounding box (?P<box>.+)$"),
        _("outside the study area (%(box)s)"),
    ),
    (
        re.compile(r"^(?P<column>.+) is not a time in the format (?P<format>.+)$"),
        _("%(column)s is not a time in the format %(format)s"),
    ),
    (re.compile(r"^(?P<column>.+) is not a time$"), _("%(column)s is not a time")),
]


def translate_reason(reason: str) -> str:
    """Return a rejected row's reason in the active language."""
    if reason in EXACT:
        return str(EXACT[reason])
    for pattern, template in PATTERNS:
        match = pattern.match(reason)
        if match:
            return str(template) % match.groupdict()
    return reason

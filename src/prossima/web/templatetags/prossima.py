"""Template filters shared by every app."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """Return a share (0–1) as a localised percentage, or a dash when unknown."""
    if value is None:
        return "–"
    return f"{number_format(100 * value, decimal_pos=digits)}\u00a0%"

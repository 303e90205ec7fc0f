"""Small server-rendered SVG charts (no JavaScript needed, readable by screen readers)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from prossima.territory.queries import PopulationSummary


def pyramid_svg(summary: PopulationSummary) -> SafeString:
    """Return an SVG population pyramid (males left, females right) in five-year bands."""
    bands = list(reversed(summary.pyramid))  # oldest at the top
    width, bar_h, gap, label_w = 520, 14, 2, 44
    half = (width - label_w) / 2
    peak = max(max(int(b["males"]), int(b["females"])) for b in bands) or 1
    rows = []
    for i, band in enumerate(bands):
        y = i * (bar_h + gap) + 16
        m = half * int(band["males"]) / peak
        f = half * int(band["females"]) / peak
        rows.append(
            (
                f"{half - m:.1f}",
                y,
                f"{m:.1f}",
                bar_h,
                band["band"],
                band["males"],
                f"{half + label_w:.1f}",
                y,
                f"{f:.1f}",
                bar_h,
                band["band"],
                band["females"],
                f"{half + label_w / 2:.1f}",
                y + bar_h - 3,
                band["band"],
            )
        )
    height = len(bands) * (bar_h + gap) + 20
    body = format_html_join(
        "",
        '<rect class="m" x="{}" y="{}" width="{}" height="{}"><title>{} M: {}</title></rect>'
        '<rect class="f" x="{}" y="{}" width="{}" height="{}"><title>{} F: {}</title></rect>'
        '<text x="{}" y="{}" text-anchor="middle">{}</text>',
        rows,
    )
    return format_html(
        '<svg viewBox="0 0 {} {}" role="img" aria-labelledby="pyramid-title">'
        '<title id="pyramid-title">{}</title>'
        '<text x="{}" y="11" text-anchor="middle">{}</text>'
        '<text x="{}" y="11" text-anchor="middle">{}</text>{}</svg>',
        width,
        height,
        _("Population pyramid by five-year age band"),
        f"{half / 2:.0f}",
        _("Males"),
        f"{half + label_w + half / 2:.0f}",
        _("Females"),
        body,
    )

"""Small SVG charts for indicators, drawn on the server.

Plain SVG needs no JavaScript, prints in the PDF report (WeasyPrint draws SVG)
and carries a title and one ``<title>`` per mark for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

BLUE = "#0066cc"
BAND = "#cfe0f5"
GREY = "#5c6f82"


def _fmt(value: float) -> str:
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return str(number_format(round(value, digits), digits, use_l10n=True))


def band_chart_svg(
    points: Sequence[Any], bands: dict[int, Any], title: str, chart_id: str
) -> SafeString:
    """Return the comune's yearly values over the band of comparable comuni.

    ``points`` have ``year`` and ``value`` (None when missing or suppressed);
    ``bands`` map a year to an object with ``p25``, ``median`` and ``p75``.
    """
    years = sorted({p.year for p in points} | set(bands))
    if not years:
        return SafeString("")
    values = [p.value for p in points if p.value is not None]
    for band in bands.values():
        values += [band.p25, band.p75]
    if not values:  # every value suppressed and nothing to compare with: nothing to draw
        return SafeString("")
    low, high = min(values), max(values)
    low = min(low, 0.0)
    if high == low:
        high = low + 1
    width, height, left, bottom, top = 520, 200, 56, 28, 14
    step = (width - left - 16) / max(1, len(years))

    def x(year: int) -> float:
        return left + step * (years.index(year) + 0.5)

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - (value - low) / (high - low))

    marks: list[SafeString] = []
    for year, band in sorted(bands.items()):
        marks.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                "<title>{}</title></rect>"
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-dasharray="3 2"/>',
                f"{x(year) - step * 0.3:.1f}",
                f"{y(band.p75):.1f}",
                f"{step * 0.6:.1f}",
                f"{max(1.0, y(band.p25) - y(band.p75)):.1f}",
                BAND,
                _("%(year)s: comparable comuni between %(p25)s and %(p75)s, median %(median)s")
                % {
                    "year": year,
                    "p25": _fmt(band.p25),
                    "p75": _fmt(band.p75),
                    "median": _fmt(band.median),
                },
                f"{x(year) - step * 0.3:.1f}",
                f"{x(year) + step * 0.3:.1f}",
                f"{y(band.median):.1f}",
                f"{y(band.median):.1f}",
                GREY,
            )
        )
    shown = [p for p in sorted(points, key=lambda p: p.year) if p.value is not None]
    if len(shown) > 1:
        path = " ".join(f"{x(p.year):.1f},{y(p.value):.1f}" for p in shown)
        marks.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>', path, BLUE
            )
        )
    marks.extend(
        format_html(
            '<circle cx="{}" cy="{}" r="4.5" fill="{}"><title>{}: {}</title></circle>',
            f"{x(p.year):.1f}",
            f"{y(p.value):.1f}",
            BLUE,
            p.year,
            _fmt(p.value),
        )
        for p in shown
    )
    axis = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle" font-size="11">{}</text>',
        ((f"{x(year):.1f}", height - 8, year) for year in years),
    )
    scale = format_html(
        '<text x="{}" y="{}" text-anchor="end" font-size="11">{}</text>'
        '<text x="{}" y="{}" text-anchor="end" font-size="11">{}</text>'
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#c5c7c9"/>',
        left - 6,
        f"{y(high) + 4:.1f}",
        _fmt(high),
        left - 6,
        f"{y(low) + 4:.1f}",
        _fmt(low),
        left,
        width - 16,
        f"{y(low):.1f}",
        f"{y(low):.1f}",
    )
    return format_html(
        '<svg class="indicator-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}">'
        '<title id="{}">{}</title>{}{}{}</svg>',
        width,
        height,
        chart_id,
        chart_id,
        title,
        scale,
        SafeString("".join(marks)),
        axis,
    )


def bars_svg(
    rows: Sequence[tuple[str, float]], title: str, chart_id: str, *, counts: bool = True
) -> SafeString:
    """Return a horizontal bar chart of labelled values (e.g. assets by stage).

    ``counts`` writes the values as whole numbers.
    """
    if not rows:
        return SafeString("")
    shown = (lambda v: str(number_format(v, 0, use_l10n=True))) if counts else _fmt
    width, bar, gap, label_w = 520, 16, 6, 190
    peak = max(v for _label, v in rows) or 1
    body = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" font-size="11">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
        '<text x="{}" y="{}" font-size="11">{}</text>',
        (
            (
                label_w - 6,
                i * (bar + gap) + bar - 3,
                # Long names are cut to fit; the bar's tooltip keeps the whole name.
                label if len(label) <= 30 else label[:29] + "…",
                label_w,
                i * (bar + gap),
                f"{(width - label_w - 50) * value / peak:.1f}",
                bar,
                BLUE,
                label,
                shown(value),
                f"{label_w + (width - label_w - 50) * value / peak + 4:.1f}",
                i * (bar + gap) + bar - 3,
                shown(value),
            )
            for i, (label, value) in enumerate(rows)
        ),
    )
    height = len(rows) * (bar + gap)
    return format_html(
        '<svg class="indicator-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}">'
        '<title id="{}">{}</title>{}</svg>',
        width,
        height,
        chart_id,
        chart_id,
        title,
        body,
    )


def comune_map_svg(
    boundary: dict[str, Any],
    layers: Sequence[tuple[str, str, Sequence[tuple[float, float]]]],
    title: str,
    chart_id: str,
) -> SafeString:
    """Return a map of a comune's boundary with point layers, drawn as SVG.

    ``boundary`` is a GeoJSON (Multi)Polygon in lon/lat; each layer is
    (label, colour, points). The projection is equirectangular scaled by the
    cosine of the latitude: exact enough at the size of a comune, and it needs
    no tiles, so the map prints in the PDF report.
    """
    import math

    rings: list[list[tuple[float, float]]] = []
    polygons = (
        boundary["coordinates"] if boundary["type"] == "MultiPolygon" else [boundary["coordinates"]]
    )
    for polygon in polygons:
        rings.extend([(p[0], p[1]) for p in ring] for ring in polygon)
    if not rings:
        return SafeString("")
    lons = [p[0] for ring in rings for p in ring]
    lats = [p[1] for ring in rings for p in ring]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    k = math.cos(math.radians((south + north) / 2))
    span_x, span_y = (east - west) * k or 1e-6, (north - south) or 1e-6
    width = 520
    height = max(120, min(520, round(width * span_y / span_x)))
    scale = min((width - 20) / span_x, (height - 20) / span_y)

    def xy(lon: float, lat: float) -> tuple[str, str]:
        return f"{10 + (lon - west) * k * scale:.1f}", f"{10 + (north - lat) * scale:.1f}"

    path = " ".join(
        "M " + " L ".join(" ".join(xy(lon, lat)) for lon, lat in ring) + " Z" for ring in rings
    )
    marks = []
    legend = []
    for i, (label, colour, points) in enumerate(layers):
        inside = [p for p in points if west <= p[0] <= east and south <= p[1] <= north]
        marks.append(
            format_html_join(
                "",
                '<circle cx="{}" cy="{}" r="4" fill="{}" stroke="#fff" stroke-width="1"/>',
                ((*xy(lon, lat), colour) for lon, lat in inside),
            )
        )
        legend.append(
            format_html(
                '<circle cx="{}" cy="{}" r="5" fill="{}"/>'
                '<text x="{}" y="{}" font-size="11">{} ({})</text>',
                18,
                height + 14 + 18 * i,
                colour,
                30,
                height + 18 + 18 * i,
                label,
                len(inside),
            )
        )
    return format_html(
        '<svg class="indicator-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}">'
        '<title id="{}">{}</title><path d="{}" fill="#f2f7fc" stroke="{}" stroke-width="1.5"/>'
        "{}{}</svg>",
        width,
        height + 10 + 18 * len(layers),
        chart_id,
        chart_id,
        title,
        path,
        BLUE,
        SafeString("".join(marks)),
        SafeString("".join(legend)),
    )

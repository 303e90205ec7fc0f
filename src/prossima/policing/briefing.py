"""Draw the map of a patrol briefing as inline SVG: the beat and its numbered boxes.

A drawn map prints on any printer and needs no tiles or scripts; the beat's
outline and the boxes' numbers are what an officer needs on paper.
"""

from __future__ import annotations

import math

import shapely
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from prossima.policing.models import PatrolPlan

WIDTH, HEIGHT, PAD = 640, 440, 16


def briefing_svg(patrol: PatrolPlan) -> SafeString:
    """Return an SVG map of the patrol's beat with its boxes numbered in visit order."""
    beat = shapely.from_geojson(patrol.beat.geometry)
    boxes = [(b.order, shapely.from_geojson(b.geometry)) for b in patrol.boxes.all()]
    minx, miny, maxx, maxy = beat.bounds
    # Equirectangular with the latitude's scale: true shapes at city size.
    kx = math.cos(math.radians((miny + maxy) / 2))
    span_x, span_y = max((maxx - minx) * kx, 1e-9), max(maxy - miny, 1e-9)
    scale = min((WIDTH - 2 * PAD) / span_x, (HEIGHT - 2 * PAD) / span_y)

    def xy(lon: float, lat: float) -> str:
        return f"{PAD + (lon - minx) * kx * scale:.1f},{HEIGHT - PAD - (lat - miny) * scale:.1f}"

    def path(geom: shapely.Geometry) -> str:
        parts = []
        polygons = getattr(geom, "geoms", [geom])
        for poly in polygons:
            for ring in [poly.exterior, *poly.interiors]:
                parts.append("M" + " L".join(xy(x, y) for x, y in ring.coords) + " Z")
        return " ".join(parts)

    items = [
        f'<path d="{path(beat)}" fill="#e8f1fb" stroke="#0066cc" stroke-width="2" '
        'fill-rule="evenodd"/>'
    ]
    for order, geom in boxes:
        c = geom.centroid
        cx, cy = (float(v) for v in xy(c.x, c.y).split(","))
        items.append(
            f'<path d="{path(geom)}" fill="#4a0072" fill-opacity="0.35" stroke="#4a0072"/>'
        )
        items.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="11" fill="#4a0072"/>'
            f'<text x="{cx:.1f}" y="{cy + 4:.1f}" text-anchor="middle" font-size="12" '
            f'font-family="sans-serif" fill="#fff">{order}</text>'
        )
    title = escape(f"{patrol.beat} – {len(boxes)}")
    return mark_safe(  # noqa: S308 -- numbers and escaped text only
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{title}" class="briefing-map">{"".join(items)}</svg>'
    )

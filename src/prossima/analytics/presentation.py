"""Turn stored results into what pages show: legends, tables and map-sized layers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# Gi* classes: -3..3 = cold 99/95/90 %, not significant, hot 90/95/99 %. Colours
# from ColorBrewer RdBu, the usual diverging scheme of hot-spot maps.
GI_CLASSES: list[dict[str, Any]] = [
    # xgettext:no-python-format
    {"value": 3, "label": _("Hot spot, 99% confidence"), "color": "#b2182b"},
    # xgettext:no-python-format
    {"value": 2, "label": _("Hot spot, 95% confidence"), "color": "#ef8a62"},
    # xgettext:no-python-format
    {"value": 1, "label": _("Hot spot, 90% confidence"), "color": "#fddbc7"},
    # xgettext:no-python-format
    {"value": -1, "label": _("Cold spot, 90% confidence"), "color": "#d1e5f0"},
    # xgettext:no-python-format
    {"value": -2, "label": _("Cold spot, 95% confidence"), "color": "#67a9cf"},
    # xgettext:no-python-format
    {"value": -3, "label": _("Cold spot, 99% confidence"), "color": "#2166ac"},
]

EMERGING_STYLES: list[dict[str, Any]] = [
    {"value": "new hot spot", "label": _("New hot spot"), "color": "#fee5d9"},
    {"value": "consecutive hot spot", "label": _("Consecutive hot spot"), "color": "#fcae91"},
    {"value": "intensifying hot spot", "label": _("Intensifying hot spot"), "color": "#a50f15"},
    {"value": "persistent hot spot", "label": _("Persistent hot spot"), "color": "#de2d26"},
    {"value": "diminishing hot spot", "label": _("Diminishing hot spot"), "color": "#fb6a4a"},
    {"value": "sporadic hot spot", "label": _("Sporadic hot spot"), "color": "#fdd0a2"},
    {"value": "oscillating hot spot", "label": _("Oscillating hot spot"), "color": "#fd8d3c"},
    {"value": "historical hot spot", "label": _("Historical hot spot"), "color": "#bcbddc"},
    {"value": "new cold spot", "label": _("New cold spot"), "color": "#deebf7"},
    {"value": "consecutive cold spot", "label": _("Consecutive cold spot"), "color": "#9ecae1"},
    {"value": "intensifying cold spot", "label": _("Intensifying cold spot"), "color": "#08519c"},
    {"value": "persistent cold spot", "label": _("Persistent cold spot"), "color": "#3182bd"},
    {"value": "diminishing cold spot", "label": _("Diminishing cold spot"), "color": "#6baed6"},
    {"value": "sporadic cold spot", "label": _("Sporadic cold spot"), "color": "#c6dbef"},
    {"value": "oscillating cold spot", "label": _("Oscillating cold spot"), "color": "#4292c6"},
    {"value": "historical cold spot", "label": _("Historical cold spot"), "color": "#d9d9d9"},
]

# Words of the "why here?" explanation, keyed as the analytic core names them.
EXPLAIN_LABELS: dict[str, Any] = {
    "events_in_cell_last_7d": _("Incidents in the cell, last 7 days"),
    "events_in_cell_last_28d": _("Incidents in the cell, last 28 days"),
    "events_in_cell_last_365d": _("Incidents in the cell, last 365 days"),
    "events_within_300m_last_7d": _("Incidents within 300 m, last 7 days"),
    "events_within_300m_last_28d": _("Incidents within 300 m, last 28 days"),
    "events_within_300m_last_365d": _("Incidents within 300 m, last 365 days"),
    "days_since_last_event_in_cell": _("Days since the last incident in the cell"),
    "long_term_concentration": _("Long-term concentration"),
    "recent_nearby_events": _("Recent incidents nearby"),
    "triggering": _("Follow-on risk from recent nearby incidents"),
    "seasonality": _("Season"),
    "recent": _("Recent incidents"),
}

# The map draws at most this many KDE cells: the densest ones, which carry the pattern.
MAX_KDE_CELLS = 6000


def slim_layer(kind: str, doc: dict[str, Any], view: str) -> dict[str, Any]:
    """Return only the cells and properties the map needs for one view of a layer.

    ``gi``: significant Gi* cells; ``kde``: the densest cells (at least 2 % of
    the peak, at most MAX_KDE_CELLS); ``emerging``: cells with a pattern;
    ``forecast``: the stored top cells as they are.
    """
    features = doc.get("features", [])
    keep: list[dict[str, Any]] = []
    if view == "gi":
        keep = [f for f in features if f["properties"].get("gi_class")]
        names = ["cell_id", "count", "gi_class", "gi_z"]
    elif view == "kde":
        values = [f["properties"].get("kde") or 0.0 for f in features]
        peak = max(values, default=0.0)
        ranked = sorted(
            (f for f, v in zip(features, values, strict=True) if peak and v >= 0.02 * peak),
            key=lambda f: -(f["properties"].get("kde") or 0.0),
        )
        keep = ranked[:MAX_KDE_CELLS]
        names = ["cell_id", "count", "kde"]
    elif view == "emerging":
        keep = [f for f in features if f["properties"].get("category") != "no pattern"]
        names = ["cell_id", "count", "category", "trend_z"]
    elif view == "forecast":
        keep = features
        names = ["cell_id", "score", "rank", "percentile", "top1", "explained"]
    else:
        raise ValueError(f"unknown view {view!r}")
    if kind == "forecast" and view != "forecast":
        keep = []
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": f["geometry"],
                "properties": {k: f["properties"].get(k) for k in names},
            }
            for f in keep
        ],
        "properties": {"view": view, "cells": len(features)},
    }


def knox_table(doc: dict[str, Any]) -> dict[str, Any]:
    """Return the Knox ratios and p-values as rows of (space band, cells per time band)."""

    def band(b: list[Any], unit: str) -> str:
        return f"{b[0]:g}–{b[1]:g} {unit}" if b[1] is not None else f"> {b[0]:g} {unit}"

    rows = []
    for i, sb in enumerate(doc["space_bands"]):
        cells = []
        for j in range(len(doc["time_bands"])):
            ratio = doc["knox_ratio"][i][j]
            p = doc["p_value"][i][j]
            cells.append(
                {
                    "observed": doc["observed"][i][j],
                    "ratio": ratio,
                    "p": p,
                    "significant": p is not None and p < 0.05 and (ratio or 0) > 1,
                }
            )
        rows.append({"band": band(sb, "m"), "cells": cells})
    return {
        "time_bands": [band(b, "d") for b in doc["time_bands"]],
        "rows": rows,
        "permutations": doc.get("permutations"),
        "n_events": doc.get("n_events"),
        "month_only": doc.get("time_resolution") == "month",
    }


def backtest_table(doc: dict[str, Any]) -> dict[str, Any]:
    """Return mean hit rate, PAI and PEI per model and coverage for the run page."""
    coverages = doc.get("coverages_percent", [])
    rows = []
    for name, entry in doc.get("models", {}).items():
        rows.append(
            {
                "model": name,
                "hit_rate": [entry.get("hit_rate", {}).get(c) for c in coverages],
                "pai": [entry.get("pai", {}).get(c) for c in coverages],
                "pei": [entry.get("pei", {}).get(c) for c in coverages],
                "fit_seconds": entry.get("fit_seconds"),
            }
        )
    return {
        "coverages": coverages,
        "rows": rows,
        "periods": doc.get("periods"),
        "baseline": doc.get("baseline"),
    }


def map_labels() -> dict[str, Any]:
    """Return the words the map script shows, in the active language."""
    return {
        "none": _("None"),
        "loading": _("Loading…"),
        "error": _("The layer could not be loaded."),
        "shown": _("%(n)s incidents on the map."),
        "tooMany": _(
            "%(n)s incidents match: more than %(limit)s. Choose a month, a category or an area."
        ),
        "noPoints": _("No incidents match these filters."),
        "count": _("Incidents"),
        "density": _("Density (incidents per km²)"),
        "giClass": _("Gi* class"),
        "zScore": _("z-score"),
        "pattern": _("Pattern"),
        "rank": _("Rank"),
        "of": _("of"),
        "percentile": _("Percentile"),
        "whyHere": _("Why here?"),
        "parts": _("What the score is made of"),
        "context": _("What happened in and around the cell"),
        "share": _("share"),
        "noExplanation": _("Explanations are stored for the top cells of the forecast only."),
        "forecastLegend": _("Forecast: top 1% (dark) and top 5% of cells"),
        "densityLegend": _("Density: darker is denser"),
        "terms": {k: str(v) for k, v in EXPLAIN_LABELS.items()},
    }


def parameter_rows(form: Any, params: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the run's parameters as (field label, readable value), in the form's order."""
    from django.utils.formats import localize

    rows = []
    for name, field in form.fields.items():
        if name not in params or name == "categories":
            continue
        value = params[name]
        choices = dict(getattr(field, "choices", []) or [])
        if isinstance(value, bool):
            text = str(_("yes") if value else _("no"))
        elif isinstance(value, list):
            text = ", ".join(str(choices.get(v, v)) for v in value)
        elif value in choices:
            text = str(choices[value])
        else:
            text = str(localize(value))
        rows.append((str(field.label), text))
    return rows


def gi_class_rows(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """Return (colour, label, cells) per Gi* class, hottest first, with the non-significant."""
    rows = [(c["color"], str(c["label"]), int(counts.get(str(c["value"]), 0))) for c in GI_CLASSES]
    rows.insert(3, ("#ffffff", str(_("Not significant")), int(counts.get("0", 0))))
    return rows

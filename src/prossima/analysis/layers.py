"""Compute the per-cell layers of the hotspot analyses, shared by the CLI and the platform.

Each ``*_layer`` function takes an EventSet and a Grid and returns a
:class:`CellLayer`: one array per property (one value per study-area cell, in
``grid.cell_ids`` order) plus a JSON-ready summary. The command line writes
them to GeoJSON files; the web platform stores them as analysis runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from prossima.analysis.events import EventSet
from prossima.analysis.grid import Grid

__all__ = ["CellLayer", "emerging_layer", "hotspot_layer", "neighbour_weights"]


@dataclass
class CellLayer:
    """Hold the per-cell properties of one analysis and its summary."""

    grid: Grid
    properties: dict[str, np.ndarray]
    summary: dict[str, Any] = field(default_factory=dict)

    def geojson(self) -> dict[str, Any]:
        """Return the cells with their properties as a WGS84 FeatureCollection."""
        return self.grid.geojson(self.properties)


def neighbour_weights(spec: str, grid: Grid) -> sparse.csr_matrix | None:
    """Return the weights named by ``spec`` (None for ``queen``, which has a fast path).

    Accepted: ``queen``, ``distance:METRES``, ``knn:K``.
    """
    kind, _, value = spec.partition(":")
    try:
        if kind == "queen" and not value:
            return None
        if kind == "distance":
            return grid.distance_weights(float(value))
        if kind == "knn":
            return grid.knn_weights(int(value))
    except ValueError as exc:
        raise ValueError(f"weights {spec}: {exc}") from None
    raise ValueError(f"weights {spec!r} not understood; use queen, distance:METRES or knn:K.")


def hotspot_layer(
    events: EventSet,
    grid: Grid,
    *,
    bandwidth: float | None = None,
    kernel: str = "quartic",
    weights: str = "queen",
    permutations: int = 0,
    seed: int | None = None,
    fdr: bool = True,
    progress: Any = None,
) -> CellLayer:
    """Return counts, kernel density, Gi* and Local Moran's I per cell.

    Properties: ``count``, ``kde`` (events per square kilometre), ``gi_z``,
    ``gi_p``, ``gi_class`` (-3..3: 99/95/90 % cold to hot after the false
    discovery rate correction unless ``fdr`` is False) and ``lisa_class``.
    """
    from prossima.analysis.hotspots.getis_ord import gi_star, gi_star_grid
    from prossima.analysis.hotspots.kde import kde
    from prossima.analysis.hotspots.moran import local_moran

    if permutations < 0:
        raise ValueError("permutations must be 0 (analytic only) or more.")
    counts = grid.counts(events)
    density = kde(events, grid, bandwidth, kernel)
    w = neighbour_weights(weights, grid)
    if w is None:
        gi = gi_star_grid(counts, grid, permutations, seed, fdr, progress)
        w_lisa = grid.queen_weights(include_self=False)
    else:
        gi = gi_star(counts, w, permutations, seed, fdr, progress)
        w_lisa = w
    lisa = local_moran(counts, w_lisa, permutations, seed, alpha=0.05, fdr=fdr, progress=progress)
    gi_p = gi.p_sim if gi.p_sim is not None else gi.p_norm
    summary = {
        "events_analysed": len(events),
        "events_outside_grid": int((grid.assign(events) < 0).sum()),
        "cells": grid.n_cells,
        "cell_size_m": grid.cell_size,
        "kernel": density.kernel,
        "bandwidth_m": density.bandwidth,
        "weights": weights,
        "permutations": permutations,
        "seed": seed,
        "fdr": fdr,
        "gi_class_counts": {str(k): int((gi.classes == k).sum()) for k in range(-3, 4)},
        "lisa_class_counts": {
            k: int((lisa.classes == k).sum()) for k in ("HH", "LH", "LL", "HL", "ns")
        },
        # Pseudo p-values cannot go below 1/(permutations + 1); over thousands of
        # cells the false discovery rate correction may then leave nothing.
        "fdr_left_nothing": bool(permutations > 0 and fdr and not gi.classes.any()),
    }
    return CellLayer(
        grid,
        {
            "count": counts.astype(np.int64),
            "kde": np.round(density.density, 6),
            "gi_z": np.round(gi.z, 6),
            "gi_p": gi_p,
            "gi_class": gi.classes.astype(int),
            "lisa_class": lisa.classes,
        },
        summary,
    )


def emerging_layer(
    events: EventSet,
    grid: Grid,
    *,
    step: str = "1M",
    time_window: int = 1,
    alpha: float = 0.10,
    trend_alpha: float = 0.05,
    fdr: bool = False,
    progress: Any = None,
) -> CellLayer:
    """Return the emerging hot spot category, trend and hot/cold step counts per cell."""
    from prossima.analysis.hotspots.emerging import emerging_hotspots

    res = emerging_hotspots(
        events,
        grid,
        step,
        alpha=alpha,
        trend_alpha=trend_alpha,
        fdr=fdr,
        progress=progress,
        time_window=time_window,
    )
    cats, n = np.unique(res.category.astype(str), return_counts=True)
    summary = {
        "events_analysed": len(events),
        "cells": grid.n_cells,
        "cell_size_m": grid.cell_size,
        "step": step,
        "steps": res.step_starts,
        "category_counts": {str(c): int(k) for c, k in zip(cats, n, strict=True)},
    }
    return CellLayer(
        grid,
        {
            "count": res.counts.sum(axis=0).astype(np.int64),
            "category": res.category,
            "trend_z": np.round(res.trend_z, 6),
            "trend_p": res.trend_p,
            "hot_steps": res.hot_steps.astype(np.int64),
            "cold_steps": res.cold_steps.astype(np.int64),
        },
        summary,
    )

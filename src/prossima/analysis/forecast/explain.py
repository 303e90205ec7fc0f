"""Describe, in an analyst's words, what lies behind one cell's forecast.

``context_parts`` gives model-free facts about a cell (events in it and
nearby over several windows, days since its last event); each model adds
its own decomposition of the score (``BaseForecaster.explain``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from prossima.analysis.forecast._base import History
    from prossima.analysis.grid import Grid

__all__ = ["context_parts"]


def context_parts(
    hist: History, grid: Grid, origin: float, cell: int, radius: float = 300.0
) -> dict[str, Any]:
    """Return counts in and around ``cell`` before ``origin`` and the days since its last event."""
    cx, cy = grid.centroids()
    x0, y0 = float(cx[cell]), float(cy[cell])
    out: dict[str, Any] = {}
    for days in (7, 28, 365):
        w = hist.window(origin - days, origin)
        out[f"events_in_cell_last_{days}d"] = int(np.sum(hist.cell[w] == cell))
        near = np.hypot(hist.x[w] - x0, hist.y[w] - y0) <= radius
        out[f"events_within_{radius:g}m_last_{days}d"] = int(near.sum())
    mine = np.nonzero(hist.cell == cell)[0]
    out["days_since_last_event_in_cell"] = (
        None if len(mine) == 0 else round(float(origin - hist.days[mine[-1]]), 2)
    )
    return out

"""Render grid results as PNG maps with matplotlib (Agg backend, no basemap)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from prossima.analysis.grid import Grid

__all__ = ["plot_categories", "plot_hotspots"]

GI_COLOURS = ["#4575b4", "#91bfdb", "#e0f3f8", "#f7f7f7", "#fee090", "#fc8d59", "#d73027"]
GI_LABELS = [
    "cold 99 %",
    "cold 95 %",
    "cold 90 %",
    "not significant",
    "hot 90 %",
    "hot 95 %",
    "hot 99 %",
]


# Warm colours for hot patterns, cool for cold, strongest patterns darkest.
PATTERN_COLOURS = {
    "new hot spot": "#67000d",
    "consecutive hot spot": "#a50f15",
    "intensifying hot spot": "#de2d26",
    "persistent hot spot": "#fb6a4a",
    "diminishing hot spot": "#fcae91",
    "sporadic hot spot": "#fdd0a2",
    "oscillating hot spot": "#c994c7",
    "historical hot spot": "#bdbdbd",
    "new cold spot": "#08306b",
    "consecutive cold spot": "#08519c",
    "intensifying cold spot": "#3182bd",
    "persistent cold spot": "#6baed6",
    "diminishing cold spot": "#9ecae1",
    "sporadic cold spot": "#c6dbef",
    "oscillating cold spot": "#9e9ac8",
    "historical cold spot": "#969696",
    "no pattern": "#f7f7f7",
}


def _extent(grid: Grid) -> tuple[float, float, float, float]:
    n_rows, n_cols = grid.shape
    return (
        grid.x0 / 1000,
        (grid.x0 + n_cols * grid.cell_size) / 1000,
        grid.y0 / 1000,
        (grid.y0 + n_rows * grid.cell_size) / 1000,
    )


def plot_hotspots(
    path: str | Path, grid: Grid, density: np.ndarray, gi_class: np.ndarray, title: str
) -> None:
    """Write a two-panel map: kernel density, and Gi* hot/cold classes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    fig, axes = plt.subplots(1, 2, figsize=(14, 7), constrained_layout=True)
    ext = _extent(grid)
    im = axes[0].imshow(
        grid.to_raster(density), origin="lower", extent=ext, cmap="magma_r", interpolation="nearest"
    )
    fig.colorbar(im, ax=axes[0], shrink=0.7, label="events per km² (kernel density)")
    axes[0].set_title("Kernel density")
    classes = grid.to_raster(gi_class.astype(float) + 3)
    axes[1].imshow(
        classes,
        origin="lower",
        extent=ext,
        cmap=ListedColormap(GI_COLOURS),
        vmin=-0.5,
        vmax=6.5,
        interpolation="nearest",
    )
    axes[1].set_title("Getis-Ord Gi* hot and cold spots")
    axes[1].legend(
        handles=[
            Patch(facecolor=c, edgecolor="#999", label=lab)
            for c, lab in zip(GI_COLOURS, GI_LABELS, strict=True)
        ],
        loc="lower right",
        fontsize=8,
    )
    for ax in axes:
        ax.set_xlabel(f"x (km, {grid.crs})")
        ax.set_ylabel("y (km)")
        ax.set_aspect("equal")
    fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_categories(
    path: str | Path, grid: Grid, category: np.ndarray, order: Sequence[str], title: str
) -> None:
    """Write a map of one categorical value per cell (e.g. emerging hot spot categories)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    present = [c for c in order if np.any(category == c)]
    codes = np.array([present.index(c) for c in category], dtype=float)
    palette = plt.get_cmap("tab20").colors  # type: ignore[attr-defined]
    colours = [PATTERN_COLOURS.get(c, palette[i % 20]) for i, c in enumerate(present)]
    fig, ax = plt.subplots(figsize=(10, 8), constrained_layout=True)
    ax.imshow(
        grid.to_raster(codes),
        origin="lower",
        extent=_extent(grid),
        cmap=ListedColormap(colours),
        vmin=-0.5,
        vmax=len(present) - 0.5,
        interpolation="nearest",
    )
    ax.legend(
        handles=[
            Patch(facecolor=c, edgecolor="#999", label=lab)
            for c, lab in zip(colours, present, strict=True)
        ],
        loc="lower right",
        fontsize=8,
    )
    ax.set_title(title)
    ax.set_xlabel(f"x (km, {grid.crs})")
    ax.set_ylabel("y (km)")
    ax.set_aspect("equal")
    fig.savefig(path, dpi=110)
    plt.close(fig)

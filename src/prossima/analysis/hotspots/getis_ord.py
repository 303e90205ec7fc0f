"""Compute Getis-Ord Gi* hot and cold spots on per-cell values.

Statistic (Getis and Ord 1995, as in ArcGIS Hot Spot Analysis), with the
cell itself among its neighbours:

``z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n sum_j w_ij^2 - W_i^2) / (n - 1)))``

where ``W_i = sum_j w_ij``, ``xbar`` the mean and ``S`` the population
standard deviation of all ``n`` study-area values (empty cells included).
With binary weights this equals ``esda.G_Local(..., transform="B", star=True).Zs``.

Inference
    ``p_norm`` is the two-sided normal p-value of ``z``. With
    ``permutations > 0``, ``p_sim`` is the two-sided conditional-permutation
    p-value (see ``_permutation``), and it is the one used for classes.

False discovery rate
    With ``fdr=True`` the p-values are replaced by Benjamini-Hochberg
    q-values before classing, so that at most about 10 % / 5 % / 1 % of the
    cells called significant at each level are expected to be false alarms.

Classes (ArcGIS ``Gi_Bin``)
    ``+3/-3`` hot/cold at 99 % (p < 0.01), ``+-2`` at 95 % (p < 0.05), ``+-1``
    at 90 % (p < 0.10), ``0`` not significant; the sign follows ``z``.

Weights
    ``gi_star_grid`` uses the default: binary queen contiguity (the 8 touching
    cells) plus the cell itself, over all study-area cells including empty
    ones, computed as a 3x3 convolution. ``gi_star`` takes any sparse weights
    (for example ``Grid.distance_weights`` or ``Grid.knn_weights``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, sparse
from scipy.special import ndtr

from prossima.analysis.grid import Grid
from prossima.analysis.hotspots._permutation import neighbour_sums, two_sided_pseudo_p

__all__ = ["GiStarResult", "benjamini_hochberg", "gi_classes", "gi_star", "gi_star_grid"]

LEVELS = (0.01, 0.05, 0.10)
# Called with (cells done, cells) while permutations run.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class GiStarResult:
    """Hold Gi* z-scores, p-values and ArcGIS-style classes for each cell."""

    z: np.ndarray
    p_norm: np.ndarray
    p_sim: np.ndarray | None
    p: np.ndarray  # the p-value behind ``classes``: p_sim or p_norm, FDR-adjusted if asked
    classes: np.ndarray  # int8 in -3..3
    fdr: bool


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Return Benjamini-Hochberg adjusted p-values (q-values)."""
    p = np.asarray(p, dtype=np.float64)
    m = len(p)
    if m == 0:
        return p.copy()
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def gi_classes(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Return ArcGIS Gi_Bin classes -3..3 from z-scores and (adjusted) p-values."""
    level = np.zeros(len(z), dtype=np.int8)
    for value, cut in zip((3, 2, 1), LEVELS, strict=True):
        level = np.where((level == 0) & (p < cut), value, level).astype(np.int8)
    return (np.sign(z).astype(np.int8) * level).astype(np.int8)


def _z_from_sums(x: np.ndarray, lag: np.ndarray, wsum: np.ndarray, wsum2: np.ndarray) -> np.ndarray:
    n = len(x)
    mean = x.mean()
    s = np.sqrt(max(float((x * x).mean() - mean * mean), 0.0))
    den = s * np.sqrt(np.maximum(n * wsum2 - wsum * wsum, 0.0) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (lag - mean * wsum) / den
    # A constant surface or a cell linked to every cell has no variance: no evidence.
    return np.where(den > 0, z, 0.0)


def _finish(
    x: np.ndarray,
    z: np.ndarray,
    lag: np.ndarray,
    self_w: np.ndarray,
    weights: sparse.csr_matrix | None,
    permutations: int,
    seed: int | None,
    fdr: bool,
    progress: Progress | None,
) -> GiStarResult:
    p_norm = 2.0 * ndtr(-np.abs(z))
    p_sim = None
    p = p_norm
    if permutations:
        assert weights is not None
        sims = neighbour_sums(x, weights, permutations, seed, progress) + (self_w * x)[:, None]
        p_sim = two_sided_pseudo_p(lag, sims)
        p = p_sim
    if fdr:
        p = benjamini_hochberg(p)
    return GiStarResult(z=z, p_norm=p_norm, p_sim=p_sim, p=p, classes=gi_classes(z, p), fdr=fdr)


def gi_star(
    values: np.ndarray,
    weights: sparse.spmatrix,
    permutations: int = 0,
    seed: int | None = None,
    fdr: bool = False,
    progress: Progress | None = None,
) -> GiStarResult:
    """Return Gi* for ``values`` under ``weights`` (self-weight on the diagonal)."""
    x = np.asarray(values, dtype=np.float64)
    w = sparse.csr_matrix(weights, dtype=np.float64)
    if w.shape != (len(x), len(x)):
        raise ValueError(f"weights are {w.shape}, expected ({len(x)}, {len(x)}).")
    if len(x) < 3:
        raise ValueError("Gi* needs at least 3 cells.")
    lag = w @ x
    wsum = np.asarray(w.sum(axis=1)).ravel()
    wsum2 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    z = _z_from_sums(x, lag, wsum, wsum2)
    return _finish(x, z, lag, w.diagonal(), w, permutations, seed, fdr, progress)


def gi_star_grid(
    values: np.ndarray,
    grid: Grid,
    permutations: int = 0,
    seed: int | None = None,
    fdr: bool = False,
    progress: Progress | None = None,
) -> GiStarResult:
    """Return Gi* with binary queen-plus-self weights over the grid's study-area cells."""
    x = np.asarray(values, dtype=np.float64)
    if len(x) != grid.n_cells:
        raise ValueError(f"Got {len(x)} values for {grid.n_cells} study-area cells.")
    if len(x) < 3:
        raise ValueError("Gi* needs at least 3 cells.")
    box = np.ones((3, 3))
    raster = np.zeros(grid.shape)
    raster[grid.mask] = x
    lag = ndimage.correlate(raster, box, mode="constant", cval=0.0)[grid.mask]
    wsum = ndimage.correlate(grid.mask.astype(np.float64), box, mode="constant", cval=0.0)[
        grid.mask
    ]
    z = _z_from_sums(x, lag, wsum, wsum)
    weights = grid.queen_weights(include_self=True) if permutations else None
    return _finish(x, z, lag, np.ones(len(x)), weights, permutations, seed, fdr, progress)

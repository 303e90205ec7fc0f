"""Compute Local Moran's I (LISA) with its four quadrant classes.

Statistic (Anselin 1995, as in ``esda.Moran_Local``): with ``z`` the values
standardised by their mean and population standard deviation and ``W`` row
standardised (self-links removed),

``I_i = (n - 1) z_i sum_j w_ij z_j / sum_k z_k^2``.

Analytic inference uses the moments under total randomisation (Sokal et al.
1998, the ``EI``/``VI`` attributes of ``esda.Moran_Local``):
``z_I = (I - EI) / sqrt(VI)``, ``p_norm`` its two-sided normal p-value.
With ``permutations > 0``, ``p_sim`` is the two-sided conditional-permutation
p-value, used for the classes.

Quadrants: ``HH`` (high value among high neighbours), ``LH``, ``LL``, ``HL``
by the signs of ``z_i`` and its spatial lag (esda's ``q`` = 1, 2, 3, 4).
``classes`` gives the quadrant where ``p < alpha`` (after Benjamini-Hochberg
when ``fdr``) and ``"ns"`` elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import ndtr

from prossima.analysis.hotspots._permutation import neighbour_sums, two_sided_pseudo_p
from prossima.analysis.hotspots.getis_ord import benjamini_hochberg

__all__ = ["QUADRANTS", "LocalMoranResult", "local_moran"]

QUADRANTS = ("HH", "LH", "LL", "HL")


@dataclass(frozen=True)
class LocalMoranResult:
    """Hold Local Moran's I, its moments, p-values, quadrants and classes per cell."""

    I: np.ndarray  # noqa: E741 -- the statistic's name in the literature and in esda
    EI: np.ndarray
    VI: np.ndarray
    z: np.ndarray
    p_norm: np.ndarray
    p_sim: np.ndarray | None
    p: np.ndarray
    q: np.ndarray  # 1 HH, 2 LH, 3 LL, 4 HL
    classes: np.ndarray  # "HH", "LH", "LL", "HL" or "ns"


def local_moran(
    values: np.ndarray,
    weights: sparse.spmatrix,
    permutations: int = 0,
    seed: int | None = None,
    alpha: float = 0.05,
    fdr: bool = False,
    row_standardize: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> LocalMoranResult:
    """Return Local Moran's I of ``values`` under ``weights`` (diagonal ignored)."""
    y = np.asarray(values, dtype=np.float64)
    n = len(y)
    if n < 3:
        raise ValueError("Local Moran's I needs at least 3 cells.")
    w = sparse.csr_matrix(weights, dtype=np.float64, copy=True)
    w.setdiag(0)
    w.eliminate_zeros()
    if row_standardize:
        rs = np.asarray(w.sum(axis=1)).ravel()
        inv = np.divide(1.0, rs, out=np.zeros(n), where=rs > 0)
        w = sparse.csr_matrix(sparse.diags(inv) @ w)
    sd = y.std()
    z = (y - y.mean()) / sd if sd > 0 else np.zeros(n)
    den = float((z * z).sum())
    lag = w @ z
    stat = (n - 1) * z * lag / den if den > 0 else np.zeros(n)
    m2 = den / n
    wi = np.asarray(w.sum(axis=1)).ravel()
    wi2 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    ei = -wi / (n - 1)
    b2 = ((z**4).sum() / n) / m2**2 if m2 > 0 else 0.0
    vi = wi2 * (n - b2) / (n - 1)
    vi += (wi**2 - wi2) * (2 * b2 - n) / ((n - 1) * (n - 2))
    vi -= (-wi / (n - 1)) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        zi = np.where(vi > 0, (stat - ei) / np.sqrt(vi), 0.0)
    p_norm = 2.0 * ndtr(-np.abs(zi))
    p_sim = None
    p = p_norm
    if permutations:
        sims = neighbour_sums(z, w, permutations, seed, progress) * ((n - 1) * z / den)[:, None]
        p_sim = two_sided_pseudo_p(stat, sims)
        p = p_sim
    if fdr:
        p = benjamini_hochberg(p)
    zp, lp = z > 0, lag > 0
    q = np.where(zp & lp, 1, np.where(~zp & lp, 2, np.where(~zp & ~lp, 3, 4))).astype(np.int8)
    labels = np.array(QUADRANTS, dtype=object)[q - 1]
    classes = np.where(p < alpha, labels, "ns").astype(object)
    return LocalMoranResult(
        I=stat, EI=ei, VI=vi, z=zi, p_norm=p_norm, p_sim=p_sim, p=p, q=q, classes=classes
    )

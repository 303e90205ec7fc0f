"""Draw conditional-randomisation samples shared by the local statistics.

Conditional randomisation (Anselin 1995) keeps the value of cell ``i`` fixed
and gives its ``k_i`` neighbours values drawn without replacement from the
other ``n - 1`` cells. As in PySAL esda, one table of random indices is drawn
per run and reused for every cell (shifting indices past ``i`` so that a cell
never draws itself); the result is reproducible from ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import sparse

__all__ = ["neighbour_sums", "two_sided_pseudo_p"]

# Cells times permutations times neighbours gathered per block (bounds memory).
_BLOCK_ELEMENTS = 4_000_000


def neighbour_sums(
    values: np.ndarray,
    weights: sparse.csr_matrix,
    permutations: int,
    seed: int | None,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Return ``(n, permutations)`` simulated sums ``sum_j w_ij x_j`` over non-self neighbours."""
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    w = sparse.csr_matrix(weights, dtype=np.float64)
    w.setdiag(0)
    w.eliminate_zeros()
    w.sort_indices()
    card = np.diff(w.indptr)
    kmax = int(card.max()) if n else 0
    out = np.zeros((n, permutations))
    if kmax == 0 or permutations == 0:
        return out
    if kmax > n - 1:
        raise ValueError("A cell has more neighbours than there are other cells.")
    rng = np.random.default_rng(seed)
    table = np.stack([rng.choice(n - 1, size=kmax, replace=False) for _ in range(permutations)])
    # Neighbour weights padded to kmax so that the gather is one array operation.
    wpad = np.zeros((n, kmax))
    pos = np.arange(w.nnz) - np.repeat(w.indptr[:-1], card)
    wpad[np.repeat(np.arange(n), card), pos] = w.data
    block = max(1, _BLOCK_ELEMENTS // (permutations * kmax))
    for start in range(0, n, block):
        stop = min(n, start + block)
        cells = np.arange(start, stop)
        ids = table[None, :, :] + (table[None, :, :] >= cells[:, None, None])
        out[start:stop] = np.einsum("cpk,ck->cp", x[ids], wpad[start:stop])
        if progress is not None:
            progress(stop, n)
    return out


def two_sided_pseudo_p(observed: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    """Return the two-sided permutation p-value ``min(1, 2 min(p_upper, p_lower))``.

    ``p_upper = (#{sim >= obs} + 1) / (m + 1)`` and ``p_lower`` likewise with
    ``<=``. Counting both tails with ties keeps cells whose whole neighbourhood
    is empty (observed = every simulation = 0) at ``p = 1``.
    """
    m = simulated.shape[1]
    obs = observed[:, None]
    # A relative tolerance keeps float round-off from breaking exact ties.
    tol = 1e-12 * np.maximum(1.0, np.abs(obs))
    upper = ((simulated >= obs - tol).sum(axis=1) + 1.0) / (m + 1.0)
    lower = ((simulated <= obs + tol).sum(axis=1) + 1.0) / (m + 1.0)
    return np.minimum(1.0, 2.0 * np.minimum(upper, lower))

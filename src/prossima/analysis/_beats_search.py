"""Draw beats: seed, grow and improve them (the method behind ``prossima.analysis.beats``).

Cells are first contracted into units (a free cell, or a whole keep-together
group). ``seeds`` places one seed per beat by weighted k-means++ and Lloyd
iterations, ``grow`` grows the beats from them (the lightest beat takes the
nearest free neighbour), and ``Search.improve`` moves boundary units between
beats while the objective (imbalance plus compactness) drops, never breaking
a beat into pieces. The module docstring of ``prossima.analysis.beats``
describes the method and its sources.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from prossima.analysis.grid import Grid

__all__ = ["Search", "Units", "build_units", "grow", "seeds"]

# Weights of the two compactness terms inside the objective (before
# ``compactness_weight``). Tried on the Toronto data (20 beats, 7,000 cells):
# the perimeter term smooths outlines at little cost in balance, while a
# heavier inertia term mostly worsens balance (max/min 1.3 at 5x); with these
# max/min stays near 1.05. See benchmarks/README.md, "Beats (patrol districts)".
INERTIA_WEIGHT = 0.2
PERIMETER_WEIGHT = 0.3
# Lloyd iterations after k-means++ seeding.
LLOYD_ITERATIONS = 10


@dataclass
class Units:
    """Cells contracted into movable units: a free cell, or a whole group."""

    of_cell: np.ndarray  # unit index of each cell
    n: int
    workload: list[float]
    cells: list[int]
    sx: list[float]  # sums of cell-centre coordinates (cell sizes), for inertia
    sy: list[float]
    sq: list[float]  # sums of x**2 + y**2
    part: list[int]  # detached part of the study area holding the unit (0 = largest)
    n_parts: int
    nbrs: list[list[tuple[int, int]]]  # (neighbour unit, shared cell edges; 0 for a bridge)
    edges: tuple[np.ndarray, np.ndarray]  # unit pairs, both directions
    edge_weight: np.ndarray  # shared cell edges of each pair


def build_units(
    grid: Grid,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray],
    part: np.ndarray,
    workload: np.ndarray,
    groups: np.ndarray | None,
) -> Units:
    """Contract each group into one unit and sum the cells' data per unit.

    ``edges`` holds the contiguity graph as cell pairs (both directions) and,
    for each, whether the two cells share a side (1) or are only bridged (0);
    ``part`` gives each cell's detached part of the study area.
    """
    n = grid.n_cells
    if groups is None:
        of_cell = np.arange(n, dtype=np.int64)
    else:
        key = np.where(groups >= 0, groups, int(groups.max()) + 1 + np.arange(n))
        _, of_cell = np.unique(key, return_inverse=True)
        of_cell = of_cell.astype(np.int64).ravel()
    nu = int(of_cell.max()) + 1
    rows, cols = grid.rows_cols()
    x = cols + 0.5
    y = rows + 0.5
    w = np.bincount(of_cell, weights=workload, minlength=nu)
    c = np.bincount(of_cell, minlength=nu)
    sx = np.bincount(of_cell, weights=x, minlength=nu)
    sy = np.bincount(of_cell, weights=y, minlength=nu)
    sq = np.bincount(of_cell, weights=x * x + y * y, minlength=nu)
    # A group bridged across parts counts in the part of its first cell.
    unit_part = np.zeros(nu, dtype=np.int64)
    unit_part[of_cell[::-1]] = part[::-1]
    ci, cj, shared = edges
    ui, uj = of_cell[ci], of_cell[cj]
    diff = ui != uj
    pair = ui[diff] * nu + uj[diff]
    keys, inverse = np.unique(pair, return_inverse=True)
    weight = np.bincount(inverse, weights=shared[diff]).astype(np.int64)
    a, b = keys // nu, keys % nu
    nbrs: list[list[tuple[int, int]]] = [[] for _ in range(nu)]
    for p, q, e in zip(a.tolist(), b.tolist(), weight.tolist(), strict=True):
        nbrs[p].append((q, e))
    return Units(
        of_cell=of_cell,
        n=nu,
        workload=w.tolist(),
        cells=c.tolist(),
        sx=sx.tolist(),
        sy=sy.tolist(),
        sq=sq.tolist(),
        part=unit_part.tolist(),
        n_parts=int(part.max()) + 1,
        nbrs=nbrs,
        edges=(a, b),
        edge_weight=weight,
    )


def seeds(units: Units, n_beats: int, rng: np.random.Generator) -> tuple[list[int], np.ndarray]:
    """Return a seed unit per beat and the beats' centres (cell units), by weighted k-means."""
    cells = np.asarray(units.cells, dtype=np.float64)
    pts = np.column_stack([np.asarray(units.sx) / cells, np.asarray(units.sy) / cells])
    w = np.asarray(units.workload, dtype=np.float64)
    # A floor lets workload-free areas hold a seed when there is nothing else.
    w = w / w.sum() + 1e-9 * cells / cells.sum()
    centres = np.empty((n_beats, 2))
    centres[0] = pts[rng.choice(len(pts), p=w / w.sum())]
    d2 = ((pts - centres[0]) ** 2).sum(axis=1)
    for k in range(1, n_beats):
        p = w * d2
        total = p.sum()
        pick = rng.choice(len(pts), p=p / total) if total > 0 else int(rng.integers(len(pts)))
        centres[k] = pts[pick]
        d2 = np.minimum(d2, ((pts - centres[k]) ** 2).sum(axis=1))
    for _ in range(LLOYD_ITERATIONS):
        _, nearest = cKDTree(centres).query(pts)
        mass = np.bincount(nearest, weights=w, minlength=n_beats)
        mx = np.bincount(nearest, weights=w * pts[:, 0], minlength=n_beats)
        my = np.bincount(nearest, weights=w * pts[:, 1], minlength=n_beats)
        has = mass > 0
        centres[has, 0] = mx[has] / mass[has]
        centres[has, 1] = my[has] / mass[has]
    tree = cKDTree(pts)
    taken: set[int] = set()
    chosen: list[int] = []
    for k in range(n_beats):
        kk = min(len(pts), n_beats + 1)
        while True:
            _, cand = tree.query(centres[k], k=kk)
            free = [int(u) for u in np.atleast_1d(cand) if int(u) not in taken]
            if free or kk == len(pts):
                break
            kk = min(len(pts), kk * 2)
        chosen.append(free[0])
        taken.add(free[0])
    return chosen, centres


def grow(units: Units, starts: list[int], centres: np.ndarray) -> list[int]:
    """Grow beats from their start units, the lightest beat taking the nearest free neighbour.

    The neighbour nearest the beat's centre (not its start unit) is taken, so
    that beats grow round about the k-means centres.
    """
    lab = [-1] * units.n
    cx = (np.asarray(units.sx) / np.asarray(units.cells)).tolist()
    cy = (np.asarray(units.sy) / np.asarray(units.cells)).tolist()
    frontier: list[list[tuple[float, int]]] = [[] for _ in starts]
    load = [0.0] * len(starts)
    size = [0] * len(starts)
    turn: list[tuple[float, int, int]] = []

    def take(b: int, u: int) -> None:
        lab[u] = b
        load[b] += units.workload[u]
        size[b] += units.cells[u]
        ox, oy = float(centres[b, 0]), float(centres[b, 1])
        for v, _ in units.nbrs[u]:
            if lab[v] < 0:
                heapq.heappush(frontier[b], ((cx[v] - ox) ** 2 + (cy[v] - oy) ** 2, v))

    for b, s in enumerate(starts):
        take(b, s)
    for b in range(len(starts)):
        heapq.heappush(turn, (load[b], size[b], b))
    while turn:
        _, _, b = heapq.heappop(turn)
        heap = frontier[b]
        while heap and lab[heap[0][1]] >= 0:
            heapq.heappop(heap)
        if not heap:
            continue  # enclosed by other beats: it stops growing
        take(b, heapq.heappop(heap)[1])
        heapq.heappush(turn, (load[b], size[b], b))
    return lab


class Search:
    """Beat labels of the units with running sums, and the moves that improve them.

    Inertia is summed over the pieces of a beat in each detached part of the
    study area, so that the sea between two islands of one beat counts as
    perimeter, not as a spread-out shape.
    """

    def __init__(self, units: Units, lab: list[int], n_beats: int, compactness: float) -> None:
        self.units = units
        self.lab = lab
        self.n_beats = n_beats
        self.n_parts = units.n_parts
        self.load = [0.0] * n_beats
        self.n_units = [0] * n_beats
        # Sums per (beat, part), indexed beat * n_parts + part.
        size = n_beats * units.n_parts
        self.cnt = [0] * size
        self.sx = [0.0] * size
        self.sy = [0.0] * size
        self.sq = [0.0] * size
        for u, b in enumerate(lab):
            self._add(u, b, 1)
        total_w = sum(units.workload)
        total_c = sum(units.cells)
        self.target = total_w / n_beats if total_w > 0 else 1.0
        self.inv_t2 = 1.0 / (self.target * self.target)
        # Normalise by ideal equal square beats of m cells: inertia m**2 / 6 each
        # (in cell sizes), perimeter 4 sqrt(m) each.
        m = total_c / n_beats
        self.ci = compactness * INERTIA_WEIGHT / max(n_beats * m * m / 6.0, 1e-12)
        self.cp = compactness * PERIMETER_WEIGHT / max(n_beats * 4.0 * math.sqrt(m), 1e-12)

    def _add(self, u: int, b: int, sign: int) -> None:
        units = self.units
        self.load[b] += sign * units.workload[u]
        self.n_units[b] += sign
        k = b * self.n_parts + units.part[u]
        self.cnt[k] += sign * units.cells[u]
        self.sx[k] += sign * units.sx[u]
        self.sy[k] += sign * units.sy[u]
        self.sq[k] += sign * units.sq[u]

    def _inertia(self, b: int, u: int, sign: int = 0) -> float:
        """Return the inertia of beat ``b``'s piece in ``u``'s part.

        With ``sign`` 1 the unit ``u`` is counted in, with -1 it is taken out.
        """
        units = self.units
        k = b * self.n_parts + units.part[u]
        c = self.cnt[k] + sign * units.cells[u]
        if c <= 0:
            return 0.0
        x = self.sx[k] + sign * units.sx[u]
        y = self.sy[k] + sign * units.sy[u]
        return self.sq[k] + sign * units.sq[u] - (x * x + y * y) / c

    def objective(self) -> float:
        """Return imbalance plus weighted inertia and perimeter (cut edges count twice)."""
        bal = sum((w - self.target) ** 2 for w in self.load) * self.inv_t2
        inertia = sum(
            q - (x * x + y * y) / c
            for c, x, y, q in zip(self.cnt, self.sx, self.sy, self.sq, strict=True)
            if c > 0
        )
        a, b = self.units.edges
        lab = np.asarray(self.lab)
        # Each cut edge is listed in both directions: it lies on two outlines.
        cut = float(self.units.edge_weight[lab[a] != lab[b]].sum())
        return bal + self.ci * inertia + self.cp * cut

    def _stays_connected(self, u: int, a: int) -> bool:
        """Return whether beat ``a`` stays one piece without unit ``u``."""
        nbrs, lab = self.units.nbrs, self.lab
        targets = {v for v, _ in nbrs[u] if lab[v] == a}
        if len(targets) <= 1:
            return True
        start = targets.pop()
        seen = {u, start}
        queue = deque([start])
        while queue:
            x = queue.popleft()
            for v, _ in nbrs[x]:
                if v not in seen and lab[v] == a:
                    if v in targets:
                        targets.discard(v)
                        if not targets:
                            return True
                    seen.add(v)
                    queue.append(v)
        return False

    def improve(self, rng: np.random.Generator, max_iter: int) -> tuple[int, int]:
        """Move boundary units between beats while the objective drops; return (passes, moves)."""
        units, lab = self.units, self.lab
        uw, nbrs = units.workload, units.nbrs
        load, target, inv_t2, ci, cp = self.load, self.target, self.inv_t2, self.ci, self.cp
        ei, ej = units.edges
        lab_arr = np.asarray(lab, dtype=np.int64)
        passes = moves = 0
        for _ in range(max_iter):
            passes += 1
            boundary = np.unique(ei[lab_arr[ei] != lab_arr[ej]])
            moved = 0
            for u in rng.permutation(boundary).tolist():
                a = lab[u]
                if self.n_units[a] == 1:
                    continue
                shared: dict[int, int] = {}
                for v, e in nbrs[u]:
                    shared[lab[v]] = shared.get(lab[v], 0) + e
                if len(shared) == 1 and a in shared:
                    continue
                w = uw[u]
                da = load[a] - target
                base = ((da - w) ** 2 - da * da) * inv_t2
                base += ci * (self._inertia(a, u, -1) - self._inertia(a, u))
                edges_a = shared.get(a, 0)
                best, best_b = -1e-12, -1
                for b in sorted(shared):
                    if b == a:
                        continue
                    db = load[b] - target
                    delta = base + ((db + w) ** 2 - db * db) * inv_t2
                    delta += ci * (self._inertia(b, u, 1) - self._inertia(b, u))
                    # The shared edges with a become cut, those with b stop being cut;
                    # each cut edge is on two outlines.
                    delta += 2 * cp * (edges_a - shared[b])
                    if delta < best:
                        best, best_b = delta, b
                if best_b < 0 or not self._stays_connected(u, a):
                    continue
                self._add(u, a, -1)
                self._add(u, best_b, 1)
                lab[u] = best_b
                lab_arr[u] = best_b
                moved += 1
            moves += moved
            if moved == 0:
                break
        return passes, moves

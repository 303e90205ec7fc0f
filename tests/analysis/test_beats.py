"""Beats: every cell in one beat, beats contiguous, groups whole, balance and shape reported."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from prossima.analysis.beats import (
    BeatResult,
    beats_geojson,
    combine_workload,
    evaluate_beats,
    make_beats,
)
from prossima.analysis.events import EventSet
from prossima.analysis.grid import Grid

weights_mod = pytest.importorskip("libpysal.weights")


def rook_reference(grid: Grid) -> sparse.csr_matrix:
    """Return libpysal's rook contiguity over the grid's study-area cells."""
    n_rows, n_cols = grid.shape
    full = weights_mod.lat2W(n_rows, n_cols, rook=True)
    # lat2W numbers cells row-major, the same order as the grid's raster.
    ids = np.flatnonzero(grid.mask.ravel()).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sub = weights_mod.w_subset(full, ids)
    return sparse.csr_matrix(sub.sparse)


def pieces_per_beat(w: sparse.csr_matrix, labels: np.ndarray) -> dict[int, int]:
    """Return the number of connected pieces of each beat's induced subgraph."""
    out = {}
    for b in np.unique(labels).tolist():
        members = np.flatnonzero(labels == b)
        n, _ = connected_components(w[members][:, members], directed=False)
        out[b] = n
    return out


def assert_valid_partition(grid: Grid, result: BeatResult, n_beats: int) -> None:
    """Assert one beat per cell, every beat used, each beat one rook-connected piece."""
    labels = result.labels
    assert labels.shape == (grid.n_cells,)
    assert labels.dtype.kind == "i"
    assert set(np.unique(labels).tolist()) == set(range(n_beats))
    assert pieces_per_beat(rook_reference(grid), labels) == dict.fromkeys(range(n_beats), 1)
    assert result.problems == []
    assert result.valid


@pytest.fixture(scope="module")
def toronto(toronto_events: EventSet) -> tuple[Grid, np.ndarray]:
    grid = Grid.from_events(toronto_events, 150)
    return grid, grid.counts(toronto_events)


@pytest.fixture(scope="module")
def toronto_beats(toronto: tuple[Grid, np.ndarray]) -> BeatResult:
    grid, counts = toronto
    return make_beats(grid, 8, counts, seed=0)


# --- real grid -------------------------------------------------------------------
def test_real_grid_beats_cover_every_cell_once_and_are_contiguous(
    toronto: tuple[Grid, np.ndarray], toronto_beats: BeatResult
) -> None:
    grid, counts = toronto
    assert grid.n_cells > 600
    assert (counts == 0).sum() > 100  # real data: many empty cells, a few very busy ones
    assert_valid_partition(grid, toronto_beats, 8)
    assert toronto_beats.islands_attached == []


def test_real_grid_statistics_match_an_independent_computation(
    toronto: tuple[Grid, np.ndarray], toronto_beats: BeatResult
) -> None:
    grid, counts = toronto
    labels = toronto_beats.labels
    loads = np.bincount(labels, weights=counts, minlength=8)
    np.testing.assert_allclose(toronto_beats.workload, loads, rtol=1e-12)
    np.testing.assert_array_equal(toronto_beats.cells, np.bincount(labels, minlength=8))
    assert toronto_beats.balance.max_over_min == pytest.approx(loads.max() / loads.min())
    assert toronto_beats.balance.cv == pytest.approx(loads.std() / loads.mean())
    assert toronto_beats.balance.heaviest == int(np.argmax(loads))
    # Polsby-Popper of the union of the beat's squares, computed by shapely.
    rows, cols = grid.rows_cols()
    s = grid.cell_size
    boxes = shapely.box(cols * s, rows * s, (cols + 1) * s, (rows + 1) * s)
    for b in range(8):
        union = shapely.union_all(boxes[labels == b])
        expected = 4 * math.pi * union.area / union.length**2
        assert toronto_beats.compactness[b] == pytest.approx(expected, rel=1e-9)


def test_real_grid_balance_is_reported_and_reasonable(
    toronto: tuple[Grid, np.ndarray], toronto_beats: BeatResult
) -> None:
    grid, counts = toronto
    # The busiest cell holds 334 of 11,740 events, a quarter of a beat's share,
    # so exact balance is impossible; every seed tried stays below 1.2.
    assert counts.max() / (counts.sum() / 8) > 0.2
    assert 1.0 <= toronto_beats.balance.max_over_min < 1.3
    assert toronto_beats.balance.cv < 0.1
    # The improvement step does the balancing: growth alone is much worse.
    grown = make_beats(grid, 8, counts, seed=0, max_iter=0, n_starts=1)
    assert_valid_partition(grid, grown, 8)
    assert grown.balance.cv > 2 * toronto_beats.balance.cv
    assert (toronto_beats.compactness > 0.3).all()


def test_same_seed_gives_the_same_beats(toronto: tuple[Grid, np.ndarray]) -> None:
    grid, counts = toronto
    first = make_beats(grid, 6, counts, seed=11)
    second = make_beats(grid, 6, counts, seed=11)
    np.testing.assert_array_equal(first.labels, second.labels)
    np.testing.assert_array_equal(first.workload, second.workload)


def test_evaluate_agrees_with_make_beats(
    toronto: tuple[Grid, np.ndarray], toronto_beats: BeatResult
) -> None:
    grid, counts = toronto
    stats = evaluate_beats(grid, toronto_beats.labels, counts, n_beats=8)
    assert stats.problems == []
    np.testing.assert_array_equal(stats.workload, toronto_beats.workload)
    np.testing.assert_array_equal(stats.compactness, toronto_beats.compactness)
    assert stats.balance == toronto_beats.balance
    # JSON-ready, with no NaN or infinity.
    doc = json.loads(json.dumps(stats.to_dict(), allow_nan=False))
    assert doc["balance"]["max_over_min"] == pytest.approx(stats.balance.max_over_min)
    assert doc["problems"] == []


def test_geojson_has_one_wgs84_shape_per_beat(
    toronto: tuple[Grid, np.ndarray], toronto_beats: BeatResult
) -> None:
    grid, counts = toronto
    doc = toronto_beats.to_geojson(grid)
    assert doc == beats_geojson(grid, toronto_beats.labels, counts)
    json.dumps(doc, allow_nan=False)
    features = doc["features"]
    assert [f["properties"]["beat"] for f in features] == list(range(8))
    lon_lat = grid.polygons_lonlat()
    for f in features:
        props = f["properties"]
        b = props["beat"]
        assert props["cells"] == int(toronto_beats.cells[b])
        assert props["workload"] == pytest.approx(toronto_beats.workload[b])
        assert props["compactness"] == pytest.approx(toronto_beats.compactness[b], abs=1e-4)
        shape = shapely.geometry.shape(f["geometry"])
        assert shape.geom_type in ("Polygon", "MultiPolygon")
        assert shape.is_valid
        minx, miny, maxx, maxy = shape.bounds
        assert -80 < minx < maxx < -79  # Toronto, lon/lat
        assert 43 < miny < maxy < 44
        # The union covers exactly its cells: same area as their squares in lon/lat.
        cells = shapely.union_all(
            [shapely.Polygon(lon_lat[i]) for i in np.flatnonzero(toronto_beats.labels == b)]
        )
        assert shape.area == pytest.approx(cells.area, rel=1e-6)


# --- synthetic rectangle -----------------------------------------------------------
def test_uniform_rectangle_splits_into_equal_compact_beats() -> None:
    grid = Grid.rectangle(20, 30)
    result = make_beats(grid, 4, np.ones(grid.n_cells), seed=0)
    assert_valid_partition(grid, result, 4)
    assert result.balance.max_over_min < 1.05
    # A 10 x 15 block scores 0.754; a square 0.785.
    assert (result.compactness > 0.6).all()


def test_skewed_workload_is_balanced_with_small_beats_where_it_is_heavy() -> None:
    grid = Grid.rectangle(24, 24)
    rows, cols = grid.rows_cols()
    # Workload falls off away from the south-west corner, 100 times heavier there.
    workload = 100.0 ** (1 - np.hypot(rows, cols) / np.hypot(23, 23))
    result = make_beats(grid, 6, workload, seed=3)
    assert_valid_partition(grid, result, 6)
    assert result.balance.max_over_min < 1.15
    corner = result.labels[grid.index[0, 0]]
    far = result.labels[grid.index[23, 23]]
    assert result.cells[corner] < result.cells[far] / 3


def test_groups_stay_whole() -> None:
    grid = Grid.rectangle(20, 30)
    groups = np.full(grid.n_cells, -1)
    rows, cols = grid.rows_cols()
    block = (rows >= 5) & (rows < 12) & (cols >= 8) & (cols < 20)  # straddles the middle
    ell = ((rows == 15) & (cols < 25)) | ((cols == 24) & (rows >= 3) & (rows <= 15))
    groups[block] = 4
    groups[ell] = 9
    result = make_beats(grid, 5, np.ones(grid.n_cells), groups=groups, seed=2)
    assert_valid_partition(grid, result, 5)
    for g in (4, 9):
        assert len(np.unique(result.labels[groups == g])) == 1
    assert evaluate_beats(grid, result.labels, np.ones(grid.n_cells), groups=groups).valid
    assert result.balance.max_over_min < 1.3


def test_a_heavy_group_gets_a_beat_of_its_own_size() -> None:
    grid = Grid.rectangle(10, 10)
    groups = np.full(grid.n_cells, -1)
    groups[grid.index[:3, :3].ravel()] = 0
    workload = np.ones(grid.n_cells)
    workload[groups == 0] = 5.0  # 45 of 136: one of three beats
    result = make_beats(grid, 3, workload, groups=groups, seed=0)
    assert_valid_partition(grid, result, 3)
    beat = result.labels[groups == 0][0]
    assert result.workload[beat] >= 45


def test_one_beat_and_one_beat_per_cell() -> None:
    grid = Grid.rectangle(3, 4)
    one = make_beats(grid, 1, np.ones(12))
    assert (one.labels == 0).all()
    assert one.balance.max_over_min == 1.0
    every = make_beats(grid, 12, np.arange(1.0, 13.0))
    assert sorted(every.labels.tolist()) == list(range(12))


def test_custom_adjacency_equal_to_rook_gives_the_same_beats(
    toronto: tuple[Grid, np.ndarray],
) -> None:
    grid, counts = toronto
    w = rook_reference(grid)
    given = make_beats(grid, 5, counts, adjacency=w, seed=4, n_starts=2)
    default = make_beats(grid, 5, counts, seed=4, n_starts=2)
    np.testing.assert_array_equal(given.labels, default.labels)


def test_an_island_is_attached_to_the_nearest_beat_and_reported() -> None:
    mask = np.zeros((12, 16), dtype=bool)
    mask[:10, :10] = True  # the mainland
    mask[10:12, 13:16] = True  # an island off its north-east corner, touching no edge
    grid = _grid_of(mask)
    workload = np.ones(grid.n_cells)
    result = make_beats(grid, 4, workload, seed=0)
    assert len(result.islands_attached) == 1
    island = result.islands_attached[0]
    assert sorted(island.cells.tolist()) == sorted(grid.index[10:12, 13:16].ravel().tolist())
    assert island.linked_to == grid.index[9, 9]  # the mainland's nearest cell
    assert island.distance == pytest.approx(math.hypot(400, 100))
    assert island.beats == (int(result.labels[grid.index[9, 9]]),)
    assert result.problems == []
    # Apart from the island, every beat is one rook-connected piece.
    main_cells = grid.index[:10, :10].ravel()
    w = rook_reference(grid)[main_cells][:, main_cells]
    assert set(pieces_per_beat(w, result.labels[main_cells]).values()) == {1}
    # Moving the island to a beat it is not bridged to splits that beat.
    edited = result.labels.copy()
    other = (island.beats[0] + 1) % 4
    edited[island.cells] = other
    problems = evaluate_beats(grid, edited, workload).problems
    assert any(f"Beat {other + 1} is split" in p for p in problems)


def _grid_of(mask: np.ndarray) -> Grid:
    n_rows, n_cols = mask.shape
    area = shapely.box(0, 0, 100.0 * n_cols, 100.0 * n_rows)
    return Grid(cell_size=100.0, ix0=0, iy0=0, mask=mask, crs="EPSG:32632", study_area=area)


def test_islands_link_through_the_nearest_part() -> None:
    mask = np.zeros((10, 18), dtype=bool)
    mask[:, :10] = True  # mainland
    mask[4:6, 12:14] = True  # island A, 2 cells east of the mainland
    mask[4:6, 16:18] = True  # island B, 2 cells east of A and 6 of the mainland
    grid = _grid_of(mask)
    stats = evaluate_beats(grid, np.zeros(grid.n_cells, dtype=int), np.ones(grid.n_cells))
    assert stats.valid
    islands = {int(i.cells.min()): i for i in stats.islands_attached}
    a = islands[int(grid.index[4, 12])]
    b = islands[int(grid.index[4, 16])]
    assert a.linked_to in grid.index[4:6, 9].tolist()
    assert b.linked_to in grid.index[4:6, 13].tolist()
    assert a.distance == pytest.approx(300.0)
    assert b.distance == pytest.approx(300.0)
    assert a.beats == b.beats == (0,)


def test_islands_on_a_single_row_of_cells() -> None:
    grid = _grid_of(np.array([[True, True, True, False, False, True, True]]))
    result = make_beats(grid, 2, np.ones(5), seed=0)
    assert result.problems == []
    assert sorted(np.bincount(result.labels).tolist()) == [2, 3]
    (island,) = result.islands_attached
    assert island.cells.tolist() == [3, 4]
    assert (island.linked_to, island.distance) == (2, pytest.approx(300.0))


def test_an_archipelago_is_balanced_with_beats_across_the_water() -> None:
    mask = np.zeros((16, 30), dtype=bool)
    mask[:12, :12] = True  # mainland, 144 cells
    mask[2:6, 16:20] = True  # islands of 16, 25 and 9 cells
    mask[9:14, 24:29] = True
    mask[1:4, 25:28] = True
    grid = _grid_of(mask)
    result = make_beats(grid, 3, np.ones(grid.n_cells), seed=0)
    assert len(result.islands_attached) == 3
    assert result.problems == []
    # 50 island cells for a share of 64.7: one beat must reach over the water
    # (compactness is measured per piece, so the sea does not count against it).
    assert result.balance.max_over_min < 1.15


# --- evaluate_beats on broken labellings -------------------------------------------------
def test_evaluate_reports_a_split_beat_and_a_split_group() -> None:
    grid = Grid.rectangle(4, 6)
    labels = np.repeat([0, 0, 0, 1, 1, 1], 4).reshape(6, 4).T.ravel()  # west | east halves
    assert evaluate_beats(grid, labels, np.ones(24)).valid
    broken = labels.copy()
    broken[grid.index[0, 0]] = 1  # a lone cell of the east beat in the west corner
    groups = np.full(24, -1)
    groups[grid.index[3, 2:4]] = 7  # a group across the border of the two halves
    stats = evaluate_beats(grid, broken, np.ones(24), groups=groups)
    assert not stats.valid
    kinds = [issue.kind for issue in stats.issues]
    assert kinds == ["split", "group_split"]
    assert stats.problems[0] == (
        "Beat 2 is split into 2 separate pieces (12, 1 cells); a beat must be one connected area."
    )
    assert stats.issues[0].cells == (int(grid.index[0, 0]),)
    assert stats.problems[1] == (
        "Group 7 (2 cells, to be kept together) is split between beats 1 and 2; "
        "it must lie in one beat."
    )
    json.dumps(stats.to_dict(), allow_nan=False)


def test_evaluate_reports_cells_without_a_beat_and_empty_beats() -> None:
    grid = Grid.rectangle(2, 3)
    labels = np.array([0, 0, 0, 1, 1, -1])
    stats = evaluate_beats(grid, labels, np.ones(6), n_beats=3)
    assert stats.problems == [
        "1 cell is in no beat; every cell must belong to one of beats 1 to 3.",
        "Beat 3 has no cells.",
    ]
    assert math.isinf(stats.balance.max_over_min)
    assert stats.to_dict()["balance"]["max_over_min"] is None


# --- bad input --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n_beats", "message"),
    [
        (0, r"n_beats must be between 1 and 12 \(the number of cells\), got 0"),
        (13, r"n_beats must be between 1 and 12 \(the number of cells\), got 13"),
        (2.5, r"n_beats must be a whole number"),
    ],
)
def test_bad_number_of_beats_is_refused(n_beats: object, message: str) -> None:
    grid = Grid.rectangle(3, 4)
    with pytest.raises(ValueError, match=message):
        make_beats(grid, n_beats, np.ones(12))  # type: ignore[arg-type]


def test_more_beats_than_units_is_refused_when_groups_merge_cells() -> None:
    grid = Grid.rectangle(3, 4)
    groups = np.zeros(12, dtype=int)
    groups[:4] = 1
    with pytest.raises(ValueError, match=r"between 1 and 2 \(the number of cells, counting each"):
        make_beats(grid, 3, np.ones(12), groups=groups)


@pytest.mark.parametrize(
    ("workload", "message"),
    [
        (np.ones(11), r"workload must give one value per study-area cell \(12\)"),
        (np.r_[np.ones(11), -1.0], r"workload must be 0 or more; cell 11 has -1.0"),
        (np.r_[np.ones(11), np.nan], r"workload must be finite"),
        (np.zeros(12), r"workload is zero in every cell"),
    ],
)
def test_bad_workload_is_refused(workload: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_beats(Grid.rectangle(3, 4), 2, workload)


def test_groups_that_are_not_contiguous_are_refused() -> None:
    grid = Grid.rectangle(3, 4)
    groups = np.full(12, -1)
    groups[[grid.index[0, 0], grid.index[2, 3]]] = 5
    with pytest.raises(ValueError, match=r"group 5 is split into 2 pieces"):
        make_beats(grid, 2, np.ones(12), groups=groups)
    # Touching only at a corner is not contiguous either.
    groups = np.full(12, -1)
    groups[[grid.index[0, 0], grid.index[1, 1]]] = 5
    with pytest.raises(ValueError, match=r"group 5 is split"):
        evaluate_beats(grid, np.zeros(12, dtype=int), np.ones(12), groups=groups)
    with pytest.raises(ValueError, match=r"groups must give one group id per study-area cell"):
        make_beats(grid, 2, np.ones(12), groups=np.full(5, -1))
    with pytest.raises(ValueError, match=r"groups must be -1 \(free cell\) or a group id"):
        make_beats(grid, 2, np.ones(12), groups=np.full(12, -3))


def test_bad_labels_and_options_are_refused() -> None:
    grid = Grid.rectangle(3, 4)
    with pytest.raises(ValueError, match=r"labels must give one beat per study-area cell \(12\)"):
        evaluate_beats(grid, np.zeros(5, dtype=int), np.ones(12))
    with pytest.raises(ValueError, match=r"labels must be integer beat numbers"):
        evaluate_beats(grid, np.full(12, 0.5), np.ones(12))
    with pytest.raises(ValueError, match=r"labels name beat 40"):
        evaluate_beats(grid, np.full(12, 40), np.ones(12))
    with pytest.raises(ValueError, match=r"compactness_weight must be 0 or more"):
        make_beats(grid, 2, np.ones(12), compactness_weight=-1)
    with pytest.raises(ValueError, match=r"n_starts must be a whole number 1 or more"):
        make_beats(grid, 2, np.ones(12), n_starts=0)
    with pytest.raises(ValueError, match=r"adjacency must be a 12 x 12 matrix"):
        make_beats(grid, 2, np.ones(12), adjacency=sparse.eye(5))


# --- workload blending -----------------------------------------------------------------
def test_combine_workload_normalises_and_blends_the_parts() -> None:
    parts = {
        "risk": np.array([0.0, 1.0, 3.0]),
        "incidents": np.array([2.0, 2.0, 0.0]),
        "area": np.ones(3),
    }
    out = combine_workload(parts, {"risk": 0.4, "incidents": 0.4, "area": 0.2})
    expected = 0.4 * np.array([0, 0.25, 0.75]) + 0.4 * np.array([0.5, 0.5, 0]) + 0.2 / 3
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert out.sum() == pytest.approx(1.0)


def test_combine_workload_leaves_out_a_part_that_is_zero_everywhere() -> None:
    parts = {"risk": np.zeros(4), "incidents": np.zeros(4), "area": np.ones(4)}
    out = combine_workload(parts, {"risk": 0.4, "incidents": 0.4, "area": 0.2})
    np.testing.assert_allclose(out, np.full(4, 0.25))


def test_combine_workload_refuses_bad_parts_and_weights() -> None:
    ones = np.ones(3)
    with pytest.raises(ValueError, match=r"missing \['area'\], unknown \['risk'\]"):
        combine_workload({"area": ones}, {"risk": 1.0})
    with pytest.raises(ValueError, match=r"Part 'b' has 2 values; the others have 3"):
        combine_workload({"a": ones, "b": np.ones(2)}, {"a": 1, "b": 1})
    with pytest.raises(ValueError, match=r"Part 'a' must be finite and 0 or more"):
        combine_workload({"a": -ones}, {"a": 1})
    with pytest.raises(ValueError, match=r"Weight of 'a' must be a number 0 or more"):
        combine_workload({"a": ones}, {"a": -1})
    with pytest.raises(ValueError, match=r"No workload to share out"):
        combine_workload({"a": np.zeros(3), "b": ones}, {"a": 1, "b": 0})

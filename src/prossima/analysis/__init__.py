"""Analytic core of Prossima: pure Python, never imports Django.

Modules (each documents its API and conventions in its own docstring):

- ``events``: ``EventSet``, projected x/y in metres, UTC ``datetime64[ns]``
  times, categories, weights and attributes; ``EventSet.from_lonlat``.
- ``grid``: ``Grid.from_events(events, cell_size, boundary=None)``, stable
  cell ids, ``assign``/``counts``, GeoJSON in WGS84, neighbour weights.
- ``io``: ``read_events(path, format="auto", ...) -> ReadResult`` for police.uk,
  Toronto MCI and generic CSV/GeoJSON, with every rejected row reported.
- ``hotspots``: ``kde``, ``gi_star``/``gi_star_grid``, ``local_moran``,
  ``knox`` (near repeat) and ``emerging_hotspots``.
- ``cli``: ``register(subparsers)`` and ``main(argv)`` for the
  ``hotspots``, ``nearrepeat`` and ``emerging`` verbs (work in ``commands``).
- ``plot``, ``progress``: PNG maps and a terminal-only progress bar.

Submodules are not imported here, so ``import prossima.analysis`` stays cheap.
"""

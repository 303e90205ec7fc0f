"""Write a self-contained HTML report of a backtest: table, PAI curves, maps, fairness.

Figures are matplotlib PNGs embedded as base64 data URIs, so the report is a
single file that opens offline.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import numpy as np

from prossima.analysis.evaluate import flagged_cells
from prossima.analysis.forecast.backtest import BacktestResult

__all__ = ["write_report"]


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _curves(res: BacktestResult) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    xs = [c * 100 for c in res.coverages]
    for name in res.models:
        pai = res.mean(name, "pai")
        ax.plot(xs, [pai[c] for c in res.coverages], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_xticks(xs, [f"{x:g}%" for x in xs])
    ax.set_xlabel("share of cells flagged")
    ax.set_ylabel("mean PAI over periods")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _png(fig)


def _maps(res: BacktestResult) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(res.models)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 4.0 * rows), squeeze=False)
    grid = res.grid
    cov = min(res.coverages)
    cx, cy = grid.centroids()
    hit = res.last_counts > 0
    for ax, name in zip(axes.ravel(), res.models, strict=False):
        scores = res.last_scores[name]
        raster = grid.to_raster(np.log1p(scores / max(float(scores.max()), 1e-12) * 100))
        ax.imshow(raster, origin="lower", cmap="Greys", interpolation="nearest")
        rows_, cols_ = grid.rows_cols()
        flagged = flagged_cells(scores, cov)
        # Events first and faint, flags on top: the flags are what the reader looks for.
        ax.scatter(
            cols_[hit], rows_[hit], s=3, c="tab:blue", alpha=0.5, label="events in the period"
        )
        ax.scatter(
            cols_[flagged],
            rows_[flagged],
            s=10,
            marker="s",
            c="tab:red",
            label=f"flagged top {cov * 100:g}%",
        )
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=6, loc="lower left")
    del cx, cy
    return _png(fig)


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}"
    return html.escape(str(v))


def write_report(path: str, res: BacktestResult, doc: dict[str, Any], title: str) -> None:
    """Write the HTML report of ``res`` (and its JSON ``doc``) to ``path``."""
    covs = doc["coverages_percent"]
    head = "".join(f"<th>hit@{c}%</th><th>PAI@{c}%</th><th>PEI@{c}%</th>" for c in covs)
    rows = []
    for name, m in doc["models"].items():
        cells = "".join(
            f"<td>{_fmt(m['hit_rate'][c])}</td><td>{_fmt(m['pai'][c])}</td>"
            f"<td>{_fmt(m['pei'][c])}</td>"
            for c in covs
        )
        rows.append(
            f"<tr><th>{html.escape(name)}</th>{cells}<td>{m['fit_seconds']:.1f}</td>"
            f"<td>{m['predict_seconds']:.1f}</td></tr>"
        )
    paired = []
    for name, m in doc["models"].items():
        for c, d in m.get("paired_pai_vs_baseline", {}).items():
            paired.append(
                f"<tr><th>{html.escape(name)}</th><td>{c}%</td><td>{d['mean_difference']:+.3f}</td>"
                f"<td>[{d['t_ci95'][0]:+.3f}, {d['t_ci95'][1]:+.3f}]</td>"
                f"<td>[{d['bootstrap_ci95'][0]:+.3f}, {d['bootstrap_ci95'][1]:+.3f}]</td>"
                f"<td>{d['share_of_periods_better'] * 100:.0f}%</td></tr>"
            )
    fair = []
    for name, m in doc["models"].items():
        f = m.get("fairness")
        if f:
            fair.append(
                f"<tr><th>{html.escape(name)}</th>"
                f"<td>{f['subareas_flagged']} / {f['subareas']}</td>"
                f"<td>{f['top5_share_of_flags']:.2f}</td><td>{f['top5_share_of_test_events']:.2f}</td>"
                f"<td>{f['gini_flags_over_subareas']:.2f}</td>"
                f"<td>{f['gini_test_events_over_subareas']:.2f}</td>"
                f"<td>{f['mean_jaccard_consecutive_periods']:.2f}</td>"
                f"<td>{f['share_of_flags_on_cells_flagged_75pct_of_periods']:.2f}</td></tr>"
            )
    g = doc["grid"]
    fair_html = (
        "<h2>Fairness: where the flags go</h2><p>At the smallest coverage, flagged cells are "
        f"attributed to sub-areas ({html.escape(str(doc.get('subarea_attribute')))}). Compare the "
        "concentration of flags with that of the events themselves; a high week-to-week overlap "
        "means patrols keep being sent to the same few places (Ensign et al. 2018).</p>"
        "<table><tr><th>model</th><th>sub-areas flagged</th><th>top-5 share of flags</th>"
        "<th>same 5: share of events</th><th>Gini flags</th><th>Gini events</th>"
        "<th>mean overlap period to period</th><th>flags on cells flagged in ≥75% of periods</th>"
        "</tr>" + "".join(fair) + "</table>"
        if fair
        else "<p>No sub-area attribute in the data: fairness check not available.</p>"
    )
    text = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:1em auto;padding:0 1em}}
table{{border-collapse:collapse;font-size:13px;margin:1em 0}}td,th{{border:1px solid #ccc;
padding:3px 6px;text-align:right}}th{{background:#f4f4f4}}img{{max-width:100%}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>{doc["periods"]} periods of {html.escape(str(doc["horizon"]))} (days or calendar span) from
{html.escape(doc["origins"][0][:10])}, refit every {doc["refit_every"]} period(s);
{g["cells"]} cells of {g["cell_size_m"]:g} m ({html.escape(g["crs"])}); category
{html.escape(str(doc.get("category", "all")))}; {sum(doc["events_per_period"])} events scored,
{doc["events_outside_grid"]} outside the grid. Each forecast used only events before its
period.</p>
<h2>Accuracy (mean over periods)</h2>
<table><tr><th>model</th>{head}<th>fit s</th><th>predict s</th></tr>{"".join(rows)}</table>
<h2>Period-by-period PAI difference against {html.escape(str(doc.get("baseline")))}</h2>
<table><tr><th>model</th><th>coverage</th><th>mean diff</th><th>t 95% CI</th>
<th>bootstrap 95% CI</th><th>periods better</th></tr>{"".join(paired)}</table>
<h2>PAI by coverage</h2><img alt="PAI by coverage curves" src="{_curves(res)}">
<h2>Maps of the last period</h2><p>Grey: score; red: flagged cells at the smallest coverage;
blue: cells with events in the period.</p><img alt="maps of the last period" src="{_maps(res)}">
{fair_html}
</body></html>
"""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)

"""Define the ``forecast`` and ``backtest`` verbs of the command line.

``register(subparsers)`` adds both verbs to an ``argparse`` sub-parser set
(the top-level ``prossima`` command calls it); each parser carries ``func``,
which takes the parsed Namespace and returns an exit code. ``main(argv)`` runs
them standalone: ``python -m prossima.analysis.forecast.cli forecast ...``.
The work lives in ``prossima.analysis.forecast.commands``, imported only when
a verb runs, so that ``prossima --help`` stays fast.

The input options are those of the other analysis verbs, with one change:
here ``--category`` selects the offence type to forecast (e.g. "Break and
Enter"), as the forecasting issue specifies, so the generic-CSV column that
the other verbs call ``--category`` is ``--category-column`` here.

Exit codes: 0 success, 2 bad input or options (one message on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from prossima.analysis.cli import _input_options, run_parser

__all__ = ["build_parser", "main", "register"]

Handler = Callable[[argparse.Namespace], int]
DEFAULT_MODELS = "retrospective,prospective,stkde,sepp,boosted,ensemble"


def _guarded(name: str) -> Handler:
    """Return a handler that runs ``commands.<name>``, turning expected failures into exit 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            from prossima.analysis.forecast import commands

            func: Handler = getattr(commands, name)
            return func(args)
        except (ValueError, OSError, ImportError, KeyError) as exc:
            msg = str(exc) or exc.__class__.__name__
            if isinstance(exc, KeyError):
                msg = f"missing value {msg}"
            print(f"prossima {args.command}: error: {msg}", file=sys.stderr)
            return 2

    return run


class _ModelAction(argparse.Action):
    """Store the model spec; for ``list``, print the models and exit like ``--help`` does."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if values == "list":
            from prossima.analysis.forecast.api import describe_models

            print(describe_models())
            parser.exit(0)
        setattr(namespace, self.dest, values)


def _common(p: argparse.ArgumentParser) -> None:
    _input_options(p)
    # Replaces the generic-CSV column option of the same name (conflict_handler="resolve").
    p.add_argument(
        "--category",
        help="forecast only this offence type (one or several, comma separated), "
        "e.g. 'Break and Enter' (default: all events); the events of every type are "
        "still given to the models, and the default ensemble may use them as a prior",
    )
    p.add_argument("--category-column", help="generic format: column with the type of offence")
    p.add_argument("--cell", type=float, default=150.0, help="cell side in metres (default: 150)")
    p.add_argument(
        "--horizon",
        default="7",
        help="length of each forecast period: days (e.g. 7, 30) or calendar weeks/months "
        "(2W, 1M; use 1M for monthly police.uk data) (default: 7)",
    )


def register(subparsers: Any) -> None:
    """Add the ``forecast`` and ``backtest`` verbs to ``subparsers``."""
    fmt = argparse.RawDescriptionHelpFormatter
    f = subparsers.add_parser(
        "forecast",
        help="rank the cells of the study area by expected incidents in the next days or weeks",
        description=(
            "Fit a forecast model on the events strictly before --origin and score every cell\n"
            "for the period [origin, origin + horizon). Writes a GeoJSON FeatureCollection in\n"
            "WGS84, one polygon per study-area cell with cell_id, score (higher = more risk)\n"
            "and rank (1 = highest). '--model list' prints the models and their parameters."
        ),
        formatter_class=fmt,
        conflict_handler="resolve",
    )
    _common(f)
    g = f.add_argument_group("forecast")
    g.add_argument(
        "--model",
        default="ensemble",
        action=_ModelAction,
        help="model name, optionally with parameters NAME:key=value (e.g. "
        "retrospective:window_days=90), or 'list' (default: ensemble)",
    )
    g.add_argument(
        "--origin",
        help="first day of the forecast period, local date, e.g. 2019-06-03; only events "
        "before it are used (required)",
    )
    g.add_argument("--out", help="GeoJSON file to write (required)")
    g.add_argument(
        "--explain",
        metavar="CELL_ID",
        help="also print, as JSON on stdout, why this cell ranks where it does",
    )
    f.set_defaults(func=_guarded("run_forecast"), command="forecast")

    b = subparsers.add_parser(
        "backtest",
        help="score forecast models period by period on past data, never looking ahead",
        description=(
            "Rolling-origin backtest: for each period from --test-start to --test-end every\n"
            "model is fitted on the events before the period's start and scored on its\n"
            "events with hit rate, PAI and PEI at the --coverage levels. Writes JSON (and an\n"
            "HTML report with a table, PAI curves, maps of the last period and a fairness check)."
        ),
        formatter_class=fmt,
        conflict_handler="resolve",
    )
    _common(b)
    g = b.add_argument_group("backtest")
    g.add_argument(
        "--models",
        default=DEFAULT_MODELS,
        help=f"comma-separated model specs (default: {DEFAULT_MODELS})",
    )
    g.add_argument("--test-start", required=True, help="first forecast origin, e.g. 2019-01-01")
    g.add_argument("--test-end", required=True, help="last day of the test, e.g. 2019-12-31")
    g.add_argument(
        "--coverage",
        default="1,2,5,10",
        help="percentages of cells flagged at which to score (default: 1,2,5,10)",
    )
    g.add_argument(
        "--refit-every",
        type=int,
        default=1,
        help="refit the models every K periods; in between only their history grows (default: 1)",
    )
    g.add_argument(
        "--baseline",
        help="model spec the others are compared with, week by week (default: the first "
        "retrospective model in --models, else the first model)",
    )
    g.add_argument(
        "--subarea",
        help="event attribute naming sub-areas for the fairness check (default: "
        "Neighbourhood or LSOA code when present)",
    )
    g.add_argument("--json", required=True, help="JSON file to write the results to")
    g.add_argument("--report", help="also write an HTML report to this file")
    b.set_defaults(func=_guarded("run_backtest"), command="backtest")


def build_parser() -> argparse.ArgumentParser:
    """Return the standalone parser with the two forecast verbs."""
    parser = argparse.ArgumentParser(prog="prossima", description="Prossima crime forecasting.")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the verb and return its exit code."""
    return run_parser(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())

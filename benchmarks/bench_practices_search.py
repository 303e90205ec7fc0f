"""Time the search of 10,000 good practices: results, count and facet counts, per query.

Usage: .venv/bin/python benchmarks/bench_practices_search.py [--practices 10000]
       [--database sqlite|postgresql] [--repeat 15]

A throwaway database is migrated (SQLite in a temporary folder, or a database
``prossima_bench_practices`` created on the PostgreSQL at 127.0.0.1:5432, user
postgres, and dropped afterwards) and filled with --practices synthetic
practices: each one mixes sentences of the twelve seed practices, with random
problems, target groups, intervention types, ratings, regions and sizes, and
is indexed with ``do_index_practice`` as the platform does. They exist only in
the benchmark database.

For each query the benchmark times what the search page needs: the first 20
results in order, the total count and the counts of every facet
(``search_practices``), and prints the median and 95th percentile of
--repeat runs against the target of 200 ms. The reference, measured in the
same run on the same rows, is the simple approach without a full-text index:
every word matched with ``icontains`` on the texts (first page and count only,
no stemming and no facets).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_database, machine, throwaway_django

DATABASE = "prossima_bench_practices"

TARGET_MS = 200.0
QUERIES: list[tuple[str, dict[str, list[str]]]] = [
    ("furti in abitazione", {}),
    ("burglary", {}),
    ("illuminazione pubblica", {}),
    ("polizia di quartiere prossimità", {}),
    ("violenza", {"rating": ["effective", "promising"]}),
    ("", {}),
    ("", {"problem": ["furto-abitazione"], "size": ["5k-20k"]}),
    ("vittime ripetute furti", {"target": ["elderly", "victims"]}),
]
TEXT_FIELDS = (
    "title",
    "summary",
    "problem_description",
    "mechanism",
    "implementation",
    "outcomes",
    "effect",
)


def _fill(n: int, seed: int = 0) -> None:
    from django.db import transaction

    from prossima.accounts.actions import do_create_organisation
    from prossima.practices.actions import SEED_FILE, do_index_practice
    from prossima.practices.models import (
        InterventionType,
        Practice,
        Rating,
        Status,
        TargetGroup,
    )
    from prossima.practices.queries import problem_labels
    from prossima.territory.models import Comune

    rng = random.Random(seed)
    seeds = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    sentences = [
        s.strip() + "."
        for record in seeds
        for name in TEXT_FIELDS
        for s in str(record.get(name, "")).split(".")
        if len(s.strip()) > 20
    ]
    comuni = list(Comune.objects.only("pk", "region_id", "population"))
    problems = list(problem_labels())
    org = do_create_organisation(None, name="Istituto (benchmark)", kind="research_institute")

    def pick(options: list[str], most: int) -> list[str]:
        return rng.sample(options, rng.randint(1, most))

    with transaction.atomic():
        for i in range(n):
            base = rng.choice(seeds)
            comune = rng.choice(comuni) if rng.random() < 0.7 else None
            practice = Practice.objects.create(
                organisation=org,
                slug=f"sintetica-{i}",
                status=Status.PUBLISHED,
                title=f"{base['title'][:150]} ({i})",
                summary=" ".join(rng.sample(sentences, 3)),
                translated_title=base["translated_title"],
                problems=pick(problems, 3),
                target_groups=pick(list(TargetGroup.values), 2),
                intervention_types=pick(list(InterventionType.values), 2),
                comune_id=comune.pk if comune else None,
                region_id=comune.region_id if comune else None,
                population=None,
                problem_description=" ".join(rng.sample(sentences, 2)),
                mechanism=" ".join(rng.sample(sentences, 2)),
                implementation=" ".join(rng.sample(sentences, 3)),
                outcomes=" ".join(rng.sample(sentences, 3)),
                effect=" ".join(rng.sample(sentences, 2)),
                rating=rng.choice(list(Rating.values)),
                links=base["links"],
                version=1,
            )
            practice.comune = comune
            do_index_practice(practice)


def _time(fn: Any, repeat: int) -> tuple[float, float]:
    fn()  # warm the caches once, as a running server has them
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--keep", action="store_true", help="keep the database afterwards (to study a plan)"
    )
    args = parser.parse_args()
    throwaway_django(DATABASE, args.database)
    from django.db.models import Q

    from prossima.practices.queries import published_practices, search_practices

    print(machine())
    t0 = time.perf_counter()
    _fill(args.practices)
    print(
        f"{args.practices:,} synthetic practices indexed in {time.perf_counter() - t0:.1f} s "
        f"({args.database})"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        # Table statistics, as PostgreSQL's autovacuum keeps them on a live database.
        cursor.execute("ANALYZE")

    def full(q: str, filters: dict[str, list[str]]) -> Any:
        def run() -> tuple[int, int]:
            result = search_practices(q, filters)
            first = list(result.practices[:20])
            return len(first), result.practices.count()

        return run

    def naive(q: str) -> Any:
        def run() -> tuple[int, int]:
            found = published_practices()
            for word in q.split():
                match = Q()
                for name in TEXT_FIELDS:
                    match |= Q(**{f"{name}__icontains": word})
                found = found.filter(match)
            return len(list(found.order_by("-published_at", "title")[:20])), found.count()

        return run

    worst = 0.0
    print(f"{'query':<44} {'found':>6} {'median':>8} {'p95':>8} {'target':>7} {'icontains':>10}")
    for q, filters in QUERIES:
        label = (q or "(no words)") + ("" if not filters else f" + {filters}")
        _n, count = full(q, filters)()
        median, p95 = _time(full(q, filters), args.repeat)
        worst = max(worst, p95)
        reference = ""
        if q and not filters:
            ref_median, _ref_p95 = _time(naive(q), args.repeat)
            reference = f"{ref_median:7.1f} ms"
        print(
            f"{label[:44]:<44} {count:>6} {median:6.1f} ms {p95:6.1f} ms "
            f"{p95 / TARGET_MS:6.2f}x {reference:>10}"
        )
    print(f"worst p95: {worst:.1f} ms = {worst / TARGET_MS:.2f}x the 200 ms target")
    if not args.keep:
        drop_database(DATABASE, args.database)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

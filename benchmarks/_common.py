"""Locate the shared real data and describe the machine for benchmark reports."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Return the shared data folder: $PROSSIMA_DATA or ../shared/data next to the repository."""
    path = Path(os.environ.get("PROSSIMA_DATA", REPO.parent / "shared" / "data"))
    if not (path / "toronto_mci_2014_2019.csv.gz").exists():
        sys.exit(
            f"Benchmark data not found in {path}; set PROSSIMA_DATA to the folder holding "
            "toronto_mci_2014_2019.csv.gz."
        )
    return path


def cpu_model() -> str:
    """Return the CPU model named in /proc/cpuinfo, or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """Return a one-line description of the machine and Python."""
    return (
        f"{platform.machine()}, {os.cpu_count()} logical CPUs"
        f" (nproc {len(os.sched_getaffinity(0))}),"
        f" Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )

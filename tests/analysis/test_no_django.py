"""The analytic core never imports Django."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import prossima.analysis


def test_analysis_never_imports_django() -> None:
    modules = sorted(
        m.name for m in pkgutil.walk_packages(prossima.analysis.__path__, "prossima.analysis.")
    )
    assert "prossima.analysis.cli" in modules
    assert "prossima.analysis.hotspots.kde" in modules
    code = (
        "import sys, importlib\n"
        f"for name in {['prossima.analysis', *modules]!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr

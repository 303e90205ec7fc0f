"""Compile and check translation catalogues without GNU gettext installed."""

from __future__ import annotations

from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def catalogues() -> list[Path]:
    """Return every .po file of the project."""
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def compile_catalogues(force: bool = False) -> list[Path]:
    """Compile each .po file to .mo when the .mo is missing or older; return those compiled."""
    compiled = []
    for po_path in catalogues():
        mo_path = po_path.with_suffix(".mo")
        if force or not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            compiled.append(mo_path)
    return compiled


def untranslated(po_path: Path) -> list[str]:
    """Return the msgids of a catalogue that are untranslated or fuzzy."""
    po = polib.pofile(str(po_path))
    return [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]

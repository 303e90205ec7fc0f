"""Translation catalogues: Italian complete, English in step, nothing left out."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from prossima.i18n import LOCALE_DIR, catalogues, untranslated


def test_catalogues_exist_for_both_languages() -> None:
    langs = {p.parts[-3] for p in catalogues()}
    assert {"it", "en"} <= langs


def test_italian_catalogue_has_no_untranslated_or_fuzzy_entries() -> None:
    missing = untranslated(LOCALE_DIR / "it/LC_MESSAGES/django.po")
    assert not missing, f"translate these in locale/it: {missing[:20]}"


def test_english_catalogue_has_no_fuzzy_guesses() -> None:
    po = polib.pofile(str(LOCALE_DIR / "en/LC_MESSAGES/django.po"))
    assert not [e.msgid for e in po.fuzzy_entries()]


def test_english_catalogue_has_the_same_messages() -> None:
    # Source strings are English, so the English catalogue may leave msgstr empty,
    # but it must list every message the Italian one has.
    it = {e.msgid for e in polib.pofile(str(LOCALE_DIR / "it/LC_MESSAGES/django.po"))}
    en = {e.msgid for e in polib.pofile(str(LOCALE_DIR / "en/LC_MESSAGES/django.po"))}
    assert it == en


def test_catalogues_cover_every_string_in_the_code(tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext (xgettext) is not installed; .ci/run installs it")
    package = LOCALE_DIR.parent
    copy = tmp_path / "prossima"
    shutil.copytree(
        package, copy, ignore=shutil.ignore_patterns("analysis", "__pycache__", "static", "*.mo")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "it",
            "--no-obsolete",
            "--no-location",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "DJANGO_SETTINGS_MODULE": "prossima.config.settings",
            "PATH": "/usr/bin:/bin",
            "PROSSIMA_HOME": str(tmp_path),
        },
    )
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/it/LC_MESSAGES/django.po"))}
    known = {e.msgid for e in polib.pofile(str(LOCALE_DIR / "it/LC_MESSAGES/django.po"))}
    assert fresh <= known, f"run makemessages and translate: {sorted(fresh - known)[:20]}"

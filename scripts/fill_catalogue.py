"""Fill msgstr entries of a .po catalogue from a Python dict file (maintenance aid).

Usage: python scripts/fill_catalogue.py LOCALE.po TRANSLATIONS.py
TRANSLATIONS.py defines T (msgid -> msgstr) and optionally P (msgid -> [singular, plural]).
Existing translations are kept; fuzzy flags are cleared only where a translation is given.
"""

import runpy
import sys

import polib


def main() -> int:
    po_path, table_path = sys.argv[1], sys.argv[2]
    table = runpy.run_path(table_path)
    singular, plural = table.get("T", {}), table.get("P", {})
    po = polib.pofile(po_path)
    missing = []
    for entry in po:
        if entry.msgid_plural:
            if entry.msgid in plural:
                entry.msgstr_plural = dict(enumerate(plural[entry.msgid]))
                entry.flags = [f for f in entry.flags if f != "fuzzy"]
            elif not all(entry.msgstr_plural.values()) or "fuzzy" in entry.flags:
                missing.append(entry.msgid)
        elif entry.msgid in singular:
            entry.msgstr = singular[entry.msgid]
            entry.flags = [f for f in entry.flags if f != "fuzzy"]
        elif not entry.msgstr or "fuzzy" in entry.flags:
            missing.append(entry.msgid)
    po.save(po_path)
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())

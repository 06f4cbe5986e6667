"""Roster input: OneRoster 1.1 CSV bundles.

- `kiosk.roster.parser`: read and check a folder or .zip into plain dataclasses (no database);
- `kiosk.roster.importer`: apply a parsed snapshot in one transaction (`import_roster`);
- `kiosk.roster.synthetic`: generate a reproducible district of any size
  (`python -m kiosk.roster.synthetic OUT_DIR --students N --seed S [--zip]`).

Nothing is imported here, so the generator and the parser stay cheap to start.
"""

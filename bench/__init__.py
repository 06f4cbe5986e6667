"""The performance benchmarks: `make bench` runs `python -m bench` (see bench/__main__.py).

One module per figure (cold_start, login, ui_stall, roster_import, key_issue, lookups;
serve_memory belongs to `kiosk serve`), the databases and synthetic districts they
share (databases, district), and the table they print (report).
"""

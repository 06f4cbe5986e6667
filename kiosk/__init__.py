"""Portal Kiosk: the core (no Textual here) and the entry points `app` and `cli`."""

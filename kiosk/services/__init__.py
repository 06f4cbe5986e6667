"""Services: one unit of work per user action; plain dataclasses out, domain errors raised."""

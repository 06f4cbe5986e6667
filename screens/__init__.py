"""Textual screens and widgets of the parent kiosk. They reach the core only through services."""

"""SecretInput: a password box that never copies or cuts its text."""

from __future__ import annotations

from typing import Any

from screens.no_clipboard_input import NoClipboardInput


class SecretInput(NoClipboardInput):
    """An Input with `password=True` and no copy or cut."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(password=True, max_length=256, **kwargs)

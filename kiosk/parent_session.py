"""What the kiosk knows of the parent standing at it, in one object.

The parent's choices that outlive a screen: the language, the look, speech. The idle
wipe (and the recovery from an unexpected error) replaces the object whole, so nothing
of one parent can be read by the next. The parent's own data (the accepted key, the
account) is not here: it travels with the flow's events into the screens that show it
(kiosk.flow.step), and leaves with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kiosk.i18n import DEFAULT_LANGUAGE


@dataclass
class ParentSession:
    """One parent's visit. A fresh one is the terminal's start: `ParentSession(speech_on=...)`."""

    language: str = DEFAULT_LANGUAGE
    high_contrast: bool = False
    speech_on: bool = False
    """Speech is on now (a terminal may start with it on)."""
    last_utterance: str = field(default="", repr=False)
    """What was said last, for F1 twice quickly (what was said aloud, never a secret)."""
    speech_key_at: datetime | None = None
    """When F1 was last pressed, to tell a double press from two presses."""

    def looks_like_start(self, start: ParentSession) -> bool:
        """What a parent can see or hear is as at `start` (the last utterance and the
        time of the last F1 press are not seen: they do not make a session worth a wipe)."""
        return (self.language, self.high_contrast, self.speech_on) == (
            start.language, start.high_contrast, start.speech_on)

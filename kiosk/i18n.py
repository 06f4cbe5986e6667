"""Languages of the parent kiosk: English (the msgids) and Spanish (a gettext catalog).

Strings are marked with `_()` (or `N_()` where they are defined before a language is
known) so pybabel finds them; the catalog lives in `kiosk/locale/<lang>/LC_MESSAGES/
kiosk.mo` and `scripts/compile_catalogs.sh` rebuilds it. Messages defined as data in
the core (the `message` of each error, the password and username rules) are not
calls, so `core_messages()` collects them by introspection for the catalog.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable
from pathlib import Path

DOMAIN = "kiosk"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "en"
# Code -> the language's own name, as the switch shows it.
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
# Texts the core joins onto translated messages.
EXTRA_CORE_MESSAGES = ("Reference:",)

Translate = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a string for extraction without translating it now."""
    return message


@functools.cache
def _catalog(language: str) -> gettext.NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    # A missing catalog falls back to English rather than taking the kiosk down;
    # tests/unit/test_i18n.py fails the build if a catalog or a translation is missing.
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[language],
                               fallback=True)


def translator(language: str) -> Translate:
    """The gettext function for `language` (one of LANGUAGES)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    return _catalog(language).gettext


def other_language(language: str) -> str:
    """The language the switch offers next (the kiosk has two)."""
    codes = list(LANGUAGES)
    return codes[(codes.index(language) + 1) % len(codes)]


def core_messages() -> list[str]:
    """Parent-facing msgids that are data, not `_()` calls, in a stable order.

    Every `message` of the KioskError classes in kiosk.errors, every rule template
    and strength label of kiosk.security.policy, and EXTRA_CORE_MESSAGES.
    """
    from kiosk import errors
    from kiosk.security import policy

    found: list[str] = []
    import inspect  # only for the catalog tools and tests, not at start-up

    for _name, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, errors.KioskError) and cls.__module__ == errors.__name__:
            message = cls.__dict__.get("message")
            if isinstance(message, str) and message != "{problems}":
                found.append(message)
    found.extend(policy.MESSAGES)
    found.extend(EXTRA_CORE_MESSAGES)
    return list(dict.fromkeys(found))

"""What every command shares: settings, the service context, errors as one line."""

from __future__ import annotations

import functools
import json
import os
import pwd
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, is_dataclass
from datetime import datetime
from json.encoder import encode_basestring  # the C encoder of one string
from typing import Any, NoReturn, ParamSpec, TypeVar

import click

from kiosk.errors import KioskError, ServiceUnavailable

P = ParamSpec("P")
R = TypeVar("R")


def refuse(message: str) -> NoReturn:
    """A refused operation: one clear line on stderr, exit status 1."""
    click.echo(f"kiosk: {message}", err=True)
    sys.exit(1)


def expected_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Turn domain errors into one line on stderr and exit 1; never a traceback."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = function(*args, **kwargs)
            sys.stdout.flush()  # a reader gone away shows here, inside the handlers below
            return result
        except BrokenPipeError:
            _quiet_after_broken_pipe()
        except ServiceUnavailable as error:
            # An administrator needs the real cause, never the parents' calm message.
            refuse(f"the database cannot be used: {error.cause or error.text()}")
        except KioskError as error:
            refuse(error.text())
        except OSError as error:  # a file the user named: missing folder, permissions...
            where = f" {error.filename}" if error.filename else ""
            refuse(f"cannot use{where}: {error.strerror or error}")
        except Exception as error:
            if _is_database_error(error):
                refuse("the database file is damaged or is not a kiosk database "
                       "(check database_url)")
            cause = _database_cause(error)
            if cause is not None:
                refuse(f"the database cannot be used: {cause}")
            raise
        except KeyboardInterrupt:
            click.echo("kiosk: interrupted; nothing more was done.", err=True)
            sys.exit(130)

    return wrapper


def _quiet_after_broken_pipe() -> NoReturn:
    """The reader of our output has gone (`kiosk audit | head`): stop without a word.

    Output still buffered would fail again when Python flushes at exit, so stdout is
    pointed at /dev/null first. The status is that of a reader gone: 141, like SIGPIPE.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    sys.exit(128 + 13)


def _is_database_error(error: Exception) -> bool:
    """SQLite's "file is not a database" and kin, from sqlite3 or through SQLAlchemy."""
    import sqlite3

    if isinstance(error, sqlite3.DatabaseError):
        return True
    module = type(error).__module__
    return module.startswith("sqlalchemy") and type(error).__name__ == "DatabaseError"


def _database_cause(error: Exception) -> str | None:
    """The real cause of a database error that reached a command unconverted (a refused
    connection, a role without the right): plain words and the fix, no secret."""
    from sqlalchemy.exc import DBAPIError, IntegrityError

    if not isinstance(error, DBAPIError) or isinstance(error, IntegrityError):
        return None
    from kiosk.db.diagnose import cause_of

    return cause_of(error).line()


def load_context() -> Any:
    """The service context from the settings (KIOSK_DATABASE_URL, KIOSK_CONFIG, KIOSK_*)."""
    from kiosk.services.context import ServiceContext
    from kiosk.settings import load_settings

    return ServiceContext.from_settings(load_settings())


def cli_actor() -> Any:
    """The audit actor: the operating-system account of the effective uid.

    Never `$USER` or `$LOGNAME`: anyone can set those to any text, escape sequences
    included, and the audit log must say who really ran the command.
    """
    from kiosk.audit import Actor

    uid = os.geteuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid with no passwd entry (a container's arbitrary uid)
        user = f"uid{uid}"
    return Actor(name=f"cli:{user}")


# Characters that could move the cursor, retitle the window, reach the clipboard (OSC 52)
# or reorder what follows (U+202E) when a name from the roster or the log is printed.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _is_invisible(char: str) -> bool:
    return unicodedata.category(char) in _INVISIBLE_CATEGORIES


def visible(text: str) -> str:
    """`text` with control and format characters shown as escapes: `\\x1b`, `\\u202e`.

    A backslash is doubled, so an escape shown can always be told from typed text.
    """
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_escape(char) if _is_invisible(char) or char == "\\" else char
                   for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if char == "\\":
        return "\\\\"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def print_json(document: Any) -> None:
    """One JSON document; control and format characters in strings as \\u escapes."""
    text = _indented_json(document)
    if not text.isprintable():
        # Outside strings JSON has only newlines and spaces; inside, \\uXXXX is the same
        # character to a parser, and nothing a terminal would act on.
        text = _json_invisible().sub(_json_escape, text)
    click.echo(text)


@functools.cache
def _json_invisible() -> re.Pattern[str]:
    """Every invisible character that a \\uXXXX escape can name, but the newline.

    One regular expression scans 150,000 issued keys in milliseconds, where a test of
    each character took seconds.
    """
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if code != 0x0A and _is_invisible(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return re.compile("[" + "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges)
                      + "]")


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


_SCALARS = (str, int, float, bool, type(None))


def _indented_json(document: Any) -> str:
    """`json.dumps(document, ensure_ascii=False, indent=2)`, the very same text.

    The standard library indents in pure Python; a list of flat records (150,000 issued
    keys, an audit log) is laid out here instead, each value by its C encoder. Such a
    list is plain already; anything else is made plain (`_plain`) first.
    """
    if not (isinstance(document, list) and document
            and all(type(item) is dict and item and all(type(name) is str and type(value) in
                                                        _SCALARS for name, value in item.items())
                    for item in document)):
        return json.dumps(_plain(document), ensure_ascii=False, indent=2)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    labels: dict[str, str] = {}  # '    "name": ', the same few names in every record
    records = []
    for item in document:
        fields = []
        for name, value in item.items():
            label = labels.get(name)
            if label is None:
                label = labels[name] = f"    {encode_basestring(name)}: "
            fields.append(label + (encode_basestring(value) if type(value) is str
                                   else encode(value)))
        records.append("  {\n" + ",\n".join(fields) + "\n  }")
    return "[\n" + ",\n".join(records) + "\n]"


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:  # most values: no dataclass, date or container to convert
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [v if type(v) in _SCALARS else _plain(v) for v in value]
    if isinstance(value, dict):
        return {k: v if type(v) in _SCALARS else _plain(v) for k, v in value.items()}
    return value


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress callback `(done, total)`: a bar on a terminal, silent otherwise.

    The bar appears at the first report, so `total` may be 0 when not yet known.
    """
    if not sys.stdout.isatty():
        yield lambda done, total: None
        return
    with ExitStack() as stack:
        bar: Any = None
        shown = 0

        def update(done: int, reported_total: int) -> None:
            nonlocal bar, shown
            if bar is None:
                bar = stack.enter_context(
                    click.progressbar(length=max(total, reported_total, 1), label=label,
                                      file=sys.stderr))
            bar.update(done - shown)
            shown = done

        yield update

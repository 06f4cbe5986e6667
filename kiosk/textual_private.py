"""Every use of Textual's private API, in one place.

Textual offers no public hook for an error its event loop did not expect, nor for a
result callback on the default screen, nor for starting in a theme of one's own without
parsing the style sheets twice. What the apps need there lives here, each with
the reason public API does not do it, and nowhere else. The code was written against
the Textual version below (pinned exactly in pyproject.toml);
tests/unit/test_private_api.py checks that every method and attribute used here is
still there with the same signature, so an upgrade that changes one fails there, by
name, instead of in a kiosk lobby.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.app import App, InvalidThemeError
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen

WRITTEN_FOR_TEXTUAL = "8.2.8"


class TextualErrorHooks(App[None]):
    """Routes every unexpected error of the event loop to `unexpected_error`."""

    async def _dispatch_message(self, message: Message) -> None:
        # Why: the app's own message loop stops at the first error one of its handlers
        # raises (a priority key binding, a callback, a timer), leaving a frozen kiosk.
        # Catching it here hands it to the crash handler and the loop goes on. Textual
        # has no public hook around message dispatch.
        try:
            await super()._dispatch_message(message)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._handle_exception(error)

    def _handle_exception(self, error: Exception) -> None:
        # Why: every error Textual's loop did not expect (screens, widgets, timers,
        # workers with exit_on_error) comes here, and there is no public equivalent.
        # Textual's own prints a traceback with local variables, which may hold a typed
        # password or a temporary one, and always exits.
        self.unexpected_error(error)

    # The app's crash handler, defined by AppBase. Declared, not defined, here: Textual's
    # metaclass rules out an abstract method, and a body here could only be a stand-in.
    unexpected_error: Callable[[Exception], None]


def closing_or_not_running(app: App[Any]) -> bool:
    """The app has been asked to exit, or its loop is not (or no longer) running."""
    # Why: `_exit` is set by exit() and no public property says so; an error then must
    # not start a recovery on a loop that is going away.
    return app._exit or not app.is_running


def set_exit_status(app: App[Any], return_code: int) -> None:
    """The exit status, without posting an exit message no loop may read any more."""
    # Why: exit() posts a message; while the app starts or closes nobody reads it.
    app._return_code = return_code


def keep_error_for_run_test(app: App[Any], error: Exception) -> None:
    """What Textual's handler does so that `run_test` raises the app's error.

    Without it, a test of a crashing app would pass without seeing the crash.
    """
    if app._exception is None:
        app._exception = error
        app._exception_event.set()


def give_empty_result_callback(screen: Screen[Any], requester: MessagePump) -> None:
    """A result callback for a screen that was never pushed (the default screen)."""
    # Why: switch_screen pops the current screen's result callback, which only
    # push_screen gives it. The default screen is shown in the first frame without a
    # push (the cold start target), so it gets an empty one here.
    screen._push_result_callback(requester, None)


def start_in_theme(app: App[Any], name: str) -> None:
    """Make `name` (a registered theme) the app's theme before the app runs."""
    # Why: setting `App.theme` runs its watcher, which schedules refresh_css for when the
    # app runs: that parses every style sheet again, into a new stylesheet, and empties
    # the parse cache, so the sheets were parsed twice before the first frame (about
    # 12 ms of the cold start). Before the app runs nothing is parsed or styled yet, so
    # what the watcher (App._watch_theme) does is done here, without that refresh.
    if name not in app.available_themes:
        raise InvalidThemeError(f"Theme {name!r} has not been registered.")
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    classes = {cls: False for cls in app.classes if cls.startswith("-theme-")}
    classes[f"-theme-{theme.name}"] = True
    classes["-dark-mode"] = theme.dark
    classes["-light-mode"] = not theme.dark
    app.update_classes(classes, update=False)
    app._refresh_truecolor_filter(app.ansi_theme)
    app.stylesheet.set_variables(app.get_css_variables())

"""The private Textual and textual-serve API we use is still the one we wrote against.

Every such use lives in kiosk/textual_private.py or kiosk/web/serve_private.py. An
upgrade that renames a method, changes its signature, drops an attribute or stops
calling a hook fails here, naming it, rather than in a lobby or a browser session.
The libraries are pinned exactly in pyproject.toml; the pins, the installed versions
and the versions the two modules name must all agree.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import re
import tomllib
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

import pytest
from textual.app import App
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager
from textual_serve.server import Server

import kiosk
import screens
from kiosk.textual_private import WRITTEN_FOR_TEXTUAL, TextualErrorHooks
from kiosk.web.serve_private import WRITTEN_FOR_TEXTUAL_SERVE, AppServiceHooks

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
WRITTEN_FOR = {"textual": WRITTEN_FOR_TEXTUAL, "textual-serve": WRITTEN_FOR_TEXTUAL_SERVE}
LIBRARIES = ("textual", "textual_serve")

# Each private method we override or call, on the library class, as we wrote against it.
LIBRARY_SIGNATURES: list[tuple[type, str, str]] = [
    (App, "_dispatch_message", "(self, message: 'Message') -> 'None'"),
    (App, "_handle_exception", "(self, error: 'Exception') -> 'None'"),
    (App, "_refresh_truecolor_filter", "(self, theme: 'TerminalTheme') -> 'None'"),
    (Screen, "_push_result_callback",
     "(self, requester: 'MessagePump', "
     "callback: 'ScreenResultCallbackType[ScreenResultType] | None', "
     "future: 'asyncio.Future[ScreenResultType | None] | None' = None) -> 'None'"),
    (Server, "_make_app", "(self) -> 'web.Application'"),
    (AppService, "_build_environment",
     "(self, width: 'int' = 80, height: 'int' = 24) -> 'dict[str, str]'"),
    (AppService, "_open_app_process",
     "(self, width: 'int' = 80, height: 'int' = 24) -> 'Process'"),
]

# Each of our overrides, with the library method it replaces.
OVERRIDES: list[tuple[type, type, str]] = [
    (TextualErrorHooks, App, "_dispatch_message"),
    (TextualErrorHooks, App, "_handle_exception"),
    (AppServiceHooks, AppService, "_open_app_process"),
]

# Where the library calls the private hooks we override or the attributes we set:
# a hook nobody calls any more would be dropped without a sound.
LIBRARY_CALLS: list[tuple[Callable[..., object], str]] = [
    (MessagePump._process_messages_loop, "self.app._handle_exception("),
    (MessagePump._process_messages_loop, "self._dispatch_message("),
    (AppService.start, "self._open_app_process("),
    (AppService.run, "self._process"),
    (AppService.__dict__["stdin"].fget, "self._stdin"),
    (App._handle_exception, "self._exception_event.set()"),
    # What the theme watcher does, which start_in_theme does in its place.
    (App._watch_theme, "self.update_classes(classes, update=False)"),
    (App._watch_theme, "self._refresh_truecolor_filter(self.ansi_theme)"),
    (App._watch_theme, "self.call_next(partial(self.refresh_css, animate=False))"),
]


@pytest.mark.parametrize("package", sorted(WRITTEN_FOR))
def test_installed_library_is_the_version_the_private_modules_were_written_for(
        package: str) -> None:
    assert version(package) == WRITTEN_FOR[package]


@pytest.mark.parametrize("package", sorted(WRITTEN_FOR))
def test_pyproject_pins_the_library_to_the_version_the_private_modules_were_written_for(
        package: str) -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    pins = [dep for dep in dependencies if re.split(r"[\s<>=!~\[;]", dep)[0] == package]
    assert pins == [f"{package}=={WRITTEN_FOR[package]}"]


@pytest.mark.parametrize(("owner", "name", "expected"), LIBRARY_SIGNATURES,
                         ids=[f"{c.__name__}.{n}" for c, n, _ in LIBRARY_SIGNATURES])
def test_private_library_method_keeps_the_signature_we_wrote_against(
        owner: type, name: str, expected: str) -> None:
    method = getattr(owner, name, None)
    assert method is not None, f"{owner.__name__}.{name} is gone"
    assert str(inspect.signature(method)) == expected


@pytest.mark.parametrize(("ours", "library", "name"), OVERRIDES,
                         ids=[f"{o.__name__}.{n}" for o, _, n in OVERRIDES])
def test_override_has_the_signature_of_the_library_method_it_replaces(
        ours: type, library: type, name: str) -> None:
    assert name in vars(ours)
    assert inspect.signature(vars(ours)[name]) == inspect.signature(getattr(library, name))


@pytest.mark.parametrize(("function", "call"), LIBRARY_CALLS,
                         ids=[f"{f.__qualname__}:{c}" for f, c in LIBRARY_CALLS])
def test_library_still_uses_the_private_hook_or_attribute_we_rely_on(
        function: Callable[..., object], call: str) -> None:
    assert call in inspect.getsource(function)


def test_textual_app_has_the_private_attributes_we_read_and_set() -> None:
    app: App[None] = App()
    assert app._exit is False
    assert app._return_code is None
    assert app._exception is None
    assert isinstance(app._exception_event, asyncio.Event)


async def test_textual_serve_app_service_has_the_private_attributes_we_set() -> None:
    async def ignore(_data: object = None) -> None:
        return None

    service = AppService("true", write_bytes=ignore, write_str=ignore, close=ignore,
                         download_manager=DownloadManager())
    assert service._process is None
    assert service._stdin is None


def _our_modules() -> list[ModuleType]:
    modules = []
    for package in (kiosk, screens):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if info.name.endswith("__main__") or ".migrations" in info.name:
                continue
            modules.append(importlib.import_module(info.name))
    return modules


def test_private_library_methods_are_overridden_only_in_the_private_modules() -> None:
    found = []
    for module in _our_modules():
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                continue
            for name, value in vars(cls).items():
                if not name.startswith("_") or name.startswith("__"):
                    continue
                if not (inspect.isfunction(value) or isinstance(value, property)):
                    continue
                for base in cls.__mro__[1:]:
                    if base.__module__.split(".")[0] in LIBRARIES and name in vars(base):
                        found.append((module.__name__, f"{cls.__name__}.{name}"))
                        break
    assert sorted(found) == [
        ("kiosk.textual_private", "TextualErrorHooks._dispatch_message"),
        ("kiosk.textual_private", "TextualErrorHooks._handle_exception"),
        ("kiosk.web.serve_private", "AppServiceHooks._open_app_process"),
    ]

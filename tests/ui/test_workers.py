"""The one worker pattern of the screens (screens.workers), on a bare widget.

Real thread workers in a real Textual app: a call that must wait is held by a
threading.Event, never by a sleep.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from textual import on
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.pilot import Pilot
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from kiosk.errors import KioskError, Refused
from screens.workers import IGNORE, CallEnded, CallFailed, thread_call

SECRET = "correct horse battery staple"


class Caller(Widget):
    """Runs `answer(value)` in two groups: one that replaces, one that ignores."""

    @dataclass
    class Answered(CallEnded):
        value: str

    def __init__(self) -> None:
        super().__init__(id="caller")
        self.release: dict[str, threading.Event] = {}
        self.started: dict[str, threading.Event] = {}
        self.built: dict[str, threading.Event] = {}  # the result exists; posting is next
        self.calls: list[str] = []
        self.ended: list[CallEnded] = []

    def answer(self, value: str) -> str:
        self.calls.append(value)
        self.started.setdefault(value, threading.Event()).set()
        if value in self.release:
            self.release[value].wait(timeout=30)
        if value.startswith("raise:"):
            raise RuntimeError(f"a bug that quotes {SECRET}")
        if value.startswith("refuse:"):
            raise Refused("That cannot be done.")
        return value

    @thread_call(group="replace")
    def replacing(self, value: str) -> Answered:
        answered = self.Answered(self.answer(value))
        self.built.setdefault(value, threading.Event()).set()
        return answered

    @thread_call(Answered, group="ignore", while_running=IGNORE)
    def ignoring(self, value: str) -> str:
        return self.answer(value)

    @on(CallEnded)
    def _ended(self, event: CallEnded) -> None:
        self.ended.append(event)


class Holder(Vertical):
    """The caller's parent: a call's message must not reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[CallEnded] = []

    def compose(self) -> ComposeResult:
        yield Caller()

    @on(CallEnded)
    def _heard(self, event: CallEnded) -> None:
        self.heard.append(event)


class CallerApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Holder()


async def _calls_ended(pilot: Pilot[None]) -> None:
    """Wait until every call has ended and the message it sent has been handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def worker_states(states: list[WorkerState]) -> Callable[[Message], None]:
    def hook(message: Message) -> None:
        if isinstance(message, Worker.StateChanged):
            states.append(message.state)

    return hook


async def test_a_result_comes_back_as_the_typed_message() -> None:
    app = CallerApp()
    async with app.run_test() as pilot:
        caller = app.query_one(Caller)
        caller.replacing("hello")
        await _calls_ended(pilot)
        assert caller.ended == [Caller.Answered("hello")]


async def test_a_second_start_while_a_call_runs_starts_no_second_call() -> None:
    app = CallerApp()
    async with app.run_test() as pilot:
        caller = app.query_one(Caller)
        caller.release["first"] = threading.Event()
        assert caller.ignoring("first") is not None
        assert caller.ignoring("second") is None
        caller.release["first"].set()
        await _calls_ended(pilot)
        assert caller.calls == ["first"]
        assert caller.ended == [Caller.Answered("first")]
        # Once it has ended, the group takes a call again.
        assert caller.ignoring("third") is not None
        await _calls_ended(pilot)
        assert caller.ended[-1] == Caller.Answered("third")


async def test_a_newer_call_replaces_the_older_whose_result_is_never_shown() -> None:
    app = CallerApp()
    async with app.run_test() as pilot:
        caller = app.query_one(Caller)
        caller.release["older"] = threading.Event()
        built = caller.built["older"] = threading.Event()
        started = caller.started["older"] = threading.Event()
        caller.replacing("older")
        assert await asyncio.to_thread(started.wait, 30)  # its thread runs
        newer = caller.replacing("newer")
        assert newer is not None
        await newer.wait()
        await pilot.pause()
        assert caller.ended == [Caller.Answered("newer")]
        # The older thread runs on after its cancel; let it finish and try to post.
        caller.release["older"].set()
        assert await asyncio.to_thread(built.wait, 30)
        for _ in range(3):
            await pilot.pause()
        assert sorted(caller.calls) == ["newer", "older"]
        assert caller.ended == [Caller.Answered("newer")]


async def test_an_unexpected_error_is_call_failed_logged_by_type_and_no_worker_fails(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    states: list[WorkerState] = []
    app = CallerApp()
    async with app.run_test(message_hook=worker_states(states)) as pilot:
        caller = app.query_one(Caller)
        caller.ignoring("raise:boom")
        await _calls_ended(pilot)
        [failed] = caller.ended
        assert isinstance(failed, CallFailed)
        assert failed.group == "ignore"
        assert isinstance(failed.error, RuntimeError)
        # The screen is still usable: the next call of the group runs and answers.
        caller.ignoring("fine")
        await _calls_ended(pilot)
        assert caller.ended[-1] == Caller.Answered("fine")
    assert WorkerState.ERROR not in states
    assert WorkerState.SUCCESS in states
    assert [record.getMessage() for record in caplog.records
            if record.name == "kiosk.screens"] == [
        "unexpected RuntimeError in the ignore thread worker"]
    assert SECRET not in caplog.text


async def test_a_domain_error_keeps_its_message_and_is_not_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    app = CallerApp()
    async with app.run_test() as pilot:
        caller = app.query_one(Caller)
        caller.replacing("refuse:it")
        await _calls_ended(pilot)
        [failed] = caller.ended
        assert isinstance(failed, CallFailed)
        assert isinstance(failed.error, KioskError)
        assert failed.error.text() == "That cannot be done."
    assert [record for record in caplog.records if record.name == "kiosk.screens"] == []


async def test_a_calls_message_reaches_only_the_node_that_started_it() -> None:
    app = CallerApp()
    async with app.run_test() as pilot:
        caller = app.query_one(Caller)
        caller.replacing("hello")
        caller.ignoring("raise:boom")
        await _calls_ended(pilot)
        assert len(caller.ended) == 2
        assert app.query_one(Holder).heard == []

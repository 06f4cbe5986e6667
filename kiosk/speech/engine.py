"""The speech engine: espeak-ng, run in a background thread, one utterance at a time.

`say()` only puts the text on a queue, so the UI event loop never waits for a process
to start or for audio to play. The engine's own thread starts espeak-ng for the newest
utterance; a new one cuts off the one still playing (its process is terminated), and
utterances queued behind a newer one are dropped: a parent hears what is on the screen
now, not a backlog.

With an output folder (`KIOSK_SPEECH_OUTPUT=DIR`) nothing plays: every utterance is
written, in order and none dropped, as `NNNN.wav` (espeak-ng -w) beside its text in
`NNNN.txt`, counting up from 0001 after any files already there. File names are only
numbers, and each file is created new, readable by its owner only.

The text goes to espeak-ng on its standard input, never on its command line, where
other users of the host could read it. espeak-ng's own messages (ALSA complaining
about a missing sound card) go to /dev/null, never onto the kiosk's terminal.
"""

from __future__ import annotations

import logging
import queue
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from kiosk.private_files import private_file

PROGRAM = "espeak-ng"
# espeak-ng's voice for each language of the kiosk.
VOICES = {"en": "en-us", "es": "es"}
_NUMBERED = re.compile(r"^(\d{4,})\.(?:wav|txt)$")
_STOP_WAIT_SECONDS = 2.0
_RENDER_TIMEOUT_SECONDS = 120.0

log = logging.getLogger("kiosk.speech")


@dataclass(frozen=True)
class _Utterance:
    text: str
    voice: str


_SILENCE = _Utterance("", "")  # cuts off what plays and says nothing
_CLOSE = _Utterance("", "close")


class SpeechEngine:
    """Speaks through espeak-ng, or writes WAV files into `output_dir`."""

    def __init__(self, *, output_dir: str | Path | None = None, program: str = PROGRAM) -> None:
        self.output_dir = Path(output_dir) if output_dir else None
        self.program = program
        self._queue: queue.Queue[_Utterance] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._playing: subprocess.Popen[bytes] | None = None
        self._next_number = 0
        self.failures = 0

    # --- called from the UI --------------------------------------------------------------
    def available(self) -> bool:
        """Whether espeak-ng can be found on this host (looked up now, on PATH)."""
        return shutil.which(self.program) is not None

    def say(self, text: str, language: str) -> None:
        """Speak `text` in `language` ("en", "es"); returns at once."""
        if not text.strip():
            return
        self._start()
        self._queue.put(_Utterance(text, VOICES.get(language, VOICES["en"])))

    def silence(self) -> None:
        """Stop what is playing now (output files already written stay)."""
        if self._thread is not None:
            self._queue.put(_SILENCE)

    def wait_until_done(self) -> None:
        """Block until every utterance so far is spoken or written (for tests and benches)."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        """Stop playing and end the engine's thread."""
        thread = self._thread
        if thread is None:
            return
        self._queue.put(_CLOSE)
        thread.join(timeout=_STOP_WAIT_SECONDS * 2)
        self._thread = None

    # --- the engine's thread -----------------------------------------------------------
    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _CLOSE:
                    self._stop_playing()
                    return
                if self.output_dir is not None:
                    if item is not _SILENCE:
                        self._write(item)
                    continue
                item = self._newest(item)
                self._stop_playing()
                if item is _CLOSE:
                    return
                if item is not _SILENCE:
                    self._play(item)
            except Exception as error:  # the kiosk goes on without speech
                self.failures += 1
                log.warning("speech failed: %s", type(error).__name__)
            finally:
                self._queue.task_done()

    def _newest(self, item: _Utterance) -> _Utterance:
        """The last utterance waiting; the ones before it are dropped unheard."""
        while True:
            try:
                newer = self._queue.get_nowait()
            except queue.Empty:
                return item
            self._queue.task_done()
            item = newer
            if item is _CLOSE:
                return item

    def _command(self, voice: str, wav: Path | None) -> list[str]:
        command = [self.program, "-v", voice]
        if wav is not None:
            command += ["-w", str(wav)]
        return [*command, "--stdin"]

    def _play(self, item: _Utterance) -> None:
        process = subprocess.Popen(self._command(item.voice, None), stdin=subprocess.PIPE,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert process.stdin is not None
        try:
            process.stdin.write(item.text.encode("utf-8"))
            process.stdin.close()
        except BrokenPipeError:
            pass
        self._playing = process

    def _stop_playing(self) -> None:
        process, self._playing = self._playing, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=_STOP_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _write(self, item: _Utterance) -> None:
        folder = self.output_dir
        assert folder is not None
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self._next_number:
            self._next_number = 1 + max(
                (int(match.group(1)) for path in folder.iterdir()
                 if (match := _NUMBERED.match(path.name))), default=0)
        stem = f"{self._next_number:04d}"
        self._next_number += 1
        wav = folder / f"{stem}.wav"
        with private_file(wav):
            pass  # claimed new and private; espeak-ng writes into it
        subprocess.run(self._command(item.voice, wav), input=item.text.encode("utf-8"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       timeout=_RENDER_TIMEOUT_SECONDS)
        with private_file(folder / f"{stem}.txt") as handle:
            handle.write(item.text.encode("utf-8"))

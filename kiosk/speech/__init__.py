"""Speech output of the parent kiosk (no Textual here).

`kiosk.speech.utterances` decides what is said, as pure functions of a screen's state;
`kiosk.speech.engine` renders it with espeak-ng off the UI event loop.
"""

"""The cyclic garbage collector paused while a bulk job builds many objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while hundreds of thousands of rows are built.

    Rows, keys and their records form no reference cycles, and the collector's
    repeated passes over every new object would double the time of a district-sized
    roster import or key issue.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

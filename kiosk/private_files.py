"""Files the product writes for a person: a backup, activation letters, an audit export.

Each one may hold live keys or families' names, so each is created new, readable by its
owner only (0600), and never through a symbolic link: `O_CREAT | O_EXCL | O_NOFOLLOW`
refuses a name that already exists, a dangling link included, in the same system call
that creates the file, so nothing planted between a check and the write can redirect it.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from kiosk.errors import Refused

PRIVATE_MODE = 0o600
_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
          | getattr(os, "O_CLOEXEC", 0))


def create_private(path: str | Path) -> int:
    """A descriptor of a new, empty file at `path`, mode 0600; Refused naming the path."""
    target = os.fspath(path)
    try:
        descriptor = os.open(target, _FLAGS, PRIVATE_MODE)
    except FileExistsError:
        raise Refused(f"{target} already exists; choose a new file name") from None
    except OSError as error:
        if error.errno == errno.ELOOP:  # O_NOFOLLOW met a link (some systems say ELOOP)
            raise Refused(f"{target} already exists; choose a new file name") from None
        raise Refused(f"cannot write {target}: {error.strerror or error}") from None
    # The mode given to open() is narrowed by the umask, never widened; say it outright.
    os.fchmod(descriptor, PRIVATE_MODE)
    return descriptor


@contextmanager
def private_file(path: str | Path) -> Iterator[BinaryIO]:
    """Write a new private file; if the block fails, the half-written file is removed.

    A failure to write (a full disk, a quota) is Refused with the path; the file that
    this call created is unlinked, and an existing file is never touched.
    """
    target = os.fspath(path)
    handle = os.fdopen(create_private(target), "wb")
    try:
        with handle:
            yield handle
    except OSError as error:
        _remove(target)
        raise Refused(f"cannot write {target}: {error.strerror or error}") from None
    except BaseException:
        _remove(target)
        raise


def _remove(target: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(target)

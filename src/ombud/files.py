"""Files that hold personal data (packages, mail) are written readable by Ombud's user only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

PRIVATE = 0o600


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600 whatever the umask, all or nothing."""
    with private_file(path) as out:
        out.write(data)


@contextmanager
def private_file(path: Path) -> Iterator[BinaryIO]:
    """A new file for ``path`` with mode 0600 whatever the umask, written by the caller and
    there under its name, on disk, only once the block ends without an error.

    Written under a temporary name and renamed, so a crash never leaves half a file under
    the real name; the mode is set on the open file, so no other user can ever read it. The
    folder is made when it is missing."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    try:
        fd = os.open(temp, flags, PRIVATE)
    except FileNotFoundError:
        # Made when missing rather than asked for before every file: a mkdir of a folder
        # that exists waits on that folder's lock, which the other writers' renames hold.
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temp, flags, PRIVATE)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), PRIVATE)  # os.open's mode is reduced by the umask
            yield out
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    os.replace(temp, path)

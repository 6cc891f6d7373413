"""Looking at a path a user wrote, without tripping over what the operating system refuses to look at.

``Path.exists()`` and ``Path.is_file()`` raise for a file name longer than 255 bytes or a path longer than 4096,
and ``Path.resolve()`` for a NUL character; a scenario's ``apply:`` or a command-line argument can hold either.
:func:`kind_of` answers instead of raising, and :func:`shown` keeps such a path short in messages.

Not here: reading files (the loaders do, with their own messages), container paths (``harness.executors.paths``).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Literal

Kind = Literal["file", "dir", "missing", "other"]


def kind_of(path: Path) -> tuple[Kind, str | None]:
    """What ``path`` is, and why the system refused to look at it (None when it could look)."""
    try:
        if path.is_dir():
            return "dir", None
        if path.is_file():
            return "file", None
        return ("other" if path.exists() else "missing"), None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return "missing", "the name is too long (at most 255 bytes per file name and 4096 per path)"
        return "missing", os.strerror(exc.errno) if exc.errno else str(exc)
    except ValueError:
        return "missing", "it contains a NUL character"


def resolved(path: Path) -> Path:
    """``path.resolve()``, or the path as given when it cannot even be resolved (a NUL character)."""
    try:
        return path.resolve()
    except (OSError, ValueError):
        return path


def shown(path: Path | str, limit: int = 80) -> str:
    """The path for a message: quoted, with an over-long middle cut out."""
    text = str(path)
    if len(text) > limit:
        text = text[: limit // 2] + "..." + text[-(limit // 2 - 3):]
    return repr(text)

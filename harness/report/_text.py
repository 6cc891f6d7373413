"""Small text helpers shared by the reporters: cleaning, shortening and measuring strings.

Failure messages and logs may hold ANSI colour codes and control characters that XML 1.0 forbids; JUnit
consumers and browsers choke on them, so every reporter passes free text through :func:`clean`. Width estimates
let the SVG renderer decide whether a label fits without a font engine. Nothing here knows about journals.
"""

from __future__ import annotations

import re
from typing import Final

from .._util.durations import format_duration

_ANSI: Final = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
# Characters XML 1.0 does not allow (everything below 0x20 except tab, newline, carriage return; surrogates;
# U+FFFE/U+FFFF).
_XML_INVALID: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Average advance of a character in the sans-serif faces browsers pick, as a fraction of the font size.
_CHAR_WIDTH_EM: Final = 0.6


def clean(text: str) -> str:
    """``text`` without ANSI escape sequences and without characters XML 1.0 cannot carry."""
    return _XML_INVALID.sub("", _ANSI.sub("", text))


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis where it was cut."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return text[:limit]
    return text[: limit - 1] + "…"


def shorten_middle(text: str, limit: int) -> str:
    """``text`` cut in the middle (object names differ at both ends: ``rayjob-a-x7k2p-head-…``)."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return text[:limit]
    head = limit // 2
    tail = limit - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def text_width(text: str, font_size: float) -> float:
    """Estimated rendered width in pixels of ``text`` at ``font_size``."""
    return len(text) * font_size * _CHAR_WIDTH_EM


def first_line(text: str, limit: int = 200) -> str:
    """The first non-empty line of ``text``, shortened: a one-line summary for attributes and titles."""
    for line in text.splitlines():
        if line.strip():
            return shorten(line.strip(), limit)
    return ""


def duration_text(seconds: float) -> str:
    """A span for labels: ``1h1s`` rather than ``1h1.2s`` once it is a minute or more, ``1.5s`` below."""
    return format_duration(float(round(seconds)) if seconds >= 60 else seconds)

"""Parsing and printing of durations such as ``30s``, ``5m``, ``1h30m`` or ``250ms``.

Scenario files and CLI flags speak Go-style durations (as kubectl does); the simulator speaks float seconds.
Every duration is finite, not negative, and at most :data:`MAX_DURATION`, the longest ``time.Duration`` Go can
hold: what Kubernetes itself can wait for. ``.nan``, ``.inf`` or ``1e308`` are refused here, once, so that no
timer, deadline or wait further down ever sees a value it cannot add to a clock.
"""

from __future__ import annotations

import math
import re
from typing import Final

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
# math.MaxInt64 nanoseconds: Go prints it as 2562047h47m16.854775807s.
MAX_DURATION: Final = 9_223_372_036.854775807
MAX_DURATION_TEXT: Final = "2562047h47m16.854775807s (about 292 years, the longest duration Go can hold)"


class DurationTooLong(ValueError):
    """A duration beyond :data:`MAX_DURATION` (or infinite)."""


def _shown(value: object) -> str:
    """``repr`` of a value for a message, cut short: a 400-digit number is not worth repeating."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _bounded(value: str | int | float, seconds: float) -> float:
    if math.isnan(seconds):
        raise ValueError(f"duration={_shown(value)} is not a number; write a duration such as 30s, 5m or 1h")
    if seconds > MAX_DURATION:
        raise DurationTooLong(f"duration={_shown(value)} is longer than the longest duration, {MAX_DURATION_TEXT}")
    return seconds


def parse_duration(value: str | int | float) -> float:
    """Return seconds for ``value``; bare numbers are seconds. Raises ValueError with the accepted forms."""
    if isinstance(value, bool):
        raise ValueError(f"duration={_shown(value)} is a boolean; write a duration such as 30s, 5m or 1h")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"duration={_shown(value)} is negative")
        # compared as an int: a huge one cannot even become a float
        return _bounded(value, float(value) if value <= MAX_DURATION else math.inf)
    if isinstance(value, float):
        if value < 0:
            raise ValueError(f"duration={_shown(value)} is negative")
        return _bounded(value, value)
    if not isinstance(value, str):
        raise ValueError(f"duration={_shown(value)} is not a duration; write e.g. 250ms, 30s, 5m, 1h30m or 2d")
    text = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return _bounded(value, float(text))
    pos = 0
    total = 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"duration={_shown(value)} is not a duration; write e.g. 250ms, 30s, 5m, 1h30m or 2d")
    return _bounded(value, total)


def format_duration(seconds: float) -> str:
    """Render seconds compactly (``1h2m3s``, ``4.5s``, ``120ms``) for messages and reports."""
    if not math.isfinite(seconds):
        return str(seconds)
    if seconds < 1 and seconds != 0:
        return f"{round(seconds * 1000)}ms"
    whole = int(seconds)
    frac = seconds - whole
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    out = ""
    if hours:
        out += f"{hours}h"
    if minutes:
        out += f"{minutes}m"
    if secs or frac or not out:
        out += f"{secs + frac:g}s" if frac else f"{secs}s"
    return out

"""Parsing and printing of durations such as ``30s``, ``5m``, ``1h30m`` or ``250ms``.

Scenario files and CLI flags speak Go-style durations (as kubectl does); the simulator speaks float seconds.
"""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: str | int | float) -> float:
    """Return seconds for ``value``; bare numbers are seconds. Raises ValueError with the accepted forms."""
    if isinstance(value, bool):
        raise ValueError(f"duration={value!r} is a boolean; write a duration such as 30s, 5m or 1h")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"duration={value!r} is negative")
        return float(value)
    text = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    pos = 0
    total = 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"duration={value!r} is not a duration; write e.g. 250ms, 30s, 5m, 1h30m or 2d")
    return total


def format_duration(seconds: float) -> str:
    """Render seconds compactly (``1h2m3s``, ``4.5s``, ``120ms``) for messages and reports."""
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

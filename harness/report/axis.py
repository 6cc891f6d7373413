"""The picture's time axis: virtual seconds to pixels, with long idle gaps compressed into visible breaks.

A RayJob with a one-hour TTL has a minute of activity and then nothing until the cleanup; drawn to scale, the
minute would be a sliver. :func:`find_idle_gaps` picks the gaps between consecutive instants that dwarf
everything else, and :func:`build_axis` gives each such gap a fixed narrow band (drawn as a break, labelled with
its length) while the remaining pieces share the width in proportion to their durations. Ticks fall on nice
units per piece (1s, 5s, 30s, 1m, 1h, ...). Pure arithmetic: no SVG here (see :mod:`.svg`).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from .._util.durations import format_duration
from ._text import duration_text, text_width

MAX_BREAKS: Final = 12
_NICE_STEPS: Final = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0,
                      60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0, 21600.0, 43200.0,
                      86400.0)


@dataclass(frozen=True)
class Piece:
    """A stretch of time drawn to scale: ``[t0, t1]`` in pixels ``[x0, x1]`` (content may be centred)."""

    t0: float
    t1: float
    x0: float
    x1: float


@dataclass(frozen=True)
class Break:
    """An idle gap drawn as a fixed band ``[x0, x1]`` standing for ``[t0, t1]``."""

    t0: float
    t1: float
    x0: float
    x1: float

    @property
    def label(self) -> str:
        return duration_text(self.t1 - self.t0)


@dataclass(frozen=True)
class Tick:
    x: float
    t: float
    label: str
    major: bool = False  # the first instant after a break: its label wins over neighbours


def find_idle_gaps(times: Sequence[float], *, ratio: float = 4.0, min_gap: float = 300.0,
                   max_breaks: int = MAX_BREAKS) -> list[tuple[float, float]]:
    """The gaps worth compressing, in time order.

    The k longest gaps are compressed for the largest k whose k-th gap is at least ``min_gap`` seconds and more
    than ``ratio`` times the time left once those k gaps are removed; so two one-hour TTLs around a minute of
    work are both compressed, while runs whose quiet stretches are a few minutes at most stay to scale.
    """
    points = sorted(set(times))
    if len(points) < 2:
        return []
    total = points[-1] - points[0]
    gaps = sorted(((b - a, a, b) for a, b in itertools.pairwise(points)), reverse=True)[:max_breaks]
    best = 0
    removed = 0.0
    for k, (length, _, _) in enumerate(gaps, start=1):
        removed += length
        if length >= min_gap and length > ratio * (total - removed):
            best = k
    return sorted((a, b) for _, a, b in gaps[:best])


def nice_step(min_seconds: float) -> float:
    """The smallest nice tick step of at least ``min_seconds``."""
    for step in _NICE_STEPS:
        if step >= min_seconds:
            return step
    return 86400.0 * math.ceil(min_seconds / 86400.0)


def tick_label(t: float, step: float) -> str:
    """``1.5s`` below a one-second step; else ``30s``, ``1m30s``, ``1h`` (whole seconds)."""
    if step < 1.0:
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        return f"{t:.{decimals}f}s"
    if abs(t - round(t)) > 1e-6 and t < 60:
        return f"{t:.1f}s"
    return format_duration(float(round(t)))


class Axis:
    """Maps virtual time to x; ``pieces`` are to scale, ``breaks`` compressed; ``ticks`` are labelled."""

    def __init__(self, pieces: Sequence[Piece], breaks: Sequence[Break], ticks: Sequence[Tick],
                 points: Sequence[tuple[float, float]]) -> None:
        self.pieces = tuple(pieces)
        self.breaks = tuple(breaks)
        self.ticks = tuple(ticks)
        self._ts = [p[0] for p in points]
        self._xs = [p[1] for p in points]

    @property
    def left(self) -> float:
        return self.pieces[0].x0

    @property
    def right(self) -> float:
        return self.pieces[-1].x1

    def x(self, t: float) -> float:
        """The x of instant ``t``; inside a break, interpolated across the band so bars stay continuous."""
        ts, xs = self._ts, self._xs
        if t <= ts[0]:
            return xs[0]
        if t >= ts[-1]:
            return xs[-1]
        i = bisect.bisect_right(ts, t)
        a, b = i - 1, i
        if ts[b] == ts[a]:
            return xs[a]
        return xs[a] + (xs[b] - xs[a]) * (t - ts[a]) / (ts[b] - ts[a])

    def visible_spans(self, x0: float, x1: float) -> list[tuple[float, float]]:
        """Parts of ``[x0, x1]`` outside the break bands (where a label can sit unobscured)."""
        spans = [(x0, x1)]
        for brk in self.breaks:
            nxt: list[tuple[float, float]] = []
            for a, b in spans:
                if b <= brk.x0 or a >= brk.x1:
                    nxt.append((a, b))
                    continue
                if a < brk.x0:
                    nxt.append((a, brk.x0))
                if b > brk.x1:
                    nxt.append((brk.x1, b))
            spans = nxt
        return spans


def _scale(durations: Sequence[float], width: float, min_piece: float) -> float:
    """Pixels per second so that the pieces, each at least ``min_piece`` wide, fill ``width``."""
    total = sum(durations)
    if total <= 0:
        return 0.0
    lo, hi = 0.0, width / total
    for _ in range(60):
        mid = (lo + hi) / 2
        if sum(max(min_piece, d * mid) for d in durations) > width:
            hi = mid
        else:
            lo = mid
    return lo


def build_axis(times: Sequence[float], *, left: float, width: float, ratio: float = 4.0,
               min_gap: float = 300.0, break_width: float = 46.0, min_piece: float = 28.0,
               tick_spacing: float = 80.0, font_size: float = 10.0) -> Axis:
    """An axis over ``times`` (which should include the start and end instants) filling ``[left, left+width]``."""
    points = sorted(set(times)) or [0.0]
    gaps = find_idle_gaps(points, ratio=ratio, min_gap=min_gap)
    bounds: list[tuple[float, float]] = []
    start = points[0]
    for a, b in gaps:
        bounds.append((start, a))
        start = b
    bounds.append((start, points[-1]))
    usable = width - break_width * len(gaps)
    min_piece = min(min_piece, usable / (2 * len(bounds)))
    durations = [t1 - t0 for t0, t1 in bounds]
    scale = _scale(durations, usable, min_piece)
    pieces: list[Piece] = []
    breaks: list[Break] = []
    control: list[tuple[float, float]] = []
    ticks: list[Tick] = []
    x = left
    for index, ((t0, t1), duration) in enumerate(zip(bounds, durations, strict=True)):
        piece_w = max(min_piece, duration * scale) if scale > 0 else usable / len(bounds)
        content = duration * scale
        # An instant between breaks sits in the middle of its band; a run that is one instant starts at the left
        # so that the states it ended in can stretch to the right.
        offset = 0.0 if len(bounds) == 1 else (piece_w - content) / 2
        pieces.append(Piece(t0, t1, x, x + piece_w))
        control += [(t0, x + offset), (t1, x + offset + content)]
        ticks += _piece_ticks(t0, t1, x + offset, scale, tick_spacing, first=index == 0)
        x += piece_w
        if index < len(gaps):
            breaks.append(Break(gaps[index][0], gaps[index][1], x, x + break_width))
            x += break_width
    return Axis(pieces, breaks, _declutter(ticks, breaks, font_size), control)


def _piece_ticks(t0: float, t1: float, cx0: float, scale: float, spacing: float, *, first: bool) -> list[Tick]:
    if t1 <= t0 or scale <= 0:
        return [Tick(cx0, t0, tick_label(t0, 1.0), major=not first)]
    step = nice_step(spacing / scale)
    out: list[Tick] = []
    k = math.ceil(t0 / step - 1e-9)
    while k * step <= t1 + 1e-9:
        t = k * step
        out.append(Tick(cx0 + (t - t0) * scale, t, tick_label(t, step)))
        k += 1
    if not first and (not out or out[0].t - t0 > 1e-9):
        out.insert(0, Tick(cx0, t0, tick_label(t0, min(step, 1.0)), major=True))
    elif not first and out:
        out[0] = Tick(out[0].x, out[0].t, out[0].label, major=True)
    return out


def label_extent(tick: Tick, font_size: float) -> tuple[float, float]:
    """Horizontal pixels a tick label covers: centred, or starting at the tick after a break."""
    width = text_width(tick.label, font_size)
    return (tick.x - 2, tick.x - 2 + width) if tick.major else (tick.x - width / 2, tick.x + width / 2)


def _declutter(ticks: list[Tick], breaks: Sequence[Break], font_size: float) -> list[Tick]:
    """Drop tick labels that would overlap each other or a break; the first instant after a break wins."""
    kept: list[Tick] = []
    for tick in sorted(ticks, key=lambda t: t.x):
        lo, hi = label_extent(tick, font_size)
        if not tick.major and any(lo < b.x1 and hi > b.x0 for b in breaks):
            continue
        if kept and lo < label_extent(kept[-1], font_size)[1] + 8:
            if tick.major and not kept[-1].major:
                kept[-1] = tick
            continue
        kept.append(tick)
    return kept

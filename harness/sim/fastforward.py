"""Skipping ahead over loop iterations that provably do nothing: the arithmetic, kept pure.

A controller requeue or a poll loop re-arms itself ``period`` seconds after each run. While the world stands
still, most of those runs read the same objects, find nothing to do and re-arm: a RayJob that stays Running for
10,000 hours is 12 million such reconciles. The clock (:mod:`.clock`) proves a run is a no-op and asks this module
where each loop would be once every provably idle run has been stepped through, so that it can move the loops
there in one go. Two things must come out exactly as stepping would give them:

- **the instants**: stepping computes each next run as ``now + period`` in floating point, again and again, and
  rounding makes that differ from ``start + k * period``. :func:`orbit` reproduces the repeated sum exactly, in
  a few operations per power of two (inside one binade the increment is constant; only crossings round);
- **the order at equal instants**: the clock orders timers at one instant by priority, then by the order they
  were armed. A loop re-armed during the skip was armed when its previous run happened, so loops that land on
  one instant are ordered by that previous run (and, when it is shared, by the order runs had then).
  :func:`plan` reproduces this and reports the cases it cannot decide, so that the clock skips less instead.

Not here: deciding that a run is a no-op (the clock's watch of one run), the event queue itself.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

_SMALL: Final = 4.0  # below _SMALL * period, steps are taken one by one (a binade holds few of them)


@dataclass(frozen=True)
class Position:
    """Where a loop stands after some runs: ``value`` is its next run, ``previous`` the run before, ``steps``
    how many runs were passed over (0 when ``value`` is the start itself, then ``previous`` is None)."""

    value: float
    previous: float | None
    steps: int


class NoProgress(ArithmeticError):
    """``now + period == now``: the period is below the clock's resolution at this time."""


def orbit(start: float, period: float, bound: float) -> Position:
    """The first value ``>= bound`` of ``start, start+period, (start+period)+period, ...`` in float arithmetic.

    Exact: the result is what repeated ``x = x + period`` gives. Raises :class:`NoProgress` when an addition
    does not move ``x``, and ValueError for a period that is not a positive finite number or an infinite bound.
    """
    if not (period > 0 and math.isfinite(period)) or not math.isfinite(bound):
        raise ValueError(f"orbit needs a positive period and a finite bound (period={period}, bound={bound})")
    x, previous, steps = start, None, 0
    while x < bound:
        if x < _SMALL * period:
            x, previous, steps = _step(x, period), x, steps + 1
            continue
        top = math.ldexp(1.0, math.frexp(x)[1])  # x lies in [top/2, top): one binade, one spacing
        x1 = _step(x, period)
        if x1 >= bound or x1 >= top:
            x, previous, steps = x1, x, steps + 1
            continue
        x2 = _step(x1, period)
        if x2 >= bound or x2 >= top:
            x, previous, steps = x2, x1, steps + 2
            continue
        # From x1 on the increment is constant until the binade ends: x1 is a multiple of the spacing, so each
        # sum rounds the same way (a halfway case settles after the first step, which is why x1, not x).
        increment = x2 - x1  # exact: both lie in one binade
        spacing = math.ldexp(1.0, math.frexp(x)[1] - 53)
        limit = min(top, bound)
        room = int((limit - x2) / spacing)  # exact integers: differences inside a binade, powers of two
        unit = int(increment / spacing)
        jumps = (room + unit - 1) // unit - 1  # the most further steps that stay below the limit
        x_last = x2 + jumps * increment
        x, previous, steps = x_last, (x_last - increment if jumps else x1), steps + 2 + jumps
        # the next step reaches the limit: taken by the loop above as a plain addition
        x, previous, steps = _step(x, period), x, steps + 1
    return Position(x, previous, steps)


def nth(start: float, period: float, k: int) -> float:
    """``start`` after ``k`` repeated additions of ``period`` (what :func:`orbit` steps through), exactly, in a
    few operations per power of two. Raises :class:`NoProgress` when an addition does not move the value."""
    x, left = start, k
    while left > 0:
        if left < 3 or x < _SMALL * period:
            x, left = _step(x, period), left - 1
            continue
        top = math.ldexp(1.0, math.frexp(x)[1])
        x1 = _step(x, period)
        if x1 >= top:
            x, left = x1, left - 1
            continue
        x2 = _step(x1, period)
        if x2 >= top:
            x, left = x2, left - 2
            continue
        increment = x2 - x1  # constant from x1 on inside the binade (see orbit)
        spacing = math.ldexp(1.0, math.frexp(x)[1] - 53)
        room = int((top - x2) / spacing)
        unit = int(increment / spacing)
        jumps = min((room + unit - 1) // unit - 1, left - 2)
        x, left = x2 + jumps * increment, left - 2 - jumps
    return x


def _step(x: float, period: float) -> float:
    y = x + period
    if y == x:
        raise NoProgress(f"adding period={period} to t={x} does not move the clock")
    return y


@dataclass(frozen=True)
class Loop:
    """A loop whose pending run the clock may move: its run is at ``start`` (ordered at that instant by
    ``priority`` then ``seq``), it re-arms ``period`` later, and runs before ``quiet_until`` do nothing."""

    start: float
    priority: int
    seq: int
    period: float
    quiet_until: float


@dataclass(frozen=True)
class Move:
    """The loop's next run after the skip, at ``position.value``; ``rank`` orders moved loops that share an
    instant and a priority (lower first) and is None for a loop that does not move."""

    loop: Loop
    position: Position
    rank: tuple[float, int, int] | None


class Undecidable(Exception):
    """Two loops land on one instant and their order depends on history this module does not reconstruct."""


def _order(move: Move) -> tuple[float, int, int]:
    """Sort key among moved loops at one (instant, priority): when the landing run was armed, then how."""
    previous = move.position.previous
    assert previous is not None
    # Armed by the loop's own start run (an old timer, ordered by seq at that instant), or by a run re-armed
    # during the skip (armed after every old timer): the old one ran first.
    armed_by_start = 0 if move.position.steps == 1 else 1
    return (previous, armed_by_start, move.loop.seq)


def _compare(first: Move, second: Move) -> int:
    """Which of two moved loops comes first at their landing instant, as stepping would order them."""
    one = (first.position.value, first.loop.priority, *_order(first))
    two = (second.position.value, second.loop.priority, *_order(second))
    if one[:4] != two[:4] or one[3] == 0:
        return -1 if one < two else (1 if one > two else 0)
    # Both landing runs were armed at one instant by runs that were themselves re-armed during the skip: their
    # order is that of those runs, kept since the two loops first met.
    if first.loop.period != second.loop.period:
        raise Undecidable(f"loops of different periods tie at t={first.position.value}")
    return _meeting_order(first.loop, second.loop)


def _meeting_order(first: Loop, second: Loop) -> int:
    """Loops of one period that run together from some instant on keep the order they had when they met."""
    if first.start == second.start:
        return -1 if first.seq < second.seq else 1
    met = meeting(first.start, second.start, first.period)
    if met is None:
        raise Undecidable(f"cannot find where loops starting at {first.start} and {second.start} meet")
    _, before_first, before_second = met
    # At the meeting instant a loop's own start timer (old) runs before a timer re-armed during the skip;
    # otherwise the loop re-armed earlier (at its earlier previous run) runs first.
    first_key = (0, 0.0) if before_first is None else (1, before_first)
    second_key = (0, 0.0) if before_second is None else (1, before_second)
    return -1 if first_key < second_key else 1


def _is_tie(period: float, spacing: float) -> bool:
    ratio = period / spacing
    return ratio - math.floor(ratio) == 0.5


def meeting(a: float, b: float, period: float) -> tuple[float, float | None, float | None] | None:
    """The first value the orbits from ``a`` and ``b`` share (same ``period``), and the value before it on each
    orbit (None where it is that orbit's start); None when it cannot be found with certainty.

    Inside one binade, where the increment is constant, two orbits meet only if their offset is a multiple of
    it; so orbits are moved a binade at a time, and met values are found where one catches the other up.
    """
    positions = [Position(a, None, 0), Position(b, None, 0)]
    for _ in range(10_000):
        if positions[0].value == positions[1].value:
            return positions[0].value, positions[0].previous, positions[1].previous
        low = 0 if positions[0].value < positions[1].value else 1
        behind, ahead = positions[low], positions[1 - low]
        x = behind.value
        top = math.ldexp(1.0, math.frexp(x)[1])
        spacing = math.ldexp(1.0, math.frexp(x)[1] - 53)
        if x < _SMALL * period or ahead.value >= top or _is_tie(period, spacing):
            # not both inside one settled binade: move the one behind to the first value not behind the other
            step = orbit(x, period, ahead.value)
            positions[low] = Position(step.value, step.previous if step.steps else behind.previous, 0)
            continue
        increment = round(period / spacing) * spacing  # exact: no halfway case in this binade
        gap = int((ahead.value - x) / spacing)
        if gap % int(increment / spacing) == 0:
            return _in_order(low, ahead.value, ahead.value - increment, ahead.previous)
        for index in (0, 1):  # no meeting in this binade: both go to their first value in the next one
            step = orbit(positions[index].value, period, top)
            positions[index] = Position(step.value, step.previous, 0)
    return None


def _in_order(low: int, value: float, behind_previous: float, ahead_previous: float | None,
              ) -> tuple[float, float | None, float | None]:
    return (value, behind_previous, ahead_previous) if low == 0 else (value, ahead_previous, behind_previous)


def plan(loops: Sequence[Loop], boundary: float) -> list[Move]:
    """Where each loop stands after passing over its runs before ``boundary`` and before its quiet end.

    Runs at or after the earliest instant where some loop may act are not passed over, so nothing that can
    change the world is skipped. Raises :class:`Undecidable` when moved loops tie and their order cannot be
    rebuilt (the caller then skips less), :class:`NoProgress` when a period cannot move the clock.
    """
    stop = boundary
    for loop in loops:
        if loop.quiet_until < stop:
            stop = min(stop, orbit(loop.start, loop.period, loop.quiet_until).value)
    moves = []
    for loop in loops:
        position = orbit(loop.start, loop.period, stop) if loop.start < stop else Position(loop.start, None, 0)
        moves.append(Move(loop, position, None))
    ranked = sorted((move for move in moves if move.position.steps), key=functools.cmp_to_key(_compare))
    rank = {id(move): index for index, move in enumerate(ranked)}
    return [Move(m.loop, m.position, (m.position.value, m.loop.priority, rank[id(m)]) if id(m) in rank else None)
            for m in moves]

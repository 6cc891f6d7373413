"""Cron schedules as ``github.com/robfig/cron/v3``'s ``ParseStandard`` reads them, and their ``Next`` time.

Five fields (minute, hour, day of month, month, day of week) with ``*``, ``?``, lists, ranges, steps and the
month/day names (``JAN``, ``MON``); the descriptors ``@yearly``/``@annually``, ``@monthly``, ``@weekly``,
``@daily``/``@midnight``, ``@hourly`` and ``@every <duration>``; a leading ``TZ=<zone>`` or ``CRON_TZ=<zone>``.
When both day fields are restricted a day matches either (robfig's rule, as classic cron). ``next_time`` follows
robfig's ``SpecSchedule.Next`` (field by field, in the schedule's time zone; nothing within five years gives
None). Error texts are robfig's, so a RayCronJob's ``invalid cron schedule: ...`` reads as the operator's.

Pure functions on epoch seconds: no clock here. Not here: the RayCronJob controller (``harness.kuberay``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .durations import parse_duration


class CronError(ValueError):
    """A schedule ``ParseStandard`` refuses; the text is robfig's."""


@dataclass(frozen=True)
class _Bounds:
    low: int
    high: int
    names: tuple[str, ...] = ()


_MINUTE: Final = _Bounds(0, 59)
_HOUR: Final = _Bounds(0, 23)
_DOM: Final = _Bounds(1, 31)
_MONTH: Final = _Bounds(1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                "dec"))
_DOW: Final = _Bounds(0, 6, ("sun", "mon", "tue", "wed", "thu", "fri", "sat"))
_DESCRIPTORS: Final = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                       "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                       "@hourly": "0 * * * *"}


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: allowed values per field, or a constant delay (``@every``), in a time zone."""

    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    dom_star: bool = True
    dow_star: bool = True
    every: float | None = None
    zone: str = "UTC"


def load_zone(name: str) -> dt.tzinfo:
    """``time.LoadLocation``: ``UTC``/``Local`` or an IANA name; CronError ``unknown time zone <name>``."""
    if name in ("", "UTC"):
        return dt.timezone.utc
    if name == "Local":
        return dt.timezone.utc  # the operator's container runs in UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CronError(f"unknown time zone {name}") from exc


def _number(text: str, bounds: _Bounds) -> int:
    lowered = text.lower()
    if lowered in bounds.names:
        return bounds.names.index(lowered) + bounds.low
    if not re.fullmatch(r"\d+", text):
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax')
    return int(text)


def _field(text: str, bounds: _Bounds) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    star = False
    for part in text.split(","):
        range_text, _, step_text = part.partition("/")
        if range_text in ("*", "?"):
            low, high, star_part = bounds.low, bounds.high, not step_text
        else:
            first, dash, last = range_text.partition("-")
            low = _number(first, bounds)
            high = _number(last, bounds) if dash else low
            star_part = False
            if step_text and not dash:
                high = bounds.high  # "5/10" means 5-max/10
        step = 1
        if step_text:
            step = _number(step_text, _Bounds(0, 1 << 30))
            if step == 0:
                raise CronError(f"step of range should be a positive number: {part}")
        if low < bounds.low:
            raise CronError(f"beginning of range ({low}) below minimum ({bounds.low}): {part}")
        if high > bounds.high:
            raise CronError(f"end of range ({high}) above maximum ({bounds.high}): {part}")
        if low > high:
            raise CronError(f"beginning of range ({low}) beyond end of range ({high}): {part}")
        values.update(range(low, high + 1, step))
        star = star or star_part
    return frozenset(values), star


def parse_standard(spec: str) -> Schedule:
    """``cron.ParseStandard``; CronError with robfig's message for a schedule it refuses."""
    text = spec.strip()
    if not text:
        raise CronError("empty spec string")
    zone = "UTC"
    if text.startswith(("TZ=", "CRON_TZ=")):
        head, _, text = text.partition(" ")
        zone = head.split("=", 1)[1]
        load_zone(zone)
        text = text.strip()
    if text.startswith("@"):
        if text.startswith("@every "):
            try:
                delay = parse_duration(text.removeprefix("@every ").strip())
            except Exception as exc:
                raise CronError(f"failed to parse duration {text}: {exc}") from exc
            return Schedule(every=max(float(int(delay)), 1.0), zone=zone)
        if text not in _DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {text}")
        text = _DESCRIPTORS[text]
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    minutes, _ = _field(fields[0], _MINUTE)
    hours, _ = _field(fields[1], _HOUR)
    days, dom_star = _field(fields[2], _DOM)
    months, _ = _field(fields[3], _MONTH)
    weekdays, dow_star = _field(fields[4], _DOW)
    if 7 in weekdays:
        weekdays = (weekdays - {7}) | {0}
    return Schedule(minutes, hours, days, months, weekdays, dom_star, dow_star, zone=zone)


def _day_matches(schedule: Schedule, day: dt.datetime) -> bool:
    dom = day.day in schedule.days
    dow = (day.isoweekday() % 7) in schedule.weekdays
    if schedule.dom_star or schedule.dow_star:
        return dom and dow
    return dom or dow


def next_time(schedule: Schedule, after: float) -> float | None:
    """``Schedule.Next``: the first activation strictly after ``after`` (epoch seconds), or None."""
    if schedule.every is not None:
        return float(int(after)) + schedule.every
    zone = load_zone(schedule.zone)
    local = dt.datetime.fromtimestamp(int(after) + 1, zone).replace(tzinfo=None)
    year_limit = local.year + 5
    while local.year <= year_limit:
        if local.month not in schedule.months:
            month = local.month + 1
            local = dt.datetime(local.year + (month > 12), (month - 1) % 12 + 1, 1)
            continue
        if not _day_matches(schedule, local):
            local = dt.datetime(local.year, local.month, local.day) + dt.timedelta(days=1)
            continue
        if local.hour not in schedule.hours:
            local = local.replace(minute=0, second=0) + dt.timedelta(hours=1)
            continue
        if local.minute not in schedule.minutes or local.second != 0:
            local = local.replace(second=0) + dt.timedelta(minutes=1)
            continue
        return local.replace(tzinfo=zone).timestamp()
    return None

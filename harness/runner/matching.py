"""Partial-object matching: evaluate a matcher tree against an object and explain every difference.

``match`` returns the list of :class:`Mismatch` (empty when the object matches), each naming the dotted path,
what was expected and what was found. ``render_diff`` shows expected against actual as a unified diff of YAML,
with the actual object cut down to the parts the expectation talks about, so the diff stays readable for a
RayJob with a 200-line spec.

Not here: the matcher syntax (``harness.scenario.matchers``), journal-based assertions (:mod:`.assertions`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Final

import yaml

from ..scenario.matchers import (
    Absent,
    AllOf,
    Compare,
    Contains,
    Equals,
    Exists,
    Indexed,
    Length,
    ListMatch,
    MapMatch,
    Matcher,
    Not,
    OneOf,
    Regex,
)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = _Missing()


@dataclass(frozen=True)
class Mismatch:
    path: str
    expected: str
    actual: Any

    def __str__(self) -> str:
        shown = "missing" if self.actual is MISSING else repr(self.actual)
        if isinstance(self.actual, (dict, list)):
            shown = _short(self.actual)
        return f"{self.path or '(object)'}: expected {self.expected}, got {shown}"


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _equal(expected: Any, actual: Any) -> bool:
    # YAML `1` must not match JSON `true`: Python's True == 1 is not what a scenario author means.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return float(expected) == float(actual)
    return type(expected) is type(actual) and bool(expected == actual)


def match(matcher: Matcher, actual: Any, path: str = "") -> list[Mismatch]:
    """Every way ``actual`` fails ``matcher``; ``MISSING`` stands for an absent field."""
    if isinstance(matcher, Equals):
        return [] if actual is not MISSING and _equal(matcher.value, actual) else \
            [Mismatch(path, repr(matcher.value), actual)]
    if isinstance(matcher, Absent):
        return [] if actual is MISSING or actual is None else [Mismatch(path, "absent", actual)]
    if isinstance(matcher, Exists):
        return [] if actual is not MISSING and actual is not None else [Mismatch(path, matcher.describe(), actual)]
    if isinstance(matcher, Regex):
        ok = isinstance(actual, str) and re.search(matcher.pattern, actual) is not None
        return [] if ok else [Mismatch(path, matcher.describe(), actual)]
    if isinstance(matcher, Contains):
        ok = (isinstance(actual, str) and matcher.text in actual) or \
            (isinstance(actual, list) and any(_equal(matcher.text, item) for item in actual))
        return [] if ok else [Mismatch(path, matcher.describe(), actual)]
    if isinstance(matcher, Compare):
        ok = isinstance(actual, (int, float)) and not isinstance(actual, bool) and {
            "$gt": actual > matcher.number, "$ge": actual >= matcher.number,
            "$lt": actual < matcher.number, "$le": actual <= matcher.number}[matcher.op]
        return [] if ok else [Mismatch(path, matcher.describe(), actual)]
    if isinstance(matcher, OneOf):
        # An absent field is as null here as for a plain `null`: `{$one_of: [x, null]}` accepts it.
        seen = None if actual is MISSING else actual
        ok = any(_equal(value, seen) for value in matcher.values)
        return [] if ok else [Mismatch(path, matcher.describe(), actual)]
    if isinstance(matcher, Not):
        return [Mismatch(path, matcher.describe(), actual)] if not match(matcher.inner, actual, path) else []
    if isinstance(matcher, Length):
        if not isinstance(actual, (str, list, dict)):
            return [Mismatch(path, matcher.describe(), actual)]
        inner = match(matcher.inner, len(actual), path)
        return [Mismatch(path, matcher.describe(), f"length {len(actual)}")] if inner else []
    if isinstance(matcher, AllOf):
        return [m for part in matcher.parts for m in match(part, actual, path)]
    if isinstance(matcher, MapMatch):
        return _match_map(matcher, actual, path)
    if isinstance(matcher, ListMatch):
        return _match_list(matcher, actual, path)
    if isinstance(matcher, Indexed):
        return _match_indexed(matcher, actual, path)
    raise TypeError(f"unknown matcher {type(matcher).__name__}")


def _match_map(matcher: MapMatch, actual: Any, path: str) -> list[Mismatch]:
    if actual is MISSING or actual is None:
        # An absent parent is as good as an empty one for expectations of absence ({reason: null}).
        actual = {}
    if not isinstance(actual, dict):
        return [Mismatch(path, "a mapping", actual)]
    out: list[Mismatch] = []
    for key, child in matcher.fields:
        out.extend(match(child, actual.get(key, MISSING), _join(path, key)))
    return out


def _item_at(actual: Any, index: int) -> Any:
    """Item ``index`` of a list (negative from the end), or of a mapping by that key, as ``save`` reads paths."""
    if isinstance(actual, list):
        return actual[index] if -len(actual) <= index < len(actual) else MISSING
    if isinstance(actual, dict):
        return actual.get(str(index), MISSING)
    return MISSING


def _match_indexed(matcher: Indexed, actual: Any, path: str) -> list[Mismatch]:
    if actual is not MISSING and actual is not None and not isinstance(actual, (list, dict)):
        return [Mismatch(path, matcher.describe(), actual)]
    out: list[Mismatch] = []
    for index, child in matcher.items:
        out.extend(match(child, _item_at(actual, index), _join(path, index)))
    return out


def _match_list(matcher: ListMatch, actual: Any, path: str) -> list[Mismatch]:
    if not isinstance(actual, list):
        return [Mismatch(path, matcher.describe(), actual)]
    if matcher.mode == "exact":
        out: list[Mismatch] = []
        if len(actual) != len(matcher.items):
            out.append(Mismatch(path, f"a list of {len(matcher.items)} item(s)", f"{len(actual)} item(s)"))
        for index, (item, value) in enumerate(zip(matcher.items, actual, strict=False)):
            out.extend(match(item, value, _join(path, index)))
        return out
    if matcher.mode == "by_key":
        key = matcher.key or "name"
        by_key = {str(item.get(key)): item for item in actual if isinstance(item, dict) and key in item}
        out = []
        for item in matcher.items:
            wanted = _key_value(item, key)
            found = by_key.get(str(wanted), MISSING)
            out.extend(match(item, found, f"{path}[{key}={wanted}]"))
        return out
    return _match_subset(matcher, actual, path)


def _key_value(item: Matcher, key: str) -> Any:
    if isinstance(item, MapMatch):
        for name, child in item.fields:
            if name == key and isinstance(child, Equals):
                return child.value
    return None


def _match_subset(matcher: ListMatch, actual: list[Any], path: str) -> list[Mismatch]:
    """Each expected item must match a distinct actual item; a small backtracking search finds the pairing."""
    fits = [[j for j, value in enumerate(actual) if not match(item, value)] for item in matcher.items]
    used: set[int] = set()

    def assign(index: int) -> bool:
        if index == len(fits):
            return True
        for j in fits[index]:
            if j not in used:
                used.add(j)
                if assign(index + 1):
                    return True
                used.discard(j)
        return False

    if assign(0):
        return []
    missing = [i for i, options in enumerate(fits) if not options] or list(range(len(fits)))
    return [Mismatch(path, f"an item matching {_short(expected_view(matcher.items[i]))}",
                     "no such item among " + f"{len(actual)} item(s)") for i in missing]


# -- readable diffs ----------------------------------------------------------------------------------------------


def expected_view(matcher: Matcher) -> Any:
    """Plain data for the expectation, operators shown as ``<...>`` text."""
    if isinstance(matcher, Equals):
        return matcher.value
    if isinstance(matcher, Absent):
        return None
    if isinstance(matcher, MapMatch):
        return {key: expected_view(child) for key, child in matcher.fields}
    if isinstance(matcher, Indexed):
        return {str(index): expected_view(child) for index, child in matcher.items}
    if isinstance(matcher, ListMatch):
        items = [expected_view(item) for item in matcher.items]
        if matcher.mode == "exact":
            return items
        return {f"<{matcher.mode}{'=' + matcher.key if matcher.key else ''}>": items}
    return f"<{matcher.describe()}>"


def actual_view(matcher: Matcher, actual: Any) -> Any:
    """``actual`` cut down to the paths the expectation mentions (absent fields shown as null)."""
    if actual is MISSING:
        return None
    if isinstance(matcher, MapMatch) and isinstance(actual, dict):
        return {key: actual_view(child, actual.get(key, MISSING)) for key, child in matcher.fields}
    if isinstance(matcher, Indexed) and isinstance(actual, (list, dict)):
        return {str(index): actual_view(child, _item_at(actual, index)) for index, child in matcher.items}
    if isinstance(matcher, ListMatch) and isinstance(actual, list):
        if matcher.mode == "exact":
            return [actual_view(item, actual[i]) if i < len(actual) else None
                    for i, item in enumerate(matcher.items)] + actual[len(matcher.items):]
        return actual
    return actual


def _dump(value: Any) -> list[str]:
    text = yaml.safe_dump(value, default_flow_style=False, sort_keys=False, allow_unicode=True, width=100)
    return text.splitlines()


def render_diff(matcher: Matcher, actual: Any, *, expected_label: str = "expected",
                actual_label: str = "actual") -> str:
    """A unified diff of the expectation against the relevant part of the actual object."""
    lines = difflib.unified_diff(_dump(expected_view(matcher)), _dump(actual_view(matcher, actual)),
                                 fromfile=expected_label, tofile=actual_label, lineterm="", n=3)
    return "\n".join(lines)

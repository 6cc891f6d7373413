"""Kubernetes label selectors: the string form (``a=b,c!=d,e in (x,y),!f``) and ``matchLabels`` maps."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_SET_EXPR = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "=":
            return present and value == self.values[0]
        if self.op == "!=":
            return not present or value != self.values[0]
        if self.op == "in":
            return present and value in self.values
        if self.op == "notin":
            return not present or value not in self.values
        if self.op == "exists":
            return present
        return not present


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def parse_selector(selector: str | Mapping[str, str] | None) -> tuple[Requirement, ...]:
    """Parse a selector; raises ValueError naming the bad term."""
    if selector is None:
        return ()
    if isinstance(selector, Mapping):
        return tuple(Requirement(k, "=", (str(v),)) for k, v in selector.items())
    requirements = []
    for term in _split_top_level(selector):
        term = term.strip()
        if not term:
            continue
        set_match = _SET_EXPR.match(term)
        if set_match:
            values = tuple(v.strip() for v in set_match.group(3).split(",") if v.strip())
            requirements.append(Requirement(set_match.group(1), set_match.group(2), values))
        elif "!=" in term:
            key, value = term.split("!=", 1)
            requirements.append(Requirement(key.strip(), "!=", (value.strip(),)))
        elif "==" in term or "=" in term:
            key, value = term.split("==", 1) if "==" in term else term.split("=", 1)
            requirements.append(Requirement(key.strip(), "=", (value.strip(),)))
        elif term.startswith("!"):
            requirements.append(Requirement(term[1:].strip(), "!exists"))
        elif re.fullmatch(r"[\w./-]+", term):
            requirements.append(Requirement(term, "exists"))
        else:
            raise ValueError(f"label selector term={term!r} is not understood")
    return tuple(requirements)


def matches(requirements: tuple[Requirement, ...], labels: Mapping[str, str] | None) -> bool:
    labels = labels or {}
    return all(req.matches(labels) for req in requirements)

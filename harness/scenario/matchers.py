"""Expected values in scenarios: the matcher tree a partial-object expectation is parsed into.

A plain mapping matches an object that has at least those keys with matching values (other keys are ignored).
A plain list matches element by element in the array mode in force: ``exact`` (same length, same order; the
default), ``subset`` (each expected element matches a distinct actual element, any order) or ``by_key``
(elements paired by a key field such as ``name``). Operators are mappings whose keys start with ``$``::

    status: {failed: {$ge: 1}, message: {$regex: "deadline"}, reason: {$one_of: [AppFailed, DeadlineExceeded]}}
    spec: {rayClusterSpec: {workerGroupSpecs: {$by_key: groupName, $items: [{groupName: small, replicas: 2}]}}}

``null`` (or ``{$absent: true}``) expects the field to be absent or null, as Kubernetes omits empty fields; so
does a ``null`` among the choices of ``$one_of``. In dotted paths (``fields:``, ``until:``) a part that is a
number is a list index (``spec.workerGroupSpecs.0.replicas``, ``-1`` for the last item), as in ``save``.

This module only describes expectations and parses them from YAML nodes (errors carry file:line:column); it
does not evaluate them. Evaluation lives in ``harness.runner.matching``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from ..errors import ScenarioError, SourcePos
from .source import Node

ArrayMode = Literal["exact", "subset", "by_key"]
ARRAY_MODES: Final = ("exact", "subset", "by_key")
COMPARISONS: Final = ("$gt", "$ge", "$lt", "$le")
OPERATORS: Final = ("$regex", "$contains", "$absent", "$exists", "$one_of", "$not", "$len", "$exact",
                    "$subset", "$by_key", "$items", *COMPARISONS)
_TEMPLATE = re.compile(r"\$\{")
Substitute = Callable[[Any], Any]


@dataclass(frozen=True)
class Matcher:
    """Base of the matcher tree; ``pos`` points at the expected value in the scenario file."""

    pos: SourcePos = field(compare=False)

    def describe(self) -> str:
        raise NotImplementedError

    def substitute(self, fn: Substitute) -> Matcher:
        """A copy with bindings (``${name}``) resolved by ``fn`` in every expected value."""
        return self


@dataclass(frozen=True)
class Equals(Matcher):
    value: Any = None

    def describe(self) -> str:
        return repr(self.value)

    def substitute(self, fn: Substitute) -> Matcher:
        return replace(self, value=fn(self.value))


@dataclass(frozen=True)
class Regex(Matcher):
    pattern: str = ""

    def describe(self) -> str:
        return f"a string matching /{self.pattern}/"

    def substitute(self, fn: Substitute) -> Matcher:
        return replace(self, pattern=str(fn(self.pattern)))


@dataclass(frozen=True)
class Contains(Matcher):
    text: str = ""

    def describe(self) -> str:
        return f"a string containing {self.text!r}"

    def substitute(self, fn: Substitute) -> Matcher:
        return replace(self, text=str(fn(self.text)))


@dataclass(frozen=True)
class Absent(Matcher):
    def describe(self) -> str:
        return "absent"


@dataclass(frozen=True)
class Exists(Matcher):
    def describe(self) -> str:
        return "present (any value)"


@dataclass(frozen=True)
class Compare(Matcher):
    op: str = "$ge"
    number: float = 0

    def describe(self) -> str:
        symbol = {"$gt": ">", "$ge": ">=", "$lt": "<", "$le": "<="}[self.op]
        return f"a number {symbol} {self.number:g}"


@dataclass(frozen=True)
class OneOf(Matcher):
    values: tuple[Any, ...] = ()

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)

    def substitute(self, fn: Substitute) -> Matcher:
        return replace(self, values=tuple(fn(v) for v in self.values))


@dataclass(frozen=True)
class Not(Matcher):
    inner: Matcher = field(default_factory=lambda: Exists(SourcePos("")))

    def describe(self) -> str:
        return f"not {self.inner.describe()}"

    def substitute(self, fn: Substitute) -> Matcher:
        return replace(self, inner=self.inner.substitute(fn))


@dataclass(frozen=True)
class Length(Matcher):
    inner: Matcher = field(default_factory=lambda: Exists(SourcePos("")))

    def describe(self) -> str:
        return f"a length of {self.inner.describe()}"

    def substitute(self, fn: Substitute) -> Matcher:
        return replace(self, inner=self.inner.substitute(fn))


@dataclass(frozen=True)
class AllOf(Matcher):
    """Several operators in one mapping (``{$ge: 1, $le: 3}``): every one must hold."""

    parts: tuple[Matcher, ...] = ()

    def describe(self) -> str:
        return " and ".join(part.describe() for part in self.parts)

    def substitute(self, fn: Substitute) -> Matcher:
        return replace(self, parts=tuple(part.substitute(fn) for part in self.parts))


@dataclass(frozen=True)
class MapMatch(Matcher):
    fields: tuple[tuple[str, Matcher], ...] = ()

    def describe(self) -> str:
        return "a mapping with " + ", ".join(key for key, _ in self.fields)

    def substitute(self, fn: Substitute) -> MapMatch:
        return replace(self, fields=tuple((key, m.substitute(fn)) for key, m in self.fields))


@dataclass(frozen=True)
class Indexed(Matcher):
    """Items of a list by position, from a dotted path with numbers (``spec.workerGroupSpecs.0.replicas``).

    Negative positions count from the end. A mapping with such keys is read by key, as ``save`` reads paths.
    """

    items: tuple[tuple[int, Matcher], ...] = ()

    def describe(self) -> str:
        return "a list with items at " + ", ".join(str(index) for index, _ in self.items)

    def substitute(self, fn: Substitute) -> Matcher:
        return replace(self, items=tuple((index, m.substitute(fn)) for index, m in self.items))


@dataclass(frozen=True)
class ListMatch(Matcher):
    mode: ArrayMode = "exact"
    items: tuple[Matcher, ...] = ()
    key: str | None = None  # the pairing field for by_key

    def describe(self) -> str:
        if self.mode == "by_key":
            return f"a list with items keyed by {self.key!r}"
        return f"a list ({self.mode}) of {len(self.items)} item(s)"

    def substitute(self, fn: Substitute) -> Matcher:
        return replace(self, items=tuple(item.substitute(fn) for item in self.items))


def has_template(value: Any) -> bool:
    return isinstance(value, str) and _TEMPLATE.search(value) is not None


def _fail(message: str, pos: SourcePos, hint: str) -> ScenarioError:
    return ScenarioError(message, pos=pos, hint=hint)


def _number(node: Node, op: str) -> float:
    if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
        raise _fail(f"operator {op} needs a number, got value={node.value!r}", node.pos,
                    f"write e.g. {{{op}: 1}}")
    return float(node.value)


def check_regex(pattern: str, pos: SourcePos) -> None:
    """ScenarioError at ``pos`` when ``pattern`` is not a valid regular expression (templates are checked later)."""
    if has_template(pattern):
        return  # compiled after bindings are substituted
    try:
        re.compile(pattern)
    except re.error as exc:
        raise _fail(f"regular expression={pattern!r} is invalid: {exc}", pos,
                    "patterns are Python regular expressions; quote the YAML string and escape backslashes"
                    ) from None


def _string(node: Node, op: str) -> str:
    if not isinstance(node.value, str):
        raise _fail(f"operator {op} needs a string, got value={node.value!r}", node.pos,
                    f"write e.g. {{{op}: \"text\"}}")
    return node.value


def _operator(op: str, node: Node, owner: Node, mode: ArrayMode) -> Matcher:
    pos = owner.pos_of_key(op)
    if op == "$regex":
        pattern = _string(node, op)
        check_regex(pattern, node.pos)
        return Regex(pos, pattern)
    if op == "$contains":
        return Contains(pos, _string(node, op))
    if op in ("$absent", "$exists"):
        if not isinstance(node.value, bool):
            raise _fail(f"operator {op} takes true or false, got value={node.value!r}", node.pos,
                        f"write {{{op}: true}}")
        absent = (op == "$absent") == node.value
        return Absent(pos) if absent else Exists(pos)
    if op in COMPARISONS:
        return Compare(pos, op, _number(node, op))
    if op == "$one_of":
        if not node.is_sequence:
            raise _fail(f"operator $one_of needs a list, got value={node.value!r}", node.pos,
                        "write e.g. {$one_of: [Complete, Failed]}")
        return OneOf(pos, tuple(item.value for item in node.items))
    if op == "$not":
        return Not(pos, parse_matcher(node, mode))
    if op == "$len":
        return Length(pos, parse_matcher(node, mode))
    if op in ("$exact", "$subset"):
        if not node.is_sequence:
            raise _fail(f"operator {op} needs a list, got value={node.value!r}", node.pos,
                        f"write e.g. {{{op}: [{{name: ray-head}}]}}")
        return _list(node, "exact" if op == "$exact" else "subset", mode)
    raise AssertionError(op)  # pragma: no cover - every operator is handled above


def _operators(node: Node, mode: ArrayMode) -> Matcher:
    keys = list(node.fields)
    for key in keys:
        if key not in OPERATORS:
            close = difflib.get_close_matches(key, OPERATORS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"operators are: {', '.join(OPERATORS)}"
            raise _fail(f"unknown match operator={key!r}", node.pos_of_key(key), hint)
    if "$by_key" in node.fields or "$items" in node.fields:
        if set(keys) != {"$by_key", "$items"}:
            raise _fail("$by_key and $items go together and alone", node.pos,
                        "write {$by_key: name, $items: [{name: a, ...}, ...]}")
        key_node, items_node = node.fields["$by_key"], node.fields["$items"]
        if not isinstance(key_node.value, str) or not key_node.value:
            raise _fail(f"$by_key needs a field name, got value={key_node.value!r}", key_node.pos,
                        "write e.g. $by_key: name")
        if not items_node.is_sequence:
            raise _fail("$items needs a list of mappings", items_node.pos,
                        "write $items: [{name: a, ...}]")
        items = []
        for item in items_node.items:
            if not item.is_mapping or key_node.value not in item.fields:
                raise _fail(f"each $items entry needs the key field {key_node.value!r}", item.pos,
                            f"add {key_node.value}: <value> to this entry")
            items.append(parse_matcher(item, mode))
        return ListMatch(node.pos, "by_key", tuple(items), key_node.value)
    parts = [_operator(key, child, node, mode) for key, child in node.fields.items()]
    return parts[0] if len(parts) == 1 else AllOf(node.pos, tuple(parts))


def _list(node: Node, list_mode: ArrayMode, mode: ArrayMode) -> Matcher:
    if list_mode == "by_key":
        raise _fail("a plain list cannot be matched by key", node.pos,
                    "write {$by_key: name, $items: [...]} or set arrays: exact|subset")
    return ListMatch(node.pos, list_mode, tuple(parse_matcher(item, mode) for item in node.items))


def parse_matcher(node: Node, mode: ArrayMode = "exact") -> Matcher:
    """Parse an expected value; plain lists use ``mode`` (``exact`` or ``subset``)."""
    if node.is_mapping:
        dollar = [key for key in node.fields if key.startswith("$")]
        if dollar:
            if len(dollar) != len(node.fields):
                plain = next(key for key in node.fields if not key.startswith("$"))
                raise _fail(f"operators and plain keys are mixed (key={plain!r})", node.pos_of_key(plain),
                            "a mapping is either an operator ({$regex: ...}) or fields to match, not both")
            return _operators(node, mode)
        return MapMatch(node.pos, tuple((key, parse_matcher(child, mode)) for key, child in node.fields.items()))
    if node.is_sequence:
        return _list(node, mode, mode)
    if node.value is None:
        return Absent(node.pos)
    return Equals(node.pos, node.value)


def parse_paths(node: Node, mode: ArrayMode = "exact") -> MapMatch:
    """Parse a mapping whose top-level keys are dotted paths from the object root.

    ``{status.jobDeploymentStatus: Complete, metadata: {labels: {ray.io/cluster: c}}}``: only the top-level
    keys are split on dots; nested keys are literal, so label keys with dots stay whole.
    """
    if not node.is_mapping:
        raise _fail(f"expected a mapping of field paths to values, got value={node.value!r}", node.pos,
                    "write e.g. {status.jobDeploymentStatus: Complete}")
    tree: dict[str, Any] = {}
    for key, child in node.fields.items():
        parts = key.split(".")
        if any(not part for part in parts):
            raise _fail(f"field path={key!r} has an empty part", node.pos_of_key(key),
                        "write paths like status.jobStatus")
        cursor = tree
        for part in parts[:-1]:
            existing = cursor.setdefault(part, {})
            if not isinstance(existing, dict):
                raise _fail(f"field path={key!r} conflicts with another key", node.pos_of_key(key),
                            "merge the two entries into one nested mapping")
            cursor = existing
        if parts[-1] in cursor:
            raise _fail(f"field path={key!r} is given twice", node.pos_of_key(key),
                        "merge the two entries into one")
        cursor[parts[-1]] = (node.pos_of_key(key), child)
    return _from_tree(tree, node.pos, mode)


_INDEX = re.compile(r"-?\d+")


def _from_tree(tree: dict[str, Any], pos: SourcePos, mode: ArrayMode) -> MapMatch:
    fields: list[tuple[str, Matcher]] = []
    for key, entry in tree.items():
        fields.append((key, _subtree(entry, pos, mode)))
    return MapMatch(pos, tuple(fields))


def _subtree(entry: Any, pos: SourcePos, mode: ArrayMode) -> Matcher:
    if not isinstance(entry, dict):
        return parse_matcher(entry[1], mode)
    if all(_INDEX.fullmatch(key) for key in entry):
        return Indexed(pos, tuple((int(key), _subtree(child, pos, mode)) for key, child in entry.items()))
    return _from_tree(entry, pos, mode)


def templates_in(matcher: Matcher) -> list[str]:
    """Every string with a ``${...}`` in the matcher tree (the loader checks their bindings)."""
    out: list[str] = []
    if isinstance(matcher, Equals) and has_template(matcher.value):
        out.append(matcher.value)
    elif isinstance(matcher, Regex) and has_template(matcher.pattern):
        out.append(matcher.pattern)
    elif isinstance(matcher, Contains) and has_template(matcher.text):
        out.append(matcher.text)
    elif isinstance(matcher, OneOf):
        out.extend(v for v in matcher.values if has_template(v))
    elif isinstance(matcher, (Not, Length)):
        out.extend(templates_in(matcher.inner))
    elif isinstance(matcher, Indexed):
        for _, child in matcher.items:
            out.extend(templates_in(child))
    elif isinstance(matcher, AllOf):
        for part in matcher.parts:
            out.extend(templates_in(part))
    elif isinstance(matcher, MapMatch):
        for _, child in matcher.fields:
            out.extend(templates_in(child))
    elif isinstance(matcher, ListMatch):
        for item in matcher.items:
            out.extend(templates_in(item))
    return out

"""YAML with positions: every mapping, sequence and scalar of a scenario file keeps its file:line:column.

The scenario loader reports every mistake at the place it was made (``ttl.yaml:12:9``), so it cannot work on the
plain dicts ``yaml.safe_load`` returns. This module composes the YAML node graph with a bounded safe loader
(aliases, nesting and characters limited as in :mod:`harness._util.yamllimits`) and
wraps it in :class:`Node` values that carry both the plain Python value and the position of each part. It also
rejects duplicate keys, which PyYAML silently lets the last one win.

Not here: what the keys mean (:mod:`.loader` and its parsers), manifest files (``harness.manifests``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .._util.yamllimits import LimitedSafeLoader, YamlLimitError
from ..errors import ScenarioError, SourcePos


@dataclass(frozen=True)
class Node:
    """One YAML value with its source position.

    ``value`` is what ``yaml.safe_load`` would give for this part of the document. For a mapping, ``fields``
    maps each key to the value's node and ``key_pos`` gives where each key is written; for a sequence,
    ``items`` holds the element nodes. ``end_line`` is the last line (1-based) the value spans.
    """

    value: Any
    pos: SourcePos
    end_line: int
    fields: dict[str, Node] = field(default_factory=dict)
    key_pos: dict[str, SourcePos] = field(default_factory=dict)
    items: tuple[Node, ...] = ()

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.value, list)

    def get(self, key: str) -> Node | None:
        return self.fields.get(key)

    def pos_of_key(self, key: str) -> SourcePos:
        return self.key_pos.get(key, self.pos)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.items)


@dataclass(frozen=True)
class SourceFile:
    """A scenario file's text and its top-level YAML documents as :class:`Node` trees."""

    path: Path
    display: str  # the path as the user should see it in messages
    lines: tuple[str, ...]
    documents: tuple[Node, ...]

    def snippet(self, first_line: int, last_line: int, *, limit: int = 14) -> str:
        """Source lines ``first_line..last_line`` (1-based, inclusive) with line numbers, for failure output."""
        last = min(last_line, len(self.lines), first_line + limit - 1)
        width = len(str(last))
        out = [f"{number:>{width}} | {self.lines[number - 1]}" for number in range(first_line, last + 1)]
        if last < last_line:
            out.append(f"{'':>{width}} | ...")
        return "\n".join(out)


def _pos(display: str, mark: yaml.Mark) -> SourcePos:
    return SourcePos(display, mark.line + 1, mark.column + 1)


def _end_line(node: yaml.Node) -> int:
    """The last line (1-based) holding part of ``node``.

    PyYAML's end mark of a block collection sits where the next token starts (often the next list item), so
    for those the last line is taken from the deepest last child instead.
    """
    if isinstance(node, yaml.ScalarNode) or (isinstance(node, yaml.CollectionNode) and node.flow_style):
        line = int(node.end_mark.line) + 1
        # A block scalar (| or >) ends after its final line break, at column 0 of the following line.
        if node.end_mark.column == 0 and node.end_mark.line > node.start_mark.line:
            line -= 1
        return line
    if isinstance(node, yaml.MappingNode) and node.value:
        return _end_line(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value:
        return _end_line(node.value[-1])
    return int(node.start_mark.line) + 1


class _Builder:
    """Turns composed YAML nodes into :class:`Node` trees, constructing scalars with the safe constructor."""

    def __init__(self, loader: LimitedSafeLoader, display: str) -> None:
        self._loader = loader
        self._display = display

    def build(self, node: yaml.Node) -> Node:
        pos = _pos(self._display, node.start_mark)
        if isinstance(node, yaml.MappingNode):
            self._loader.flatten_mapping(node)  # resolves YAML merge keys (<<) as safe_load does
            fields: dict[str, Node] = {}
            key_pos: dict[str, SourcePos] = {}
            value: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self._loader.construct_object(key_node, deep=True)
                where = _pos(self._display, key_node.start_mark)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    raise ScenarioError(f"mapping key={key!r} is not a plain value", pos=where,
                                        hint="use a string key")
                text_key = key if isinstance(key, str) else str(key).lower() if isinstance(key, bool) else str(key)
                if text_key in fields:
                    raise ScenarioError(
                        f"duplicate key={text_key!r} (first at line {key_pos[text_key].line})", pos=where,
                        hint="YAML keeps only the last value of a repeated key; merge the two entries into one")
                child = self.build(value_node)
                fields[text_key] = child
                key_pos[text_key] = where
                value[key] = child.value
            return Node(value, pos, _end_line(node), fields=fields, key_pos=key_pos)
        if isinstance(node, yaml.SequenceNode):
            items = tuple(self.build(item) for item in node.value)
            return Node([item.value for item in items], pos, _end_line(node), items=items)
        return Node(self._loader.construct_object(node, deep=True), pos, _end_line(node))


def parse_yaml(text: str, display: str) -> tuple[Node, ...]:
    """Parse every YAML document in ``text``; syntax errors become :class:`ScenarioError` with the position."""
    loader: LimitedSafeLoader | None = None
    try:
        loader = LimitedSafeLoader(text)  # reading starts here: a control character fails already
        documents = []
        builder = _Builder(loader, display)
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                documents.append(builder.build(node))
        return tuple(documents)
    except YamlLimitError as exc:
        where = _pos(display, exc.problem_mark) if exc.problem_mark is not None else SourcePos(display)
        raise ScenarioError(f"YAML {exc.problem}", pos=where, hint=exc.hint) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _pos(display, mark) if mark is not None else SourcePos(display)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError(f"YAML syntax error: {problem}", pos=where,
                            hint="check the indentation and quoting around this position") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"YAML error: {exc}", pos=SourcePos(display),
                            hint="the file must be UTF-8 YAML") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_source(path: Path, display: str | None = None) -> SourceFile:
    """Read and parse a YAML file; unreadable files become :class:`ScenarioError`."""
    shown = display if display is not None else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"scenario file={shown!r} does not exist", pos=SourcePos(shown),
                            hint="check the path; directories are searched for *.yaml and *.yml") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"scenario file={shown!r} cannot be read: {exc}", pos=SourcePos(shown),
                            hint="scenario files are UTF-8 text") from None
    return SourceFile(path=path, display=shown, lines=tuple(text.splitlines()),
                      documents=parse_yaml(text, shown))


def source_from_text(text: str, display: str, path: Path | None = None) -> SourceFile:
    """Parse scenario text that does not come from a file (Python-defined scenarios, tests)."""
    return SourceFile(path=path or Path(display), display=display, lines=tuple(text.splitlines()),
                      documents=parse_yaml(text, display))


def node_from_value(value: Any, pos: SourcePos) -> Node:
    """Wrap plain Python data as a :class:`Node` tree whose every part points at ``pos``.

    Scenarios written in Python (the pytest fixture) go through the same parsers as YAML files; their errors
    then point at the calling line.
    """
    if isinstance(value, dict):
        fields = {str(key): node_from_value(item, pos) for key, item in value.items()}
        plain = {key: child.value for key, child in fields.items()}
        return Node(plain, pos, pos.line, fields=fields, key_pos={key: pos for key in fields})
    if isinstance(value, (list, tuple)):
        items = tuple(node_from_value(item, pos) for item in value)
        return Node([item.value for item in items], pos, pos.line, items=items)
    return Node(value, pos, pos.line)

"""YAML composition that cannot be made to hang, exhaust memory or overflow the stack.

PyYAML's composer recurses once per nesting level and hands back aliases as shared nodes, which every consumer
then expands into full trees: a 1 kB "billion laughs" file becomes gigabytes, an anchor that contains itself
recurses for ever, 600 nested brackets end in a RecursionError, and a control character fails while the loader is
still being built. :class:`LimitedSafeLoader` composes iteratively and refuses, with the position of the
offending node, what kubectl (go-yaml v2) refuses too:

- aliases that expand too much, by go-yaml's own rule (``document contains excessive aliasing``: more than 99%
  of decoded nodes coming from aliases in a small document, scaling down to 10% at four million nodes), counted
  without expanding anything;
- an anchor whose value contains an alias to itself (``anchor 'a' value contains itself``);
- characters YAML does not allow (``control characters are not allowed``), reported at their line and column;

and, where kubectl would go on but this project's recursive readers could not, nesting deeper than
:data:`MAX_DEPTH` levels (merge keys count as a level). A redefined anchor is allowed (the latest definition
wins), as in go-yaml. Every refusal is a :class:`yaml.MarkedYAMLError`, so callers that report YAML errors
with their position report these too.

Not here: turning nodes into data (the manifest and scenario loaders do it, each keeping positions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

Mark = Any  # yaml.Mark; the stubs type marks loosely (the C loader has its own class)
MAX_DEPTH: Final = 100
_MERGE_TAG: Final = "tag:yaml.org,2002:merge"
# go-yaml v2 decode.go: alias_ratio_range_low / _high
_RATIO_LOW: Final = 400_000
_RATIO_HIGH: Final = 4_000_000


class YamlLimitError(yaml.MarkedYAMLError):
    """A document this project refuses to compose; ``problem`` says why, ``problem_mark`` where, and ``go_text``
    is go-yaml's own wording of the same refusal (what kubectl or KubeRay would print after ``yaml: ``)."""

    def __init__(self, problem: str, mark: Mark, go_text: str | None = None, *, hint: str = "") -> None:
        super().__init__(None, None, problem, mark)
        self.go_text = go_text or problem
        self.hint = hint


def allowed_alias_ratio(decodes: int) -> float:
    """go-yaml v2's ``allowedAliasRatio``: the share of decoded nodes that may come from aliases."""
    if decodes <= _RATIO_LOW:
        return 0.99
    if decodes >= _RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * ((decodes - _RATIO_LOW) / (_RATIO_HIGH - _RATIO_LOW))


def _excessive(decodes: int, aliased: int) -> bool:
    return aliased > 100 and decodes > 1000 and aliased / decodes > allowed_alias_ratio(decodes)


@dataclass
class _Open:
    """A collection being composed: its node, its anchor, where its next child goes."""

    node: yaml.CollectionNode
    anchor: str | None
    key: yaml.Node | None = None  # a mapping's key waiting for its value
    size: int = 1  # nodes go-yaml decodes for this collection, aliases expanded
    merge_depth: int = 0
    height: int = 1  # levels of nesting from this collection down, aliases expanded


@dataclass
class _Counts:
    """go-yaml's decode counters for one document."""

    decodes: int = 1  # the document node
    aliased: int = 0
    sizes: dict[int, int] = field(default_factory=dict)  # id(node) -> expanded size of a composed collection
    merge_depths: dict[int, int] = field(default_factory=dict)
    heights: dict[int, int] = field(default_factory=dict)  # id(node) -> expanded height of a composed collection


def _too_deep(mark: Mark, *, expanded: bool = False) -> YamlLimitError:
    counted = " (aliases expanded)" if expanded else ""
    return YamlLimitError(f"nesting deeper than {MAX_DEPTH} levels{counted} is not supported", mark,
                          hint="Kubernetes objects and scenarios nest a few dozen levels at most: check for unclosed "
                               "brackets, or aliases that nest anchors in each other")


def _reader_error(exc: yaml.reader.ReaderError, text: str) -> YamlLimitError:
    before = text[: exc.position]
    line = before.count("\n")
    column = exc.position - (before.rfind("\n") + 1)
    mark = yaml.Mark(exc.name, exc.position, line, column, None, None)  # type: ignore[arg-type]
    return YamlLimitError(f"control characters are not allowed (found #x{exc.character:04x})", mark,
                          "control characters are not allowed",
                          hint="remove the character, or write it escaped inside double quotes (\"\\x01\")")


class SafeConstruction:
    """Turns the safe constructor's plain Python errors (``!!int abc``, ``!!timestamp x``, an integer of 5,000
    digits) into YAML errors at the node, for any loader it is mixed into."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError, LookupError, OverflowError) as exc:
            shown = node.value if isinstance(node.value, str) else ""
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {shown!r} as {node.tag.rsplit(':', 1)[-1]}: {exc}", node.start_mark) from None


class LimitedSafeLoader(SafeConstruction, yaml.SafeLoader):
    """PyYAML's SafeLoader with an iterative, bounded composer (see the module docstring)."""

    def __init__(self, stream: str) -> None:
        try:
            super().__init__(stream)
        except yaml.reader.ReaderError as exc:
            raise _reader_error(exc, stream) from None

    # PyYAML's reading methods, typed
    def _get(self) -> Any:
        return self.get_event()  # type: ignore[no-untyped-call]

    def _peek(self) -> Any:
        return self.peek_event()  # type: ignore[no-untyped-call]

    def _resolve(self, kind: type[yaml.Node], value: str | None, implicit: Any) -> str:
        return str(self.resolve(kind, value, implicit))  # type: ignore[no-untyped-call]

    def compose_document(self) -> yaml.Node | None:
        self._get()  # DocumentStart
        node = self._compose()
        self._get()  # DocumentEnd
        self.anchors = {}
        return node

    def _compose(self) -> yaml.Node:
        counts = _Counts()
        stack: list[_Open] = []
        while True:
            if stack and self.check_event(MappingEndEvent, SequenceEndEvent):
                node = self._close(stack, counts)
            else:
                opened_or_node = self._next_node(stack, counts)
                if opened_or_node is None:  # a collection was opened: its children come first
                    continue
                node = opened_or_node
            if not stack:
                return node
            parent = stack[-1]
            parent.height = max(parent.height, 1 + counts.heights.get(id(node), 1))
            if not isinstance(parent.node, yaml.MappingNode):
                parent.node.value.append(node)
            elif parent.key is None:
                parent.key = node
            else:
                parent.node.value.append((parent.key, node))
                parent.key = None

    def _next_node(self, stack: list[_Open], counts: _Counts) -> yaml.Node | None:
        """Read the next node: a scalar or an alias (returned), or the start of a collection (pushed, None)."""
        event = self._peek()
        if isinstance(event, AliasEvent):
            self._get()
            return self._alias(event, stack, counts)
        anchor = event.anchor
        if isinstance(event, ScalarEvent):
            self._get()
            tag = event.tag
            if tag is None or tag == "!":
                tag = self._resolve(yaml.ScalarNode, event.value, event.implicit)
            scalar = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)  # type: ignore[arg-type]
            if anchor is not None:
                self.anchors[anchor] = scalar
            in_key = bool(stack) and isinstance(stack[-1].node, yaml.MappingNode) and stack[-1].key is None
            if not (in_key and tag == _MERGE_TAG):  # go-yaml does not decode a merge key itself
                self._count(stack, counts, 1, aliased=False, mark=event.start_mark)
            return scalar
        start = self._get()
        if len(stack) >= MAX_DEPTH:
            raise _too_deep(start.start_mark)
        assert isinstance(start, (MappingStartEvent, SequenceStartEvent))
        kind: type[yaml.CollectionNode] = yaml.MappingNode if isinstance(start, MappingStartEvent) \
            else yaml.SequenceNode
        tag = start.tag
        if tag is None or tag == "!":
            tag = self._resolve(kind, None, start.implicit)
        collection = kind(tag, [], start.start_mark, None, flow_style=start.flow_style)  # type: ignore[arg-type]
        if anchor is not None:
            self.anchors[anchor] = collection
        self._count(stack, counts, 1, aliased=False, mark=start.start_mark)
        stack.append(_Open(collection, anchor))
        return None

    def _alias(self, event: AliasEvent, stack: list[_Open], counts: _Counts) -> yaml.Node:
        anchor = event.anchor
        if anchor not in self.anchors:
            raise yaml.composer.ComposerError(None, None, f"found undefined alias {anchor!r}", event.start_mark)  # type: ignore[arg-type]
        target = self.anchors[anchor]
        if any(open_.node is target for open_ in stack):
            raise YamlLimitError(f"anchor {anchor!r} value contains itself", event.start_mark,
                                 hint=f"an alias inside the value of &{anchor} would repeat it for ever: point it at "
                                      "another anchor, or write the part out")
        if len(stack) + counts.heights.get(id(target), 1) > MAX_DEPTH + 1:
            raise _too_deep(event.start_mark, expanded=True)
        self._count(stack, counts, 1, aliased=False, mark=event.start_mark)  # the alias node
        expanded = counts.sizes.get(id(target), 1)
        self._count(stack, counts, expanded, aliased=True, mark=event.start_mark)
        receiver = _merge_receiver(stack)
        if receiver is not None:
            self._merged(receiver, counts.merge_depths.get(id(target), 0), event.start_mark)
        return target

    def _count(self, stack: list[_Open], counts: _Counts, nodes: int, *, aliased: bool, mark: Mark) -> None:
        """Add decoded nodes (to the document and to every open collection's expanded size) and apply go-yaml's
        rule. Inside one alias both counters grow together, so checking once at its end is enough."""
        counts.decodes += nodes
        if aliased:
            counts.aliased += nodes
        for open_ in stack:
            open_.size += nodes
        if _excessive(counts.decodes, counts.aliased):
            raise YamlLimitError("document contains excessive aliasing", mark,
                                 hint="aliases here multiply the document past what kubectl (go-yaml) accepts: "
                                      "write the repeated parts out, or alias fewer of them")

    def _merged(self, into: _Open, depth: int, mark: Mark) -> None:
        into.merge_depth = max(into.merge_depth, depth + 1)
        if into.merge_depth >= MAX_DEPTH:
            raise YamlLimitError(f"merge keys nested deeper than {MAX_DEPTH} levels are not supported", mark,
                                 hint="merge (<<) from fewer levels of anchors")

    def _close(self, stack: list[_Open], counts: _Counts) -> yaml.Node:
        end = self._get()
        closed = stack.pop()
        closed.node.end_mark = end.end_mark
        counts.sizes[id(closed.node)] = closed.size
        counts.heights[id(closed.node)] = closed.height
        if closed.merge_depth:
            counts.merge_depths[id(closed.node)] = closed.merge_depth
        # an inline mapping given to a merge key: its own merges nest inside the receiver's
        receiver = _merge_receiver(stack)
        if receiver is not None and isinstance(closed.node, yaml.MappingNode):
            self._merged(receiver, closed.merge_depth, end.start_mark)
        return closed.node


def _merge_receiver(stack: list[_Open]) -> _Open | None:
    """The mapping a node being added now is merged into (``<<: X`` or ``<<: [X, Y]``), if any."""
    for depth in (1, 2):
        if len(stack) < depth:
            return None
        candidate = stack[-depth]
        if isinstance(candidate.node, yaml.MappingNode) and candidate.key is not None \
                and candidate.key.tag == _MERGE_TAG:
            return candidate
        if not isinstance(candidate.node, yaml.SequenceNode):
            return None
    return None


# -- graphs composed elsewhere (libyaml) -------------------------------------------------------------------------

# libyaml's composer recurses in C: tens of thousands of nested collections overflow the C stack. Text that could
# nest this deep is not given to it (the Python composer above refuses it with its place instead).
C_COMPOSER_SAFE_DEPTH: Final = 5_000


def may_nest_deeper(text: str, depth: int = C_COMPOSER_SAFE_DEPTH) -> bool:
    """Whether ``text`` could hold collections nested more than ``depth`` levels (a cheap upper bound: twice the
    indentation, plus the block indicators and the open brackets of a line, bounds the depth reached on it)."""
    flow = 0
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        peak = flow
        for char in line:
            if char in "[{":
                flow += 1
                peak = max(peak, flow)
            elif char in "]}":
                flow = max(0, flow - 1)
        if 2 * indent + line.count("-") + line.count(":") + line.count("?") + peak + 1 > depth:
            return True
    return False


def check_composed(root: yaml.Node) -> None:
    """Apply the composer's limits to a node graph another composer built: nesting (aliases expanded), anchors
    that contain themselves, go-yaml's aliasing rule and the depth of merge keys. YamlLimitError when one fails.

    The graph is walked in document order, so a node met again is an alias of the one met first, as written.
    """
    counts = _Counts()
    frames: list[tuple[yaml.Node, list[yaml.Node], int, int]] = []  # (node, children left, size, height)
    open_ids: set[int] = set()

    def enter(node: yaml.Node, mark: Any) -> tuple[int, int] | None:
        """Visit ``node`` as the next child; (size, height) when it needs no frame of its own."""
        nid = id(node)
        if nid in open_ids:
            raise YamlLimitError("anchor value contains itself", mark,
                                 hint="an alias inside the value of its own anchor would repeat it for ever: point "
                                      "it at another anchor, or write the part out")
        if nid in counts.sizes:  # met before: an alias
            if len(frames) + counts.heights[nid] > MAX_DEPTH + 1:
                raise _too_deep(mark, expanded=True)
            _add(counts, frames, 1, aliased=False, mark=mark)
            _add(counts, frames, counts.sizes[nid], aliased=True, mark=mark)
            return 1 + counts.sizes[nid], counts.heights[nid]
        if isinstance(node, yaml.ScalarNode):
            counts.sizes[nid], counts.heights[nid] = 1, 1
            _add(counts, frames, 1, aliased=False, mark=mark)
            return 1, 1
        if len(frames) >= MAX_DEPTH:
            raise _too_deep(mark)
        _add(counts, frames, 1, aliased=False, mark=mark)
        children = [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) \
            else list(node.value)
        frames.append((node, children[::-1], 1, 1))
        open_ids.add(nid)
        return None

    if enter(root, root.start_mark) is not None:
        return
    while frames:
        node, left, size, height = frames[-1]
        if left:
            child = left.pop()
            is_merge_key = isinstance(node, yaml.MappingNode) and isinstance(child, yaml.ScalarNode) \
                and child.tag == _MERGE_TAG and len(left) % 2 == 1
            if is_merge_key:
                continue  # go-yaml does not decode a merge key itself
            done = enter(child, child.start_mark)
            if done is not None:
                node, left, size, height = frames[-1]
                frames[-1] = (node, left, size + done[0], max(height, 1 + done[1]))
            continue
        frames.pop()
        open_ids.discard(id(node))
        counts.sizes[id(node)], counts.heights[id(node)] = size, height
        if isinstance(node, yaml.MappingNode):
            depth = _merge_depth(node, counts)
            if depth >= MAX_DEPTH:
                raise YamlLimitError(f"merge keys nested deeper than {MAX_DEPTH} levels are not supported",
                                     node.start_mark, hint="merge (<<) from fewer levels of anchors")
            counts.merge_depths[id(node)] = depth
        if frames:
            parent, parent_left, parent_size, parent_height = frames[-1]
            frames[-1] = (parent, parent_left, parent_size + size, max(parent_height, 1 + height))


def _add(counts: _Counts, frames: list[tuple[yaml.Node, list[yaml.Node], int, int]], nodes: int, *, aliased: bool,
         mark: Any) -> None:
    counts.decodes += nodes
    if aliased:
        counts.aliased += nodes
    if _excessive(counts.decodes, counts.aliased):
        raise YamlLimitError("document contains excessive aliasing", mark,
                             hint="aliases here multiply the document past what kubectl (go-yaml) accepts: write "
                                  "the repeated parts out, or alias fewer of them")


def _merge_depth(mapping: yaml.MappingNode, counts: _Counts) -> int:
    depth = 0
    for key, value in mapping.value:
        if isinstance(key, yaml.ScalarNode) and key.tag == _MERGE_TAG:
            merged = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for item in merged:
                depth = max(depth, 1 + counts.merge_depths.get(id(item), 0))
    return depth


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` within the limits: the one document in ``text`` as plain data."""
    loader = LimitedSafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_first(text: str) -> Any:
    """The first document in ``text`` as plain data (None when there is none); later ones are not read."""
    loader = LimitedSafeLoader(text)
    try:
        return loader.get_data() if loader.check_data() else None  # type: ignore[no-untyped-call]
    finally:
        loader.dispose()

"""Small readers shared by the scenario parsers: typed values out of YAML nodes, or a ScenarioError that says where.

Every reader names the offending value (``name=value``) and ends with a ``Hint:`` showing a correct form, so a
mistake in a scenario file reads like a compiler message. :class:`ParseContext` also tracks which bindings are
defined so far, so a ``${name}`` used before any step saves it is reported at load time.

Not here: what each step means (:mod:`.steps`, :mod:`.expectations`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .._util.durations import format_duration, parse_duration
from ..errors import ScenarioError, SourcePos
from ..model.selectors import parse_selector
from .matchers import ArrayMode
from .model import KIND_KEYS, KINDS, TIMEOUT_NAMES, ObjectRef, StepSource, Timeouts
from .source import Node, SourceFile
from .templates import TemplateSyntaxError, references, strings_in


def fail(message: str, pos: SourcePos, hint: str) -> ScenarioError:
    return ScenarioError(message, pos=pos, hint=hint)


def suggest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


@dataclass
class ParseContext:
    """What the parsers of one scenario need: the source (for snippets), the folder manifests are relative to,
    and the bindings defined so far."""

    source: SourceFile
    base_dir: Path
    defined: set[str] = field(default_factory=set)
    timeouts: Timeouts = field(default_factory=Timeouts)  # gives `timeout: long` its value

    def step_source(self, node: Node) -> StepSource:
        text = flow(node.value)
        if isinstance(node.value, dict) and len(node.value) == 1:
            key, value = next(iter(node.value.items()))
            text = f"{key}: {flow(value)}"
        if len(text) > 160:
            text = text[:157] + "..."
        return StepSource(node.pos, node.end_line, self.source.snippet(node.pos.line, node.end_line), text)

    def check_bindings(self, value: Any, pos: SourcePos) -> None:
        """Every ``${name}`` in ``value`` must be well-formed and defined by an earlier step (or builtin)."""
        for text in strings_in(value):
            if "${" not in text:
                continue
            try:
                names = references(text)
            except TemplateSyntaxError as exc:
                raise fail(str(exc), pos, "write ${name}; use $${ for a literal ${") from None
            for name in names:
                if name not in self.defined:
                    known = sorted(self.defined)
                    close = suggest(name, known)
                    hint = (f"did you mean ${{{close}}}? " if close else "") + (
                        "bindings are created by an earlier `save:` step; defined here: "
                        + (", ".join(known) if known else "none"))
                    raise fail(f"binding=${{{name}}} is not defined at this point", pos, hint)


def flow(value: Any) -> str:
    """Compact one-line YAML (flow style) for step summaries."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip()
    return text[:-4].rstrip() if text.endswith("\n...") else text


def mapping(node: Node, what: str, example: str) -> Node:
    if not node.is_mapping:
        raise fail(f"{what} must be a mapping, got {type_name(node.value)} value={short(node.value)}", node.pos,
                   f"write e.g. {example}")
    return node


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "mapping" if isinstance(value, dict) else type(value).__name__


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_keys(node: Node, allowed: Sequence[str], what: str, *, required: Sequence[str] = ()) -> None:
    for key in node.fields:
        if key not in allowed:
            close = suggest(key, allowed)
            hint = f"did you mean {close!r}? " if close else ""
            raise fail(f"unknown key={key!r} in {what}", node.pos_of_key(key),
                       hint + f"{what} accepts: {', '.join(allowed)}")
    for key in required:
        if key not in node.fields:
            raise fail(f"{what} needs the key {key!r}", node.pos, f"add {key}: ... to {what}")


def string(node: Node, what: str, example: str) -> str:
    if not isinstance(node.value, str) or not node.value:
        raise fail(f"{what} must be a non-empty string, got {type_name(node.value)} value={short(node.value)}",
                   node.pos, f"write e.g. {example}")
    return node.value


def strings(node: Node, what: str, example: str) -> tuple[str, ...]:
    """A string or a list of strings."""
    if isinstance(node.value, str):
        return (string(node, what, example),)
    if node.is_sequence:
        return tuple(string(item, what, example) for item in node.items)
    raise fail(f"{what} must be a string or a list of strings, got {type_name(node.value)}", node.pos,
               f"write e.g. {example}")


def boolean(node: Node, what: str) -> bool:
    if not isinstance(node.value, bool):
        raise fail(f"{what} must be true or false, got value={short(node.value)}", node.pos,
                   f"write {what.split()[-1]}: true")
    return node.value


def integer(node: Node, what: str, *, minimum: int = 0) -> int:
    if isinstance(node.value, bool) or not isinstance(node.value, int) or node.value < minimum:
        raise fail(f"{what} must be an integer >= {minimum}, got value={short(node.value)}", node.pos,
                   f"write e.g. {max(minimum, 1)}")
    return node.value


def duration(node: Node, what: str) -> float:
    try:
        return parse_duration(node.value)
    except (ValueError, TypeError, AttributeError):
        raise fail(f"{what} must be a duration, got value={short(node.value)}", node.pos,
                   "write e.g. 30s, 5m, 1h30m or 250ms (bare numbers are seconds)") from None


def bound(node: Node, what: str, ctx: ParseContext) -> float:
    """A ``timeout:`` or ``grace:``: a duration, or one of the scenario's named ones (``short``, ``medium``,
    ``long``, set under ``timeouts:``)."""
    if isinstance(node.value, str) and node.value.strip() in TIMEOUT_NAMES:
        return ctx.timeouts.named()[node.value.strip()]
    try:
        return parse_duration(node.value)
    except (ValueError, TypeError, AttributeError):
        raise fail(f"{what} must be a duration or short, medium or long, got value={short(node.value)}", node.pos,
                   "write e.g. 30s, 5m or 1h30m, or a name set under timeouts: (short, medium, long)") from None


def env_value(node: Node, key: str) -> str:
    """An operator environment variable's value: YAML booleans and numbers as the strings Kubernetes keeps."""
    value = node.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise fail(f"operator env {key} must be a string, got value={value!r}", node.pos, f"write {key}: \"true\"")


def show_duration(seconds: float) -> str:
    return format_duration(seconds)


def _kind(node: Node) -> str:
    text = string(node, "kind", "kind: RayJob")
    for kind in KINDS:
        if text.lower() == kind.lower():
            return kind
    close = suggest(text, KINDS)
    raise fail(f"kind={text!r} is not a kind scenarios can name", node.pos,
               (f"did you mean {close!r}? " if close else "") + f"kinds: {', '.join(KINDS)}")


def _selector(node: Node, ctx: ParseContext) -> str:
    if node.is_mapping:
        parts = []
        for key, child in node.fields.items():
            if not isinstance(child.value, (str, int, float, bool)):
                raise fail(f"label selector value for {key!r} must be a string", child.pos,
                           "write selector: {ray.io/node-type: head}")
            parts.append(f"{key}={child.value}")
        text = ",".join(parts)
    else:
        text = string(node, "selector", "selector: ray.io/node-type=worker")
    ctx.check_bindings(text, node.pos)
    if "${" not in text:
        try:
            parse_selector(text)
        except ValueError as exc:
            raise fail(f"label selector={text!r} is invalid: {exc}", node.pos,
                       "write key=value, key!=value, key in (a,b) or key, separated by commas") from None
    return text


def maybe_object_ref(node: Node, ctx: ParseContext, what: str, *, need_name: bool = False,
                     allow_all: bool = False) -> ObjectRef | None:
    """Like :func:`object_ref`, but None when ``node`` names no object at all."""
    if not any(key in KIND_KEYS or key == "kind" for key in node.fields):
        return None
    return object_ref(node, ctx, what, need_name=need_name, allow_all=allow_all)


def object_ref(node: Node, ctx: ParseContext, what: str, *, need_name: bool = False,
               allow_all: bool = False) -> ObjectRef:
    """Read the object a step or entry names: ``rayjob: NAME``, ``pod: {selector: ...}`` or
    ``{kind: Pod, name: ...}``/``{kind: Pod, selector: ...}``; ``allow_all`` accepts a bare ``kind: Pod``."""
    shortcuts = [key for key in node.fields if key in KIND_KEYS]
    if len(shortcuts) > 1:
        raise fail(f"{what} names several objects ({', '.join(shortcuts)})", node.pos_of_key(shortcuts[1]),
                   "name one object per step, e.g. rayjob: my-job")
    if shortcuts:
        key = shortcuts[0]
        if "kind" in node.fields:
            raise fail(f"{what} has both {key!r} and 'kind'", node.pos_of_key("kind"),
                       f"write either {key}: NAME or kind: ... with name: ...")
        kind, value = KIND_KEYS[key], node.fields[key]
        if value.is_mapping:
            check_keys(value, ("name", "selector"), f"{key} reference")
            name_node, selector_node = value.get("name"), value.get("selector")
        else:
            name_node, selector_node = value, None
        pos = node.pos_of_key(key)
    elif "kind" in node.fields:
        kind = _kind(node.fields["kind"])
        name_node, selector_node = node.get("name"), node.get("selector")
        pos = node.pos_of_key("kind")
    else:
        raise fail(f"{what} does not name an object", node.pos,
                   "add e.g. rayjob: NAME, or kind: Pod with name: ... or selector: ...")
    if name_node is not None and selector_node is not None:
        raise fail(f"{what} has both a name and a selector", selector_node.pos, "use one of them")
    name = string(name_node, "object name", "rayjob: my-job") if name_node is not None else None
    if name is not None:
        ctx.check_bindings(name, name_node.pos if name_node else pos)
    selector = _selector(selector_node, ctx) if selector_node is not None else None
    if need_name and name is None:
        raise fail(f"{what} must name one object, not a selector", pos, "write e.g. rayjob: my-job")
    if name is None and selector is None and not allow_all and kind != "Event":
        raise fail(f"{what} needs a name or a selector", pos, f"write e.g. {kind.lower()}: NAME")
    return ObjectRef(kind, name, selector, pos)


def array_mode(node: Node) -> ArrayMode:
    """The ``arrays:`` option of a step: how plain lists in its expected values match (``exact`` by default)."""
    mode_node = node.get("arrays")
    if mode_node is None:
        return "exact"
    if mode_node.value not in ("exact", "subset"):
        raise fail(f"arrays={mode_node.value!r} is not exact or subset", mode_node.pos,
                   "arrays: exact (same items, same order) or arrays: subset (these items among others); "
                   "use {$by_key: name, $items: [...]} to pair items by a key")
    return "exact" if mode_node.value == "exact" else "subset"

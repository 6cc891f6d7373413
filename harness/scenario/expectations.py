"""Parsers for the expectation steps: ``expect`` (objects, transitions, presence, counts, events) and
``expect_logs`` (head, driver, submitter and worker logs).

An ``expect`` step may combine several checks about one object (``status``, ``transitions``, ``stays``) with
checks about the namespace (``present``, ``absent``, ``count``, ``events``); all must hold, within the step's
``grace`` period when one is given, and keep holding for ``consistently`` when that is given. Evaluation is in
``harness.runner.assertions``.
"""

from __future__ import annotations

from typing import Final

from .matchers import MapMatch, Matcher, check_regex, parse_matcher, parse_paths
from .model import (
    DEFAULT_STATE_FIELD,
    KIND_KEYS,
    LOG_SOURCES,
    CountRange,
    CountSpec,
    EventSpec,
    ExpectLogsStep,
    ExpectStep,
    LogSourceName,
    ObjectRef,
    Stays,
    Step,
    Transitions,
)
from .parsing import (
    ParseContext,
    array_mode,
    boolean,
    bound,
    check_keys,
    duration,
    fail,
    integer,
    mapping,
    maybe_object_ref,
    object_ref,
    string,
    strings,
)
from .source import Node

_TARGET: Final = (*KIND_KEYS, "kind", "name", "selector")
_OBJECT_PARTS: Final = ("metadata", "spec", "status", "data")
EXPECT_KEYS: Final = (*_TARGET, *_OBJECT_PARTS, "fields", "transitions", "stays", "present", "absent", "count",
                      "events", "grace", "consistently", "arrays")
COUNT_KEYS: Final = ("equals", "at_least", "at_most")


def count_range(node: Node, what: str) -> CountRange:
    if isinstance(node.value, int) and not isinstance(node.value, bool):
        return CountRange(equals=integer(node, what))
    mapping(node, what, f"{what}: 2  or  {what}: {{at_least: 1, at_most: 3}}")
    check_keys(node, COUNT_KEYS, what)
    if not node.fields:
        raise fail(f"{what} gives no bound", node.pos, "write equals:, at_least: or at_most:")
    values = {key: integer(child, f"{what} {key}") for key, child in node.fields.items()}
    return CountRange(values.get("equals"), values.get("at_least"), values.get("at_most"))


def _object_match(body: Node, ctx: ParseContext) -> MapMatch | None:
    mode = array_mode(body)
    fields: list[tuple[str, Matcher]] = []
    for part in _OBJECT_PARTS:
        if part in body.fields:
            child = mapping(body.fields[part], part, f"{part}: {{...fields to match...}}")
            ctx.check_bindings(child.value, child.pos)
            fields.append((part, parse_matcher(child, mode)))
    if "fields" in body.fields:
        paths_node = body.fields["fields"]
        ctx.check_bindings(paths_node.value, paths_node.pos)
        fields.extend(parse_paths(paths_node, mode).fields)
    if not fields:
        return None
    keys = [key for key, _ in fields]
    for key in keys:
        if keys.count(key) > 1:
            raise fail(f"expect gives {key!r} both directly and under fields", body.pos_of_key("fields"),
                       "write each part of the object once")
    return MapMatch(body.pos, tuple(fields))


def _state_list(node: Node, what: str) -> tuple[str, ...]:
    items = node.items if node.is_sequence else (node,)
    out = []
    for item in items:
        value = item.value
        if value is None or value == "":
            value = "New"
        if not isinstance(value, str):
            raise fail(f"{what} state={value!r} is not a string", item.pos,
                       "write states as they appear in the field, e.g. [Initializing, Running, Complete]")
        out.append(value)
    if not out and what != "never":
        raise fail(f"transitions {what} lists no state", node.pos, "list at least one state")
    return tuple(out)


def _field_for(target: ObjectRef, node: Node | None, what: str) -> str:
    if node is not None:
        return string(node, f"{what} field", "field: status.jobStatus")
    if target.kind not in DEFAULT_STATE_FIELD:
        raise fail(f"{what} on a {target.kind} needs a field", target.pos,
                   f"add field: <dotted path>; defaults exist for {', '.join(DEFAULT_STATE_FIELD)}")
    return DEFAULT_STATE_FIELD[target.kind]


def _transitions(node: Node, target: ObjectRef) -> Transitions:
    if node.is_sequence:
        return Transitions(_field_for(target, None, "transitions"), exact=_state_list(node, "exact"), pos=node.pos)
    mapping(node, "transitions", "transitions: {subsequence: [Running, Complete], never: [Failed]}")
    check_keys(node, ("field", "exact", "subsequence", "never", "within"), "transitions")
    if "exact" in node.fields and "subsequence" in node.fields:
        raise fail("transitions has both exact and subsequence", node.pos_of_key("subsequence"),
                   "exact lists every state in order; subsequence lists some of them in order: pick one")
    if not any(key in node.fields for key in ("exact", "subsequence", "never")):
        raise fail("transitions checks nothing", node.pos, "add exact:, subsequence: or never:")
    within = duration(node.fields["within"], "transitions within") if "within" in node.fields else None
    if within is not None and not ("exact" in node.fields or "subsequence" in node.fields):
        raise fail("transitions within needs exact or subsequence", node.pos_of_key("within"),
                   "within bounds the time from the first listed state to the last one")
    return Transitions(
        _field_for(target, node.get("field"), "transitions"),
        exact=_state_list(node.fields["exact"], "exact") if "exact" in node.fields else None,
        subsequence=_state_list(node.fields["subsequence"], "subsequence") if "subsequence" in node.fields
        else None,
        never=_state_list(node.fields["never"], "never") if "never" in node.fields else (),
        within=within, pos=node.pos)


def _stays(node: Node, target: ObjectRef) -> Stays:
    if not node.is_mapping:
        return Stays(_field_for(target, None, "stays"), duration(node, "stays"), pos=node.pos)
    check_keys(node, ("for", "field", "value"), "stays", required=("for",))
    value = node.fields["value"].value if "value" in node.fields else None
    return Stays(_field_for(target, node.get("field"), "stays"), duration(node.fields["for"], "stays for"),
                 value=value, pos=node.pos)


def _ref_list(node: Node, ctx: ParseContext, what: str) -> tuple[ObjectRef, ...]:
    items = node.items if node.is_sequence else (node,)
    refs = []
    for item in items:
        mapping(item, f"{what} entry", f"{what}: [{{kind: RayCluster, name: ...}}]")
        check_keys(item, _TARGET, f"{what} entry")
        refs.append(object_ref(item, ctx, f"{what} entry", allow_all=True))
    return tuple(refs)


def _counts(node: Node, ctx: ParseContext) -> tuple[CountSpec, ...]:
    items = node.items if node.is_sequence else (node,)
    out = []
    for item in items:
        mapping(item, "count entry", "count: {kind: Pod, selector: ray.io/node-type=worker, equals: 2}")
        check_keys(item, (*_TARGET, *COUNT_KEYS), "count entry")
        bounds = {key: child for key, child in item.fields.items() if key in COUNT_KEYS}
        if not bounds:
            raise fail("count entry gives no bound", item.pos, "add equals:, at_least: or at_most:")
        values = {key: integer(child, f"count {key}") for key, child in bounds.items()}
        target = object_ref(item, ctx, "count entry", allow_all=True)
        out.append(CountSpec(target, CountRange(values.get("equals"), values.get("at_least"),
                                                values.get("at_most"))))
    return tuple(out)


def _events(node: Node, ctx: ParseContext) -> tuple[EventSpec, ...]:
    items = node.items if node.is_sequence else (node,)
    out = []
    for item in items:
        mapping(item, "events entry", "events: [{reason: CreatedRayCluster, type: Normal}]")
        check_keys(item, ("reason", "type", "message", "present", "count"), "events entry")
        ctx.check_bindings(item.value, item.pos)
        texts = {key: string(item.fields[key], f"event {key}", f"{key}: ...")
                 for key in ("reason", "type", "message") if key in item.fields}
        if "type" in texts and texts["type"] not in ("Normal", "Warning"):
            raise fail(f"event type={texts['type']!r} is not Normal or Warning", item.fields["type"].pos,
                       "Kubernetes events are Normal or Warning")
        if "message" in texts and "${" not in texts["message"]:
            check_regex(texts["message"], item.fields["message"].pos)
        present = boolean(item.fields["present"], "event present") if "present" in item.fields else True
        count = count_range(item.fields["count"], "count") if "count" in item.fields else None
        out.append(EventSpec(texts.get("reason"), texts.get("type"), texts.get("message"), present, count,
                             pos=item.pos))
    return tuple(out)


def parse_expect(node: Node, body: Node, ctx: ParseContext) -> Step:
    mapping(body, "expect", "expect: {rayjob: my-job, status: {jobStatus: SUCCEEDED}}")
    check_keys(body, EXPECT_KEYS, "expect")
    target = maybe_object_ref(body, ctx, "expect")
    fields = _object_match(body, ctx)
    needs_target = [key for key in ("transitions", "stays", *_OBJECT_PARTS, "fields") if key in body.fields]
    if needs_target and target is None:
        raise fail(f"expect {needs_target[0]} needs an object", body.pos_of_key(needs_target[0]),
                   "name the object in the same step, e.g. rayjob: my-job")
    for key in ("transitions", "stays"):
        if key in body.fields and target is not None and target.name is None:
            raise fail(f"expect {key} needs one object by name, not a selector", body.pos_of_key(key),
                       "write e.g. rayjob: my-job")
    step = ExpectStep(
        ctx.step_source(node), target=target, fields=fields,
        transitions=_transitions(body.fields["transitions"], target) if target and "transitions" in body.fields
        else None,
        stays=_stays(body.fields["stays"], target) if target and "stays" in body.fields else None,
        present=_ref_list(body.fields["present"], ctx, "present") if "present" in body.fields else (),
        absent=_ref_list(body.fields["absent"], ctx, "absent") if "absent" in body.fields else (),
        counts=_counts(body.fields["count"], ctx) if "count" in body.fields else (),
        events=_events(body.fields["events"], ctx) if "events" in body.fields else (),
        grace=bound(body.fields["grace"], "expect grace", ctx) if "grace" in body.fields else None,
        consistently=duration(body.fields["consistently"], "expect consistently") if "consistently" in body.fields
        else None)
    if not (step.fields or step.transitions or step.stays or step.present or step.absent or step.counts
            or step.events):
        raise fail("expect checks nothing", body.pos,
                   "add status:, transitions:, stays:, present:, absent:, count: or events:")
    if step.stays is not None and step.grace is not None:
        raise fail("expect stays cannot have a grace period", body.pos_of_key("grace"),
                   "stays already lets time pass; put other checks in a separate step")
    if step.stays is not None and step.consistently is not None:
        raise fail("expect has both stays and consistently", body.pos_of_key("consistently"),
                   "consistently keeps every check of the step holding for a while; write the field under "
                   "fields: and drop stays, or split the step in two")
    if step.consistently is not None and step.consistently <= 0:
        raise fail("expect consistently must be longer than 0s", body.fields["consistently"].pos,
                   "write how long every check must keep holding, e.g. consistently: 10m")
    return step


_LOG_CHECKS: Final = ("contains", "regex", "not_contains", "lines")
_DEFAULT_SOURCE: Final[dict[str, LogSourceName]] = {"RayJob": "driver", "RayCluster": "head"}
_SOURCE_KINDS: Final[dict[str, tuple[str, ...]]] = {
    "driver": ("RayJob",), "submitter": ("RayJob",), "head": ("RayJob", "RayCluster"),
    "worker": ("RayJob", "RayCluster"), "operator": ("RayJob", "RayCluster"),
}


def parse_expect_logs(node: Node, body: Node, ctx: ParseContext) -> Step:
    example = "expect_logs: {rayjob: my-job, source: driver, contains: \"training complete\"}"
    mapping(body, "expect_logs", example)
    check_keys(body, ("rayjob", "raycluster", "pod", "source", "container", *_LOG_CHECKS, "grace"),
               "expect_logs")
    target = object_ref(body, ctx, "expect_logs", need_name=True)
    source: LogSourceName
    if target.kind == "Pod":
        if "source" in body.fields:
            raise fail("expect_logs on a pod takes no source", body.pos_of_key("source"),
                       "the pod's own log is read; use container: to pick a container")
        source = "pod"
    elif "source" in body.fields:
        word = body.fields["source"].value
        if word not in LOG_SOURCES:
            raise fail(f"log source={word!r} is unknown", body.fields["source"].pos,
                       f"sources: {', '.join(LOG_SOURCES)}")
        if target.kind not in _SOURCE_KINDS[word]:
            raise fail(f"log source={word!r} needs a {' or '.join(_SOURCE_KINDS[word])}", body.fields["source"].pos,
                       f"write e.g. rayjob: my-job with source: {word}")
        source = word
    else:
        source = _DEFAULT_SOURCE[target.kind]
    if not any(key in body.fields for key in _LOG_CHECKS):
        raise fail("expect_logs checks nothing", body.pos, "add contains:, regex:, not_contains: or lines:")
    regexes: tuple[str, ...] = ()
    if "regex" in body.fields:
        regex_node = body.fields["regex"]
        regexes = strings(regex_node, "regex", "regex: 'loss=0\\.\\d+'")
        for pattern, item in zip(regexes, regex_node.items if regex_node.is_sequence else (regex_node,), strict=True):
            check_regex(pattern, item.pos)
    for key in ("contains", "regex", "not_contains", "container"):
        if key in body.fields:
            ctx.check_bindings(body.fields[key].value, body.fields[key].pos)
    return ExpectLogsStep(
        ctx.step_source(node), target=target, source_name=source,
        container=string(body.fields["container"], "container", "container: ray-head")
        if "container" in body.fields else None,
        contains=strings(body.fields["contains"], "contains", "contains: done") if "contains" in body.fields
        else (),
        regex=regexes,
        not_contains=strings(body.fields["not_contains"], "not_contains", "not_contains: Traceback")
        if "not_contains" in body.fields else (),
        lines=count_range(body.fields["lines"], "lines") if "lines" in body.fields else None,
        grace=bound(body.fields["grace"], "expect_logs grace", ctx) if "grace" in body.fields else None)


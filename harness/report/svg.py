"""The timeline picture as inline SVG: one lane per object aspect, state segments, marks, markers and breaks.

Reads a :class:`~.lanes.Timeline` and an :class:`~.axis.Axis` and emits plain SVG (no script, no external
font or stylesheet), well-formed XML so tests and tools can parse it. Every drawn thing carries its meaning in
attributes (``data-object``, ``data-aspect``, ``data-state``, ``data-t``...) and a ``<title>`` that browsers
show on hover, so the picture can be checked by a program and read by a person.

Not here: deciding states (:mod:`.states`, :mod:`.lanes`), the time scale (:mod:`.axis`), the page (:mod:`.html`).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Final

from .._util.durations import format_duration
from ._text import clean, shorten, shorten_middle, text_width
from .axis import Axis, build_axis, label_extent
from .lanes import DELETED, DELETION, EVENTS_ASPECT, TTL_MARKER, Lane, LaneMark, Marker, ObjRef, Timeline
from .states import Tone

# Fill and text colour per tone; the HTML legend reads the same table.
TONE_COLOURS: Final[dict[Tone, tuple[str, str]]] = {
    Tone.SUCCESS: ("#2f9e44", "#ffffff"),
    Tone.FAILURE: ("#e03131", "#ffffff"),
    Tone.RUNNING: ("#1c7ed6", "#ffffff"),
    Tone.PENDING: ("#f59f00", "#2b2b2b"),
    Tone.SUSPENDED: ("#868e96", "#ffffff"),
    Tone.NEUTRAL: ("#ced4da", "#343a40"),
}
ACTION_COLOUR: Final = "#5f3dc4"
TTL_COLOUR: Final = "#c2255c"
_EVENT_COLOURS: Final = {Tone.FAILURE: "#e03131", Tone.NEUTRAL: "#495057"}


@dataclass(frozen=True)
class Layout:
    width: float = 1340.0
    pad: float = 12.0
    label_width: float = 300.0
    lane_height: float = 20.0
    lane_gap: float = 3.0
    group_gap: float = 10.0
    marker_row: float = 13.0
    marker_rows: int = 3
    axis_height: float = 18.0
    font: float = 10.5
    min_segment: float = 3.0


def _f(value: float) -> str:
    return f"{value:.1f}"


def _e(text: str) -> str:
    return escape(clean(text), quote=True)


class _Svg:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self, x: float, y: float, body: str, *, cls: str, anchor: str = "start", fill: str = "#212529",
             size: float = 10.5, title: str | None = None, extra: str = "") -> None:
        tip = f"<title>{_e(title)}</title>" if title else ""
        self.add(f'<text class="{cls}" x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" font-size="{size}" '
                 f'fill="{fill}"{extra}>{tip}{_e(body)}</text>')


def _label_start(x: float, label: str, font: float, right: float) -> float:
    """Where a marker label starts: right of its line, or left of it when it would run off the picture."""
    width = text_width(label, font)
    return x + 3 if x + 3 + width <= right else x - 3 - width


def _place_labels(xs_labels: list[tuple[float, str]], rows: int, font: float, right: float) -> list[int | None]:
    """Row per marker label (greedy, left to right); None when no row has room (the title still tells)."""
    ends = [-1e9] * rows
    out: list[int | None] = []
    for x, label in xs_labels:
        start = _label_start(x, label, font, right)
        row = next((r for r in range(rows) if start >= ends[r] + 4), None)
        if row is not None:
            ends[row] = start + text_width(label, font)
        out.append(row)
    return out


@dataclass(frozen=True)
class _Drawn:
    """Markers of one kind at the same pixel, merged so that ``apply x3`` reads as one line."""

    x: float
    t: float
    kind: str
    label: str
    title: str
    targets: frozenset[ObjRef]


def _merge_markers(markers: tuple[Marker, ...], axis: Axis) -> list[_Drawn]:
    groups: list[tuple[float, Marker, list[Marker]]] = []
    for marker in markers:
        x = axis.x(marker.t)
        for gx, first, members in groups:
            if first.kind == marker.kind and abs(gx - x) < 1.5:
                members.append(marker)
                break
        else:
            groups.append((x, marker, [marker]))
    out = []
    for x, first, members in groups:
        label = "/".join(dict.fromkeys(m.label for m in members))
        if len(members) > 1:
            label = f"{shorten(label, 20)} x{len(members)}"
        targets = frozenset(m.target for m in members if m.target is not None)
        if any(m.target is None for m in members):
            targets = frozenset()
        out.append(_Drawn(x, first.t, first.kind, label, "\n".join(m.title for m in members), targets))
    return out


def _lane_title(lane: Lane, first_of_object: bool) -> tuple[str, str]:
    """(name text, caption) for the label column."""
    if lane.aspect == EVENTS_ASPECT:
        return ("events", "" if not lane.ref.kind or lane.ref.kind == "Event" else f"{lane.ref.kind}")
    name = f"{lane.ref.kind} {lane.ref.name}" if first_of_object else ""
    return (name, lane.caption)


def _draw_marks(svg: _Svg, marks: tuple[LaneMark, ...], axis: Axis, y: float, h: float) -> None:
    events: list[tuple[float, LaneMark, list[str]]] = []
    for mark in marks:
        x = axis.x(mark.t)
        if mark.kind == DELETION:
            svg.add(f'<g class="mark deletion" data-t="{mark.t}"><title>{_e(mark.title)}</title>'
                    f'<line x1="{_f(x)}" y1="{_f(y - 1)}" x2="{_f(x)}" y2="{_f(y + h + 1)}" stroke="#212529" '
                    f'stroke-width="1.5" stroke-dasharray="2 2"/></g>')
        elif mark.kind == DELETED:
            svg.add(f'<g class="mark deleted" data-t="{mark.t}"><title>{_e(mark.title)}</title>'
                    f'<line x1="{_f(x)}" y1="{_f(y - 1)}" x2="{_f(x)}" y2="{_f(y + h + 1)}" stroke="#212529" '
                    f'stroke-width="2"/><text x="{_f(x + 3)}" y="{_f(y + h - 5)}" font-size="10" '
                    f'fill="#212529">✕</text></g>')
        elif events and abs(events[-1][0] - x) < 2:
            events[-1][2].append(mark.title)
        else:
            events.append((x, mark, [mark.title]))
    for x, mark, titles in events:
        warn = any(m.tone is Tone.FAILURE for m in marks if abs(axis.x(m.t) - x) < 2)
        colour = _EVENT_COLOURS[Tone.FAILURE if warn else Tone.NEUTRAL]
        svg.add(f'<g class="mark event" data-t="{mark.t}" data-reason="{_e(mark.label)}">'
                f'<title>{_e(chr(10).join(titles))}</title><rect x="{_f(x - 1.5)}" y="{_f(y + 4)}" width="3" '
                f'height="{_f(h - 8)}" fill="{colour}"/></g>')


def _draw_segments(svg: _Svg, lane: Lane, axis: Axis, y: float, layout: Layout) -> None:
    h = layout.lane_height
    drawn_end = -1e9
    for seg in lane.segments:
        x0 = axis.x(seg.start)
        x1 = axis.right if seg.open_end else axis.x(seg.end)
        if x0 < drawn_end:  # states at one instant: keep each a visible sliver, in order
            x0 = drawn_end
        x1 = max(x1, x0 + layout.min_segment)
        drawn_end = x1
        fill, ink = TONE_COLOURS[seg.tone]
        took = format_duration(max(0.0, seg.end - seg.start))
        until = "the end of the run" if seg.open_end else f"{seg.end:.3f}s"
        title = (f"{lane.ref} {lane.caption or lane.aspect}: {seg.label}"
                 f"{' (deleting)' if seg.deleting else ''}, {seg.start:.3f}s → {until} ({took})")
        svg.add(f'<g class="segment tone-{seg.tone.value}" data-state="{_e(seg.label)}" data-start="{seg.start}" '
                f'data-end="{seg.end}" data-deleting="{str(seg.deleting).lower()}"><title>{_e(title)}</title>'
                f'<rect x="{_f(x0)}" y="{_f(y + 1)}" width="{_f(x1 - x0)}" height="{_f(h - 2)}" rx="2.5" '
                f'fill="{fill}" stroke="#ffffff" stroke-width="1"/>')
        if seg.deleting:
            svg.add(f'<rect x="{_f(x0)}" y="{_f(y + 1)}" width="{_f(x1 - x0)}" height="{_f(h - 2)}" rx="2.5" '
                    f'fill="url(#deleting)"/>')
        spans = axis.visible_spans(x0, x1)
        if spans:
            a, b = max(spans, key=lambda s: s[1] - s[0])
            if text_width(seg.label, layout.font) + 8 <= b - a:
                svg.text((a + b) / 2, y + h / 2 + layout.font * 0.36, seg.label, cls="segment-label",
                         anchor="middle", fill=ink, size=layout.font)
        svg.add("</g>")


def _axis_labels(svg: _Svg, axis: Axis, y: float, right: float) -> None:
    for tick in axis.ticks:
        x, anchor = (tick.x - 2, "start") if tick.major else (tick.x, "middle")
        if label_extent(tick, 10)[1] > right:  # the last tick: keep its label inside the picture
            x, anchor = tick.x + 2, "end"
        svg.text(x, y, tick.label, cls="tick-label", anchor=anchor, fill="#495057", size=10,
                 extra=f' data-t="{tick.t}"')


@dataclass
class _Frame:
    """Where things go: the axis, each lane's y, each group's y-span, and the rows above and below."""

    axis: Axis
    top_axis_y: float
    lanes_top: float
    lanes_bottom: float
    height: float
    positions: list[float]
    spans: list[tuple[float, float]]  # (top, bottom) of each group of lanes
    group_of: dict[ObjRef, int]
    bottom_axis: bool


def _frame(timeline: Timeline, lay: Layout, axis: Axis, label_rows: int) -> _Frame:
    top_axis_y = lay.pad + label_rows * lay.marker_row + 12
    lanes_top = top_axis_y + lay.axis_height - 8
    positions: list[float] = []
    spans: list[tuple[float, float]] = []
    group_of: dict[ObjRef, int] = {}
    y = lanes_top
    group_root: ObjRef | None = None
    for index, lane in enumerate(timeline.lanes):
        # A group is an owner tree: it starts at each root object and at events about objects not drawn.
        starts_group = (lane.depth == 0 and lane.aspect != EVENTS_ASPECT and
                        (index == 0 or timeline.lanes[index - 1].ref != lane.ref)) or \
                       (lane.aspect == EVENTS_ASPECT and lane.ref != group_root)
        if starts_group or not spans:
            group_root = lane.ref
            if index:
                y += lay.group_gap
            spans.append((y, y))
        positions.append(y)
        group_of.setdefault(lane.ref, len(spans) - 1)
        spans[-1] = (spans[-1][0], y + lay.lane_height)
        y += lay.lane_height + lay.lane_gap
    bottom_axis = len(timeline.lanes) > 12
    height = y + (lay.axis_height if bottom_axis else 0) + (16 if timeline.hidden_lanes else 0) + lay.pad
    return _Frame(axis, top_axis_y, lanes_top, y, height, positions, spans, group_of, bottom_axis)


def _draw_lane(svg: _Svg, lane: Lane, ly: float, first_of_object: bool, frame: _Frame, lay: Layout) -> None:
    name, caption = _lane_title(lane, first_of_object)
    svg.add(f'<g class="lane" data-object="{_e(str(lane.ref))}" data-aspect="{_e(lane.aspect)}" '
            f'data-depth="{lane.depth}">')
    svg.add(f'<rect class="lane-bg" x="{_f(lay.pad)}" y="{_f(ly)}" width="{_f(lay.width - 2 * lay.pad)}" '
            f'height="{_f(lay.lane_height)}" fill="#f8f9fa"/>')
    events = lane.aspect == EVENTS_ASPECT
    indent = lay.pad + 4 + min(lane.depth, 4) * 12 + (12 if events else 0)
    caption_room = text_width(caption, 10) + 10 if caption else 0
    room = max(4, int((lay.label_width - (indent - lay.pad) - caption_room) / (lay.font * 0.62)))
    baseline = ly + lay.lane_height / 2 + lay.font * 0.36
    weight = ' font-weight="600"' if lane.depth == 0 and not events else ""
    svg.text(indent, baseline, shorten_middle(name, room), cls="lane-label", size=lay.font,
             title=f"{lane.ref} {lane.caption}".strip(), extra=weight, fill="#868e96" if events else "#212529")
    if caption and not events:
        svg.text(lay.pad + lay.label_width - 6, baseline, caption, cls="lane-caption", anchor="end",
                 fill="#868e96", size=10)
    _draw_segments(svg, lane, frame.axis, ly, lay)
    _draw_marks(svg, lane.marks, frame.axis, ly, lay.lane_height)
    svg.add("</g>")


def _draw_breaks(svg: _Svg, frame: _Frame) -> None:
    top, bottom = frame.lanes_top, frame.lanes_bottom
    svg.add('<g class="breaks">')
    for brk in frame.axis.breaks:
        svg.add(f'<g class="break" data-t0="{brk.t0}" data-t1="{brk.t1}"><title>{_e(brk.label)} with no '
                f'changes, compressed ({brk.t0:.3f}s → {brk.t1:.3f}s)</title>'
                f'<rect x="{_f(brk.x0 + 3)}" y="{_f(top - 6)}" width="{_f(brk.x1 - brk.x0 - 6)}" '
                f'height="{_f(bottom - top + 6)}" fill="#ffffff" fill-opacity="0.78"/>')
        for edge in (brk.x0 + 3, brk.x1 - 3):
            svg.add(f'<path d="M{_f(edge - 3)} {_f(top - 1)} l6 -7" stroke="#495057" stroke-width="1.5"/>'
                    f'<line x1="{_f(edge)}" y1="{_f(top - 6)}" x2="{_f(edge)}" y2="{_f(bottom)}" '
                    f'stroke="#adb5bd" stroke-width="1" stroke-dasharray="3 3"/>')
        svg.text((brk.x0 + brk.x1) / 2, frame.top_axis_y, brk.label, cls="break-label", anchor="middle",
                 fill="#343a40", size=9.5, extra=' font-weight="600" font-style="italic"')
        svg.add("</g>")
    svg.add("</g>")


def _draw_markers(svg: _Svg, items: list[_Drawn], rows: list[int | None], frame: _Frame, lay: Layout) -> None:
    svg.add('<g class="markers">')
    for item, row in zip(items, rows, strict=True):
        colour = TTL_COLOUR if item.kind == TTL_MARKER else ACTION_COLOUR
        dash = "1 3" if item.kind == TTL_MARKER else "5 3"
        x = item.x
        # A marker about particular objects is faint across the picture and strong over their own lanes, so
        # that with many objects each line still points at its own; harness-wide ones (advance) stay strong.
        faint = bool(item.targets) and len(frame.spans) > 1
        top = lay.pad + row * lay.marker_row if row is not None else frame.lanes_top - 6
        opacity = ' stroke-opacity="0.3"' if faint else ""
        svg.add(f'<g class="marker {item.kind}" data-t="{item.t}" data-label="{_e(item.label)}">'
                f'<title>{_e(item.title)}</title><line x1="{_f(x)}" y1="{_f(top)}" x2="{_f(x)}" '
                f'y2="{_f(frame.lanes_bottom)}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dash}"'
                f"{opacity}/>")
        groups = {frame.group_of[ref] for ref in item.targets if ref in frame.group_of} if faint else set()
        for group in sorted(groups):
            g_top, g_bottom = frame.spans[group]
            svg.add(f'<line class="marker-focus" x1="{_f(x)}" y1="{_f(g_top - 2)}" x2="{_f(x)}" '
                    f'y2="{_f(g_bottom + 2)}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dash}"/>')
        if row is not None:
            svg.text(_label_start(x, item.label, 10, lay.width - lay.pad), lay.pad + row * lay.marker_row + 9,
                     item.label, cls="marker-label", fill=colour, size=10)
        svg.add("</g>")
    svg.add("</g>")


def render_timeline_svg(timeline: Timeline, layout: Layout | None = None) -> str:
    """The whole picture as one ``<svg>`` element (a string)."""
    lay = layout or Layout()
    plot_left = lay.pad + lay.label_width
    axis = build_axis(timeline.times, left=plot_left + 4, width=lay.width - plot_left - lay.pad - 8)
    markers = _merge_markers(timeline.markers, axis)
    rows = _place_labels([(m.x, m.label) for m in markers], lay.marker_rows, 10, lay.width - lay.pad)
    frame = _frame(timeline, lay, axis, max([r + 1 for r in rows if r is not None] or [0]))

    svg = _Svg()
    svg.add(f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{_f(lay.width)}" '
            f'height="{_f(frame.height)}" viewBox="0 0 {_f(lay.width)} {_f(frame.height)}" font-family="system-ui, '
            f'-apple-system, Segoe UI, Helvetica, Arial, sans-serif" role="img" aria-label="timeline">')
    svg.add('<defs><pattern id="deleting" patternUnits="userSpaceOnUse" width="6" height="6" '
            'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2.5" '
            'stroke-opacity="0.7"/></pattern></defs>')
    svg.add('<g class="grid">')
    for tick in axis.ticks:
        svg.add(f'<line x1="{_f(tick.x)}" y1="{_f(frame.lanes_top - 4)}" x2="{_f(tick.x)}" '
                f'y2="{_f(frame.lanes_bottom)}" stroke="#e9ecef" stroke-width="1"/>')
    svg.add('</g><g class="axis">')
    _axis_labels(svg, axis, frame.top_axis_y, lay.width - 2)
    if frame.bottom_axis:
        _axis_labels(svg, axis, frame.lanes_bottom + 12, lay.width - 2)
    svg.add('</g><g class="lanes">')
    for index, (lane, ly) in enumerate(zip(timeline.lanes, frame.positions, strict=True)):
        first = index == 0 or timeline.lanes[index - 1].ref != lane.ref or lane.aspect == EVENTS_ASPECT
        _draw_lane(svg, lane, ly, first, frame, lay)
    svg.add("</g>")
    _draw_breaks(svg, frame)
    _draw_markers(svg, markers, rows, frame, lay)
    if timeline.hidden_lanes:
        svg.text(lay.pad, frame.height - lay.pad, f"… {timeline.hidden_lanes} more lanes not drawn; the text "
                 "timeline below lists every change", cls="hidden-note", fill="#868e96", size=11)
    if not timeline.lanes:
        svg.text(plot_left, frame.lanes_top + 14, "no objects observed", cls="empty-note", fill="#868e96", size=11)
    svg.add("</svg>")
    return "".join(svg.parts)

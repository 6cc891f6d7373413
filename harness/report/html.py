"""The scenario report page: one self-contained HTML file (inline CSS and SVG, no script, no external assets).

Top to bottom: the scenario's name and outcome, the timeline picture (:mod:`.svg`) with its legend, the
scenario header (file, backend, executor, KubeRay version, durations), the steps with failures highlighted, the
failure text, and the text timeline (:mod:`.timeline_text`). The page is well-formed XML as well as HTML, so
tests can parse it. Writing it to disk is :mod:`.output`'s job.
"""

from __future__ import annotations

from html import escape
from typing import Final

from .._util.durations import format_duration
from ._text import clean
from .lanes import build_timeline
from .model import ERROR, FAILED, ScenarioReport, StepRecord
from .states import Tone
from .svg import ACTION_COLOUR, TONE_COLOURS, TTL_COLOUR, render_timeline_svg
from .timeline_text import render_text_timeline

MAX_TIMELINE_LINES: Final = 5000
_TONE_EXAMPLES: Final = {
    Tone.SUCCESS: "Complete · SUCCEEDED · Succeeded · complete",
    Tone.FAILURE: "Failed · ValidationFailed · FAILED · failed",
    Tone.RUNNING: "Running · RUNNING · ready · active",
    Tone.PENDING: "Initializing · Waiting · Retrying · PENDING · Pending · created",
    Tone.SUSPENDED: "Suspending · Suspended · STOPPED",
    Tone.NEUTRAL: "New · present",
}
_STATUS_COLOURS: Final = {"passed": "#2f9e44", "failed": "#e03131", "error": "#c92a2a", "skipped": "#868e96"}

_CSS: Final = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 18px 22px;
       color: #212529; background: #ffffff; font-size: 14px; }
h1 { font-size: 20px; margin: 0 0 4px 0; }
h2 { font-size: 16px; margin: 22px 0 8px 0; border-bottom: 1px solid #dee2e6; padding-bottom: 3px; }
.sub { color: #495057; margin: 0 0 10px 0; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; color: #ffffff; font-size: 13px;
         vertical-align: middle; font-weight: 600; }
.picture { overflow-x: auto; border: 1px solid #dee2e6; border-radius: 6px; padding: 4px; }
.picture svg { display: block; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 8px 0 0 0; font-size: 12px; color: #495057; }
.legend span.item { display: inline-flex; align-items: center; gap: 5px; }
.swatch { display: inline-block; width: 26px; height: 11px; border-radius: 2px; }
.hatch { background-image: repeating-linear-gradient(45deg, #1c7ed6 0 3px, #8fbfee 3px 5px); }
.vline { display: inline-block; width: 0; height: 12px; border-left: 2px dashed; }
table { border-collapse: collapse; }
table.meta td { padding: 2px 14px 2px 0; vertical-align: top; }
table.meta td:first-child { color: #868e96; }
table.steps { width: 100%; }
table.steps th, table.steps td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e9ecef;
                                 vertical-align: top; }
table.steps th { background: #f1f3f5; font-weight: 600; }
table.steps td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.steps code { white-space: pre-wrap; font-size: 12.5px; }
tr.step-failed td { background: #fff5f5; }
tr.step-error td { background: #fff4e6; }
tr.step-skipped td { color: #868e96; }
.status-cell { font-weight: 600; }
pre { background: #f8f9fa; border: 1px solid #e9ecef; border-radius: 4px; padding: 10px 12px; overflow-x: auto;
      font-size: 12.5px; line-height: 1.4; }
pre.failure { background: #fff5f5; border-color: #ffc9c9; color: #862e2e; white-space: pre-wrap;
              overflow-wrap: anywhere; }
.note { color: #868e96; font-size: 12px; }
"""


def _e(text: str) -> str:
    return escape(clean(text), quote=True)


def _badge(status: str) -> str:
    colour = _STATUS_COLOURS.get(status, "#868e96")
    return f'<span class="badge status-{_e(status)}" style="background:{colour}">{_e(status)}</span>'


def _legend() -> str:
    items = []
    for tone, (fill, _) in TONE_COLOURS.items():
        items.append(f'<span class="item tone-{tone.value}"><span class="swatch" style="background:{fill}"></span>'
                     f"{_e(_TONE_EXAMPLES[tone])}</span>")
    items.append('<span class="item"><span class="swatch hatch"></span>being deleted (deletionTimestamp set)</span>')
    items.append(f'<span class="item"><span class="vline" style="border-color:{ACTION_COLOUR}"></span>harness action'
                 "</span>")
    items.append(f'<span class="item"><span class="vline" style="border-color:{TTL_COLOUR};border-left-style:dotted">'
                 "</span>TTL cleanup</span>")
    items.append('<span class="item">✕ deleted</span>')
    items.append('<span class="item"><span class="swatch" style="width:3px;background:#495057"></span>event'
                 '<span class="swatch" style="width:3px;background:#e03131"></span>warning event</span>')
    items.append('<span class="item"><span class="swatch" style="width:14px;border:1px dashed #adb5bd;'
                 'background:#ffffff"></span>long idle time, compressed</span>')
    return f'<div class="legend">{"".join(items)}</div>'


def _meta(report: ScenarioReport) -> str:
    rows = [
        ("scenario", report.name), ("file", report.file), ("status", report.status),
        ("backend", report.backend), ("executor", report.executor), ("KubeRay", report.kuberay_version),
        ("namespace", report.namespace or "-"),
        ("virtual time", f"{format_duration(report.duration_virtual)} ({report.duration_virtual:.3f}s)"),
        ("wall time", f"{report.duration_wall:.3f}s"),
        ("journal entries", str(len(report.journal_entries))),
    ]
    body = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="meta">{body}</table>'


def _step_row(step: StepRecord) -> str:
    colour = _STATUS_COLOURS.get(step.status, "#212529")
    return (f'<tr class="step-{_e(step.status)}"><td class="num">{step.index}</td>'
            f"<td><code>{_e(step.text)}</code></td>"
            f'<td class="num">{step.t_start:.3f}s</td><td class="num">{step.t_end:.3f}s</td>'
            f'<td class="num">{_e(format_duration(step.duration))}</td>'
            f'<td class="status-cell" style="color:{colour}">{_e(step.status)}</td>'
            f"<td>{_e(step.message or '')}</td></tr>")


def _steps(report: ScenarioReport) -> str:
    if not report.steps:
        return '<p class="note">no steps ran</p>'
    head = ("<tr><th>#</th><th>step</th><th>start</th><th>end</th><th>took</th><th>status</th>"
            "<th>message</th></tr>")
    return f'<table class="steps">{head}{"".join(_step_row(s) for s in report.steps)}</table>'


def _text_timeline(report: ScenarioReport, text: str | None) -> str:
    lines = (render_text_timeline(report.journal_entries) if text is None else text).splitlines()
    note = ""
    if len(lines) > MAX_TIMELINE_LINES:
        note = (f'<p class="note">Showing the last {MAX_TIMELINE_LINES} of {len(lines)} lines; timeline.txt and '
                "journal.jsonl beside this page hold all of them.</p>")
        lines = lines[-MAX_TIMELINE_LINES:]
    body = _e("\n".join(lines)) if lines else "(no journal entries)"
    return f'{note}<pre class="timeline-text">{body}</pre>'


def render_html_report(report: ScenarioReport, *, text_timeline: str | None = None) -> str:
    """The report page as a string; ``text_timeline`` saves rendering the journal's text twice."""
    timeline = build_timeline(report.journal_entries, t_end=report.duration_virtual)
    failed = report.status in (FAILED, ERROR)
    sub = " · ".join(x for x in (report.file, f"{report.backend}/{report.executor}",
                                 f"KubeRay {report.kuberay_version}" if report.kuberay_version else "",
                                 f"virtual {format_duration(report.duration_virtual)}",
                                 f"wall {report.duration_wall:.2f}s") if x)
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>',
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
        f"<title>{_e(report.name)}: {_e(report.status)}</title><style>{_CSS}</style></head><body>",
        f'<header><h1>{_e(report.name)} {_badge(report.status)}</h1><p class="sub">{_e(sub)}</p></header>',
        f'<section class="picture">{render_timeline_svg(timeline)}</section>',
        _legend(),
        f"<section><h2>Scenario</h2>{_meta(report)}</section>",
        f"<section><h2>Steps</h2>{_steps(report)}</section>",
    ]
    if report.failure or failed:
        parts.append(f'<section><h2>Failure</h2><pre class="failure">{_e(report.failure or report.status)}</pre>'
                     "</section>")
    parts.append(f"<section><h2>Timeline</h2>{_text_timeline(report, text_timeline)}</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)

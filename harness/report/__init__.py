"""Reports of scenario runs: per-scenario folders (journal, text timeline, HTML picture), JUnit XML, a summary.

The runner builds one :class:`ScenarioReport` per scenario and hands it here; nothing in this package runs a
scenario or talks to a backend. Inside: ``model`` (the records), ``timeline_text`` (journal as text and JSON
lines), ``states``/``lanes``/``axis``/``svg``/``html`` (the picture and the page), ``junit``, ``summary``,
``output`` (the folder on disk).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .html import render_html_report
    from .junit import write_junit_xml
    from .lanes import build_timeline
    from .model import ScenarioReport, StepRecord, safe_name
    from .output import report_dir, write_scenario_report
    from .summary import summary_table
    from .svg import render_timeline_svg
    from .timeline_text import (
        TextTimeline,
        format_entry,
        read_journal_lines,
        render_text_timeline,
        write_journal_lines,
    )

# Imported on first use (PEP 562): the text timeline alone must not load the HTML page, the picture and rich.
_EXPORTS = {
    "render_html_report": "html", "write_junit_xml": "junit", "build_timeline": "lanes",
    "ScenarioReport": "model", "StepRecord": "model", "safe_name": "model", "report_dir": "output",
    "write_scenario_report": "output", "summary_table": "summary", "render_timeline_svg": "svg",
    "TextTimeline": "timeline_text", "format_entry": "timeline_text", "read_journal_lines": "timeline_text",
    "render_text_timeline": "timeline_text", "write_journal_lines": "timeline_text",
}

__all__ = [
    "ScenarioReport",
    "StepRecord",
    "TextTimeline",
    "build_timeline",
    "format_entry",
    "read_journal_lines",
    "render_html_report",
    "render_text_timeline",
    "render_timeline_svg",
    "report_dir",
    "safe_name",
    "summary_table",
    "write_journal_lines",
    "write_junit_xml",
    "write_scenario_report",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value

"""Reports of scenario runs: per-scenario folders (journal, text timeline, HTML picture), JUnit XML, a summary.

The runner builds one :class:`ScenarioReport` per scenario and hands it here; nothing in this package runs a
scenario or talks to a backend. Inside: ``model`` (the records), ``timeline_text`` (journal as text and JSON
lines), ``states``/``lanes``/``axis``/``svg``/``html`` (the picture and the page), ``junit``, ``summary``,
``output`` (the folder on disk).
"""

from __future__ import annotations

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

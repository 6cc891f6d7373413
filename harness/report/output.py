"""Writing a scenario's report folder: ``journal.jsonl``, ``timeline.txt`` and ``report.html``.

Each file is written to a temporary name and renamed into place, so a reader (or a crash halfway through)
never sees a half-written page. The journal may already have been streamed into the same folder while the
scenario ran (:func:`~.timeline_text.write_journal_lines` with ``append``); the final write replaces it with the
complete, ordered list. Rendering is done by :mod:`.html` and :mod:`.timeline_text`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from .html import render_html_report
from .model import ScenarioReport, safe_name
from .timeline_text import render_text_timeline, write_journal_lines

JOURNAL_FILE: Final = "journal.jsonl"
TIMELINE_FILE: Final = "timeline.txt"
HTML_FILE: Final = "report.html"


def report_dir(scenario_name: str, directory: Path) -> Path:
    """The folder :func:`write_scenario_report` writes to, so a runner can stream the journal there first."""
    return directory / safe_name(scenario_name)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_scenario_report(report: ScenarioReport, directory: Path) -> Path:
    """Write the three report files into ``<directory>/<safe scenario name>/`` and return that folder."""
    folder = report_dir(report.name, directory)
    folder.mkdir(parents=True, exist_ok=True)
    journal_tmp = folder / f".{JOURNAL_FILE}.tmp"
    write_journal_lines(report.journal_entries, journal_tmp)
    os.replace(journal_tmp, folder / JOURNAL_FILE)
    timeline = render_text_timeline(report.journal_entries)
    _write_text(folder / TIMELINE_FILE, timeline + "\n" if timeline else "")
    _write_text(folder / HTML_FILE, render_html_report(report, text_timeline=timeline))
    return folder

"""The end-of-run summary for terminals: a rich table of scenarios with coloured outcomes.

The CLI prints it after a run; it reads only :class:`~.model.ScenarioReport` values. Per-scenario detail is in
the report folders (:mod:`.output`) and the JUnit file (:mod:`.junit`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Final

from rich.table import Table
from rich.text import Text

from .._util.durations import format_duration
from .model import STATUSES, ScenarioReport

STATUS_STYLES: Final = {"passed": "bold green", "failed": "bold red", "error": "bold magenta",
                        "skipped": "yellow"}


def summary_table(reports: Sequence[ScenarioReport]) -> Table:
    """Name, status (coloured), backend, executor, virtual and wall time; the caption counts outcomes."""
    table = Table(title="rayjob-harness scenarios", title_justify="left", show_lines=False)
    table.add_column("scenario", overflow="fold")
    table.add_column("status")
    table.add_column("backend")
    table.add_column("executor")
    table.add_column("virtual", justify="right")
    table.add_column("wall", justify="right")
    for report in reports:
        table.add_row(report.name, Text(report.status, style=STATUS_STYLES.get(report.status, "")),
                      report.backend, report.executor, format_duration(report.duration_virtual),
                      f"{report.duration_wall:.2f}s")
    counts = Counter(r.status for r in reports)
    table.caption = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s]) or "no scenarios"
    return table

"""The package's public surface: a sorted __all__ that matches what the package root exposes."""

from __future__ import annotations

import harness.report as report


def test_all_is_sorted_and_every_name_exists() -> None:
    assert report.__all__ == sorted(report.__all__)
    assert all(hasattr(report, name) for name in report.__all__)


def test_the_runner_facing_names_are_exported() -> None:
    assert {"ScenarioReport", "StepRecord", "write_scenario_report", "write_junit_xml", "render_text_timeline",
            "summary_table", "write_journal_lines"} <= set(report.__all__)

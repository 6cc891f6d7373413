"""The terminal summary table."""

from __future__ import annotations

from rich.console import Console

from harness.report import summary_table

from .builders import World, report_for, ttl_lifecycle


def _render(width: int = 120) -> str:
    world = World()
    ttl_lifecycle(world)
    reports = [report_for(world, name="ttl-cleanup"), report_for(world, name="retry", status="failed")]
    console = Console(width=width, record=True, color_system="truecolor", force_terminal=True)
    console.print(summary_table(reports))
    return console.export_text(styles=True)


def test_summary_lists_each_scenario_with_backend_executor_and_times() -> None:
    table = summary_table([report_for(World(), name="a")])
    assert [c.header for c in table.columns] == ["scenario", "status", "backend", "executor", "virtual", "wall"]
    text = _render()
    assert "ttl-cleanup" in text and "retry" in text
    assert "1h1m2s" in text and "0.01s" in text


def test_status_is_coloured_green_for_passed_and_red_for_failed() -> None:
    text = _render()
    passed = text[text.index("ttl-cleanup"):].split("\n")[0]
    failed = text[text.index("retry"):].split("\n")[0]
    assert "\x1b[1;32mpassed" in passed
    assert "\x1b[1;31mfailed" in failed


def test_caption_counts_outcomes() -> None:
    assert "1 passed, 1 failed" in _render()

"""Report records and folder names."""

from __future__ import annotations

import pytest

from harness.report import StepRecord, safe_name

from .builders import World, report_for


@pytest.mark.parametrize(("name", "folder"), [
    ("ttl-cleanup", "ttl-cleanup"), ("ttl cleanup/v1", "ttl-cleanup-v1"), ("../../etc", "etc"),
    (".hidden", "hidden"), ("", "scenario"), ("日本", "scenario"), ("a" * 300, "a" * 100)])
def test_safe_name_keeps_names_inside_the_report_directory(name: str, folder: str) -> None:
    assert safe_name(name) == folder


def test_an_unknown_status_is_refused_with_the_allowed_values() -> None:
    with pytest.raises(ValueError, match="status='ok' is not one of passed, failed, error, skipped"):
        StepRecord(1, "apply", 0.0, 0.0, "ok")
    with pytest.raises(ValueError, match="scenario status='green'"):
        report_for(World(), status="green")


def test_failed_steps_lists_failed_and_errored_steps() -> None:
    steps = (StepRecord(1, "a", 0, 1, "passed"), StepRecord(2, "b", 1, 2, "failed"),
             StepRecord(3, "c", 2, 3, "error"), StepRecord(4, "d", 3, 3, "skipped"))
    assert [s.index for s in report_for(World(), steps=steps).failed_steps] == [2, 3]

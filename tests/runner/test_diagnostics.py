"""Failure diagnostics: a readable timeline, a replay command, and evidence that never hides the failure."""

from __future__ import annotations

from typing import Any

from harness.journal import Journal
from harness.runner.bindings import Bindings
from harness.runner.context import RunContext
from harness.runner.diagnostics import format_entry, journal_slice, render_failure, replay_command


def rayjob(status: dict[str, Any] | None = None, ns: str = "ns") -> dict[str, Any]:
    obj: dict[str, Any] = {"kind": "RayJob", "metadata": {"name": "job", "namespace": ns}}
    if status is not None:
        obj["status"] = status
    return obj


def test_a_state_change_reads_as_old_to_new_with_new_for_empty() -> None:
    journal = Journal(lambda: 12.0)
    entry = journal.record_change("MODIFIED", rayjob({"jobDeploymentStatus": "Initializing"}),
                                  rayjob({"jobDeploymentStatus": ""}))
    assert format_entry(entry) == "t=   12.0s  RayJob/job jobDeploymentStatus: New → Initializing"


def test_changes_to_long_lists_alone_are_left_out_of_the_timeline() -> None:
    journal = Journal(lambda: 1.0)
    entry = journal.record_change("MODIFIED", rayjob({"conditions": [{"type": "Ready"}]}), rayjob({}))
    assert format_entry(entry) is None


def test_the_slice_keeps_the_namespace_and_the_harness_actions() -> None:
    journal = Journal(lambda: 0.0)
    journal.record_change("ADDED", rayjob(), None)
    journal.record_change("ADDED", rayjob(ns="other"), None)
    journal.record_action("advance", detail="30s")
    assert journal_slice(journal.entries, "ns") == ["t=    0.0s  RayJob/job created", "t=    0.0s  >> advance 30s"]


def test_the_slice_says_how_many_earlier_entries_it_left_out() -> None:
    journal = Journal(lambda: 0.0)
    for _ in range(25):
        journal.record_action("apply", kind="RayJob", namespace="ns", name="job")
    lines = journal_slice(journal.entries, "ns", limit=20)
    assert lines[0] == "... 5 earlier entries" and len(lines) == 21


def test_the_replay_command_quotes_paths_and_names_non_default_options() -> None:
    assert replay_command("my scenarios/a.yaml", "ttl", kuberay_version="1.7", executor="ray") == \
        "rayjob-harness run 'my scenarios/a.yaml' -k ttl --kuberay-version 1.7 --executor ray"


class BrokenBackend:
    """A backend whose every read fails, to check that evidence gathering cannot mask the failure."""

    name = "broken"
    journal = Journal(lambda: 0.0)
    virtual_time = True

    def __getattr__(self, item: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"{item} is down")

        return fail


def test_a_section_that_cannot_be_read_says_so_and_the_failure_stays() -> None:
    ctx = RunContext(BrokenBackend(), "ns", Bindings())  # type: ignore[arg-type]
    text = render_failure(headline="Scenario s failed", snippet="3 | - expect: ...", failure="the check failed",
                          ctx=ctx, replay="rayjob-harness run s.yaml -k s")
    assert text.startswith("Scenario s failed\n\n3 | - expect: ...\n\nthe check failed")
    assert "Recent events:\n  (unavailable: RuntimeError: events is down)" in text
    assert text.endswith("Replay: rayjob-harness run s.yaml -k s")

"""Transition, count, event and log assertions are pure functions over journal entries and data."""

from __future__ import annotations

from typing import Any

from harness.errors import SourcePos
from harness.journal import Journal
from harness.runner.assertions import (
    check_count,
    check_events,
    check_log,
    check_transitions,
    first_change_since,
    state_history,
)
from harness.scenario.model import CountRange, EventSpec, ExpectLogsStep, StepSource, Transitions

FIELD = "status.jobDeploymentStatus"


class Recorder:
    """Feeds a real Journal the way a backend's watch does."""

    def __init__(self) -> None:
        self.t = 0.0
        self.journal = Journal(lambda: self.t)
        self.objects: dict[str, dict[str, Any]] = {}

    def at(self, t: float) -> Recorder:
        self.t = t
        return self

    def create(self, name: str, status: dict[str, Any] | None = None, kind: str = "RayJob") -> None:
        obj: dict[str, Any] = {"kind": kind, "metadata": {"name": name, "namespace": "ns"}}
        if status is not None:
            obj["status"] = status
        self.objects[name] = obj
        self.journal.record_change("ADDED", obj, None)

    def status(self, name: str, **fields: Any) -> None:
        old = self.objects[name]
        new = {**old, "status": {**(old.get("status") or {}), **fields}}
        self.objects[name] = new
        self.journal.record_change("MODIFIED", new, old)

    def delete(self, name: str) -> None:
        self.journal.record_change("DELETED", self.objects.pop(name), None)


def lifecycle(*states: str, times: tuple[float, ...] | None = None) -> Recorder:
    rec = Recorder()
    rec.create("job")
    for i, state in enumerate(states):
        rec.at(times[i] if times else float(i + 1)).status("job", jobDeploymentStatus=state)
    return rec


def history(rec: Recorder, name: str = "job", field: str = FIELD) -> list[str]:
    return [c.value for c in state_history(rec.journal.entries, kind="RayJob", namespace="ns", name=name, field=field)]


def check(rec: Recorder, **spec: Any) -> list[str]:
    changes = state_history(rec.journal.entries, kind="RayJob", namespace="ns", name="job", field=FIELD)
    return [p.summary for p in check_transitions(changes, Transitions(FIELD, **spec), "RayJob/job")]


def test_history_starts_at_new_for_an_object_created_without_status() -> None:
    assert history(lifecycle("Initializing", "Running", "Complete")) == ["New", "Initializing", "Running", "Complete"]


def test_history_shows_a_reset_to_empty_as_new() -> None:
    assert history(lifecycle("Initializing", "Running", "Retrying", "", "Initializing")) == [
        "New", "Initializing", "Running", "Retrying", "New", "Initializing"]


def test_a_recreated_object_starts_again_from_new() -> None:
    rec = lifecycle("Initializing", "Complete")
    rec.at(10).delete("job")
    rec.at(11).create("job")
    rec.at(12).status("job", jobDeploymentStatus="Initializing")
    assert history(rec) == ["New", "Initializing", "Complete", "New", "Initializing"]


def test_other_fields_and_objects_do_not_add_states() -> None:
    rec = lifecycle("Initializing")
    rec.at(2).status("job", jobStatus="RUNNING")
    rec.create("other")
    rec.at(3).status("other", jobDeploymentStatus="Failed")
    assert history(rec) == ["New", "Initializing"]
    assert history(rec, field="status.jobStatus") == ["New", "RUNNING"]


def test_an_exact_sequence_passes_with_the_leading_new_implied() -> None:
    rec = lifecycle("Initializing", "Running", "Complete")
    assert check(rec, exact=("Initializing", "Running", "Complete")) == []
    assert check(rec, exact=("New", "Initializing", "Running", "Complete")) == []


def test_an_exact_sequence_fails_on_an_extra_state_and_shows_what_was_observed() -> None:
    rec = lifecycle("Initializing", "Running", "Failed")
    changes = state_history(rec.journal.entries, kind="RayJob", namespace="ns", name="job", field=FIELD)
    [problem] = check_transitions(changes, Transitions(FIELD, exact=("Initializing", "Running", "Complete")),
                                  "RayJob/job")
    assert problem.summary == ("status.jobDeploymentStatus of RayJob/job did not go exactly through "
                               "Initializing → Running → Complete")
    assert "Running (t=2.0s) → Failed (t=3.0s)" in problem.detail


def test_a_subsequence_passes_when_the_states_occur_in_order() -> None:
    rec = lifecycle("Initializing", "Running", "Suspending", "Suspended", "Running", "Complete")
    assert check(rec, subsequence=("Suspended", "Complete")) == []
    assert check(rec, subsequence=("Complete", "Suspended")) != []


def test_never_fails_on_a_state_that_lasted_an_instant() -> None:
    rec = lifecycle("Initializing", "Failed", "Initializing", times=(1.0, 2.0, 2.0))
    assert check(rec, never=("Failed",)) == [
        "status.jobDeploymentStatus of RayJob/job reached Failed at t=2.0s, which the scenario says must never happen"]


def test_within_bounds_the_time_from_the_first_to_the_last_listed_state() -> None:
    rec = lifecycle("Initializing", "Running", "Complete", times=(0.0, 12.0, 100.0))
    assert check(rec, subsequence=("Running", "Complete"), within=90.0) == []
    [problem] = check(rec, subsequence=("Initializing", "Complete"), within=90.0)
    assert problem.endswith("took 1m40s from Initializing to Complete, more than the allowed 1m30s")


def test_first_change_since_finds_the_change_after_a_point_in_the_journal() -> None:
    rec = lifecycle("Suspended")
    start = len(rec.journal.entries)
    rec.at(5).status("job", jobStatus="")
    assert first_change_since(rec.journal.entries, start, kind="RayJob", namespace="ns", name="job", field=FIELD,
                              value="Suspended") is None
    rec.at(9).status("job", jobDeploymentStatus="Initializing")
    change = first_change_since(rec.journal.entries, start, kind="RayJob", namespace="ns", name="job", field=FIELD,
                                value="Suspended")
    assert change is not None and (change.t, change.value) == (9, "Initializing")


def test_first_change_since_counts_a_deletion_as_a_change() -> None:
    rec = lifecycle("Complete")
    start = len(rec.journal.entries)
    rec.at(30).delete("job")
    change = first_change_since(rec.journal.entries, start, kind="RayJob", namespace="ns", name="job", field=FIELD,
                                value="Complete")
    assert change is not None and change.value == "<deleted>"


def test_counts_check_bounds() -> None:
    assert check_count(2, CountRange(equals=2), "Pods") == []
    [problem] = check_count(3, CountRange(at_most=2), "Pods with labels a=b")
    assert problem.summary == "expected at most 2 Pods with labels a=b, found 3"


EVENTS = [
    {"reason": "CreatedRayCluster", "type": "Normal", "message": "Created RayCluster ns/job-abcde",
     "involvedObject": {"kind": "RayJob", "name": "job"}, "count": 1},
    {"reason": "CreatedRayJobSubmitter", "type": "Normal", "message": "Created Kubernetes Job ns/job",
     "regarding": {"kind": "RayJob", "name": "job"}, "note": "Created Kubernetes Job ns/job"},
    {"reason": "CreatedHeadPod", "type": "Normal", "message": "Created head Pod ns/job-abcde-head-xyz",
     "involvedObject": {"kind": "RayCluster", "name": "job-abcde"}, "count": 2},
]


def test_an_event_matches_by_reason_type_and_message_pattern_on_the_object() -> None:
    specs = [EventSpec(reason="CreatedRayCluster", type="Normal", message=r"RayCluster ns/job-\w{5}$")]
    assert check_events(EVENTS, specs, ("RayJob", "job")) == []


def test_events_k8s_io_fields_are_understood() -> None:
    assert check_events(EVENTS, [EventSpec(reason="CreatedRayJobSubmitter")], ("RayJob", "job")) == []


def test_an_event_on_another_object_does_not_count() -> None:
    [problem] = check_events(EVENTS, [EventSpec(reason="CreatedHeadPod")], ("RayJob", "job"))
    assert problem.summary == "no Event reason='CreatedHeadPod' on RayJob/job"
    assert "CreatedRayCluster" in problem.detail


def test_a_forbidden_event_fails_when_present() -> None:
    [problem] = check_events(EVENTS, [EventSpec(reason="CreatedHeadPod", present=False)], None)
    assert problem.summary == "found Event reason='CreatedHeadPod', which must not occur"


def test_event_counts_add_up_repeated_events() -> None:
    assert check_events(EVENTS, [EventSpec(reason="CreatedHeadPod", count=CountRange(equals=2))], None) == []


def logs_step(**kwargs: Any) -> ExpectLogsStep:
    return ExpectLogsStep(StepSource(SourcePos("s.yaml", 1, 1), 1, "", ""), **kwargs)


def test_log_checks_report_each_missing_or_forbidden_text_with_a_tail() -> None:
    text = "start\nepoch 1 loss=0.5\nTraceback (most recent call last):\n"
    problems = check_log(text, logs_step(), "driver log of RayJob/job", contains=["training complete"],
                         regex=[r"loss=0\.\d+"], not_contains=["Traceback"])
    assert [p.summary for p in problems] == [
        "driver log of RayJob/job does not contain 'training complete'",
        "driver log of RayJob/job contains 'Traceback', which it must not"]
    assert "| epoch 1 loss=0.5" in problems[0].detail


def test_log_line_counts_are_checked() -> None:
    [problem] = check_log("a\nb\n", logs_step(lines=CountRange(at_least=3)), "head log")
    assert problem.summary == "head log has 2 line(s), expected at least 3"

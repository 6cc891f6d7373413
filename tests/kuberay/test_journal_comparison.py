"""Comparing the journals of two runs: what differs by nature is normalised away, what differs in behaviour is not."""

from __future__ import annotations

from collections.abc import Callable

from harness.journal import JournalEntry, comparable, diff_runs
from harness.simulator import Simulator

from .builders import rayjob


def _run(make_sim: Callable[..., Simulator], **kwargs: object) -> Simulator:
    sim = make_sim(**kwargs)
    sim.apply(rayjob(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=10))
    assert sim.settle()
    return sim


def test_two_runs_with_different_name_seeds_compare_equal(make_sim):
    first, second = _run(make_sim, seed=1), _run(make_sim, seed=2)
    assert first.rayjob("demo").status.job_id != second.rayjob("demo").status.job_id
    assert diff_runs(first.journal, second.journal) == []


def test_a_different_outcome_shows_in_the_diff(make_sim):
    passed, failed = _run(make_sim), _run(make_sim, exit_code=1)
    diff = diff_runs(passed.journal, failed.journal)
    assert any(line.startswith("+") and '"FAILED"' in line for line in diff)


def test_generated_suffixes_become_numbered_placeholders_in_order_of_appearance(make_sim):
    sim = _run(make_sim)
    entries = comparable(sim.journal)
    job_ids = [e["changes"]["status.jobId"][1] for e in entries if "status.jobId" in e.get("changes", {})]
    assert job_ids[0] == "demo-<1>"


def test_a_run_namespace_is_replaced_so_runs_in_two_namespaces_compare_equal(make_sim):
    first, second = make_sim(), make_sim()
    for sim, namespace in ((first, "run-a"), (second, "run-b")):
        sim.apply(rayjob(), namespace=namespace)
        assert sim.settle()
    assert diff_runs(first.journal, second.journal, first_namespace="run-a", second_namespace="run-b") == []


def test_times_can_be_left_out_for_a_backend_whose_time_is_real(make_sim):
    slow, fast = _run(make_sim, runtime=60.0), _run(make_sim, runtime=5.0)
    assert diff_runs(slow.journal, fast.journal) != []
    assert all("t" not in entry for entry in comparable(slow.journal, times=False))


def _entry(seq: int, type_: str, kind: str, name: str, t: float = 1.0, **changes: list[object]) -> JournalEntry:
    return JournalEntry(t=t, wall=0.0, seq=seq, type=type_, kind=kind, namespace="ns", name=name, changes=changes)


def test_event_names_compare_equal_whatever_stamp_their_recorder_gave_them():
    first = [_entry(0, "ADDED", "Event", "demo.17f3a0c2b4d5e6f7", reason=[None, "Created"])]
    second = [_entry(0, "ADDED", "Event", "demo.6474846204001", reason=[None, "Created"])]
    assert comparable(first)[0]["name"] == "demo.<e1>"
    assert diff_runs(first, second) == []


def test_resource_versions_held_in_an_object_compare_equal():
    first = [_entry(0, "ADDED", "Event", "demo.1234567890ab", **{"involvedObject.resourceVersion": [None, "41"]})]
    second = [_entry(0, "ADDED", "Event", "demo.1234567890ab", **{"involvedObject.resourceVersion": [None, "9"]})]
    assert diff_runs(first, second) == []


def test_siblings_changed_at_one_instant_compare_equal_in_any_order():
    pods = ("demo-worker-x7k2p", "demo-worker-b9zqn")
    created = [_entry(i, "ADDED", "Pod", name, t=0.0) for i, name in enumerate(pods)]
    deleted = [_entry(2 + i, "DELETED", "Pod", name, t=5.0) for i, name in enumerate(pods)]
    swapped = [_entry(2 + i, "DELETED", "Pod", name, t=5.0) for i, name in enumerate(reversed(pods))]
    assert diff_runs(created + deleted, created + swapped) == []


def test_one_objects_changes_keep_their_order_at_one_instant():
    first = [_entry(0, "MODIFIED", "RayJob", "demo", state=["Running", "Suspending"]),
             _entry(1, "MODIFIED", "RayJob", "demo", state=["Suspending", "Suspended"])]
    assert diff_runs(first, list(reversed(first))) != []


def test_the_same_changes_at_different_instants_keep_their_order():
    first = [_entry(0, "DELETED", "Pod", "a-x7k2p", t=1.0), _entry(1, "DELETED", "Pod", "b-b9zqn", t=2.0)]
    second = [_entry(0, "DELETED", "Pod", "b-b9zqn", t=1.0), _entry(1, "DELETED", "Pod", "a-x7k2p", t=2.0)]
    assert diff_runs(first, second) != []

"""Specification of the journal: which changes an entry lists, value histories, and the JSON-lines format."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from harness.journal import Journal
from harness.model.kinds import RAYJOB
from harness.sim.clock import Clock
from harness.sim.store import ObjectStore, WatchEvent

from .objects import configmap, rayjob


@pytest.fixture
def journal(clock: Clock, store: ObjectStore) -> Journal:
    """A journal fed by the store's watch, as the simulator wires it."""
    journal = Journal(lambda: clock.now)

    def record(event: WatchEvent) -> None:
        journal.record_change(event.type.value, event.obj, event.old, t=event.t)

    store.watch(record)
    return journal


def set_status(store: ObjectStore, name: str, **status: Any) -> None:
    current = store.get(RAYJOB, "default", name)
    store.update_status({**current, "status": {**(current.get("status") or {}), **status}})


def test_an_added_entry_lists_every_tracked_field_from_null(store: ObjectStore, journal: Journal) -> None:
    store.create(rayjob("sample", labels={"app": "train"}, finalizers=["ray.io/rayjob-finalizer"]))
    entry = journal.entries[-1]
    assert entry.type == "ADDED"
    assert (entry.kind, entry.namespace, entry.name) == ("RayJob", "default", "sample")
    assert entry.changes == {"metadata.finalizers": [None, ["ray.io/rayjob-finalizer"]],
                             "metadata.generation": [None, 1], "metadata.labels.app": [None, "train"]}


def test_a_modified_entry_lists_only_the_changed_status_paths(store: ObjectStore, journal: Journal) -> None:
    store.create(rayjob("sample"))
    set_status(store, "sample", jobDeploymentStatus="Initializing", jobId="sample-x")
    set_status(store, "sample", jobDeploymentStatus="Running")
    entry = journal.entries[-1]
    assert entry.type == "MODIFIED"
    assert entry.changes == {"status.jobDeploymentStatus": ["Initializing", "Running"]}
    assert entry.old("status.jobDeploymentStatus") == "Initializing"
    assert entry.new("status.jobDeploymentStatus") == "Running"
    assert entry.new("status.jobId") is None


def test_nested_status_is_flattened_into_dotted_paths(store: ObjectStore, journal: Journal) -> None:
    store.create(rayjob("sample"))
    set_status(store, "sample", rayClusterStatus={"state": "ready", "head": {"podIP": "10.244.0.5"}})
    assert journal.entries[-1].changes == {"status.rayClusterStatus.state": [None, "ready"],
                                           "status.rayClusterStatus.head.podIP": [None, "10.244.0.5"]}


def test_a_removed_field_shows_null_as_its_new_value(store: ObjectStore, journal: Journal) -> None:
    store.create(rayjob("sample"))
    set_status(store, "sample", message="hello")
    current = store.get(RAYJOB, "default", "sample")
    store.update_status({**current, "status": {"jobStatus": ""}})
    assert journal.entries[-1].changes == {"status.message": ["hello", None], "status.jobStatus": [None, ""]}


def test_a_spec_change_of_a_kind_with_status_shows_as_a_generation_bump(store: ObjectStore,
                                                                       journal: Journal) -> None:
    store.create(rayjob("sample"))
    store.patch(RAYJOB, "default", "sample", {"spec": {"suspend": True}})
    entry = journal.entries[-1]
    assert entry.type == "MODIFIED"
    assert entry.changes == {"metadata.generation": [1, 2]}


def test_a_deletion_timestamp_is_listed_when_deletion_starts(store: ObjectStore, clock: Clock,
                                                              journal: Journal) -> None:
    store.create(rayjob("sample", finalizers=["x/y"]))
    clock.advance(9)
    store.delete(RAYJOB, "default", "sample")
    assert journal.entries[-1].changes == {"metadata.deletionTimestamp": [None, clock.timestamp()]}
    assert journal.entries[-1].t == 9.0


def test_a_deleted_entry_lists_every_tracked_field_to_null(store: ObjectStore, journal: Journal) -> None:
    store.create(rayjob("sample", labels={"app": "train"}))
    set_status(store, "sample", jobStatus="SUCCEEDED")
    store.delete(RAYJOB, "default", "sample")
    entry = journal.entries[-1]
    assert entry.type == "DELETED"
    assert entry.changes == {"metadata.generation": [1, None], "metadata.labels.app": ["train", None],
                             "status.jobStatus": ["SUCCEEDED", None]}


def test_kinds_without_status_list_their_own_fields(store: ObjectStore, journal: Journal) -> None:
    store.create(configmap("settings", {"mode": "fast"}))
    assert journal.entries[-1].changes == {"data.mode": [None, "fast"], "metadata.generation": [None, 1]}


def test_values_gives_the_successive_values_of_a_path(store: ObjectStore, clock: Clock, journal: Journal) -> None:
    store.create(rayjob("sample"))
    for t, state in ((1, "Initializing"), (4, "Running"), (9, "Complete")):
        clock.advance(t - clock.now)
        set_status(store, "sample", jobDeploymentStatus=state)
    clock.advance(1)
    set_status(store, "sample", message="no state change")
    store.delete(RAYJOB, "default", "sample")
    assert journal.values("status.jobDeploymentStatus", kind="RayJob", namespace="default", name="sample") == [
        (1.0, "Initializing"), (4.0, "Running"), (9.0, "Complete")]


def test_values_includes_a_later_removal_as_null(store: ObjectStore, journal: Journal) -> None:
    store.create(rayjob("sample"))
    set_status(store, "sample", message="")
    current = store.get(RAYJOB, "default", "sample")
    store.update_status({**current, "status": {"jobStatus": ""}})
    set_status(store, "sample", message="later")
    assert journal.values("status.message", kind="RayJob", namespace="default", name="sample") == [
        (0.0, ""), (0.0, None), (0.0, "later")]


def test_values_skips_an_initial_null_unless_asked(clock: Clock) -> None:
    # A journal that starts watching after the field was set sees its removal first.
    journal = Journal(lambda: clock.now)
    meta = {"name": "sample", "namespace": "default"}
    journal.record_change("MODIFIED", {"kind": "RayJob", "metadata": meta, "status": {}},
                          {"kind": "RayJob", "metadata": meta, "status": {"message": "before"}})
    assert journal.values("status.message", kind="RayJob", namespace="default", name="sample") == []
    assert journal.values("status.message", kind="RayJob", namespace="default", name="sample",
                          include_initial=True) == [(0.0, None)]


def test_actions_are_recorded_with_their_detail(clock: Clock, journal: Journal) -> None:
    clock.advance(30)
    entry = journal.record_action("advance", detail="30s")
    assert (entry.type, entry.action, entry.detail, entry.t) == ("ACTION", "advance", "30s", 30.0)


def test_select_filters_by_kind_name_and_type(store: ObjectStore, journal: Journal) -> None:
    store.create(rayjob("a"))
    store.create(rayjob("b"))
    store.create(configmap("a"))
    store.delete(RAYJOB, "default", "a")
    assert [(e.kind, e.name, e.type) for e in journal.select(kind="RayJob", name="a")] == [
        ("RayJob", "a", "ADDED"), ("RayJob", "a", "DELETED")]
    assert [e.name for e in journal.select(types=("DELETED",))] == ["a"]


def test_sequence_numbers_count_entries_from_zero(store: ObjectStore, journal: Journal) -> None:
    store.create(rayjob("a"))
    journal.record_action("patch")
    store.create(rayjob("b"))
    assert [e.seq for e in journal] == [0, 1, 2]
    assert len(journal) == 3


def test_an_entry_is_one_json_line_with_the_documented_keys(store: ObjectStore, clock: Clock,
                                                             journal: Journal) -> None:
    store.create(rayjob("sample"))
    clock.advance(12)
    set_status(store, "sample", jobDeploymentStatus="Running", message=None)
    line = journal.entries[-1].to_json()
    assert "\n" not in line
    data = json.loads(line)
    assert list(data) == ["t", "wall", "seq", "type", "kind", "namespace", "name", "rv", "changes"]
    assert data["t"] == 12.0
    assert data["type"] == "MODIFIED"
    assert data["rv"] == store.get(RAYJOB, "default", "sample")["metadata"]["resourceVersion"]
    assert data["changes"] == {"status.jobDeploymentStatus": [None, "Running"], "status.message": [None, None]}
    assert isinstance(data["wall"], float)


def test_an_action_line_carries_action_and_detail_and_no_changes(journal: Journal) -> None:
    data = json.loads(journal.record_action("delete", kind="RayJob", namespace="default", name="x",
                                            detail="Background").to_json())
    assert data["type"] == "ACTION"
    assert (data["action"], data["detail"]) == ("delete", "Background")
    assert "changes" not in data and "rv" not in data


def test_a_stream_receives_each_entry_as_a_line_as_it_is_recorded(clock: Clock) -> None:
    stream = io.StringIO()
    journal = Journal(lambda: clock.now, stream=stream)
    journal.record_action("apply", kind="RayJob", name="a")
    assert stream.getvalue().count("\n") == 1
    journal.record_action("advance", detail="1s")
    lines = stream.getvalue().splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["apply", "advance"]


def test_listeners_are_called_with_each_new_entry(clock: Clock) -> None:
    journal = Journal(lambda: clock.now)
    seen: list[str] = []
    journal.listen(lambda entry: seen.append(entry.action))
    journal.record_action("apply")
    journal.record_action("advance")
    assert seen == ["apply", "advance"]

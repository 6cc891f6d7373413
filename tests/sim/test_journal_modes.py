"""Specification of the journal's modes: eager and lazy record the same changes; stream keeps nothing but the kinds
asked for and writes every entry; a streamed journal is flushed when a run of the clock returns."""

from __future__ import annotations

import io
import json

import pytest

from harness.executors.scripted import ScriptedExecutor
from harness.executors.settings import JobScript
from harness.journal import Journal, JournalMode, LazyChanges
from harness.sim.clock import Clock
from harness.sim.store import ObjectStore, WatchEvent
from harness.simulator import Simulator

from .objects import rayjob


def fed(clock: Clock, store: ObjectStore, mode: JournalMode, stream: io.StringIO | None = None,
        keep: tuple[str, ...] = ()) -> Journal:
    journal = Journal(lambda: clock.now, mode=mode, stream=stream, keep_kinds=keep)

    def record(event: WatchEvent) -> None:
        journal.record_change(event.type.value, event.obj, event.old, t=event.t)

    store.watch(record)
    return journal


def lifecycle(store: ObjectStore) -> None:
    """Create, change status twice, change metadata, delete: every kind of entry."""
    from harness.model.kinds import RAYJOB

    store.create(rayjob("sample"))
    for state in ("Initializing", "Running"):
        current = store.get(RAYJOB, "default", "sample")
        store.update_status({**current, "status": {"jobDeploymentStatus": state}})
    current = store.get(RAYJOB, "default", "sample")
    store.update({**current, "metadata": {**current["metadata"], "labels": {"team": "ml"}}})
    store.delete(RAYJOB, "default", "sample")


def test_lazy_changes_equal_the_changes_recorded_eagerly(clock: Clock, store: ObjectStore) -> None:
    eager, lazy = fed(clock, store, "eager"), fed(clock, store, "lazy")
    lifecycle(store)
    assert [e.to_json() for e in lazy.entries] == [
        json.dumps({**json.loads(e.to_json()), "wall": json.loads(l_.to_json())["wall"]})
        for e, l_ in zip(eager.entries, lazy.entries, strict=True)]
    assert [dict(e.changes) for e in lazy.entries] == [dict(e.changes) for e in eager.entries]


def test_a_lazy_entry_computes_its_changes_only_when_they_are_read(clock: Clock, store: ObjectStore) -> None:
    journal = fed(clock, store, "lazy")
    store.create(rayjob("sample"))
    changes = journal.entries[-1].changes
    assert isinstance(changes, LazyChanges) and changes._value is None
    assert "metadata.generation" in changes
    assert changes._value is not None


def test_a_streaming_journal_keeps_no_entry_and_writes_each(clock: Clock, store: ObjectStore) -> None:
    stream = io.StringIO()
    journal = fed(clock, store, "stream", stream)
    lifecycle(store)
    assert journal.entries == []
    assert len(journal) == 5
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["type"] for line in lines] == ["ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "DELETED"]
    assert [line["seq"] for line in lines] == [0, 1, 2, 3, 4]


def test_a_streaming_journal_keeps_the_kinds_asked_for(clock: Clock, store: ObjectStore) -> None:
    journal = fed(clock, store, "stream", io.StringIO(), keep=("RayJob",))
    lifecycle(store)
    assert [e.type for e in journal.select(kind="RayJob", namespace="default", name="sample")] == [
        "ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "DELETED"]
    assert all(e.obj is None for e in journal.entries)


def test_a_streaming_journal_needs_a_stream(clock: Clock) -> None:
    with pytest.raises(ValueError, match="needs a stream"):
        Journal(lambda: clock.now, mode="stream")


def test_an_unknown_mode_is_refused(clock: Clock) -> None:
    with pytest.raises(ValueError, match="unknown"):
        Journal(lambda: clock.now, mode="fast")  # type: ignore[arg-type]


def test_switching_to_streaming_writes_what_was_recorded_first(clock: Clock, store: ObjectStore) -> None:
    journal = fed(clock, store, "lazy")
    store.create(rayjob("sample"))
    stream = io.StringIO()
    journal.stream_only(stream)
    lifecycle_rest = rayjob("other")
    store.create(lifecycle_rest)
    assert [json.loads(line)["name"] for line in stream.getvalue().splitlines()] == ["sample", "other"]
    assert journal.entries == []


class Counting(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_a_simulator_flushes_its_streamed_journal_when_a_run_returns_not_after_each_entry() -> None:
    stream = Counting()
    sim = Simulator(executor=ScriptedExecutor(JobScript(runtime=5.0)), journal_stream=stream)
    sim.apply({"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": "sample"},
               "spec": {"entrypoint": "python -c 'print(1)'", "rayClusterSpec": {"headGroupSpec": {
                   "rayStartParams": {}, "template": {"spec": {"containers": [
                       {"name": "ray-head", "image": "rayproject/ray:2.60.0"}]}}}}}})
    flushes_before = stream.flushes
    sim.advance(60)
    assert stream.getvalue().count("\n") > 20
    assert stream.flushes == flushes_before + 1
    sim.close()

"""events.k8s.io/v1 Events read back in the core/v1 shape the journal, assertions and kubectl describe use."""

from __future__ import annotations

from harness.backends.kube.events import core_event

REGARDING = {"apiVersion": "ray.io/v1", "kind": "RayJob", "name": "demo", "namespace": "ns", "uid": "u-1"}


def _v1(**fields: object) -> dict[str, object]:
    return {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "demo.17f", "namespace": "ns"},
            "regarding": REGARDING, "reason": "CreatedRayCluster", "note": "Created RayCluster ns/demo-x", "type":
            "Normal", **fields}


def test_an_event_recorded_through_core_v1_reads_back_as_it_was_written():
    event = core_event(_v1(deprecatedCount=3, deprecatedFirstTimestamp="2026-01-01T00:00:05Z",
                           deprecatedLastTimestamp="2026-01-01T00:00:09Z",
                           deprecatedSource={"component": "ray-job-controller"},
                           reportingController="ray-job-controller"))
    assert event == {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "demo.17f", "namespace": "ns"},
        "involvedObject": REGARDING, "reason": "CreatedRayCluster", "message": "Created RayCluster ns/demo-x",
        "type": "Normal", "count": 3, "firstTimestamp": "2026-01-01T00:00:05Z",
        "lastTimestamp": "2026-01-01T00:00:09Z", "source": {"component": "ray-job-controller"},
        "reportingComponent": "ray-job-controller"}


def test_an_event_recorded_through_events_k8s_io_gets_its_count_and_times_from_its_series():
    event = core_event(_v1(eventTime="2026-01-01T00:00:05.250000Z", reportingController="ray-job-controller",
                           series={"count": 4, "lastObservedTime": "2026-01-01T00:01:00.500000Z"}))
    assert (event["count"], event["firstTimestamp"], event["lastTimestamp"]) == (
        4, "2026-01-01T00:00:05Z", "2026-01-01T00:01:00Z")
    assert event["source"] == {"component": "ray-job-controller"}


def test_a_single_events_k8s_io_event_counts_once():
    assert core_event(_v1(eventTime="2026-01-01T00:00:05.000000Z"))["count"] == 1


def test_a_core_v1_event_is_returned_unchanged():
    event = {"apiVersion": "v1", "kind": "Event", "involvedObject": REGARDING, "message": "m", "count": 2}
    assert core_event(event) == event and core_event(event) is not event

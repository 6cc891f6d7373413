"""Specification of deletion in the object store: finalizers, graceful pod deletion and garbage collection."""

from __future__ import annotations

import pytest

from harness._util.jsoncopy import deep_copy
from harness.model.enums import WatchEventType
from harness.model.kinds import CONFIGMAP, POD, RAYCLUSTER, RAYJOB
from harness.sim.clock import Clock
from harness.sim.store import Invalid, NotFound, ObjectStore, WatchEvent

from .objects import configmap, pod, raycluster, rayjob

ADDED, MODIFIED, DELETED = WatchEventType.ADDED, WatchEventType.MODIFIED, WatchEventType.DELETED


def rv(obj: dict[str, object]) -> int:
    return int(obj["metadata"]["resourceVersion"])  # type: ignore[index]


def drain(clock: Clock) -> None:
    while clock.step():
        pass


# -- finalizers and deletion ----------------------------------------------------------------------------------------


def test_delete_without_finalizers_removes_the_object_at_once(store: ObjectStore) -> None:
    store.create(rayjob("sample"))
    store.delete(RAYJOB, "default", "sample")
    assert store.find(RAYJOB, "default", "sample") is None


def test_a_finalizer_holds_deletion_and_sets_deletion_timestamp(store: ObjectStore, clock: Clock) -> None:
    store.create(rayjob("sample", finalizers=["ray.io/rayjob-finalizer"]))
    clock.advance(7)
    held = store.delete(RAYJOB, "default", "sample")
    assert held["metadata"]["deletionTimestamp"] == clock.timestamp()
    assert held["metadata"]["deletionGracePeriodSeconds"] == 0
    clock.advance(3600)
    assert store.get(RAYJOB, "default", "sample")["metadata"]["finalizers"] == ["ray.io/rayjob-finalizer"]


def test_deleting_again_while_held_changes_nothing(store: ObjectStore) -> None:
    store.create(rayjob("sample", finalizers=["x/y"]))
    first = store.delete(RAYJOB, "default", "sample")
    second = store.delete(RAYJOB, "default", "sample")
    assert rv(second) == rv(first)


def test_removing_the_last_finalizer_deletes_the_object(store: ObjectStore, events: list[WatchEvent]) -> None:
    store.create(rayjob("sample", finalizers=["a/one", "b/two"]))
    store.delete(RAYJOB, "default", "sample")
    store.patch(RAYJOB, "default", "sample", {"metadata": {"finalizers": ["b/two"]}})
    assert store.find(RAYJOB, "default", "sample") is not None
    store.patch(RAYJOB, "default", "sample", {"metadata": {"finalizers": None}})
    assert store.find(RAYJOB, "default", "sample") is None
    assert [e.type for e in events] == [ADDED, MODIFIED, MODIFIED, MODIFIED, DELETED]


def test_no_finalizer_may_be_added_to_an_object_being_deleted(store: ObjectStore) -> None:
    store.create(rayjob("sample", finalizers=["a/one"]))
    store.delete(RAYJOB, "default", "sample")
    with pytest.raises(Invalid, match="no new finalizers can be added if the object is being deleted"):
        store.patch(RAYJOB, "default", "sample", {"metadata": {"finalizers": ["a/one", "b/two"]}})


def test_deleting_a_missing_object_is_not_found(store: ObjectStore) -> None:
    with pytest.raises(NotFound) as excinfo:
        store.delete(RAYCLUSTER, "default", "nope")
    assert str(excinfo.value) == 'rayclusters.ray.io "nope" not found'


# -- garbage collection ----------------------------------------------------------------------------------------------


def test_background_deletion_collects_dependents_after_the_owner_is_gone(store: ObjectStore,
                                                                         clock: Clock) -> None:
    owner = store.create(rayjob("sample"))
    store.create(raycluster("sample-abcde", owner))
    store.delete(RAYJOB, "default", "sample")
    assert store.find(RAYCLUSTER, "default", "sample-abcde") is not None  # the collector has not run yet
    drain(clock)
    assert store.find(RAYCLUSTER, "default", "sample-abcde") is None
    assert clock.now == 0.0


def test_garbage_collection_follows_chains_of_owners(store: ObjectStore, clock: Clock,
                                                     events: list[WatchEvent]) -> None:
    job = store.create(rayjob("sample"))
    cluster = store.create(raycluster("sample-abcde", job))
    store.create(pod("sample-abcde-head", cluster))
    store.delete(RAYJOB, "default", "sample")
    drain(clock)
    assert store.find(RAYCLUSTER, "default", "sample-abcde") is None
    assert store.find(POD, "default", "sample-abcde-head") is None
    deleted = [(e.rtype.kind, e.name) for e in events if e.type == DELETED]
    assert deleted == [("RayJob", "sample"), ("RayCluster", "sample-abcde"), ("Pod", "sample-abcde-head")]


def test_a_dependent_with_another_living_owner_is_kept(store: ObjectStore, clock: Clock) -> None:
    first = store.create(rayjob("first"))
    second = store.create(rayjob("second"))
    shared = configmap("shared")
    shared["metadata"]["ownerReferences"] = [
        {"apiVersion": "ray.io/v1", "kind": "RayJob", "name": o["metadata"]["name"], "uid": o["metadata"]["uid"]}
        for o in (first, second)]
    store.create(shared)
    store.delete(RAYJOB, "default", "first")
    drain(clock)
    assert store.find(CONFIGMAP, "default", "shared") is not None
    store.delete(RAYJOB, "default", "second")
    drain(clock)
    assert store.find(CONFIGMAP, "default", "shared") is None


def test_a_dependent_held_by_a_finalizer_is_marked_for_deletion_not_removed(store: ObjectStore,
                                                                            clock: Clock) -> None:
    owner = store.create(rayjob("sample"))
    store.create(raycluster("sample-abcde", owner, finalizers=["ray.io/gcs-ft-redis-cleanup-finalizer"]))
    store.delete(RAYJOB, "default", "sample")
    drain(clock)
    held = store.get(RAYCLUSTER, "default", "sample-abcde")
    assert held["metadata"]["deletionTimestamp"]


def test_foreground_deletion_keeps_the_owner_until_its_dependents_are_gone(store: ObjectStore, clock: Clock,
                                                                           events: list[WatchEvent]) -> None:
    owner = store.create(rayjob("sample"))
    store.create(raycluster("sample-abcde", owner, finalizers=["example.com/slow"]))
    held = store.delete(RAYJOB, "default", "sample", propagation="Foreground")
    assert held["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert held["metadata"]["deletionTimestamp"]
    drain(clock)
    assert store.find(RAYJOB, "default", "sample") is not None
    assert store.get(RAYCLUSTER, "default", "sample-abcde")["metadata"]["deletionTimestamp"]

    store.patch(RAYCLUSTER, "default", "sample-abcde", {"metadata": {"finalizers": None}})
    drain(clock)
    assert store.find(RAYJOB, "default", "sample") is None
    deleted = [e.rtype.kind for e in events if e.type == DELETED]
    assert deleted == ["RayCluster", "RayJob"]


def test_foreground_deletion_without_dependents_deletes_at_once(store: ObjectStore) -> None:
    store.create(rayjob("sample"))
    store.delete(RAYJOB, "default", "sample", propagation="Foreground")
    assert store.find(RAYJOB, "default", "sample") is None


def test_orphan_deletion_removes_owner_references_and_keeps_dependents(store: ObjectStore, clock: Clock) -> None:
    owner = store.create(rayjob("sample"))
    store.create(raycluster("sample-abcde", owner))
    store.delete(RAYJOB, "default", "sample", propagation="Orphan")
    drain(clock)
    assert store.find(RAYJOB, "default", "sample") is None
    orphan = store.get(RAYCLUSTER, "default", "sample-abcde")
    assert "ownerReferences" not in orphan["metadata"]


def test_owner_references_added_by_update_take_part_in_collection(store: ObjectStore, clock: Clock) -> None:
    owner = store.create(rayjob("sample"))
    created = store.create(configmap("adopted"))
    adopted = deep_copy(created)
    adopted["metadata"]["ownerReferences"] = [
        {"apiVersion": "ray.io/v1", "kind": "RayJob", "name": "sample", "uid": owner["metadata"]["uid"]}]
    store.update(adopted)
    store.delete(RAYJOB, "default", "sample")
    drain(clock)
    assert store.find(CONFIGMAP, "default", "adopted") is None


def test_a_scheduled_pod_is_deleted_gracefully_and_waits_for_the_kubelet(store: ObjectStore,
                                                                         clock: Clock) -> None:
    store.create(pod("worker", node="kind-control-plane"))
    held = store.delete(POD, "default", "worker")
    assert held["metadata"]["deletionGracePeriodSeconds"] == 30
    assert held["metadata"]["deletionTimestamp"] == clock.timestamp(30)
    clock.advance(600)  # no kubelet in this world: nobody finishes the deletion
    assert store.find(POD, "default", "worker") is not None
    store.delete(POD, "default", "worker", grace_period=0)  # what the kubelet does once containers stopped
    assert store.find(POD, "default", "worker") is None


def test_graceful_deletion_uses_the_pods_termination_grace_period(store: ObjectStore) -> None:
    obj = pod("worker", node="kind-control-plane")
    obj["spec"]["terminationGracePeriodSeconds"] = 5
    store.create(obj)
    assert store.delete(POD, "default", "worker")["metadata"]["deletionGracePeriodSeconds"] == 5


def test_an_unscheduled_pod_is_deleted_at_once(store: ObjectStore) -> None:
    store.create(pod("pending"))
    store.delete(POD, "default", "pending")
    assert store.find(POD, "default", "pending") is None

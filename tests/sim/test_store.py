"""Specification of the object store: the Kubernetes API semantics controllers and observers rely on.

Server-set metadata, resourceVersion and generation, the status subresource, optimistic concurrency, watch and
label selectors. Deletion (finalizers, graceful pods, garbage collection) is in ``test_store_deletion.py``.
"""

from __future__ import annotations

import pytest

from harness._util.jsoncopy import deep_copy
from harness._util.names import ALPHABET, SUFFIX_LENGTH
from harness.model.enums import WatchEventType
from harness.model.kinds import CONFIGMAP, POD, RAYJOB
from harness.sim.clock import Clock
from harness.sim.store import (
    AlreadyExists,
    BadRequest,
    Conflict,
    Invalid,
    NotFound,
    ObjectStore,
    WatchEvent,
)

from .objects import configmap, rayjob

ADDED, MODIFIED, DELETED = WatchEventType.ADDED, WatchEventType.MODIFIED, WatchEventType.DELETED


def rv(obj: dict[str, object]) -> int:
    return int(obj["metadata"]["resourceVersion"])  # type: ignore[index]


# -- server-set metadata ------------------------------------------------------------------------------------------


def test_create_sets_uid_creation_timestamp_generation_and_resource_version(store: ObjectStore,
                                                                            clock: Clock) -> None:
    clock.advance(12.5)
    created = store.create(rayjob("sample"))
    meta = created["metadata"]
    assert len(meta["uid"]) == 36
    assert meta["creationTimestamp"] == clock.timestamp(12.0)
    assert meta["generation"] == 1
    assert int(meta["resourceVersion"]) > 0
    assert meta["namespace"] == "default"


def test_create_ignores_client_set_server_fields(store: ObjectStore) -> None:
    created = store.create(rayjob("sample", deletionTimestamp="2020-01-01T00:00:00Z", uid="mine"))
    assert "deletionTimestamp" not in created["metadata"]
    assert created["metadata"]["uid"] != "mine"


def test_create_with_generate_name_appends_five_random_characters(store: ObjectStore) -> None:
    obj = rayjob("")
    del obj["metadata"]["name"]
    obj["metadata"]["generateName"] = "sample-"
    name = store.create(obj)["metadata"]["name"]
    suffix = name.removeprefix("sample-")
    assert name.startswith("sample-")
    assert len(suffix) == SUFFIX_LENGTH
    assert set(suffix) <= set(ALPHABET)


def test_create_without_name_or_generate_name_is_invalid(store: ObjectStore) -> None:
    obj = rayjob("")
    with pytest.raises(Invalid, match="name or generateName is required"):
        store.create(obj)


def test_create_of_an_unknown_kind_is_a_bad_request(store: ObjectStore) -> None:
    with pytest.raises(BadRequest) as excinfo:
        store.create({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    assert str(excinfo.value) == 'no matches for kind "Widget" in version "example.com/v1"'


def test_create_in_a_missing_namespace_is_not_found(store: ObjectStore) -> None:
    with pytest.raises(NotFound) as excinfo:
        store.create(rayjob("sample", namespace="nope"))
    assert str(excinfo.value) == 'namespaces "nope" not found'
    assert excinfo.value.code == 404


def test_create_of_an_existing_name_is_already_exists_with_the_api_message(store: ObjectStore) -> None:
    store.create(rayjob("sample"))
    with pytest.raises(AlreadyExists) as excinfo:
        store.create(rayjob("sample"))
    assert str(excinfo.value) == 'rayjobs.ray.io "sample" already exists'
    assert excinfo.value.code == 409


def test_get_of_a_missing_object_is_not_found_with_the_api_message(store: ObjectStore) -> None:
    with pytest.raises(NotFound) as excinfo:
        store.get(RAYJOB, "default", "nope")
    assert str(excinfo.value) == 'rayjobs.ray.io "nope" not found'
    with pytest.raises(NotFound) as pod_excinfo:
        store.get(POD, "default", "nope")
    assert str(pod_excinfo.value) == 'pods "nope" not found'


def test_the_same_name_may_exist_in_two_namespaces(store: ObjectStore) -> None:
    store.ensure_namespace("team-a")
    store.create(rayjob("sample"))
    store.create(rayjob("sample", namespace="team-a"))
    assert [o["metadata"]["namespace"] for o in store.list(RAYJOB)] == ["default", "team-a"]


# -- resourceVersion and generation -------------------------------------------------------------------------------


def test_resource_version_increases_with_every_write_across_objects(store: ObjectStore) -> None:
    a = store.create(rayjob("a"))
    b = store.create(configmap("b"))
    a2 = store.patch(RAYJOB, "default", "a", {"metadata": {"labels": {"x": "1"}}})
    assert rv(a) < rv(b) < rv(a2)
    assert store.resource_version == rv(a2)


def test_a_no_op_update_does_not_bump_the_resource_version_or_notify(store: ObjectStore,
                                                                     events: list[WatchEvent]) -> None:
    created = store.create(rayjob("sample"))
    again = store.update(deep_copy(created))
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert [e.type for e in events] == [ADDED]


def test_a_no_op_patch_does_not_bump_the_resource_version(store: ObjectStore) -> None:
    created = store.create(rayjob("sample", labels={"team": "ml"}))
    patched = store.patch(RAYJOB, "default", "sample", {"metadata": {"labels": {"team": "ml"}}})
    assert patched["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_a_no_op_status_write_does_not_bump_the_resource_version(store: ObjectStore) -> None:
    store.create(rayjob("sample"))
    first = store.update_status({**store.get(RAYJOB, "default", "sample"), "status": {"jobStatus": "RUNNING"}})
    second = store.update_status({**first, "status": {"jobStatus": "RUNNING"}})
    assert rv(second) == rv(first)


def test_generation_moves_when_the_spec_changes(store: ObjectStore) -> None:
    store.create(rayjob("sample"))
    patched = store.patch(RAYJOB, "default", "sample", {"spec": {"suspend": True}})
    assert patched["metadata"]["generation"] == 2


def test_generation_stays_when_only_metadata_changes(store: ObjectStore) -> None:
    store.create(rayjob("sample"))
    patched = store.patch(RAYJOB, "default", "sample",
                          {"metadata": {"labels": {"a": "b"}, "annotations": {"c": "d"}, "finalizers": ["x/y"]}})
    assert patched["metadata"]["generation"] == 1
    assert rv(patched) > 1


def test_generation_stays_when_only_status_changes(store: ObjectStore) -> None:
    created = store.create(rayjob("sample"))
    written = store.update_status({**created, "status": {"jobDeploymentStatus": "Initializing"}})
    assert written["metadata"]["generation"] == 1
    assert rv(written) > rv(created)


def test_update_keeps_server_set_metadata_whatever_the_client_sends(store: ObjectStore) -> None:
    created = store.create(rayjob("sample"))
    sent = deep_copy(created)
    sent["metadata"].update(uid="forged", creationTimestamp="2000-01-01T00:00:00Z", generation=99)
    sent["spec"]["suspend"] = True
    updated = store.update(sent)
    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    assert updated["metadata"]["creationTimestamp"] == created["metadata"]["creationTimestamp"]
    assert updated["metadata"]["generation"] == 2


# -- the status subresource ----------------------------------------------------------------------------------------


def test_create_drops_status_for_kinds_with_a_status_subresource(store: ObjectStore) -> None:
    created = store.create({**rayjob("sample"), "status": {"jobDeploymentStatus": "Complete"}})
    assert "status" not in created


def test_update_ignores_status_for_kinds_with_a_status_subresource(store: ObjectStore) -> None:
    created = store.create(rayjob("sample"))
    store.update_status({**created, "status": {"jobStatus": "RUNNING"}})
    sent = deep_copy(store.get(RAYJOB, "default", "sample"))
    sent["status"] = {"jobStatus": "SUCCEEDED"}
    sent["spec"]["suspend"] = True
    updated = store.update(sent)
    assert updated["status"] == {"jobStatus": "RUNNING"}
    assert updated["spec"]["suspend"] is True


def test_update_status_ignores_everything_but_status(store: ObjectStore) -> None:
    created = store.create(rayjob("sample", labels={"a": "1"}))
    sent = deep_copy(created)
    sent["spec"]["suspend"] = True
    sent["metadata"]["labels"] = {"a": "2"}
    sent["status"] = {"jobStatus": "RUNNING"}
    written = store.update_status(sent)
    assert written["status"] == {"jobStatus": "RUNNING"}
    assert "suspend" not in written["spec"]
    assert written["metadata"]["labels"] == {"a": "1"}


def test_a_status_patch_goes_through_the_status_subresource(store: ObjectStore) -> None:
    store.create(rayjob("sample"))
    patched = store.patch(RAYJOB, "default", "sample", {"status": {"jobStatus": "RUNNING"}, "spec": {"x": 1}},
                          subresource="status")
    assert patched["status"] == {"jobStatus": "RUNNING"}
    assert "x" not in patched["spec"]


def test_a_main_resource_patch_ignores_status(store: ObjectStore) -> None:
    store.create(rayjob("sample"))
    patched = store.patch(RAYJOB, "default", "sample", {"status": {"jobStatus": "RUNNING"}})
    assert "status" not in patched


def test_update_writes_every_field_of_kinds_without_a_status_subresource(store: ObjectStore) -> None:
    created = store.create(configmap("settings", {"a": "1"}))
    sent = deep_copy(created)
    sent["data"] = {"a": "2"}
    assert store.update(sent)["data"] == {"a": "2"}
    assert not CONFIGMAP.status_subresource


# -- optimistic concurrency ---------------------------------------------------------------------------------------


def test_an_update_with_a_stale_resource_version_is_a_conflict(store: ObjectStore) -> None:
    created = store.create(rayjob("sample"))
    store.patch(RAYJOB, "default", "sample", {"spec": {"suspend": True}})
    stale = deep_copy(created)
    stale["spec"]["suspend"] = False
    with pytest.raises(Conflict) as excinfo:
        store.update(stale)
    assert str(excinfo.value) == (
        'Operation cannot be fulfilled on rayjobs.ray.io "sample": the object has been modified; please apply '
        "your changes to the latest version and try again")
    assert excinfo.value.code == 409


def test_a_status_update_with_a_stale_resource_version_is_a_conflict(store: ObjectStore) -> None:
    created = store.create(rayjob("sample"))
    store.update_status({**created, "status": {"jobStatus": "RUNNING"}})
    with pytest.raises(Conflict):
        store.update_status({**created, "status": {"jobStatus": "FAILED"}})


def test_a_patch_carrying_a_stale_resource_version_is_a_conflict(store: ObjectStore) -> None:
    created = store.create(rayjob("sample"))
    store.patch(RAYJOB, "default", "sample", {"spec": {"suspend": True}})
    with pytest.raises(Conflict):
        store.patch(RAYJOB, "default", "sample",
                    {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]},
                     "spec": {"suspend": False}})


def test_an_update_without_a_resource_version_is_unconditional(store: ObjectStore) -> None:
    created = store.create(rayjob("sample"))
    store.patch(RAYJOB, "default", "sample", {"spec": {"suspend": True}})
    blind = deep_copy(created)
    del blind["metadata"]["resourceVersion"]
    blind["spec"]["suspend"] = False
    assert store.update(blind)["spec"]["suspend"] is False


# -- watch ------------------------------------------------------------------------------------------------------------


def test_watchers_see_added_modified_deleted_in_order_with_old_objects(store: ObjectStore, clock: Clock,
                                                                       events: list[WatchEvent]) -> None:
    created = store.create(rayjob("sample"))
    clock.advance(2)
    modified = store.patch(RAYJOB, "default", "sample", {"spec": {"suspend": True}})
    clock.advance(3)
    store.delete(RAYJOB, "default", "sample")
    assert [e.type for e in events] == [ADDED, MODIFIED, DELETED]
    assert events[0].old is None and events[0].obj == created
    assert events[1].old == created and events[1].obj == modified
    assert events[2].obj == modified and events[2].old == modified
    assert [e.t for e in events] == [0.0, 2.0, 5.0]
    assert events[0].resource_version < events[1].resource_version < events[2].resource_version
    assert (events[1].namespace, events[1].name, events[1].rtype) == ("default", "sample", RAYJOB)


def test_unsubscribing_stops_notifications(store: ObjectStore) -> None:
    seen: list[WatchEvent] = []
    unsubscribe = store.watch(seen.append)
    store.create(rayjob("a"))
    unsubscribe()
    store.create(rayjob("b"))
    assert [e.name for e in seen] == ["a"]


def test_stored_snapshots_are_not_changed_by_later_writes(store: ObjectStore) -> None:
    created = store.create(rayjob("sample"))
    store.patch(RAYJOB, "default", "sample", {"spec": {"suspend": True}, "metadata": {"labels": {"a": "b"}}})
    assert "suspend" not in created["spec"]
    assert "labels" not in created["metadata"]


# -- listing and label selectors -------------------------------------------------------------------------------------


@pytest.fixture
def labelled(store: ObjectStore) -> ObjectStore:
    store.ensure_namespace("other")
    store.create(configmap("head", labels={"ray.io/node-type": "head", "ray.io/cluster": "c1"}))
    store.create(configmap("worker", labels={"ray.io/node-type": "worker", "ray.io/cluster": "c1"}))
    store.create(configmap("bare"))
    store.create(configmap("elsewhere", namespace="other", labels={"ray.io/node-type": "head"}))
    return store


@pytest.mark.parametrize(("selector", "names"), [
    ("ray.io/node-type=head", ["head"]),
    ("ray.io/node-type==head", ["head"]),
    ("ray.io/node-type!=head", ["bare", "worker"]),
    ("ray.io/node-type in (head, worker)", ["head", "worker"]),
    ("ray.io/node-type notin (head)", ["bare", "worker"]),
    ("ray.io/cluster", ["head", "worker"]),
    ("!ray.io/cluster", ["bare"]),
    ("ray.io/cluster=c1,ray.io/node-type in (worker)", ["worker"]),
    ({"ray.io/cluster": "c1", "ray.io/node-type": "head"}, ["head"]),
])
def test_list_filters_by_label_selector(labelled: ObjectStore, selector: str | dict[str, str],
                                        names: list[str]) -> None:
    assert [o["metadata"]["name"] for o in labelled.list(CONFIGMAP, "default", selector)] == names


def test_list_without_namespace_spans_namespaces_sorted_by_namespace_then_name(labelled: ObjectStore) -> None:
    listed = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in labelled.list(CONFIGMAP)]
    assert listed == [("default", "bare"), ("default", "head"), ("default", "worker"), ("other", "elsewhere")]


def test_a_malformed_selector_is_rejected_with_the_bad_term(labelled: ObjectStore) -> None:
    with pytest.raises(ValueError, match="term='a b'"):
        labelled.list(CONFIGMAP, "default", "a b")

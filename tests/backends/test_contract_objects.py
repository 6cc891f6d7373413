"""The Backend contract, objects: apply, get, list, patch, delete (waiting or not), and a journal entry for each
change. Every registered backend must pass it (see ``conftest.py``)."""

from __future__ import annotations

import inspect

import pytest

from harness.backends.base import Backend, Refused
from harness.errors import DeletionTimeout, HarnessError, ManifestError

from .manifests import configmap, rayjob

HOLD = "example.com/hold"


def _entries(backend: Backend, namespace: str, kind: str, name: str, type_: str) -> list:
    return [e for e in backend.journal.entries
            if (e.namespace, e.kind, e.name, e.type) == (namespace, kind, name, type_)]


def test_namespaces_are_keyword_only_on_every_method_that_takes_one(backend):
    for name, method in inspect.getmembers(backend, inspect.ismethod):
        parameter = inspect.signature(method).parameters.get("namespace")
        if parameter is not None and not name.startswith("_"):
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name


def test_apply_creates_an_object_that_get_returns(backend, namespace):
    created = backend.apply(configmap("settings"), namespace=namespace)
    assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
    found = backend.get("ConfigMap", "settings", namespace=namespace)
    assert found is not None and found["data"] == {"key": "value"}
    assert found["metadata"]["namespace"] == namespace


def test_every_created_object_is_in_the_journal(backend, namespace):
    backend.apply(configmap("settings"), namespace=namespace)
    [added] = _entries(backend, namespace, "ConfigMap", "settings", "ADDED")
    assert added.changes["data.key"] == [None, "value"]


def test_applying_again_updates_the_object_and_the_journal_says_what_changed(backend, namespace):
    backend.apply(configmap("settings"), namespace=namespace)
    backend.apply(configmap("settings", {"key": "other"}), namespace=namespace)
    assert backend.get("ConfigMap", "settings", namespace=namespace)["data"] == {"key": "other"}
    [modified] = _entries(backend, namespace, "ConfigMap", "settings", "MODIFIED")
    assert modified.changes["data.key"] == ["value", "other"]


def test_get_of_an_absent_object_is_none(backend, namespace):
    assert backend.get("ConfigMap", "nothing-here", namespace=namespace) is None


def test_list_filters_by_label_selector_and_sorts_by_name(backend, namespace):
    for name, team in (("c", "ml"), ("a", "ml"), ("b", "web")):
        backend.apply(configmap(name, labels={"team": team}), namespace=namespace)
    names = [o["metadata"]["name"] for o in backend.list("ConfigMap", namespace=namespace, selector="team=ml")]
    assert names == ["a", "c"]
    assert [o["metadata"]["name"] for o in backend.list("ConfigMap", namespace=namespace,
                                                          selector={"team": "web"})] == ["b"]


def test_list_without_a_namespace_sees_every_namespace(backend, namespace):
    other = namespace + "-b"
    backend.create_namespace(other)
    backend.apply(configmap("here"), namespace=namespace)
    backend.apply(configmap("there"), namespace=other)
    found = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in backend.list("ConfigMap", namespace=None)}
    assert {(namespace, "here"), (other, "there")} <= found


def test_patch_merges_into_the_object_and_returns_it(backend, namespace):
    backend.apply(configmap("settings", {"key": "value", "drop": "me"}), namespace=namespace)
    patched = backend.patch("ConfigMap", "settings", {"data": {"key": "new", "drop": None}}, namespace=namespace)
    assert patched["data"] == {"key": "new"}
    [modified] = _entries(backend, namespace, "ConfigMap", "settings", "MODIFIED")
    assert modified.changes["data.drop"] == ["me", None]


def test_patching_an_absent_object_is_an_error(backend, namespace):
    with pytest.raises(HarnessError):
        backend.patch("ConfigMap", "nothing-here", {"data": {"key": "new"}}, namespace=namespace)


def test_what_the_api_server_refuses_is_a_refusal_with_its_status_reason_code_and_message(backend, namespace):
    with pytest.raises(Refused) as unknown_field:
        backend.apply({**configmap("settings"), "dataa": {"a": "b"}}, namespace=namespace)
    assert (unknown_field.value.code, unknown_field.value.reason) == (400, "BadRequest")
    assert unknown_field.value.message == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict '
                                           'decoding error: unknown field "dataa"')
    with pytest.raises(Refused) as missing:
        backend.delete("ConfigMap", "nothing-here", namespace=namespace)
    assert (missing.value.code, missing.value.reason, missing.value.message) == (
        404, "NotFound", 'configmaps "nothing-here" not found')


def test_an_invalid_value_is_refused_as_invalid_naming_the_field(backend, namespace):
    backend.apply(rayjob("refusals", suspend=True), namespace=namespace)
    with pytest.raises(Refused) as invalid:
        backend.patch("RayJob", "refusals", {"spec": {"backoffLimit": "soon"}}, namespace=namespace)
    assert (invalid.value.code, invalid.value.reason) == (422, "Invalid")
    assert invalid.value.message.startswith('RayJob.ray.io "refusals" is invalid: [spec.backoffLimit: Invalid value')


def test_a_patch_of_the_main_resource_leaves_status_as_it_is(backend, namespace):
    backend.apply(rayjob("main-resource", suspend=True, shutdownAfterJobFinishes=True), namespace=namespace)
    backend.wait_until(lambda: (backend.get("RayJob", "main-resource", namespace=namespace) or {}).get(
        "status", {}).get("jobDeploymentStatus") == "Suspended", 60)
    patched = backend.patch("RayJob", "main-resource", {"metadata": {"labels": {"a": "b"}},
                                                        "status": {"jobDeploymentStatus": "Complete"}},
                            namespace=namespace)
    assert patched["metadata"]["labels"] == {"a": "b"}
    assert patched["status"]["jobDeploymentStatus"] == "Suspended"


def test_a_patch_of_the_status_subresource_changes_status_and_nothing_else(backend, namespace):
    backend.apply(rayjob("status-write", suspend=True, shutdownAfterJobFinishes=True), namespace=namespace)
    backend.wait_until(lambda: (backend.get("RayJob", "status-write", namespace=namespace) or {}).get(
        "status", {}).get("jobDeploymentStatus") == "Suspended", 60)
    patched = backend.patch("RayJob", "status-write", {"spec": {"suspend": False},
                                                       "status": {"message": "written by hand"}},
                            namespace=namespace, subresource="status")
    assert patched["status"]["message"] == "written by hand"
    assert patched["spec"]["suspend"] is True
    assert any(e.changes.get("status.message", [None, None])[1] == "written by hand"
               for e in _entries(backend, namespace, "RayJob", "status-write", "MODIFIED"))


def test_delete_waits_by_default_until_the_object_is_gone(backend, namespace):
    backend.apply(configmap("settings"), namespace=namespace)
    backend.delete("ConfigMap", "settings", namespace=namespace)
    assert backend.get("ConfigMap", "settings", namespace=namespace) is None
    assert len(_entries(backend, namespace, "ConfigMap", "settings", "DELETED")) == 1


def test_delete_without_waiting_returns_while_a_finalizer_holds_the_object(backend, namespace):
    backend.apply(configmap("held", finalizers=[HOLD]), namespace=namespace)
    backend.delete("ConfigMap", "held", namespace=namespace, wait=False)
    held = backend.get("ConfigMap", "held", namespace=namespace)
    assert held is not None and held["metadata"]["deletionTimestamp"]
    backend.patch("ConfigMap", "held", {"metadata": {"finalizers": None}}, namespace=namespace)
    assert backend.wait_until(lambda: backend.get("ConfigMap", "held", namespace=namespace) is None, 30)


def test_a_waited_deletion_that_a_finalizer_holds_times_out_with_an_error(backend, namespace):
    backend.apply(configmap("held", finalizers=[HOLD]), namespace=namespace)
    with pytest.raises(DeletionTimeout):
        backend.delete("ConfigMap", "held", namespace=namespace, timeout=5)
    backend.patch("ConfigMap", "held", {"metadata": {"finalizers": None}}, namespace=namespace)


def test_apply_manifests_reports_what_the_api_server_refuses_at_its_file_and_line(backend, namespace, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  key: 3\n")
    with pytest.raises(ManifestError) as raised:
        backend.apply_manifests(path, namespace=namespace)
    assert raised.value.pos is not None and raised.value.pos.path.endswith("bad.yaml") and raised.value.pos.line


def test_apply_manifests_applies_every_document_of_a_file(backend, namespace, tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n---\n"
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}\n")
    applied = backend.apply_manifests(path, namespace=namespace)
    assert [o["metadata"]["name"] for o in applied] == ["one", "two"]
    assert backend.get("ConfigMap", "two", namespace=namespace) is not None


def test_time_passes_by_at_least_what_advance_is_asked_for(backend):
    before = backend.now()
    backend.advance(2.0)
    assert backend.now() - before >= 2.0


def test_wait_until_says_whether_the_condition_came_true(backend):
    start = backend.now()
    assert backend.wait_until(lambda: backend.now() - start >= 1.0, 10)
    assert not backend.wait_until(lambda: False, 2)

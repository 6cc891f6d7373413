"""Reading and writing objects through the API: the semantics and the Status answers of a real API server."""

from __future__ import annotations

import json

from .client import TABLE_ACCEPT, Client
from .conftest import RAYJOBS, rayjob


def test_create_answers_201_with_server_set_metadata(client: Client, ns: str):
    answer = client.post(RAYJOBS.format(ns=ns), rayjob())
    assert answer.status == 201
    meta = answer.body["metadata"]
    assert meta["namespace"] == ns and meta["generation"] == 1
    assert meta["uid"] and meta["resourceVersion"].isdigit() and meta["creationTimestamp"].endswith("Z")


def test_create_fills_in_the_crd_schema_defaults(client: Client, ns: str):
    spec = client.post(RAYJOBS.format(ns=ns), rayjob()).body["spec"]
    assert spec["submissionMode"] == "K8sJobMode" and spec["backoffLimit"] == 0


def test_create_with_generate_name_appends_a_random_suffix(client: Client, ns: str):
    body = rayjob()
    body["metadata"] = {"generateName": "gen-"}
    name = client.post(RAYJOBS.format(ns=ns), body).body["metadata"]["name"]
    assert name.startswith("gen-") and len(name) == len("gen-") + 5


def test_a_second_create_of_the_same_name_is_409_already_exists(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("twice"))
    answer = client.post(RAYJOBS.format(ns=ns), rayjob("twice"))
    assert answer.status == 409
    assert answer.body["reason"] == "AlreadyExists"
    assert answer.body["message"] == 'rayjobs.ray.io "twice" already exists'
    assert answer.body["details"] == {"name": "twice", "group": "ray.io", "kind": "rayjobs"}


def test_get_of_a_missing_object_is_404_naming_the_resource(client: Client, ns: str):
    answer = client.get(f"{RAYJOBS.format(ns=ns)}/nope")
    assert answer.status == 404
    assert answer.body["message"] == 'rayjobs.ray.io "nope" not found'
    assert answer.body["details"]["kind"] == "rayjobs"


def test_create_in_a_namespace_that_does_not_exist_is_404(client: Client):
    answer = client.post(RAYJOBS.format(ns="nowhere"), rayjob())
    assert answer.status == 404 and answer.body["message"] == 'namespaces "nowhere" not found'


def test_a_body_naming_another_namespace_than_the_url_is_400(client: Client, ns: str):
    body = rayjob()
    body["metadata"]["namespace"] = "elsewhere"
    answer = client.post(RAYJOBS.format(ns=ns), body)
    assert answer.status == 400
    assert "does not match the namespace sent on the request" in answer.body["message"]


def test_an_unknown_field_is_refused_with_strict_field_validation(client: Client, ns: str):
    body = rayjob()
    body["spec"]["bogus"] = 1
    answer = client.post(f"{RAYJOBS.format(ns=ns)}?fieldValidation=Strict", body)
    assert answer.status == 400
    assert answer.body["message"] == ('RayJob in version "v1" cannot be handled as a RayJob: strict decoding error: '
                                      'unknown field "spec.bogus"')


def test_an_unknown_field_is_dropped_with_an_escaped_warning_header_under_warn(client: Client, ns: str):
    body = rayjob()
    body["spec"]["bogus"] = 1
    answer = client.post(f"{RAYJOBS.format(ns=ns)}?fieldValidation=Warn", body)
    assert answer.status == 201 and "bogus" not in answer.body["spec"]
    assert answer.warnings == ['299 - "unknown field \\"spec.bogus\\""']


def test_an_invalid_value_is_422_with_one_cause_per_field(client: Client, ns: str):
    body = rayjob("Bad_Name")
    body["spec"]["suspend"] = "yes"
    answer = client.post(RAYJOBS.format(ns=ns), body)
    assert answer.status == 422 and answer.body["reason"] == "Invalid"
    causes = {cause["field"]: cause["reason"] for cause in answer.body["details"]["causes"]}
    assert causes["metadata.name"] == "FieldValueInvalid" and causes["spec.suspend"] == "FieldValueTypeInvalid"
    assert answer.body["details"]["kind"] == "RayJob"


def test_v1alpha1_requests_carry_the_deprecation_warning_even_when_refused(client: Client, ns: str):
    body = rayjob("old")
    body["apiVersion"] = "ray.io/v1alpha1"
    body["spec"]["runtimeEnv"] = {"pip": ["pandas"]}
    answer = client.post(f"/apis/ray.io/v1alpha1/namespaces/{ns}/rayjobs?fieldValidation=Strict", body)
    assert answer.status == 400
    assert "strict decoding error: unknown field \"spec.runtimeEnv\"" in answer.body["message"]
    assert answer.warnings and "ray.io/v1alpha1 RayJob is deprecated" in answer.warnings[0]


def test_a_v1alpha1_object_is_stored_as_v1_and_read_back_in_either_version(client: Client, ns: str):
    body = rayjob("alpha")
    body["apiVersion"] = "ray.io/v1alpha1"
    body["spec"]["rayClusterSpec"]["headGroupSpec"]["rayStartParams"] = {}
    assert client.post(f"/apis/ray.io/v1alpha1/namespaces/{ns}/rayjobs", body).status == 201
    assert client.get(f"{RAYJOBS.format(ns=ns)}/alpha").body["apiVersion"] == "ray.io/v1"
    assert client.get(f"/apis/ray.io/v1alpha1/namespaces/{ns}/rayjobs/alpha").body["apiVersion"] == "ray.io/v1alpha1"


def test_update_with_a_stale_resource_version_is_409_conflict(client: Client, ns: str):
    created = client.post(RAYJOBS.format(ns=ns), rayjob("cas")).body
    stale = json.loads(json.dumps(created))
    created["metadata"]["labels"] = {"a": "1"}
    assert client.put(f"{RAYJOBS.format(ns=ns)}/cas", created).status == 200
    stale["metadata"]["labels"] = {"a": "2"}
    answer = client.put(f"{RAYJOBS.format(ns=ns)}/cas", stale)
    assert answer.status == 409 and answer.body["reason"] == "Conflict"
    assert "the object has been modified" in answer.body["message"]


def test_update_of_a_custom_resource_without_resource_version_is_422(client: Client, ns: str):
    created = client.post(RAYJOBS.format(ns=ns), rayjob("norv")).body
    del created["metadata"]["resourceVersion"]
    answer = client.put(f"{RAYJOBS.format(ns=ns)}/norv", created)
    assert answer.status == 422
    assert "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update" in answer.body["message"]


def test_a_patch_that_changes_nothing_keeps_the_resource_version(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("same"))
    current = client.get(f"{RAYJOBS.format(ns=ns)}/same").body
    answer = client.patch(f"{RAYJOBS.format(ns=ns)}/same", {"spec": {"entrypoint": current["spec"]["entrypoint"]}})
    assert answer.status == 200
    assert answer.body["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]


def test_a_spec_change_bumps_generation_and_a_label_change_does_not(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("gen", suspend=True))
    labelled = client.patch(f"{RAYJOBS.format(ns=ns)}/gen", {"metadata": {"labels": {"x": "y"}}}).body
    assert labelled["metadata"]["generation"] == 1
    resumed = client.patch(f"{RAYJOBS.format(ns=ns)}/gen", {"spec": {"suspend": False}}).body
    assert resumed["metadata"]["generation"] == 2


def test_the_main_resource_ignores_status_and_the_status_subresource_ignores_spec(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("split", suspend=True))
    main = client.patch(f"{RAYJOBS.format(ns=ns)}/split", {"status": {"message": "from main"}}).body
    assert (main.get("status") or {}).get("message") != "from main"
    status = client.patch(f"{RAYJOBS.format(ns=ns)}/split/status",
                          {"spec": {"entrypoint": "changed"}, "status": {"message": "from status"}}).body
    assert status["status"]["message"] == "from status" and status["spec"]["entrypoint"] != "changed"


def test_a_json_patch_applies_its_operations(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("jp"))
    answer = client.patch(f"{RAYJOBS.format(ns=ns)}/jp",
                          [{"op": "add", "path": "/metadata/labels", "value": {"team": "ml"}},
                           {"op": "replace", "path": "/spec/entrypoint", "value": "python train.py"}],
                          content_type="application/json-patch+json")
    assert answer.status == 200
    assert answer.body["metadata"]["labels"] == {"team": "ml"}
    assert answer.body["spec"]["entrypoint"] == "python train.py"


def test_a_strategic_merge_patch_on_a_custom_resource_is_415(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("smp"))
    answer = client.patch(f"{RAYJOBS.format(ns=ns)}/smp", {"spec": {"suspend": True}},
                          content_type="application/strategic-merge-patch+json")
    assert answer.status == 415 and answer.body["reason"] == "UnsupportedMediaType"
    assert answer.body["message"] == (
        "application/strategic-merge-patch+json is not supported by ray.io/v1, Kind=RayJob: the body of the request "
        "was in an unknown format - accepted media types include: application/json-patch+json, "
        "application/merge-patch+json, application/apply-patch+yaml")


def test_a_strategic_merge_patch_merges_service_ports_by_port(client: Client, ns: str):
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
               "spec": {"selector": {"app": "x"}, "ports": [{"name": "a", "port": 80}, {"name": "b", "port": 81}]}}
    assert client.post(f"/api/v1/namespaces/{ns}/services", service).status == 201
    answer = client.patch(f"/api/v1/namespaces/{ns}/services/svc",
                          {"spec": {"ports": [{"port": 81, "targetPort": 8081}]}},
                          content_type="application/strategic-merge-patch+json")
    assert answer.body["spec"]["ports"] == [{"name": "a", "port": 80}, {"name": "b", "port": 81, "targetPort": 8081}]


def test_server_side_apply_creates_then_merges(client: Client, ns: str):
    path = f"{RAYJOBS.format(ns=ns)}/ssa?fieldManager=tester"
    created = client.patch(path, rayjob("ssa"), content_type="application/apply-patch+yaml")
    assert created.status == 201
    updated = client.patch(path, {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": "ssa"},
                                  "spec": {"suspend": True}}, content_type="application/apply-patch+yaml")
    assert updated.status == 200 and updated.body["spec"]["suspend"] is True
    assert updated.body["spec"]["entrypoint"] == created.body["spec"]["entrypoint"]


def test_deleting_a_custom_resource_answers_a_success_status(client: Client, ns: str):
    uid = client.post(RAYJOBS.format(ns=ns), rayjob("gone", suspend=True)).body["metadata"]["uid"]
    answer = client.delete(f"{RAYJOBS.format(ns=ns)}/gone")
    assert answer.status == 200
    assert answer.body["status"] == "Success" and answer.body["details"]["uid"] == uid
    assert client.get(f"{RAYJOBS.format(ns=ns)}/gone").status == 404


def test_deleting_an_object_held_by_a_finalizer_answers_it_with_a_deletion_timestamp(client: Client, ns: str):
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "held", "finalizers": ["example.com/x"]}}
    client.post(f"/api/v1/namespaces/{ns}/configmaps", body)
    answer = client.delete(f"/api/v1/namespaces/{ns}/configmaps/held")
    assert answer.status == 200 and answer.body["metadata"]["deletionTimestamp"]
    client.patch(f"/api/v1/namespaces/{ns}/configmaps/held", {"metadata": {"finalizers": None}})
    assert client.get(f"/api/v1/namespaces/{ns}/configmaps/held").status == 404


def test_a_delete_precondition_on_another_uid_is_409(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("pre", suspend=True))
    answer = client.delete(f"{RAYJOBS.format(ns=ns)}/pre", {"kind": "DeleteOptions", "apiVersion": "v1",
                                                            "preconditions": {"uid": "not-it"}})
    assert answer.status == 409 and "Precondition failed: UID in precondition: not-it" in answer.body["message"]


def test_lists_filter_by_set_based_label_selectors(client: Client, ns: str):
    for name, tier in (("a", "gold"), ("b", "silver"), ("c", "bronze")):
        client.post(f"/api/v1/namespaces/{ns}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                            "metadata": {"name": name, "labels": {"tier": tier}}})
    answer = client.get(f"/api/v1/namespaces/{ns}/configmaps?labelSelector=tier%20in%20(gold,bronze)")
    assert [item["metadata"]["name"] for item in answer.body["items"]] == ["a", "c"]
    assert answer.body["kind"] == "ConfigMapList" and answer.body["metadata"]["resourceVersion"].isdigit()


def test_lists_filter_by_field_selector_and_refuse_unsupported_field_labels(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("one", suspend=True))
    client.post(RAYJOBS.format(ns=ns), rayjob("two", suspend=True))
    answer = client.get(f"{RAYJOBS.format(ns=ns)}?fieldSelector=metadata.name%3Dtwo")
    assert [item["metadata"]["name"] for item in answer.body["items"]] == ["two"]
    refused = client.get(f"{RAYJOBS.format(ns=ns)}?fieldSelector=spec.entrypoint%3Dx")
    assert refused.status == 400 and refused.body["message"] == "field label not supported: spec.entrypoint"


def test_a_limited_list_continues_where_it_stopped(client: Client, ns: str):
    for name in ("a", "b", "c"):
        client.post(f"/api/v1/namespaces/{ns}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                            "metadata": {"name": name}})
    first = client.get(f"/api/v1/namespaces/{ns}/configmaps?limit=2").body
    assert [i["metadata"]["name"] for i in first["items"]] == ["a", "b"]
    rest = client.get(f"/api/v1/namespaces/{ns}/configmaps?limit=2&continue={first['metadata']['continue']}").body
    assert [i["metadata"]["name"] for i in rest["items"]] == ["c"] and "continue" not in rest["metadata"]


def test_a_table_is_served_with_the_rayjob_printer_columns(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("tab", suspend=True))
    table = client.get(RAYJOBS.format(ns=ns), headers={"Accept": TABLE_ACCEPT}).body
    assert table["kind"] == "Table"
    names = [column["name"] for column in table["columnDefinitions"]]
    assert names == ["Name", "job status", "deployment status", "ray cluster name", "start time", "end time", "age"]
    assert table["rows"][0]["cells"][0] == "tab"
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_deleting_a_namespace_empties_it_then_removes_it(client: Client, ns: str):
    client.post(f"/api/v1/namespaces/{ns}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                        "metadata": {"name": "inside"}})
    answer = client.delete(f"/api/v1/namespaces/{ns}")
    assert answer.status == 200 and answer.body["status"]["phase"] == "Terminating"
    refused = client.post(f"/api/v1/namespaces/{ns}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                                  "metadata": {"name": "late"}})
    assert refused.status == 403 and "because it is being terminated" in refused.body["message"]
    client.advance(2)
    assert client.get(f"/api/v1/namespaces/{ns}").status == 404


def test_a_secret_with_data_that_is_not_base64_is_refused(client: Client, ns: str):
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"token": "not base64!"}}
    answer = client.post(f"/api/v1/namespaces/{ns}/secrets", body)
    assert answer.status == 400 and "illegal base64 data" in answer.body["message"]


def test_a_secret_is_stored_and_listed_with_its_type(client: Client, ns: str):
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque",
            "data": {"token": "c2VjcmV0"}}
    assert client.post(f"/api/v1/namespaces/{ns}/secrets", body).status == 201
    table = client.get(f"/api/v1/namespaces/{ns}/secrets", headers={"Accept": TABLE_ACCEPT}).body
    assert table["rows"][0]["cells"] == ["s", "Opaque", 1, table["rows"][0]["cells"][3]]


def test_an_unknown_field_is_dropped_silently_under_ignore(client: Client, ns: str):
    body = rayjob("quiet")
    body["spec"]["bogus"] = 1
    answer = client.post(f"{RAYJOBS.format(ns=ns)}?fieldValidation=Ignore", body)
    assert answer.status == 201 and "bogus" not in answer.body["spec"] and answer.warnings == []


def test_a_dry_run_create_validates_and_stores_nothing(client: Client, ns: str):
    answer = client.post(f"{RAYJOBS.format(ns=ns)}?dryRun=All", rayjob("dry"))
    assert answer.status == 201 and answer.body["spec"]["submissionMode"] == "K8sJobMode"
    assert client.get(f"{RAYJOBS.format(ns=ns)}/dry").status == 404


def test_foreground_deletion_keeps_the_owner_until_its_dependents_are_gone(client: Client, ns: str):
    owner = client.post(f"/api/v1/namespaces/{ns}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                                "metadata": {"name": "owner"}}).body
    reference = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    client.post(f"/api/v1/namespaces/{ns}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "child", "ownerReferences": [reference], "finalizers": ["example.com/hold"]}})
    answer = client.delete(f"/api/v1/namespaces/{ns}/configmaps/owner", {"propagationPolicy": "Foreground"})
    assert answer.body["metadata"]["finalizers"] == ["foregroundDeletion"]
    client.advance(1)
    assert client.get(f"/api/v1/namespaces/{ns}/configmaps/owner").status == 200  # the child still holds it
    client.patch(f"/api/v1/namespaces/{ns}/configmaps/child", {"metadata": {"finalizers": None}})
    client.advance(1)
    assert client.get(f"/api/v1/namespaces/{ns}/configmaps/owner").status == 404


def test_delete_collection_removes_what_the_selector_matches(client: Client, ns: str):
    for name, app in (("a", "x"), ("b", "x"), ("c", "y")):
        client.post(f"/api/v1/namespaces/{ns}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                            "metadata": {"name": name, "labels": {"app": app}}})
    client.delete(f"/api/v1/namespaces/{ns}/configmaps?labelSelector=app%3Dx")
    left = client.get(f"/api/v1/namespaces/{ns}/configmaps").body["items"]
    assert [item["metadata"]["name"] for item in left] == ["c"]


def test_events_k8s_io_shows_the_core_events_in_the_newer_shape(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("ev"))
    client.advance(1)
    core = client.get(f"/api/v1/namespaces/{ns}/events").body["items"]
    newer = client.get(f"/apis/events.k8s.io/v1/namespaces/{ns}/events").body
    assert newer["apiVersion"] == "events.k8s.io/v1" and len(newer["items"]) == len(core) > 0
    first = newer["items"][0]
    assert first["regarding"] == core[0]["involvedObject"] and first["note"] == core[0]["message"]
    assert first["eventTime"].endswith(".000000Z")
    selected = client.get(f"/apis/events.k8s.io/v1/namespaces/{ns}/events?fieldSelector=regarding.kind%3DRayJob")
    assert selected.status == 200 and {e["regarding"]["kind"] for e in selected.body["items"]} == {"RayJob"}


def test_a_status_write_is_validated_against_the_status_schema(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("st", suspend=True))
    answer = client.patch(f"{RAYJOBS.format(ns=ns)}/st/status", {"status": {"succeeded": "many"}})
    assert answer.status == 422 and answer.body["details"]["causes"][0]["field"] == "status.succeeded"
    unknown = client.patch(f"{RAYJOBS.format(ns=ns)}/st/status?fieldValidation=Strict", {"status": {"bogus": 1}})
    assert unknown.status == 400 and 'unknown field "status.bogus"' in unknown.body["message"]


def test_an_immutable_field_cannot_change_on_update(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("managed", suspend=True, managedBy="ray.io/kuberay-operator"))
    answer = client.patch(f"{RAYJOBS.format(ns=ns)}/managed", {"spec": {"managedBy": "kueue.x-k8s.io/multikueue"}})
    assert answer.status == 422 and "the managedBy field is immutable" in answer.body["message"]

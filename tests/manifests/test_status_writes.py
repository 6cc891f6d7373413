"""A write to the status subresource is decoded and validated against the status schema (RayJob, RayCluster,
Job); creates and updates of the object itself never look at status. The simulator's side is in
``tests/kuberay/test_status_writes.py``."""

from __future__ import annotations

from typing import Any

from harness.manifests import Manifest, validate_manifest, validate_status_update


def status_write(kind: str, status: Any, api_version: str = "ray.io/v1") -> tuple[int, str]:
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "demo"}, "status": status}
    result = validate_status_update(Manifest(obj, "<test>", 0))
    return result.code, result.status_message


def test_a_well_formed_rayjob_status_is_accepted() -> None:
    assert status_write("RayJob", {"jobDeploymentStatus": "Running", "failed": 1, "startTime": "2026-01-01T00:00:00Z",
                                   "rayJobInfo": {"startTime": "2026-01-01T00:00:01Z"}}) == (0, "")


def test_a_wrong_type_in_a_rayjob_status_is_invalid_naming_the_field() -> None:
    code, message = status_write("RayJob", {"failed": "many"})
    assert code == 422
    assert message == ('RayJob.ray.io "demo" is invalid: status.failed: Invalid value: "string": status.failed in '
                       'body must be of type integer: "string"')


def test_a_time_that_is_not_rfc3339_is_invalid() -> None:
    code, message = status_write("RayJob", {"startTime": "yesterday"})
    assert code == 422
    assert 'status.startTime in body must be of type date-time: "yesterday"' in message


def test_an_unknown_status_field_is_a_strict_decoding_error() -> None:
    code, message = status_write("RayJob", {"jobStatuss": "RUNNING"})
    assert code == 400
    assert message == ('RayJob in version "v1" cannot be handled as a RayJob: strict decoding error: unknown field '
                       '"status.jobStatuss"')


def test_raycluster_conditions_need_their_required_keys_and_a_known_status() -> None:
    code, message = status_write("RayCluster", {"conditions": [{"type": "HeadPodReady", "status": "Maybe"}]})
    assert code == 422
    assert 'status.conditions[0].status: Unsupported value: "Maybe"' in message
    assert "status.conditions[0].lastTransitionTime: Required value" in message


def test_a_job_condition_needs_a_type_and_a_status() -> None:
    code, message = status_write("Job", {"conditions": [{"reason": "BackoffLimitExceeded"}]}, "batch/v1")
    assert code == 422
    assert "status.conditions[0].type: Required value" in message


def test_a_create_never_validates_the_status_it_drops() -> None:
    obj = {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": "demo"},
           "spec": {"entrypoint": "python x.py"}, "status": {"failed": "many"}}
    assert validate_manifest(Manifest(obj, "<test>", 0)).ok

"""The Backend contract, a RayJob's life: journal transitions, events, logs by source through the one resolver,
and the optional capabilities each backend declares. Every registered backend must pass it."""

from __future__ import annotations

import pytest

from harness.backends.base import LOG_SOURCES, Backend, LogUnavailable
from harness.backends.logs import read_driver_log
from harness.backends.registry import backend_info

from .manifests import GREETING, rayjob

TIMEOUT = 600.0


def _state(backend: Backend, namespace: str, name: str = "contract") -> str | None:
    obj = backend.get("RayJob", name, namespace=namespace)
    return None if obj is None else (obj.get("status") or {}).get("jobDeploymentStatus")


def _run(backend: Backend, namespace: str, **spec: object) -> None:
    backend.apply(rayjob(**spec), namespace=namespace)
    assert backend.wait_until(lambda: _state(backend, namespace) == "Complete", TIMEOUT)


@pytest.fixture
def finished(backend: Backend, namespace: str) -> str:
    """A K8sJobMode RayJob run to Complete, its cluster kept (no shutdown) so that every log can be read."""
    _run(backend, namespace)
    return namespace


def test_the_journal_holds_the_rayjob_transitions_in_order(backend, finished):
    states = [v for _, v in backend.journal.values("status.jobDeploymentStatus", kind="RayJob", namespace=finished,
                                                   name="contract")]
    assert states == ["Initializing", "Running", "Complete"]


def test_the_journal_holds_every_kind_of_object_the_run_touched(backend, finished):
    kinds = {e.kind for e in backend.journal.entries if e.namespace == finished}
    assert {"RayJob", "RayCluster", "Pod", "Service", "Job", "Event"} <= kinds


def test_events_are_listed_oldest_first_and_name_what_the_operator_did(backend, finished):
    events = backend.events(namespace=finished)
    reasons = [e["reason"] for e in events if e["involvedObject"]["kind"] == "RayJob"]
    assert reasons.index("CreatedRayCluster") < reasons.index("CreatedRayJobSubmitter")


def test_the_driver_log_holds_what_the_entrypoint_printed(backend, finished, target):
    target.skip_unless_it_serves("driver")
    log = backend.logs(namespace=finished, source="driver", rayjob="contract")
    assert GREETING in log.text and log.subject == "driver log of RayJob/contract"


def test_the_submitter_log_streams_the_driver_log(backend, finished):
    assert GREETING in backend.logs(namespace=finished, source="submitter", rayjob="contract").text


def test_the_head_log_is_ray_start_output_not_the_driver_log(backend, finished):
    text = backend.logs(namespace=finished, source="head", rayjob="contract").text
    assert "Ray runtime started" in text and GREETING not in text


def test_the_head_log_can_be_read_by_the_raycluster_too(backend, finished):
    cluster = backend.get("RayJob", "contract", namespace=finished)["status"]["rayClusterName"]
    text = backend.logs(namespace=finished, source="head", raycluster=cluster).text
    assert "Ray runtime started" in text


def test_the_worker_log_is_the_worker_pods_ray_output(backend, finished):
    assert "Ray runtime started" in backend.logs(namespace=finished, source="worker", rayjob="contract").text


def test_the_operator_log_is_readable_for_a_rayjob(backend, finished, target):
    target.skip_unless_it_serves("operator")
    log = backend.logs(namespace=finished, source="operator", rayjob="contract")
    assert log.subject == "operator log about RayJob/contract"


@pytest.mark.parametrize("source", LOG_SOURCES)
def test_every_source_of_an_absent_rayjob_is_unavailable_saying_so(backend, namespace, source):
    with pytest.raises(LogUnavailable, match="RayJob/nobody"):
        backend.logs(namespace=namespace, source=source, rayjob="nobody")


def test_the_submitter_of_a_sidecar_mode_rayjob_is_the_head_pods_submitter_container(backend, namespace):
    _run(backend, namespace, submissionMode="SidecarMode")
    log = backend.logs(namespace=namespace, source="submitter", rayjob="contract")
    assert log.subject == "submitter container of RayJob/contract's head pod" and GREETING in log.text


def test_an_http_mode_rayjob_has_no_submitter_log(backend, namespace):
    _run(backend, namespace, submissionMode="HTTPMode")
    with pytest.raises(LogUnavailable, match="submissionMode=HTTPMode, which has no submitter pod"):
        backend.logs(namespace=namespace, source="submitter", rayjob="contract")


def test_warnings_name_what_the_api_server_warned_about(backend, namespace):
    legacy = rayjob()
    legacy["apiVersion"] = "ray.io/v1alpha1"
    backend.apply(legacy, namespace=namespace)
    assert any("ray.io/v1alpha1 RayJob is deprecated" in warning for warning in backend.warnings())


def _finished_with_ttl(backend: Backend, namespace: str) -> None:
    """A RayJob whose RayCluster (head pod and driver log with it) is deleted 10 s after it completes."""
    _run(backend, namespace, shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=10)
    assert backend.wait_until(lambda: not backend.list("Pod", namespace=namespace,
                                                       selector="ray.io/node-type=head"), TIMEOUT)


def test_the_driver_log_of_a_deleted_head_is_unavailable_and_names_the_submitter_log(backend, namespace):
    _finished_with_ttl(backend, namespace)
    with pytest.raises(LogUnavailable) as caught:
        backend.logs(namespace=namespace, source="driver", rayjob="contract")
    assert "was deleted at" in caught.value.message and "went with it" in caught.value.message
    assert caught.value.hint is not None and "--logs submitter" in caught.value.hint
    assert "kubectl" not in str(caught.value)


def test_the_driver_log_of_a_rayjob_not_submitted_yet_says_its_head_is_running(backend, namespace):
    broken = rayjob()
    broken["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"] = [
        {"containerPort": 8265}]  # no port named dashboard: the RayJob never leaves Initializing
    backend.apply(broken, namespace=namespace)
    assert backend.wait_until(lambda: any(
        (p.get("status") or {}).get("phase") == "Running" and any(
            c.get("type") == "Ready" and c.get("status") == "True" for c in p["status"].get("conditions") or [])
        for p in backend.list("Pod", namespace=namespace, selector="ray.io/node-type=head")), TIMEOUT)
    with pytest.raises(LogUnavailable) as caught:
        backend.logs(namespace=namespace, source="driver", rayjob="contract")
    assert "is Running" in caught.value.message and "not running" not in caught.value.message
    assert "still Initializing, so nothing has submitted the job" in caught.value.message


def test_a_captured_driver_log_is_the_log_as_it_was_marked_as_a_copy_where_the_backend_keeps_one(backend, namespace):
    capture = backend.capabilities.driver_log_capture
    if capture is None:
        pytest.skip(f"backend={backend.name} does not declare driver_log_capture")
    _finished_with_ttl(backend, namespace)
    copy = capture.captured_driver_log("contract", namespace=namespace)
    assert copy is not None and GREETING in copy.text and copy.pod_deleted
    assert copy.submission_id == backend.get("RayJob", "contract", namespace=namespace)["status"]["jobId"]
    log = read_driver_log(backend, namespace=namespace, rayjob="contract")
    assert log.text == copy.text
    assert log.note.startswith(f"captured before head pod {copy.pod} was deleted at ")


def test_reading_the_driver_log_prefers_the_live_one_to_any_copy(backend, finished, target):
    target.skip_unless_it_serves("driver")
    log = read_driver_log(backend, namespace=finished, rayjob="contract")
    assert GREETING in log.text and log.note == ""


def test_a_backend_is_what_its_registry_entry_declares(backend):
    info = backend_info(backend.name)
    if info.target_decides:  # what it offers depends on the server it reached
        assert backend.capabilities.names <= info.capabilities
    else:
        assert backend.capabilities.names == info.capabilities
        assert backend.virtual_time == info.virtual_time
    assert backend.executor_name in info.executors
    assert backend.kuberay_version == info.kuberay_versions[info.default_kuberay_version]


def test_a_user_can_submit_to_an_interactive_mode_rayjob_where_the_backend_can(backend, namespace):
    submit = backend.capabilities.ray_job_submit
    if submit is None:
        pytest.skip(f"backend={backend.name} offers no ray_job_submit here")
    backend.apply(rayjob(submissionMode="InteractiveMode"), namespace=namespace)
    assert backend.wait_until(lambda: _state(backend, namespace) == "Waiting", TIMEOUT)
    submit.submit_ray_job("contract", "by-hand", namespace=namespace)
    backend.patch("RayJob", "contract", {"spec": {"jobId": "by-hand"}}, namespace=namespace)
    assert backend.wait_until(lambda: _state(backend, namespace) == "Complete", TIMEOUT)


def test_settling_runs_until_every_rayjob_is_done_where_the_backend_can(backend, namespace):
    settle = backend.capabilities.settle
    if settle is None:
        pytest.skip(f"backend={backend.name} offers no settle here")
    backend.apply(rayjob(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=10), namespace=namespace)
    assert settle.settle(TIMEOUT)
    assert _state(backend, namespace) == "Complete"
    assert backend.list("RayCluster", namespace=namespace) == []

"""Why a RayJob ended where it did: operator-log errors quoted once with a count, the last error line of a log,
why a pod is not ready, and the explanations of states that hold a RayJob."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.backends.base import Backend, BackendSettings
from harness.backends.registry import backend_info
from harness.executors import ExecutorSettings
from harness.runner.explain import explain, last_error_line, pod_problem, repeated_errors
from harness.runner.outcomes import outcome_of
from tests.backends.manifests import rayjob


def test_repeated_operator_errors_are_quoted_once_with_a_count_and_their_first_time():
    lines = ["    11.600  RayJob default/x  Reconciler error: dashboard port is not found",
             "    11.605  RayJob default/x  Reconciler error: dashboard port is not found",
             "12.000 RayCluster default/x-abcde: pods \"x\" is forbidden: exceeded quota",
             "    13.000  RayJob default/x  Reconciler error: dashboard port is not found"]
    assert repeated_errors(lines) == [
        ('pods "x" is forbidden: exceeded quota', 1, 12.0),
        ("Reconciler error: dashboard port is not found", 3, 11.6),
    ]


def test_operator_lines_that_report_no_error_are_left_out():
    assert repeated_errors(["    3.000  RayJob default/x  Created RayCluster default/x-abcde"]) == []


def test_lines_without_a_leading_time_are_kept_whole():
    assert repeated_errors(["ERROR Reconciler error {\"error\": \"dashboard port is not found\"}"]) == [
        ('ERROR Reconciler error {"error": "dashboard port is not found"}', 1, None)]


def test_the_last_error_line_of_a_log_is_the_exception_not_what_followed_it():
    log = "epoch 1\nTraceback (most recent call last):\n  File \"x.py\"\nValueError: bad lr\ncleaning up\n"
    assert last_error_line(log) == "ValueError: bad lr"


def test_a_log_without_an_error_line_ends_with_its_last_line_and_pod_headers_are_skipped():
    assert last_error_line("==> pod a <==\nstarting\nstill going\n\n") == "still going"
    assert last_error_line("") is None


def _pod(phase: str, *, ready: bool, waiting: dict[str, str] | None = None,
         scheduled: dict[str, str] | None = None) -> dict[str, Any]:
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    if scheduled is not None:
        conditions.append({"type": "PodScheduled", "status": "False", **scheduled})
    statuses = [{"name": "ray-head", "state": {"waiting": waiting}}] if waiting else []
    return {"metadata": {"name": "x-head-abcde", "labels": {"ray.io/node-type": "head"}},
            "status": {"phase": phase, "conditions": conditions, "containerStatuses": statuses}}


def test_a_ready_pod_has_no_problem():
    assert pod_problem(_pod("Running", ready=True)) is None


def test_a_pod_not_ready_says_its_phase_and_the_reason_its_containers_wait():
    text = pod_problem(_pod("Pending", ready=False, waiting={"reason": "ImagePullBackOff",
                                                              "message": "Back-off pulling image"}))
    assert text == 'head pod x-head-abcde is Pending, not ready (container ray-head waiting: ImagePullBackOff ' \
                   '"Back-off pulling image")'


def test_an_unschedulable_pod_says_what_the_scheduler_said():
    said = {"reason": "Unschedulable", "message": "0/1 nodes are available: 1 Insufficient cpu."}
    text = pod_problem(_pod("Pending", ready=False, scheduled=said))
    assert text is not None and "not scheduled: Unschedulable 0/1 nodes are available: 1 Insufficient cpu." in text


@pytest.fixture
def backend() -> Iterator[Backend]:
    made = backend_info("sim").create(BackendSettings(executor=ExecutorSettings(name="scripted")))
    yield made
    made.close()


def _explain(backend: Backend, obj: dict[str, Any], seconds: float = 600.0) -> tuple[str, ...]:
    backend.apply(obj, namespace="default")
    backend.advance(seconds)
    name = obj["metadata"]["name"]
    return explain(backend, outcome_of(backend.journal, "default", name,
                                       backend.get("RayJob", name, namespace="default"))).why


def test_an_interactive_mode_rayjob_waits_for_its_job_id(backend: Backend):
    why = _explain(backend, rayjob(submissionMode="InteractiveMode"))
    assert why[0].startswith("still Waiting after ") and "InteractiveMode waits for spec.jobId" in why[0]


def test_a_suspended_rayjob_waits_to_be_resumed(backend: Backend):
    why = _explain(backend, rayjob(suspend=True, shutdownAfterJobFinishes=True))
    assert why[0].startswith("Suspended after ") and "spec.suspend is true" in why[0]


def test_a_rayjob_managed_by_another_controller_is_left_alone(backend: Backend):
    why = _explain(backend, rayjob(managedBy="kueue.x-k8s.io/multikueue"))
    assert why == ("the operator leaves it alone: spec.managedBy=kueue.x-k8s.io/multikueue",)


def test_a_rayjob_whose_cluster_is_not_ready_names_the_pods_that_are_not(backend: Backend):
    why = _explain(backend, rayjob(), seconds=2.0)
    assert why[0] == "still Initializing after 2s (since t=0s)"
    assert any(line.startswith("RayCluster contract-") and line.endswith(" is not ready") for line in why)
    assert any(line.startswith("head pod contract-") and "not ready" in line for line in why)


def test_a_rayjob_whose_selected_cluster_does_not_exist_says_so(backend: Backend):
    job = rayjob(clusterSelector={"ray.io/cluster": "shared"})
    del job["spec"]["rayClusterSpec"]
    why = _explain(backend, job)
    assert "RayCluster shared does not exist" in why

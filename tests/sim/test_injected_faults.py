"""Faults a scenario injects into the simulated machinery: refused creates and deletes, killed containers,
held Jobs. Each is checked where it lives (store, kubelet, Job controller); the operator's reaction is in
``tests/kuberay/test_faults.py``."""

from __future__ import annotations

import pytest

from harness.kube.containers import ContainerContext
from harness.kube.jobcontroller import JobController
from harness.kube.kubelet import Kubelet, Latencies
from harness.model.kinds import CONFIGMAP, JOB, POD, RAYCLUSTER, RAYJOB
from harness.sim.clock import Clock
from harness.sim.events import EventRecorder
from harness.sim.faults import PendingFailure
from harness.sim.store import ApiError, BadRequest, InjectedFailure, NotFound, ObjectStore

from .objects import configmap, pod, raycluster, rayjob

RUNNING_AT = Latencies().schedule + Latencies().container_start


def fail(store: ObjectStore, verb: str, rtype, *, times: int = 1, reason: str = "InternalError", code: int = 500,
         message: str = "etcdserver: request timed out", namespace: str = "default") -> None:
    store.faults.add(PendingFailure(verb, rtype, namespace, times, code, reason, message))  # type: ignore[arg-type]


# -- the API server ----------------------------------------------------------------------------------------------


def test_the_next_create_of_a_kind_is_refused_with_the_reason_code_and_message(store: ObjectStore) -> None:
    fail(store, "create", CONFIGMAP)
    with pytest.raises(InjectedFailure) as refused:
        store.create(configmap("a"))
    assert (refused.value.code, refused.value.reason) == (500, "InternalError")
    assert refused.value.message == "Internal error occurred: etcdserver: request timed out"
    assert store.find(CONFIGMAP, "default", "a") is None
    store.create(configmap("a"))  # the refusal is used up


def test_a_refusal_for_several_requests_refuses_that_many(store: ObjectStore) -> None:
    fail(store, "create", CONFIGMAP, times=2)
    for _ in range(2):
        with pytest.raises(InjectedFailure):
            store.create(configmap("a"))
    assert store.create(configmap("a"))


def test_only_the_kind_verb_and_namespace_named_are_refused(store: ObjectStore) -> None:
    store.ensure_namespace("other")
    fail(store, "create", CONFIGMAP)
    store.create(configmap("elsewhere", namespace="other"))
    store.create(raycluster("c"))
    fail(store, "delete", RAYCLUSTER)
    with pytest.raises(InjectedFailure):
        store.create(configmap("here"))
    with pytest.raises(InjectedFailure):
        store.delete(RAYCLUSTER, "default", "c")
    assert store.find(RAYCLUSTER, "default", "c") is not None


@pytest.mark.parametrize(("reason", "code", "text"), [
    ("Forbidden", 403, 'configmaps "a" is forbidden: no'),
    ("Conflict", 409, 'Operation cannot be fulfilled on configmaps "a": no'),
    ("Timeout", 504, "Timeout: no"),
    ("ServiceUnavailable", 503, "no"),
])
def test_each_reason_is_worded_as_the_api_server_words_it(store: ObjectStore, reason: str, code: int,
                                                          text: str) -> None:
    fail(store, "create", CONFIGMAP, reason=reason, code=code, message="no")
    with pytest.raises(ApiError) as refused:
        store.create(configmap("a"))
    assert (refused.value.code, refused.value.reason, refused.value.message) == (code, reason, text)


def test_the_garbage_collector_retries_a_deletion_it_was_refused(store: ObjectStore, clock: Clock) -> None:
    owner = store.create(rayjob("owner"))
    store.create(raycluster("c", owner=owner))
    fail(store, "delete", RAYCLUSTER)
    store.delete(RAYJOB, "default", "owner")
    clock.advance(0)
    assert store.find(RAYCLUSTER, "default", "c") is not None
    clock.advance(1)
    assert store.find(RAYCLUSTER, "default", "c") is None


# -- the kubelet ---------------------------------------------------------------------------------------------------


class Runs:
    """Runs until stopped; records each stop."""

    def __init__(self) -> None:
        self.stops = 0

    def start(self, ctx: ContainerContext) -> None:
        ctx.set_ready(True)

    def stop(self, ctx: ContainerContext) -> None:
        self.stops += 1


def kubelet_with(store: ObjectStore, clock: Clock, program: Runs) -> Kubelet:
    return Kubelet(store, clock, lambda pod, container: program)


def test_a_killed_container_stops_its_program_and_ends_with_the_exit_code(store: ObjectStore, clock: Clock) -> None:
    program = Runs()
    kubelet = kubelet_with(store, clock, program)
    store.create({**pod("p"), "spec": {**pod("p")["spec"], "restartPolicy": "Never"}})
    clock.advance(RUNNING_AT + 1)
    assert kubelet.kill("default", "p", None, 137, "OOMKilled") == "main"
    status = store.get(POD, "default", "p")["status"]
    assert program.stops == 1
    assert status["phase"] == "Failed"
    assert status["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 137
    assert status["containerStatuses"][0]["state"]["terminated"]["reason"] == "OOMKilled"


def test_a_killed_container_restarts_as_its_restart_policy_says(store: ObjectStore, clock: Clock) -> None:
    kubelet = kubelet_with(store, clock, Runs())
    store.create(pod("p"))  # restartPolicy Always by default
    clock.advance(RUNNING_AT + 1)
    kubelet.kill("default", "p", "main", 143, "Error")
    clock.advance(Latencies().restart_backoff + 1)
    status = store.get(POD, "default", "p")["status"]
    assert status["containerStatuses"][0]["restartCount"] == 1
    assert status["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 143
    assert "running" in status["containerStatuses"][0]["state"]


def test_a_container_that_is_not_running_cannot_be_killed(store: ObjectStore, clock: Clock) -> None:
    kubelet = kubelet_with(store, clock, Runs())
    store.create(pod("p"))
    with pytest.raises(BadRequest, match="is not scheduled yet"):
        kubelet.kill("default", "p", None, 137, "Error")
    clock.advance(RUNNING_AT + 1)
    with pytest.raises(BadRequest, match="container sidecar is not valid for pod p"):
        kubelet.kill("default", "p", "sidecar", 137, "Error")
    with pytest.raises(NotFound):
        kubelet.kill("default", "nope", None, 137, "Error")


# -- the Job controller --------------------------------------------------------------------------------------------


def submitter(name: str = "demo") -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "Never",
                                                              "containers": [{"name": "s", "image": "x"}]}}}}


def test_a_held_job_gets_no_pod_and_no_status_until_it_is_released(store: ObjectStore, clock: Clock) -> None:
    controller = JobController(store, clock)
    Kubelet(store, clock)
    controller.hold("default", "demo")
    store.create(submitter())
    clock.advance(600)
    assert store.list(POD, "default") == []
    assert "status" not in store.get(JOB, "default", "demo")
    controller.hold("default", "demo", held=False)
    clock.advance(1)
    assert len(store.list(POD, "default")) == 1
    assert store.get(JOB, "default", "demo")["status"]["active"] == 1


def test_a_refused_pod_creation_is_a_failed_create_event_and_a_retry(store: ObjectStore, clock: Clock) -> None:
    recorder = EventRecorder(store, clock)
    JobController(store, clock, recorder)
    fail(store, "create", POD, times=3)
    job = store.create(submitter())
    clock.advance(1)
    assert len(store.list(POD, "default")) == 1
    [event] = recorder.list_for(job)
    assert (event["type"], event["reason"], event["count"]) == ("Warning", "FailedCreate", 3)
    assert event["message"] == "Error creating: Internal error occurred: etcdserver: request timed out"

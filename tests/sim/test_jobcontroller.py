"""Specification of the batch/v1 Job controller as a RayJob's submitter uses it, and of Job admission."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import pytest

from harness._util.names import ALPHABET
from harness.kube.admission import check_builtin
from harness.kube.containers import ContainerProgram, ExitAfter
from harness.kube.jobcontroller import JobController, replacement_delay
from harness.kube.kubelet import Kubelet, Latencies
from harness.model.enums import WatchEventType
from harness.model.kinds import JOB, POD
from harness.sim.clock import Clock
from harness.sim.store import Invalid, ObjectStore, WatchEvent

from .objects import Obj

RUNNING_AT = Latencies().schedule + Latencies().container_start
RUNTIME = 5.0
BACKOFF_LIMIT_MESSAGE = "Job has reached the specified backoff limit"


@dataclass
class Outcomes:
    """Submitter exit codes, one per pod in creation order (the last one repeats)."""

    codes: list[int]
    created: int = 0

    def __call__(self, pod: Mapping[str, Any], container: Mapping[str, Any]) -> ContainerProgram:
        code = self.codes[min(self.created, len(self.codes) - 1)]
        self.created += 1
        return ExitAfter(RUNTIME, code, (f"exit {code}",))


@dataclass
class PodTimeline:
    """Pod creations (time, name) and the largest number of pods alive (not terminal) at any instant."""

    created: list[tuple[float, str]] = field(default_factory=list)
    peak_active: int = 0
    _active: set[str] = field(default_factory=set)

    def __call__(self, event: WatchEvent) -> None:
        if event.rtype != POD:
            return
        if event.type == WatchEventType.ADDED:
            self.created.append((event.t, event.name))
        phase = (event.obj.get("status") or {}).get("phase", "Pending")
        if event.type == WatchEventType.DELETED or phase in ("Succeeded", "Failed"):
            self._active.discard(event.name)
        else:
            self._active.add(event.name)
        self.peak_active = max(self.peak_active, len(self._active))


@dataclass
class World:
    store: ObjectStore
    clock: Clock
    outcomes: Outcomes
    pods: PodTimeline

    def job(self, name: str = "rayjob-sample") -> Obj:
        return self.store.get(JOB, "default", name)

    def conditions(self, name: str = "rayjob-sample") -> list[tuple[str, str, str]]:
        return [(c["type"], c["reason"], c["message"]) for c in self.job(name)["status"].get("conditions", [])]


def make_world(store: ObjectStore, clock: Clock, codes: list[int]) -> World:
    store.admission.append(check_builtin)
    outcomes = Outcomes(codes)
    pods = PodTimeline()
    store.watch(pods)
    Kubelet(store, clock, outcomes)
    JobController(store, clock)
    return World(store, clock, outcomes, pods)


def submitter_job(name: str = "rayjob-sample", *, backoff_limit: int | None = 2,
                  restart_policy: str | None = "Never") -> Obj:
    spec: Obj = {"template": {"spec": {"containers": [{"name": "ray-job-submitter",
                                                       "image": "rayproject/ray:2.60.0"}]}}}
    if restart_policy is not None:
        spec["template"]["spec"]["restartPolicy"] = restart_policy
    if backoff_limit is not None:
        spec["backoffLimit"] = backoff_limit
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec}


def test_a_job_runs_one_pod_named_after_it_with_job_labels(store: ObjectStore, clock: Clock) -> None:
    world = make_world(store, clock, [0])
    job = store.create(submitter_job())
    clock.advance(1)
    pods = store.list(POD, "default")
    assert len(pods) == 1
    meta = pods[0]["metadata"]
    name, suffix = meta["name"].rsplit("-", 1)
    assert name == "rayjob-sample" and len(suffix) == 5 and set(suffix) <= set(ALPHABET)
    uid = job["metadata"]["uid"]
    assert meta["labels"] == {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name":
                              "rayjob-sample", "controller-uid": uid, "job-name": "rayjob-sample"}
    assert meta["ownerReferences"][0]["uid"] == uid and meta["ownerReferences"][0]["controller"] is True
    assert world.job()["status"]["active"] == 1


def test_a_job_never_runs_two_pods_at_once(store: ObjectStore, clock: Clock) -> None:
    world = make_world(store, clock, [1, 1, 0])
    store.create(submitter_job())
    clock.advance(3600)
    assert len(world.pods.created) == 3
    assert world.pods.peak_active == 1


def test_a_succeeded_pod_gives_success_criteria_met_then_complete(store: ObjectStore, clock: Clock) -> None:
    world = make_world(store, clock, [0])
    store.create(submitter_job())
    clock.advance(3600)
    assert world.conditions() == [
        ("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"),
        ("Complete", "CompletionsReached", "Reached expected number of succeeded pods")]
    status = world.job()["status"]
    assert status["succeeded"] == 1 and "failed" not in status and "active" not in status
    assert status["completionTime"] == clock.timestamp(RUNNING_AT + RUNTIME)


def test_the_complete_condition_is_stamped_when_the_pod_finished(store: ObjectStore, clock: Clock) -> None:
    world = make_world(store, clock, [0])
    store.create(submitter_job())
    clock.advance(3600)
    complete = next(c for c in world.job()["status"]["conditions"] if c["type"] == "Complete")
    assert clock.parse_timestamp(complete["lastTransitionTime"]) == int(RUNNING_AT + RUNTIME)


def test_a_failed_pod_is_replaced_after_a_ten_second_back_off(store: ObjectStore, clock: Clock) -> None:
    world = make_world(store, clock, [1, 0])
    store.create(submitter_job())
    clock.advance(3600)
    (first_t, first), (second_t, second) = world.pods.created
    assert first != second
    assert second_t == pytest.approx(first_t + RUNNING_AT + RUNTIME + 10.0)
    status = world.job()["status"]
    assert (status["failed"], status["succeeded"]) == (1, 1)
    assert [c[0] for c in world.conditions()] == ["SuccessCriteriaMet", "Complete"]


def test_the_replacement_back_off_doubles_with_each_failure(store: ObjectStore, clock: Clock) -> None:
    world = make_world(store, clock, [1, 1, 0])
    store.create(submitter_job())
    clock.advance(3600)
    created = [t for t, _ in world.pods.created]
    waits = [round(b - a - RUNNING_AT - RUNTIME, 6) for a, b in pairwise(created)]
    assert waits == [10.0, 20.0]


def test_exceeding_the_backoff_limit_fails_the_job(store: ObjectStore, clock: Clock) -> None:
    world = make_world(store, clock, [1])
    store.create(submitter_job(backoff_limit=1))
    clock.advance(3600)
    assert len(world.pods.created) == 2  # backoffLimit 1: one retry, then no more pods
    assert world.conditions() == [("FailureTarget", "BackoffLimitExceeded", BACKOFF_LIMIT_MESSAGE),
                                  ("Failed", "BackoffLimitExceeded", BACKOFF_LIMIT_MESSAGE)]
    assert world.job()["status"]["failed"] == 2


def test_a_backoff_limit_of_zero_fails_the_job_at_the_first_failed_pod(store: ObjectStore, clock: Clock) -> None:
    world = make_world(store, clock, [3])
    store.create(submitter_job(backoff_limit=0))
    clock.advance(3600)
    assert len(world.pods.created) == 1
    assert [c[0] for c in world.conditions()] == ["FailureTarget", "Failed"]


def test_a_job_without_backoff_limit_allows_six_retries(store: ObjectStore, clock: Clock) -> None:
    world = make_world(store, clock, [1])
    store.create(submitter_job(backoff_limit=None))
    clock.advance(86_400)
    assert len(world.pods.created) == 7
    assert world.job()["status"]["failed"] == 7


def test_a_finished_job_creates_no_more_pods(store: ObjectStore, clock: Clock) -> None:
    world = make_world(store, clock, [0])
    store.create(submitter_job())
    clock.advance(60)
    store.patch(JOB, "default", "rayjob-sample", {"metadata": {"labels": {"touched": "yes"}}})
    clock.advance(3600)
    assert len(world.pods.created) == 1


def test_deleting_a_job_collects_its_pods(store: ObjectStore, clock: Clock) -> None:
    make_world(store, clock, [0])
    store.create(submitter_job())
    clock.advance(60)
    store.delete(JOB, "default", "rayjob-sample")
    clock.advance(60)
    assert store.list(POD, "default") == []


# -- admission ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["Always", None])
def test_a_job_whose_pods_would_restart_always_is_refused(store: ObjectStore, clock: Clock,
                                                          policy: str | None) -> None:
    make_world(store, clock, [0])
    with pytest.raises(Invalid) as excinfo:
        store.create(submitter_job(restart_policy=policy))
    assert str(excinfo.value) == ('Job.batch "rayjob-sample" is invalid: spec.template.spec.restartPolicy: '
                                  'Required value: valid values: "OnFailure", "Never"')
    assert excinfo.value.code == 422
    assert store.find(JOB, "default", "rayjob-sample") is None


@pytest.mark.parametrize("policy", ["Never", "OnFailure"])
def test_a_job_whose_pods_never_or_on_failure_restart_is_admitted(store: ObjectStore, clock: Clock,
                                                                   policy: str) -> None:
    make_world(store, clock, [0])
    store.create(submitter_job(restart_policy=policy))
    assert store.find(JOB, "default", "rayjob-sample") is not None



@pytest.mark.parametrize(("failures", "delay"), [(1, 10.0), (2, 20.0), (6, 320.0), (7, 360.0), (100_000, 360.0)])
def test_the_replacement_back_off_doubles_up_to_its_cap_whatever_the_failure_count(failures: int,
                                                                                   delay: float) -> None:
    assert replacement_delay(failures) == delay

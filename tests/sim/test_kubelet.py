"""Specification of the kubelet model: pod phases and readiness timing, exits, restarts, logs and deletion."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import pytest

from harness.kube.containers import ContainerContext, ContainerProgram, ExitAfter, LongRunning
from harness.kube.kubelet import NODE_NAME, Kubelet, Latencies, restart_delay
from harness.model.enums import WatchEventType
from harness.model.kinds import POD
from harness.sim.clock import Clock
from harness.sim.store import ApiError, ObjectStore, WatchEvent

from .objects import Obj, pod

SCHEDULE, START = Latencies().schedule, Latencies().container_start
RUNNING_AT = SCHEDULE + START  # when containers start with the default latencies


@dataclass
class Programs:
    """A program factory keyed by container name; unknown containers run forever."""

    makers: dict[str, Callable[[], ContainerProgram]] = field(default_factory=dict)

    def __call__(self, pod: Mapping[str, Any], container: Mapping[str, Any]) -> ContainerProgram | None:
        maker = self.makers.get(str(container["name"]))
        return maker() if maker else None


@dataclass
class Attempts:
    """Logs its attempt number, then exits with ``code`` after ``seconds``; records when it was stopped."""

    seconds: float
    code: int
    count: int = 0
    started_at: list[float] = field(default_factory=list)
    stopped_at: list[float] = field(default_factory=list)

    def start(self, ctx: ContainerContext) -> None:
        self.count += 1
        self.started_at.append(ctx.clock.now)
        ctx.set_ready(True)
        ctx.log(f"attempt {self.count}")
        ctx.clock.call_later(self.seconds, lambda: ctx.exit(self.code))

    def stop(self, ctx: ContainerContext) -> None:
        self.stopped_at.append(ctx.clock.now)


@dataclass
class ReadyAfter:
    """A service that becomes able to pass its readiness probe ``seconds`` after it starts."""

    seconds: float

    def start(self, ctx: ContainerContext) -> None:
        ctx.clock.call_later(self.seconds, lambda: ctx.set_ready(True))

    def stop(self, ctx: ContainerContext) -> None:
        return None


@pytest.fixture
def programs() -> Programs:
    return Programs()


@pytest.fixture
def kubelet(store: ObjectStore, clock: Clock, programs: Programs) -> Kubelet:
    return Kubelet(store, clock, programs)


@dataclass
class PodView:
    """What ``kubectl get pod -w`` would show over time: (t, phase, ready) at each status change."""

    rows: list[tuple[float, str, bool]] = field(default_factory=list)

    def __call__(self, event: WatchEvent) -> None:
        if event.rtype != POD or event.type == WatchEventType.DELETED or "status" not in event.obj:
            return
        status = event.obj["status"]
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or [])
        row = (event.t, status["phase"], ready)
        if not self.rows or self.rows[-1][1:] != row[1:]:
            self.rows.append(row)

    def first(self, phase: str, ready: bool | None = None) -> float:
        return next(t for t, p, r in self.rows if p == phase and (ready is None or r == ready))


@pytest.fixture
def view(store: ObjectStore) -> PodView:
    view = PodView()
    store.watch(view)
    return view


def with_probe(obj: Obj, initial: int, period: int = 10) -> Obj:
    obj["spec"]["containers"][0]["readinessProbe"] = {
        "httpGet": {"path": "/", "port": 8265}, "initialDelaySeconds": initial, "periodSeconds": period}
    return obj


def with_restart_policy(obj: Obj, policy: str) -> Obj:
    obj["spec"]["restartPolicy"] = policy
    return obj


def get(store: ObjectStore, name: str) -> Obj:
    return store.get(POD, "default", name)


def container_status(store: ObjectStore, name: str, container: str = "main") -> Obj:
    statuses = get(store, name)["status"]["containerStatuses"]
    return next(s for s in statuses if s["name"] == container)


# -- start-up -----------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("kubelet")
def test_a_new_pod_is_bound_to_the_node_and_pending_while_containers_are_created(store: ObjectStore,
                                                                                 clock: Clock) -> None:
    store.create(pod("p"))
    clock.advance(SCHEDULE)
    bound = get(store, "p")
    assert bound["spec"]["nodeName"] == NODE_NAME
    assert bound["status"]["phase"] == "Pending"
    assert container_status(store, "p")["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert bound["status"]["podIP"].startswith("10.244.0.")


@pytest.mark.usefixtures("kubelet")
def test_a_pod_without_probe_is_running_and_ready_once_its_containers_start(store: ObjectStore, clock: Clock,
                                                                            view: PodView) -> None:
    store.create(pod("p"))
    clock.advance(60)
    assert view.rows == [(SCHEDULE, "Pending", False), (RUNNING_AT, "Running", True)]
    assert container_status(store, "p")["state"]["running"]["startedAt"] == clock.timestamp(RUNNING_AT)


@pytest.mark.usefixtures("kubelet")
def test_a_readiness_probe_makes_the_pod_ready_after_its_initial_delay(store: ObjectStore, clock: Clock,
                                                                       view: PodView) -> None:
    store.create(with_probe(pod("p"), initial=5))
    clock.advance(60)
    assert view.first("Running", ready=False) == pytest.approx(RUNNING_AT)
    assert view.first("Running", ready=True) == pytest.approx(RUNNING_AT + 5)


def test_readiness_gained_between_probes_shows_at_the_next_probe_period(store: ObjectStore, clock: Clock,
                                                                        programs: Programs, kubelet: Kubelet,
                                                                        view: PodView) -> None:
    programs.makers["main"] = lambda: ReadyAfter(7.0)
    store.create(with_probe(pod("p"), initial=5, period=10))
    clock.advance(60)
    # Probes at start+5, start+15, ...: the program is ready from start+7, so the probe at start+15 sees it.
    assert view.first("Running", ready=True) == pytest.approx(RUNNING_AT + 15)


def test_all_containers_must_be_ready_for_the_pod_to_be_ready(store: ObjectStore, clock: Clock,
                                                               programs: Programs, kubelet: Kubelet,
                                                               view: PodView) -> None:
    programs.makers["slow"] = lambda: ReadyAfter(20.0)
    obj = pod("p", containers=("main", "slow"))
    obj["spec"]["containers"][1]["readinessProbe"] = {"tcpSocket": {"port": 8080}, "periodSeconds": 3}
    store.create(obj)
    clock.advance(60)
    # "main" (no probe) is ready at once; "slow" passes its probe at the first period after 20 s: 21 s.
    assert view.first("Running", ready=True) == pytest.approx(RUNNING_AT + 21)


@dataclass
class Silent:
    """A batch process that never says anything about readiness (as a ``ray job submit`` process)."""

    def start(self, ctx: ContainerContext) -> None:
        ctx.clock.call_later(3600.0, lambda: ctx.exit(0))

    def stop(self, ctx: ContainerContext) -> None:
        return None


def test_a_container_without_readiness_probe_is_ready_as_soon_as_it_runs(store: ObjectStore, clock: Clock,
                                                                          programs: Programs, kubelet: Kubelet,
                                                                          view: PodView) -> None:
    programs.makers["main"] = Silent
    store.create(pod("p"))
    clock.advance(60)
    assert view.first("Running", ready=True) == pytest.approx(RUNNING_AT)


def test_custom_latencies_set_the_start_up_timing(store: ObjectStore, clock: Clock, view: PodView) -> None:
    Kubelet(store, clock, None, Latencies(schedule=1.0, container_start=30.0))
    store.create(pod("p"))
    clock.advance(60)
    assert view.rows == [(1.0, "Pending", False), (31.0, "Running", True)]


# -- exits -----------------------------------------------------------------------------------------------------------


def test_a_container_exiting_zero_under_restart_policy_never_makes_the_pod_succeeded(
        store: ObjectStore, clock: Clock, programs: Programs, kubelet: Kubelet) -> None:
    programs.makers["main"] = lambda: ExitAfter(3.0, 0, ("done",))
    store.create(with_restart_policy(pod("p"), "Never"))
    clock.advance(60)
    assert get(store, "p")["status"]["phase"] == "Succeeded"
    terminated = container_status(store, "p")["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
    assert terminated["finishedAt"] == clock.timestamp(RUNNING_AT + 3)


def test_a_container_exiting_non_zero_under_restart_policy_never_makes_the_pod_failed(
        store: ObjectStore, clock: Clock, programs: Programs, kubelet: Kubelet) -> None:
    programs.makers["main"] = lambda: ExitAfter(3.0, 2)
    store.create(with_restart_policy(pod("p"), "Never"))
    clock.advance(60)
    assert get(store, "p")["status"]["phase"] == "Failed"
    terminated = container_status(store, "p")["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (2, "Error")
    assert container_status(store, "p")["restartCount"] == 0


def test_a_container_exiting_zero_under_restart_policy_on_failure_is_not_restarted(
        store: ObjectStore, clock: Clock, programs: Programs, kubelet: Kubelet) -> None:
    program = Attempts(3.0, 0)
    programs.makers["main"] = lambda: program
    store.create(with_restart_policy(pod("p"), "OnFailure"))
    clock.advance(600)
    assert get(store, "p")["status"]["phase"] == "Succeeded"
    assert program.count == 1


def test_a_failing_container_under_on_failure_is_restarted_after_a_back_off(
        store: ObjectStore, clock: Clock, programs: Programs, kubelet: Kubelet) -> None:
    program = Attempts(3.0, 1)
    programs.makers["main"] = lambda: program
    store.create(with_restart_policy(pod("p"), "OnFailure"))
    clock.advance(RUNNING_AT + 3 + 5)
    assert get(store, "p")["status"]["phase"] == "Running"  # waiting out the back-off
    assert container_status(store, "p")["state"]["terminated"]["exitCode"] == 1
    assert program.count == 1
    clock.advance(5)  # back-off of 10 s after the exit
    status = container_status(store, "p")
    assert program.count == 2
    assert status["restartCount"] == 1
    assert status["lastState"]["terminated"]["exitCode"] == 1
    assert "running" in status["state"]


def test_restart_back_off_doubles_with_each_restart(store: ObjectStore, clock: Clock, programs: Programs,
                                                    kubelet: Kubelet) -> None:
    program = Attempts(1.0, 1)
    programs.makers["main"] = lambda: program
    store.create(with_restart_policy(pod("p"), "Always"))
    clock.advance(200)
    starts = program.started_at
    gaps = [round(b - a, 6) for a, b in pairwise(starts)]
    # Each attempt runs 1 s; the waits after it are 10 s, 20 s, 40 s (CrashLoopBackOff).
    assert gaps[:3] == [1 + 10, 1 + 20, 1 + 40]


def test_restart_policy_always_restarts_a_container_that_exited_zero(store: ObjectStore, clock: Clock,
                                                                     programs: Programs, kubelet: Kubelet) -> None:
    program = Attempts(2.0, 0)
    programs.makers["main"] = lambda: program
    store.create(with_restart_policy(pod("p"), "Always"))
    clock.advance(RUNNING_AT + 2 + 10)
    assert program.count == 2
    assert get(store, "p")["status"]["phase"] == "Running"


def test_previous_logs_hold_the_output_of_the_container_before_its_restart(
        store: ObjectStore, clock: Clock, programs: Programs, kubelet: Kubelet) -> None:
    program = Attempts(3.0, 1)
    programs.makers["main"] = lambda: program
    store.create(with_restart_policy(pod("p"), "OnFailure"))
    clock.advance(RUNNING_AT + 3 + 10)
    assert kubelet.logs("default", "p") == "attempt 2\n"
    assert kubelet.logs("default", "p", previous=True) == "attempt 1\n"


# -- logs --------------------------------------------------------------------------------------------------------------


def test_logs_of_a_single_container_pod_need_no_container_name(store: ObjectStore, clock: Clock,
                                                               programs: Programs, kubelet: Kubelet) -> None:
    programs.makers["main"] = lambda: ExitAfter(1.0, 0, ("hello", "world"))
    store.create(with_restart_policy(pod("p"), "Never"))
    clock.advance(60)
    assert kubelet.logs("default", "p") == "hello\nworld\n"
    assert kubelet.logs("default", "p", "main") == "hello\nworld\n"


def test_logs_of_a_multi_container_pod_without_a_container_name_list_the_choices(
        store: ObjectStore, clock: Clock, kubelet: Kubelet) -> None:
    store.create(pod("p", containers=("ray-head", "ray-job-submitter")))
    clock.advance(60)
    with pytest.raises(ApiError) as excinfo:
        kubelet.logs("default", "p")
    assert str(excinfo.value) == ("a container name must be specified for pod p, choose one of: "
                                  "[ray-head ray-job-submitter]")


def test_logs_without_a_needed_container_name_are_a_bad_request(store: ObjectStore, clock: Clock,
                                                                 kubelet: Kubelet) -> None:
    store.create(pod("p", containers=("a", "b")))
    clock.advance(60)
    with pytest.raises(ApiError) as excinfo:
        kubelet.logs("default", "p")
    assert (excinfo.value.code, excinfo.value.reason) == (400, "BadRequest")


def test_logs_of_an_unknown_container_name_the_pod(store: ObjectStore, clock: Clock, kubelet: Kubelet) -> None:
    store.create(pod("p"))
    clock.advance(60)
    with pytest.raises(ApiError) as excinfo:
        kubelet.logs("default", "p", "sidecar")
    assert str(excinfo.value) == "container sidecar is not valid for pod p"
    assert excinfo.value.code == 400


def test_logs_of_a_pod_whose_containers_have_not_started_say_it_is_waiting(store: ObjectStore, clock: Clock,
                                                                           kubelet: Kubelet) -> None:
    store.create(pod("p"))
    for when in (0.0, SCHEDULE):  # not yet scheduled, then scheduled with containers being created
        clock.advance(when - clock.now)
        with pytest.raises(ApiError) as excinfo:
            kubelet.logs("default", "p")
        assert str(excinfo.value) == 'container "main" in pod "p" is waiting to start: ContainerCreating'
        assert excinfo.value.code == 400


def test_logs_of_an_unknown_pod_are_not_found(kubelet: Kubelet) -> None:
    with pytest.raises(ApiError) as excinfo:
        kubelet.logs("default", "nope")
    assert str(excinfo.value) == 'pods "nope" not found'
    assert excinfo.value.code == 404


# -- deletion ----------------------------------------------------------------------------------------------------------


def test_a_running_pod_is_removed_after_the_termination_latency(store: ObjectStore, clock: Clock,
                                                                programs: Programs, kubelet: Kubelet) -> None:
    program = Attempts(3600.0, 0)
    programs.makers["main"] = lambda: program
    store.create(pod("p"))
    clock.advance(10)
    store.delete(POD, "default", "p")
    assert get(store, "p")["metadata"]["deletionTimestamp"]
    clock.advance(Latencies().termination - 0.01)
    assert store.find(POD, "default", "p") is not None
    assert program.stopped_at == []  # still shutting down after SIGTERM
    clock.advance(0.01)
    assert store.find(POD, "default", "p") is None
    assert program.stopped_at == [10.0 + Latencies().termination]


def test_a_pod_with_zero_grace_period_is_removed_at_once(store: ObjectStore, clock: Clock,
                                                         kubelet: Kubelet) -> None:
    obj = pod("p")
    obj["spec"]["terminationGracePeriodSeconds"] = 0
    store.create(obj)
    clock.advance(10)
    store.delete(POD, "default", "p")
    clock.advance(0)
    assert store.find(POD, "default", "p") is None


def test_a_pod_deleted_before_scheduling_never_starts(store: ObjectStore, clock: Clock, programs: Programs,
                                                      kubelet: Kubelet) -> None:
    program = Attempts(1.0, 0)
    programs.makers["main"] = lambda: program
    store.create(pod("p"))
    store.delete(POD, "default", "p")
    clock.advance(60)
    assert store.find(POD, "default", "p") is None
    assert program.count == 0


def test_a_recreated_pod_with_the_same_name_starts_afresh(store: ObjectStore, clock: Clock, programs: Programs,
                                                          kubelet: Kubelet) -> None:
    program = Attempts(3600.0, 0)
    programs.makers["main"] = lambda: program
    store.create(pod("p"))
    clock.advance(10)
    store.delete(POD, "default", "p")
    clock.advance(10)
    store.create(pod("p"))
    clock.advance(10)
    assert program.count == 2
    assert kubelet.logs("default", "p") == "attempt 2\n"
    assert get(store, "p")["status"]["phase"] == "Running"


def test_the_default_program_runs_until_killed(store: ObjectStore, clock: Clock, kubelet: Kubelet) -> None:
    store.create(pod("p"))
    clock.advance(86_400)
    assert get(store, "p")["status"]["phase"] == "Running"
    assert isinstance(kubelet.program("default", "p", "main"), LongRunning)



@pytest.mark.parametrize(("restarts", "delay"), [(0, 10.0), (1, 20.0), (4, 160.0), (5, 300.0), (100_000, 300.0)])
def test_the_restart_back_off_doubles_up_to_five_minutes_whatever_the_restart_count(restarts: int,
                                                                                   delay: float) -> None:
    assert restart_delay(10.0, restarts) == delay

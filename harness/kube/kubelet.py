"""The kubelet model: scheduling, container start, readiness probes, exits, restarts, logs and pod deletion.

Timings default to a kind node with the image already cached (``Latencies``). Each phase change is written to
the pod's status through the store's status subresource, so the journal sees what ``kubectl get pods -w`` sees:
Pending (ContainerCreating) → Running (not ready) → Running (ready) → Succeeded/Failed, and Terminating.

What a container *does* comes from a :class:`~harness.kube.containers.ContainerProgram` chosen by the factory the
simulator plugs in (Ray head, Ray worker, submitter...). Not here: Jobs (``jobcontroller``), Ray.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model.enums import PodPhase, WatchEventType
from ..model.kinds import CONFIGMAP, POD, SECRET
from ..sim.clock import PRIORITY_KUBELET, Clock, Timer
from ..sim.events import NORMAL, WARNING, EventRecorder
from ..sim.store import BadRequest, NotFound, ObjectStore, WatchEvent
from ..sim.transcript import Transcript
from .containers import ContainerProgram, LongRunning, ProgramFactory
from .images import CONFIG_ERROR_RETRY, ConfigError, NodeImages, pull_backoff, resolve_env

NODE_NAME = "kind-control-plane"
HOST_IP = "172.18.0.2"


@dataclass(frozen=True)
class Latencies:
    """How long the node takes for each step, in seconds. Defaults: kind with a cached image."""

    schedule: float = 0.1
    container_start: float = 1.5
    termination: float = 1.0
    restart_backoff: float = 10.0  # CrashLoopBackOff starts at 10 s and doubles up to 5 min


MAX_RESTART_DELAY = 300.0


def restart_delay(base: float, restarts: int) -> float:
    """CrashLoopBackOff: ``base`` doubling with each restart, at most five minutes (and no overflow after
    thousands of restarts: the doubling stops counting once the cap is reached)."""
    return min(base * float(2 ** min(restarts, 64)), MAX_RESTART_DELAY)


@dataclass(frozen=True, slots=True)
class LogLine:
    t: float
    text: str


@dataclass(frozen=True)
class LogView:
    """A container's log as read now: its newest lines (as many as the kubelet keeps), how many lines this run of
    the container wrote in all (a follower's bookmark), whether it is running, and which run it is."""

    lines: tuple[LogLine, ...]
    total: int
    running: bool
    restart_count: int


def _lines(entries: list[tuple[float, str]]) -> tuple[LogLine, ...]:
    return tuple(LogLine(t, text) for t, text in entries)


@dataclass
class _Container:
    name: str
    spec: Mapping[str, Any]
    program: ContainerProgram
    logs: Transcript = field(default_factory=Transcript)
    previous_logs: Transcript = field(default_factory=Transcript)
    live: Callable[[], list[str]] | None = None  # a real process's output, read when logs are asked for
    running: bool = False
    ready_signal: bool = False
    ready: bool = False
    started_at: float | None = None
    restart_count: int = 0
    env: dict[str, str] = field(default_factory=dict)  # the process's environment, resolved at start
    waiting: tuple[str, str] | None = None  # (reason, message) while it cannot be created
    pull_failures: int = 0
    terminated: dict[str, Any] | None = None
    last_terminated: dict[str, Any] | None = None
    timers: list[Timer] = field(default_factory=list)


class _Ctx:
    """A :class:`ContainerContext` bound to one container of one pod."""

    def __init__(self, kubelet: Kubelet, pod_key: tuple[str, str], container: _Container,
                 pod: Mapping[str, Any]) -> None:
        self.kubelet = kubelet
        self.clock = kubelet.clock
        self.pod = pod
        self.container = container.spec
        self._key = pod_key
        self._c = container
        self._generation = container.restart_count

    @property
    def running(self) -> bool:
        return self._c.running and self._generation == self._c.restart_count

    @property
    def env(self) -> Mapping[str, str]:
        return self._c.env

    def log(self, *lines: str) -> None:
        if self.running:
            for line in lines:
                self.clock.output(self._c.logs, line)

    def stream(self, source: Callable[[], list[str]]) -> None:
        if self.running:
            self._c.live = source
            self.clock.touch()

    def set_ready(self, ready: bool) -> None:
        if self.running:
            self._c.ready_signal = ready
            self.kubelet._probe_soon(self._key, self._c)

    def exit(self, code: int, reason: str | None = None) -> None:
        if self.running:
            self.kubelet._container_exited(self._key, self._c, code, reason)


@dataclass
class _Pod:
    namespace: str
    name: str
    uid: str
    ip: str
    containers: dict[str, _Container] = field(default_factory=dict)
    contexts: dict[str, _Ctx] = field(default_factory=dict)
    started: bool = False
    deleting: bool = False
    start_time: str | None = None


class Kubelet:
    """One node that runs every pod (kind's single control-plane node)."""

    def __init__(self, store: ObjectStore, clock: Clock, programs: ProgramFactory | None = None,
                 latencies: Latencies | None = None, *, images: NodeImages | None = None,
                 events: EventRecorder | None = None) -> None:
        self.store = store
        self.clock = clock
        self.programs = programs
        self.latencies = latencies or Latencies()
        self.images = images or NodeImages()
        self.events = events
        self._pods: dict[tuple[str, str], _Pod] = {}
        self._next_ip = 5
        store.watch(self._on_event)

    # -- reading logs ----------------------------------------------------------------------------------------------

    def logs(self, namespace: str, pod: str, container: str | None = None, *, previous: bool = False) -> str:
        """``kubectl logs`` text (at most the kubelet's log size, the newest lines). Raises NotFound for an
        unknown pod or container, as the API server does."""
        c = self._container_to_read(namespace, pod, container, previous)
        text = (c.previous_logs if previous else c.logs).text()
        if c.live is not None and not previous:
            text += "".join(line + "\n" for line in c.live())
        return text

    def log_view(self, namespace: str, pod: str, container: str | None = None, *,
                 previous: bool = False) -> LogView:
        """The lines of one container's log with the virtual time each was written (the newest that fit in the
        kubelet's log size), how many it wrote in all, and whether it still runs (what ``kubectl logs -f``
        follows). Errors as :meth:`logs`."""
        c = self._container_to_read(namespace, pod, container, previous)
        if previous:
            return LogView(_lines(c.previous_logs.tail()), len(c.previous_logs), False, c.restart_count)
        lines = _lines(c.logs.tail())
        total = len(c.logs)
        if c.live is not None:
            live = c.live()
            lines += tuple(LogLine(self.clock.now, line) for line in live)
            total += len(live)
        return LogView(lines, total, c.running, c.restart_count)

    def _container_to_read(self, namespace: str, pod: str, container: str | None, previous: bool) -> _Container:
        state = self._pods.get((namespace, pod))
        if state is None:
            raw = self.store.find(POD, namespace, pod)
            if raw is None:
                raise NotFound(f'pods "{pod}" not found')
            first = (container or ((raw.get("spec") or {}).get("containers") or [{}])[0].get("name", ""))
            raise BadRequest(f'container "{first}" in pod "{pod}" is waiting to start: ContainerCreating')
        if container is None:
            if len(state.containers) != 1:
                names = " ".join(state.containers)
                raise BadRequest(f"a container name must be specified for pod {pod}, choose one of: [{names}]")
            container = next(iter(state.containers))
        c = state.containers.get(container)
        if c is None:
            raise BadRequest(f"container {container} is not valid for pod {pod}")
        if c.started_at is None:
            raise BadRequest(f'container "{container}" in pod "{pod}" is waiting to start: ContainerCreating')
        if previous and c.restart_count == 0:
            raise BadRequest(f'previous terminated container "{container}" in pod "{pod}" not found')
        return c

    def program(self, namespace: str, pod: str, container: str) -> ContainerProgram | None:
        state = self._pods.get((namespace, pod))
        c = state.containers.get(container) if state else None
        return c.program if c else None

    # -- reacting to the API ---------------------------------------------------------------------------------------

    def _on_event(self, event: WatchEvent) -> None:
        if event.rtype != POD:
            return
        key = (event.namespace, event.name)
        if event.type == WatchEventType.ADDED:
            self.clock.call_later(self.latencies.schedule, lambda: self._schedule(key, event.obj["metadata"]["uid"]),
                                  priority=PRIORITY_KUBELET, label=f"schedule {key[1]}")
        elif event.type == WatchEventType.MODIFIED:
            if event.obj["metadata"].get("deletionTimestamp") and not (event.old or {}).get(
                    "metadata", {}).get("deletionTimestamp"):
                self._begin_termination(key, event.obj)
        elif event.type == WatchEventType.DELETED:
            state = self._pods.pop(key, None)
            if state is not None:
                self._kill_all(state)

    def _schedule(self, key: tuple[str, str], uid: str) -> None:
        pod = self.store.find(POD, *key)
        if pod is None or pod["metadata"]["uid"] != uid:
            return
        if pod["metadata"].get("deletionTimestamp"):
            self.store.delete(POD, *key, grace_period=0)
            return
        # Only spec.nodeName changes: new top-level, metadata and spec dicts, the rest shared with the snapshot.
        bound = {**pod, "metadata": dict(pod["metadata"]), "spec": {**pod["spec"], "nodeName": NODE_NAME}}
        self.store.update(bound, owned=True)
        ip = f"10.244.0.{self._next_ip}"
        self._next_ip = self._next_ip + 1 if self._next_ip < 250 else 5
        state = _Pod(key[0], key[1], uid, ip)
        self._pods[key] = state
        state.start_time = self.clock.timestamp()
        for spec in pod["spec"].get("containers") or []:
            program = self.programs(pod, spec) if self.programs else None
            state.containers[spec["name"]] = _Container(spec["name"], spec, program or LongRunning())
        self._write_status(key)
        self.clock.call_later(self.latencies.container_start, lambda: self._start_containers(key, uid),
                              priority=PRIORITY_KUBELET, label=f"start {key[1]}")

    def _start_containers(self, key: tuple[str, str], uid: str) -> None:
        state = self._pods.get(key)
        pod = self.store.find(POD, *key)
        if state is None or state.uid != uid or state.deleting or pod is None:
            return
        state.started = True
        for c in state.containers.values():
            self._try_start(key, state, c, pod)
        self._write_status(key)

    def _event(self, pod: Mapping[str, Any], type_: str, reason: str, message: str) -> None:
        if self.events is not None:
            self.events.record(pod, type_, reason, message, component="kubelet")

    def _try_start(self, key: tuple[str, str], state: _Pod, c: _Container, pod: Mapping[str, Any]) -> None:
        """Pull the image if needed and build the environment, then run; otherwise wait and retry."""
        image = str(c.spec.get("image", ""))
        pull_error = self.images.pull_error(c.spec)
        if pull_error is not None:
            reason, message = pull_error
            c.waiting = (reason, message)
            if reason == "ErrImagePull":
                c.pull_failures += 1
                self._event(pod, NORMAL, "Pulling", f'Pulling image "{image}"')
                self._event(pod, WARNING, "Failed", f'Failed to pull image "{image}": {message}')
            self._event(pod, WARNING, "Failed", f"Error: {reason}")
            backoff = pull_backoff(c.pull_failures)
            self.clock.call_later(self.latencies.container_start / 2, lambda: self._pull_back_off(key, c, reason),
                                  priority=PRIORITY_KUBELET, label=f"image backoff {key[1]}/{c.name}")
            self.clock.call_later(backoff, lambda: self._retry_start(key, state.uid, c), priority=PRIORITY_KUBELET,
                                  label=f"pull {key[1]}/{c.name}")
            return
        try:
            c.env = resolve_env(pod, c.spec, self._lookup)
        except ConfigError as exc:
            c.waiting = ("CreateContainerConfigError", str(exc))
            self._event(pod, WARNING, "Failed", f"Error: {exc}")
            self.clock.call_later(CONFIG_ERROR_RETRY, lambda: self._retry_start(key, state.uid, c),
                                  priority=PRIORITY_KUBELET, label=f"config {key[1]}/{c.name}")
            return
        c.waiting = None
        self.images.started(c.spec)
        self._run_container(key, state, c, pod)

    def _pull_back_off(self, key: tuple[str, str], c: _Container, reason: str) -> None:
        """After a failed pull the kubelet reports ImagePullBackOff until its next attempt."""
        pod = self.store.find(POD, *key)
        if pod is None or c.waiting is None or c.waiting[0] != reason or reason != "ErrImagePull":
            return
        image = str(c.spec.get("image", ""))
        c.waiting = ("ImagePullBackOff", f'Back-off pulling image "{image}": ErrImagePull: {c.waiting[1]}')
        self._event(pod, NORMAL, "BackOff", f'Back-off pulling image "{image}"')
        self._event(pod, WARNING, "Failed", "Error: ImagePullBackOff")
        self._write_status(key)

    def _retry_start(self, key: tuple[str, str], uid: str, c: _Container) -> None:
        state = self._pods.get(key)
        pod = self.store.find(POD, *key)
        if state is None or state.uid != uid or state.deleting or pod is None or c.running or c.waiting is None:
            return
        self._try_start(key, state, c, pod)
        self._write_status(key)

    def _lookup(self, kind: str, namespace: str, name: str) -> Mapping[str, Any] | None:
        rtype = SECRET if kind == "Secret" else CONFIGMAP
        return self.store.find(rtype, namespace, name)

    def _run_container(self, key: tuple[str, str], state: _Pod, c: _Container, pod: Mapping[str, Any]) -> None:
        c.running = True
        c.terminated = None
        c.ready = False
        c.ready_signal = False
        c.started_at = self.clock.now
        ctx = _Ctx(self, key, c, pod)
        state.contexts[c.name] = ctx
        if not c.spec.get("readinessProbe"):
            c.ready = True  # Kubernetes: no readinessProbe means ready as soon as the container runs
        c.program.start(ctx)

    # -- readiness -------------------------------------------------------------------------------------------------

    def _probe_soon(self, key: tuple[str, str], c: _Container) -> None:
        """Schedule the readiness probe that will notice the program's new readiness."""
        probe = c.spec.get("readinessProbe")
        if not probe:
            self._set_ready(key, c, True)  # without a readinessProbe a running container counts as ready
            return
        assert c.started_at is not None
        initial = float(probe.get("initialDelaySeconds", 0) or 0)
        period = float(probe.get("periodSeconds", 10) or 10)
        first = c.started_at + initial
        now = self.clock.now
        when = first if now <= first else first + math.ceil((now - first) / period) * period
        started = c.started_at
        self.clock.call_at(when, lambda: self._probe(key, c, started), priority=PRIORITY_KUBELET,
                           label=f"probe {key[1]}/{c.name}")

    def _probe(self, key: tuple[str, str], c: _Container, started: float) -> None:
        if c.running and c.started_at == started:
            self._set_ready(key, c, c.ready_signal)

    def _set_ready(self, key: tuple[str, str], c: _Container, ready: bool) -> None:
        if c.ready != ready and c.running:
            c.ready = ready
            self._write_status(key)

    # -- exits and restarts ----------------------------------------------------------------------------------------

    def kill(self, namespace: str, pod: str, container: str | None, code: int, reason: str) -> str:
        """End a running container's process now with ``code`` (a signal from outside: ``kubectl exec ... kill``,
        the OOM killer); it then restarts or not as the pod's ``restartPolicy`` says. Returns the container's
        name; NotFound for an unknown pod, BadRequest for a container that is unknown or not running."""
        state = self._pods.get((namespace, pod))
        if state is None:
            if self.store.find(POD, namespace, pod) is None:
                raise NotFound(f'pods "{pod}" not found')
            raise BadRequest(f'pod "{pod}" has no running container: it is not scheduled yet')
        name = container if container is not None else next(iter(state.containers), "")
        c = state.containers.get(name)
        if c is None:
            raise BadRequest(f"container {name} is not valid for pod {pod}")
        if not c.running:
            raise BadRequest(f'container "{name}" in pod "{pod}" is not running')
        ctx = state.contexts.get(name)
        if ctx is not None:
            c.program.stop(ctx)
        self._container_exited((namespace, pod), c, code, reason)
        return name

    def _container_exited(self, key: tuple[str, str], c: _Container, code: int, reason: str | None) -> None:
        state = self._pods.get(key)
        pod = self.store.find(POD, *key)
        if state is None or pod is None:
            return
        c.running = False
        c.ready = False
        c.terminated = {"exitCode": code, "reason": reason or ("Completed" if code == 0 else "Error"),
                        "startedAt": self.clock.timestamp(c.started_at), "finishedAt": self.clock.timestamp(),
                        "containerID": f"containerd://{state.uid[:8]}{c.name}{c.restart_count}"}
        if _restarts(c, pod, code):
            delay = restart_delay(self.latencies.restart_backoff, c.restart_count)
            self.clock.call_later(delay, lambda: self._restart(key, c), priority=PRIORITY_KUBELET,
                                  label=f"restart {key[1]}/{c.name}")
        self._write_status(key)

    def _restart(self, key: tuple[str, str], c: _Container) -> None:
        state = self._pods.get(key)
        pod = self.store.find(POD, *key)
        if state is None or pod is None or state.deleting:
            return
        c.previous_logs = c.logs
        c.logs = Transcript()
        c.live = None
        c.last_terminated = c.terminated
        c.restart_count += 1
        self._try_start(key, state, c, pod)
        self._write_status(key)

    # -- deletion --------------------------------------------------------------------------------------------------

    def _begin_termination(self, key: tuple[str, str], pod: Mapping[str, Any]) -> None:
        state = self._pods.get(key)
        if state is None:
            return
        state.deleting = True
        uid = pod["metadata"]["uid"]
        grace = float(pod["metadata"].get("deletionGracePeriodSeconds", 30) or 0)
        delay = min(self.latencies.termination, grace) if grace > 0 else 0.0

        def finish() -> None:
            # The processes got SIGTERM when the deletion began; they are gone only now.
            self._kill_all(state)
            current = self.store.find(POD, *key)
            if current is not None and current["metadata"]["uid"] == uid:
                self.store.delete(POD, *key, grace_period=0)

        self.clock.call_later(delay, finish, priority=PRIORITY_KUBELET, label=f"terminate {key[1]}")

    def _kill_all(self, state: _Pod) -> None:
        for name, c in state.containers.items():
            if c.running:
                ctx = state.contexts.get(name)
                if ctx is not None:
                    c.program.stop(ctx)
                c.running = False
                c.ready = False
                c.terminated = {"exitCode": 137 if not c.terminated else c.terminated["exitCode"],
                                "reason": "Error", "startedAt": self.clock.timestamp(c.started_at),
                                "finishedAt": self.clock.timestamp()}

    # -- status ----------------------------------------------------------------------------------------------------

    def _write_status(self, key: tuple[str, str]) -> None:
        state = self._pods.get(key)
        pod = self.store.find(POD, *key)
        if state is None or pod is None or pod["metadata"]["uid"] != state.uid:
            return
        new = dict(pod)
        new["status"] = self._pod_status(state, pod)
        self.store.update_status(new, owned=True)

    def _pod_status(self, state: _Pod, pod: Mapping[str, Any]) -> dict[str, Any]:
        now = self.clock.timestamp()
        old = pod.get("status") or {}
        old_conditions = {c["type"]: c for c in old.get("conditions") or []}
        statuses = [self._container_status(c) for c in state.containers.values()]
        all_ready = bool(statuses) and all(s["ready"] for s in statuses)
        phase = self._phase(state, pod)

        def condition(kind: str, value: bool) -> dict[str, Any]:
            previous = old_conditions.get(kind)
            status = "True" if value else "False"
            since = previous["lastTransitionTime"] if previous and previous["status"] == status else now
            return {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": since}

        return {
            "phase": phase.value,
            "conditions": [
                condition("PodReadyToStartContainers", state.started),
                condition("Initialized", True),
                condition("Ready", all_ready and phase == PodPhase.RUNNING),
                condition("ContainersReady", all_ready),
                condition("PodScheduled", True),
            ],
            "hostIP": HOST_IP,
            "hostIPs": [{"ip": HOST_IP}],
            "podIP": state.ip,
            "podIPs": [{"ip": state.ip}],
            "startTime": state.start_time,
            "containerStatuses": statuses,
            "qosClass": "Burstable",
        }

    def _phase(self, state: _Pod, pod: Mapping[str, Any]) -> PodPhase:
        containers = list(state.containers.values())
        if not state.started or any(c.started_at is None for c in containers):
            return PodPhase.PENDING  # some container was never created (image pull, configuration)
        if any(c.running for c in containers):
            return PodPhase.RUNNING
        codes = [c.terminated["exitCode"] if c.terminated else None for c in containers]
        if any(_restarts(c, pod, code) for c, code in zip(containers, codes, strict=True)):
            return PodPhase.RUNNING  # waiting to restart (CrashLoopBackOff)
        if all(code == 0 for code in codes):
            return PodPhase.SUCCEEDED
        return PodPhase.FAILED

    def _container_status(self, c: _Container) -> dict[str, Any]:
        image = str(c.spec.get("image", ""))
        out: dict[str, Any] = {
            "name": c.name, "image": image, "imageID": f"docker.io/library/{image}@sha256:{'0' * 64}",
            "ready": c.ready, "started": c.running, "restartCount": c.restart_count,
            "lastState": {"terminated": c.last_terminated} if c.last_terminated else {},
        }
        if c.running:
            out["state"] = {"running": {"startedAt": self.clock.timestamp(c.started_at)}}
            out["containerID"] = f"containerd://{c.name}-{c.restart_count}"
        elif c.terminated is not None:
            out["state"] = {"terminated": dict(c.terminated)}
            out["containerID"] = c.terminated.get("containerID", f"containerd://{c.name}-{c.restart_count}")
        elif c.waiting is not None:
            out["state"] = {"waiting": {"reason": c.waiting[0], "message": c.waiting[1]}}
        else:
            out["state"] = {"waiting": {"reason": "ContainerCreating"}}
        return out


def _restarts(c: _Container, pod: Mapping[str, Any], code: int | None) -> bool:
    """Whether an exited container is restarted: its own ``restartPolicy`` (Kubernetes 1.35 container restart
    rules, beta) overrides the pod's."""
    if code is None:
        return False
    policy = c.spec.get("restartPolicy") or pod["spec"].get("restartPolicy", "Always")
    return bool(policy == "Always" or (policy == "OnFailure" and code != 0))

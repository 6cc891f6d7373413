"""The public face of the simulator: one in-process Kubernetes world running KubeRay, in virtual time.

``Simulator`` wires the pieces together (clock, store, journal, kubelet, Job controller, dashboards, the RayCluster
and RayJob controllers, an executor) and offers what tests and the CLI need: apply/patch/delete/get/list,
``advance``, ``run_until``, ``settle``, events, pod logs, driver logs, the operator log and the journal.
Several simulators may live in one process (no module-level state): parallel tests never share a world.

>>> sim = Simulator(kuberay="1.7")
>>> sim.apply("rayjob.yaml")                                        # doctest: +SKIP
>>> sim.run_until(lambda: sim.deployment_status("rayjob-sample") == "Complete", timeout=600)  # doctest: +SKIP
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, Final, Literal

from ._util.durations import parse_duration
from ._util.jsoncopy import deep_copy, merge_patch
from ._util.names import NameGenerator
from .errors import DeletionTimeout, InputError
from .executors.scripted import ScriptedExecutor
from .journal import Journal
from .kube.admission import check_builtin
from .kube.images import NodeImages
from .kube.jobcontroller import JobController
from .kube.kubelet import Kubelet, Latencies
from .kuberay.networkpolicy_controller import NetworkPolicyController
from .kuberay.profile import KubeRayProfile, checked_operator_config, profile_for
from .kuberay.raycluster_controller import MAX_WORKER_PODS, RayClusterController, worker_pods_wanted
from .kuberay.raycronjob_controller import RayCronJobController
from .kuberay.rayjob_controller import RayJobController
from .kuberay.switches import cronjob_warning, network_policy_warning, unmodelled_use
from .manifests import (
    Manifest,
    load_manifests,
    parse_manifests,
    raise_for_errors,
    validate_manifest,
    validate_status_update,
)
from .manifests.status_schema import STATUS_SCHEMAS
from .manifests.validate import operator_decode_error
from .model.enums import JobDeploymentStatus
from .model.kinds import CONFIGMAP, POD, RAYCLUSTER, RAYCRONJOB, RAYJOB, ResourceType, resolve_kind
from .model.rayjob import RayJob
from .model.status import INJECTABLE_REASONS, STATUS_CODES
from .raysim.dashboard import DashboardError, Executor, JobRecord, RayDashboard, SubmitRequest
from .raysim.directory import DashboardDirectory
from .raysim.faults import JobInfoFault
from .raysim.nodes import RayTimings, ray_program_factory
from .sim.clock import Clock
from .sim.events import EventRecorder
from .sim.faults import PendingFailure, Verb
from .sim.store import NotFound, ObjectStore, WatchEvent

Obj = dict[str, Any]
OPERATOR_LOG_LINES: Final = 100_000  # the operator's log lines kept (a cluster rotates the container's log too)
# What a scenario may make the API server refuse: the pods' own deletions are the kubelet's, whose retries of a
# refused request are not modelled, so pod deletions are not among them; events and namespaces neither.
FAILABLE: Final[Mapping[str, tuple[str, ...]]] = {
    "create": ("RayJob", "RayCluster", "Job", "Pod", "Service", "ConfigMap", "NetworkPolicy", "Secret", "RayCronJob"),
    "delete": ("RayJob", "RayCluster", "Job", "Service", "ConfigMap", "NetworkPolicy", "Secret", "RayCronJob"),
}


def _rtype(kind: str) -> ResourceType:
    rtype = resolve_kind(kind)
    if rtype is None:
        raise InputError(f"kind={kind!r} is not modelled by the simulator",
                         hint="use RayJob, RayCluster, RayCronJob, Pod, Service, ConfigMap, Secret, Event, "
                              "Job, NetworkPolicy or Namespace")
    return rtype


class Simulator:
    """A simulated cluster running KubeRay ``kuberay`` (e.g. ``"1.7"``)."""

    def __init__(self, kuberay: str = "1.7", *, executor: Executor | None = None,
                 operator_env: Mapping[str, str] | None = None, feature_gates: Mapping[str, bool] | None = None,
                 seed: int = 0, latencies: Latencies | None = None, ray_timings: RayTimings | None = None,
                 origin: int | None = None, journal_stream: IO[str] | None = None,
                 field_validation: str = "Strict", on_warning: Callable[[str], None] | None = None,
                 unpullable_images: Iterable[str] = ()) -> None:
        self.profile: KubeRayProfile = profile_for(kuberay)
        self.config = checked_operator_config(self.profile, operator_env, feature_gates)
        self.clock = Clock(origin) if origin is not None else Clock()
        self.names = NameGenerator(seed)
        self.store = ObjectStore(self.clock, self.names)
        self.store.admission.append(check_builtin)
        self.journal = Journal(lambda: self.clock.now, stream=journal_stream)
        self.store.watch(self._journal_change)
        self.events = EventRecorder(self.store, self.clock)
        self.executor: Executor = executor or ScriptedExecutor()
        self.field_validation = field_validation
        self.directory = DashboardDirectory(self.store, self.clock, self.executor)
        self.ray_timings = ray_timings or RayTimings()
        self.images = NodeImages()
        for image in unpullable_images:
            self.images.make_unpullable(image)
        self.kubelet = Kubelet(self.store, self.clock,
                               ray_program_factory(self.store, self.directory, self.ray_timings), latencies,
                               images=self.images, events=self.events)
        self.job_controller = JobController(self.store, self.clock, self.events)
        self._previous_operator_log: builtins.list[str] = []
        self._start_operator()
        self.executor.attach(self.clock, lambda ns, name: self.store.find(CONFIGMAP, ns, name))
        self.store.ensure_namespace("default")
        self.warnings: list[str] = []
        self.on_warning = on_warning
        self._closed = False

    def _start_operator(self) -> None:
        """The KubeRay operator's controllers, as its ``main.go`` sets them up for ``self.config``."""
        self.gates = self.config.gates(self.profile)
        self.raycluster_controller = RayClusterController(self.store, self.clock, self.events, self.config,
                                                          self.gates)
        self.rayjob_controller = RayJobController(self.store, self.clock, self.events, self.directory,
                                                  self.profile, self.config, self.names)
        # v1.7.0 starts the NetworkPolicy controller only with the RayClusterNetworkPolicy gate.
        self.networkpolicy_controller = NetworkPolicyController(self.store, self.clock, self.events) \
            if self.gates.ray_cluster_network_policy else None
        # v1.6+ starts the RayCronJob controller only with the RayCronJob gate.
        self.raycronjob_controller = RayCronJobController(self.store, self.clock, self.events, self.gates) \
            if self.gates.ray_cron_job else None

    def restart_operator(self, *, operator_env: Mapping[str, str] | None = None,
                         feature_gates: Mapping[str, bool] | None = None) -> None:
        """Restart the KubeRay operator, with new environment variables and feature gates if given.

        The old process stops at once (its pending reconciles and requeues are lost, as with a pod restart);
        the new one starts with fresh in-memory state and, like any controller whose informers list the world
        on start, reconciles every existing object. Settings are checked as at construction: a switch the
        simulator does not model is refused (InputError) and the running operator is left as it was.
        """
        config = checked_operator_config(self.profile, operator_env if operator_env is not None else
                                         self.config.env,
                                         feature_gates if feature_gates is not None else self.config.feature_gates)
        self.journal.record_action("restart operator", detail=_describe_settings(config.env, config.feature_gates))
        self._previous_operator_log = self.operator_log
        for controller in (self.rayjob_controller, self.raycluster_controller, self.networkpolicy_controller,
                           self.raycronjob_controller):
            if controller is not None:
                controller.stop()
        self.config = config
        self._start_operator()
        for raw in self.store.list(RAYCLUSTER, None):
            self.raycluster_controller.queue.add((raw["metadata"]["namespace"], raw["metadata"]["name"]))
            if self.networkpolicy_controller is not None:
                self.networkpolicy_controller.queue.add((raw["metadata"]["namespace"], raw["metadata"]["name"]))
        for raw in self.store.list(RAYJOB, None):
            self.rayjob_controller.queue.add((raw["metadata"]["namespace"], raw["metadata"]["name"]))
        if self.raycronjob_controller is not None:
            for raw in self.store.list(RAYCRONJOB, None):
                self.raycronjob_controller.queue.add((raw["metadata"]["namespace"], raw["metadata"]["name"]))

    def _journal_change(self, event: WatchEvent) -> None:
        self.journal.record_change(event.type.value, event.obj, event.old, t=event.t)

    # -- objects ---------------------------------------------------------------------------------------------------

    def _manifests(self, source: Any) -> builtins.list[Manifest]:
        if isinstance(source, Manifest):
            return [source]
        if isinstance(source, Mapping):
            return [Manifest(obj=deep_copy(dict(source)), source="<inline>", line=0)]
        if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and
                                        not source.lstrip().startswith(("{", "apiVersion"))):
            return load_manifests(source)
        if isinstance(source, str):
            return parse_manifests(source, "<text>")
        out: builtins.list[Manifest] = []
        for item in source:
            out.extend(self._manifests(item))
        return out

    def apply(self, source: Any, *, namespace: str | None = None) -> builtins.list[Obj]:
        """``kubectl apply``: validate each document as the API server would, then create or update it.

        ``source`` is a path (file or directory), YAML text, a dict, a Manifest or an iterable of those.
        Raises ManifestError (file:line + hint) for input the API server would refuse.
        """
        applied: builtins.list[Obj] = []
        for manifest in self._manifests(source):
            result = validate_manifest(manifest, field_validation=self.field_validation,
                                       old=self._stored(manifest.obj, namespace))
            # The API server sends warnings before it answers, so they are shown even for a refused object.
            for warning in result.warnings:
                self._warn(warning)
            if not result.ok:
                # The timeline shows what was refused, and why, among what the scenario did.
                raw_meta = manifest.obj.get("metadata")
                meta: Mapping[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
                self.journal.record_action("apply (refused)", kind=manifest.kind,
                                           namespace=namespace or str(meta.get("namespace") or "default"),
                                           name=str(meta.get("name") or ""), detail=result.status_message)
            raise_for_errors(result, manifest)
            self._check_modelled(result.obj, manifest)
            check_operator_limits(result.obj, manifest)
            self._check_ray_version(result.obj)
            applied.append(self._apply_one(result.obj, namespace))
        return applied

    def _stored(self, obj: Mapping[str, Any], namespace: str | None) -> Obj | None:
        """The object an apply of ``obj`` would update (its transition rules compare with it), or None."""
        rtype = resolve_kind(str(obj.get("kind", "")))
        meta = obj.get("metadata")
        if rtype is None or not isinstance(meta, Mapping) or not meta.get("name"):
            return None
        ns = (namespace or meta.get("namespace") or "default") if rtype.namespaced else ""
        return self.store.find(rtype, str(ns), str(meta["name"]))

    def _check_modelled(self, obj: Obj, manifest: Manifest | None) -> None:
        """Refuse an object the operator would handle with what the simulator does not model (under a gate)."""
        problem = unmodelled_use(obj, self.gates)
        if problem is not None:
            path, reason = problem
            name = (obj.get("metadata") or {}).get("name", "")
            raise InputError(f"{obj.get('kind')} {name}: {reason}",
                             pos=manifest.pos(path) if manifest is not None and manifest.line else None,
                             hint="run it against a real cluster, or leave the gate off")
        for warning in (network_policy_warning(obj, self.gates), cronjob_warning(obj, self.gates)):
            if warning is not None:
                self._warn(warning)

    def _warn(self, text: str) -> None:
        if text in self.warnings:
            return
        self.warnings.append(text)
        if self.on_warning is not None:
            self.on_warning(text)

    def _check_ray_version(self, obj: Obj) -> None:
        """With a real executor, say when the manifest's Ray differs from the local Ray (not an error)."""
        spec = obj.get("spec") or {}
        cluster_spec = spec.get("rayClusterSpec") if obj.get("kind") == "RayJob" else spec
        if isinstance(cluster_spec, Mapping) and cluster_spec.get("rayVersion"):
            message = self.executor.check_versions(ray_version=str(cluster_spec["rayVersion"]))
            if message:
                self._warn(message)

    def executor_warnings(self) -> builtins.list[str]:
        """Warnings the executor raised while running jobs (version mismatches, capped resources...)."""
        for text in self.executor.warnings:
            self._warn(text)
        return list(self.warnings)

    def _apply_one(self, obj: Obj, namespace: str | None) -> Obj:
        rtype = _rtype(str(obj["kind"]))
        meta = obj.setdefault("metadata", {})
        ns = namespace or meta.get("namespace") or "default"
        if rtype.namespaced:
            meta["namespace"] = ns
            self.store.ensure_namespace(ns)
        existing = self.store.find(rtype, ns if rtype.namespaced else "", meta.get("name", "")) \
            if meta.get("name") else None
        self.journal.record_action("apply", kind=rtype.kind, namespace=ns if rtype.namespaced else "",
                                   name=meta.get("name") or meta.get("generateName", ""))
        if existing is None:
            return self.store.create(obj)
        updated = deep_copy(existing)
        for key, value in obj.items():
            if key in ("metadata", "status"):
                continue
            updated[key] = deep_copy(value)
        for key in ("labels", "annotations"):
            if key in meta:
                updated["metadata"][key] = {**(existing["metadata"].get(key) or {}), **meta[key]}
        return self.store.update(updated, owned=True)

    def create_namespace(self, name: str) -> None:
        self.store.ensure_namespace(name)

    def get(self, kind: str, name: str, *, namespace: str = "default") -> Obj | None:
        found = self.store.find(_rtype(kind), namespace, name)
        return deep_copy(found) if found is not None else None

    def list(self, kind: str, *, namespace: str | None = "default",
             selector: str | Mapping[str, str] | None = None) -> builtins.list[Obj]:
        """Objects of ``kind`` in ``namespace`` (None: every namespace) matching ``selector``, by name."""
        return [deep_copy(o) for o in self.store.list(_rtype(kind), namespace, selector)]

    def patch(self, kind: str, name: str, patch: Mapping[str, Any], *, namespace: str = "default",
              subresource: Literal["status"] | None = None) -> Obj:
        """A JSON merge patch (``kubectl patch --type=merge``) on the main resource, or with
        ``subresource="status"`` on the status subresource (``--subresource=status``).

        As the API server does for a kind with a status subresource, a write to the main resource leaves
        ``status`` unchanged (silently), and a write to ``status`` changes nothing else.
        """
        rtype = _rtype(kind)
        if subresource not in (None, "status"):
            raise InputError(f"subresource={subresource!r} cannot be patched", hint="patch the main resource or status")
        self.journal.record_action("patch status" if subresource else "patch", kind=rtype.kind, namespace=namespace,
                                   name=name, detail=str(dict(patch)))
        current = self.store.get(rtype, namespace, name)
        if subresource == "status":
            return self._patch_status(rtype, current, patch)
        # The API server decodes and validates the patched object as it would a new one (strict fields, types).
        patched = merge_patch(current, dict(patch))
        manifest = Manifest(obj=patched, source=f"<patch of {rtype.kind} {namespace}/{name}>", line=0)
        result = validate_manifest(manifest, field_validation=self.field_validation, old=current)
        raise_for_errors(result, manifest)
        self._check_modelled(patched, None)
        check_operator_limits(result.obj, manifest)
        return self.store.patch(rtype, namespace, name, dict(patch))

    def _patch_status(self, rtype: ResourceType, current: Obj, patch: Mapping[str, Any]) -> Obj:
        """A merge patch of the status subresource: only ``status`` is taken, decoded and validated."""
        meta = current["metadata"]
        if not rtype.status_subresource:
            raise NotFound("the server could not find the requested resource",
                           hint=f"{rtype.kind} has no status subresource; patch the object itself")
        if rtype.kind not in STATUS_SCHEMAS:
            raise InputError(f"a write to the status of a {rtype.kind} is not modelled by the simulator",
                             hint=f"status writes are modelled for {', '.join(STATUS_SCHEMAS)}; the simulator's "
                                  "own controllers own the other kinds' status")
        patched = {**deep_copy(current), "status": merge_patch(current, dict(patch)).get("status")}
        manifest = Manifest(obj=patched, source=f"<patch of {rtype.kind} {meta['namespace']}/{meta['name']} status>",
                            line=0)
        raise_for_errors(validate_status_update(manifest, field_validation=self.field_validation), manifest)
        if rtype == RAYJOB:
            try:
                RayJob.from_raw(patched)
            except (ValueError, TypeError) as exc:
                # A value the CRD accepts but the simulated operator cannot hold (an unknown state name).
                raise InputError(f"RayJob {meta['name']}: the status written is not modelled by the simulator "
                                 f"({exc})", hint="write the states KubeRay v1.7.0 uses (Initializing, Running, "
                                                  "Complete, Failed, Suspending, ...)") from None
        return self.store.patch(rtype, meta["namespace"], meta["name"], dict(patch), subresource="status")

    def suspend(self, name: str, *, namespace: str = "default") -> Obj:
        return self.patch("RayJob", name, {"spec": {"suspend": True}}, namespace=namespace)

    def resume(self, name: str, *, namespace: str = "default") -> Obj:
        return self.patch("RayJob", name, {"spec": {"suspend": False}}, namespace=namespace)

    def delete(self, kind: str, name: str, *, namespace: str = "default", propagation: str = "Background",
               wait: bool = True, timeout: float = 300.0) -> None:
        """``kubectl delete``: by default, run the world until the object is really gone (finalizers, garbage
        collection) and raise :class:`DeletionTimeout` if it is still there after ``timeout`` virtual seconds;
        with ``wait=False``, return once the deletion is requested (``kubectl delete --wait=false``)."""
        rtype = _rtype(kind)
        self.journal.record_action("delete", kind=rtype.kind, namespace=namespace, name=name)
        self.store.delete(rtype, namespace, name, propagation=propagation)
        if wait and not self.run_until(lambda: self.store.find(rtype, namespace, name) is None, timeout):
            raise DeletionTimeout(f"{rtype.kind} {namespace}/{name} still exists after {timeout:g}s",
                                  hint="a finalizer is holding it; see the operator log")

    # -- time ------------------------------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.clock.now

    def advance(self, duration: float | str) -> None:
        seconds = parse_duration(duration)
        self.journal.record_action("advance", detail=f"{seconds:g}s")
        with self._running():
            self.clock.advance(seconds)

    @contextlib.contextmanager
    def _running(self) -> Iterator[None]:
        """Around every run of the clock: a relaxed garbage collector, and the streamed journal flushed after."""
        try:
            with _relaxed_gc():
                yield
        finally:
            self.journal.flush()

    def run_until(self, condition: Callable[[], bool], timeout: float | str = math.inf) -> bool:
        """Run until ``condition()`` holds (True) or ``timeout`` virtual seconds pass (False; ``math.inf``: no
        timeout, for a condition known to come)."""
        limit = math.inf if timeout == math.inf else self.clock.now + parse_duration(timeout)
        with self._running():
            return self.clock.run(until=limit, stop=condition)

    def finish_instant(self) -> None:
        """Run every event still due at the current virtual instant (reconciles a write just triggered...)."""
        with self._running():
            self.clock.run(until=self.clock.now)

    def _at_instant_end(self, condition: Callable[[], bool]) -> Callable[[], bool]:
        """``condition`` evaluated once per virtual instant, after its last event (for costly whole-world checks)."""

        def check() -> bool:
            return self.clock.next_event_time() > self.clock.now and condition()

        return check

    def settled(self) -> bool:
        """Every RayJob is done: terminal with its cleanup performed, ValidationFailed, or Suspended."""
        for raw in self.store.list(RAYJOB):
            job = RayJob.from_raw(raw)
            state = job.status.job_deployment_status
            if job.meta.deletion_timestamp:
                return False
            if state == JobDeploymentStatus.VALIDATION_FAILED:
                continue
            if state == JobDeploymentStatus.SUSPENDED and job.spec.suspend:
                continue
            if not state.is_terminal:
                return False
            if self.rayjob_controller.queue.has_delayed((job.namespace, job.name)):
                return False
        return True

    def settle(self, timeout: float | str = "24h") -> bool:
        """Run until every RayJob is settled and the world is quiet; False if ``timeout`` ran out first."""
        limit = self.clock.now + parse_duration(timeout)
        with self._running():
            if not self.clock.run(until=limit, stop=self._at_instant_end(self.settled)):
                return False
            # Let deletions that were just triggered finish (pod termination, garbage collection).
            self.clock.run(until=min(limit, self.clock.now + 120.0),
                           stop=lambda: self.clock.next_event_time() == math.inf)
        return self.settled()

    # -- observation -----------------------------------------------------------------------------------------------

    def rayjob(self, name: str, *, namespace: str = "default") -> RayJob:
        raw = self.store.find(RAYJOB, namespace, name)
        if raw is None:
            raise NotFound(f'rayjobs.ray.io "{name}" not found')
        return RayJob.from_raw(raw)

    def deployment_status(self, name: str, *, namespace: str = "default") -> str | None:
        raw = self.store.find(RAYJOB, namespace, name)
        return None if raw is None else str((raw.get("status") or {}).get("jobDeploymentStatus", ""))

    def events_for(self, kind: str, name: str, *, namespace: str = "default") -> builtins.list[Obj]:
        obj = self.store.find(_rtype(kind), namespace, name)
        return [] if obj is None else [deep_copy(e) for e in self.events.list_for(obj)]

    def events_in(self, *, namespace: str = "default") -> builtins.list[Obj]:
        events = self.store.list(_rtype("Event"), namespace)
        return [deep_copy(e) for e in sorted(events, key=lambda e: int(e["metadata"]["resourceVersion"]))]

    def pod_logs(self, pod: str, *, namespace: str = "default", container: str | None = None) -> str:
        return self.kubelet.logs(namespace, pod, container)

    def make_image_unpullable(self, image: str, *, reason: str = "not found") -> None:
        """From now on ``image`` is not on the node and pulling it fails (``ErrImagePull`` → ``ImagePullBackOff``)
        with ``reason`` (containerd's last words, e.g. ``not found``); containers it already ran keep starting
        under ``imagePullPolicy: IfNotPresent``."""
        self.journal.record_action("image unpullable", detail=image)
        self.images.make_unpullable(image, reason)

    def make_image_pullable(self, image: str) -> None:
        """``image`` can be pulled again; waiting containers start at the kubelet's next pull attempt."""
        self.journal.record_action("image pullable", detail=image)
        self.images.make_pullable(image)

    def head_pod(self, cluster: str, *, namespace: str = "default") -> Obj | None:
        pods = self.store.list(POD, namespace, {"ray.io/cluster": cluster, "ray.io/node-type": "head"})
        return deep_copy(pods[0]) if pods else None

    def driver_log(self, name: str, *, namespace: str = "default") -> str:
        """``/tmp/ray/session_latest/logs/job-driver-<jobId>.log`` on the RayJob's head pod."""
        job = self.rayjob(name, namespace=namespace)
        cluster = job.status.ray_cluster_name
        dashboard = self.directory.current(namespace, cluster)
        if dashboard is None:
            raise NotFound(f"RayCluster {namespace}/{cluster or '<none>'} has no Ray head running")
        if not dashboard.serving:
            raise NotFound(f"the Ray head of RayCluster {namespace}/{cluster} is still starting: its dashboard is "
                           "not serving yet")
        record = dashboard.jobs.get(job.status.job_id)
        if record is None:
            raise NotFound(f"the Ray head of RayCluster {namespace}/{cluster} has no job {job.status.job_id!r}")
        return "".join(line + "\n" for line in record.driver_log)

    def stopped_head_with_job(self, name: str, *,
                              namespace: str = "default") -> tuple[RayDashboard, JobRecord] | None:
        """The stopped Ray head (and its job record) that last held the RayJob's job, for a copy of its driver log.

        The job is ``status.jobId`` while the RayJob exists, else the last one submitted for it. Nothing on a real
        cluster can answer this: the log file dies with the head pod.
        """
        found = self.store.find(RAYJOB, namespace, name)
        job_id = RayJob.from_raw(found).status.job_id if found is not None else None
        best: tuple[tuple[float, float], RayDashboard, JobRecord] | None = None
        for dashboard in self.directory.history:
            if dashboard.gone_at is None or dashboard.cluster.namespace != namespace:
                continue
            for record in dashboard.jobs.values():
                if record.request.rayjob != name or (job_id is not None and record.submission_id != job_id):
                    continue
                key = (dashboard.gone_at, record.history[0][0] if record.history else 0.0)
                if best is None or key >= best[0]:
                    best = (key, dashboard, record)
        return None if best is None else (best[1], best[2])

    def pod_deleted(self, pod: str, *, namespace: str = "default") -> bool:
        """The pod is gone or being deleted."""
        current = self.store.find(POD, namespace, pod)
        return current is None or bool(current["metadata"].get("deletionTimestamp"))

    def ray_job_record(self, name: str, *, namespace: str = "default") -> JobRecord | None:
        job = self.rayjob(name, namespace=namespace)
        dashboard = self.directory.current(namespace, job.status.ray_cluster_name)
        if dashboard is None:
            return None
        return dashboard.jobs.get(job.status.job_id)

    def ray_job_submit(self, rayjob: str, submission_id: str, entrypoint: str | None = None, *,
                       namespace: str = "default") -> None:
        """A user's ``ray job submit --submission-id ID`` against a RayJob's cluster (InteractiveMode)."""
        job = self.rayjob(rayjob, namespace=namespace)
        dashboard = self.directory.current(namespace, job.status.ray_cluster_name)
        if dashboard is None or not dashboard.serving:
            raise DashboardError(f"the dashboard of RayCluster {job.status.ray_cluster_name!r} is not serving")
        self.journal.record_action("ray job submit", kind="RayJob", namespace=namespace, name=rayjob,
                                   detail=submission_id)
        dashboard.submit_job(SubmitRequest(submission_id, entrypoint or job.spec.entrypoint,
                                           submitted_by="user", rayjob=rayjob))

    # -- faults a scenario injects at a moment it chooses ---------------------------------------------------------

    def kill_container(self, pod: str, container: str | None = None, *, namespace: str = "default",
                       exit_code: int = 137, reason: str = "Error") -> str:
        """End a running container's process with ``exit_code`` (137: SIGKILL, 143: SIGTERM); the kubelet then
        restarts it or not by the pod's restartPolicy. Returns the container's name (the first one by default)."""
        self.journal.record_action("kill container", kind="Pod", namespace=namespace, name=pod,
                                   detail=f"{container or '(first container)'} exit code {exit_code} ({reason})")
        return self.kubelet.kill(namespace, pod, container, exit_code, reason)

    def answer_job_info(self, raycluster: str, answer: JobInfoFault | None, *, namespace: str = "default") -> None:
        """From now on the dashboard of ``raycluster`` answers the operator's job-status query with ``answer``
        (None: the truth again), whichever head serves it."""
        if answer is not None:
            answer = replace(answer, since_ms=self.clock.epoch_ms())
        self.journal.record_action("dashboard answers", kind="RayCluster", namespace=namespace, name=raycluster,
                                   detail="normally" if answer is None else
                                   answer.answer if answer.job_status is None else answer.job_status.value)
        self.directory.set_job_info_fault(namespace, raycluster, answer)

    def fail_next(self, verb: Verb, kind: str, *, namespace: str = "default", times: int = 1,
                  reason: str = "InternalError", message: str = "") -> None:
        """Refuse the next ``times`` requests to ``verb`` a ``kind`` in ``namespace``, whoever sends them."""
        rtype = _rtype(kind)
        if reason not in INJECTABLE_REASONS:
            raise InputError(f"reason={reason!r} cannot be injected", hint=f"use {', '.join(INJECTABLE_REASONS)}")
        if rtype.kind not in FAILABLE[verb]:
            raise InputError(f"the simulator cannot fail a {verb} of a {rtype.kind}",
                             hint=f"{verb}s of {', '.join(FAILABLE[verb])} can be failed")
        self.journal.record_action(f"fail next {verb}", kind=rtype.kind, namespace=namespace,
                                   detail=f"{times}x {reason}")
        self.store.faults.add(PendingFailure(verb, rtype, namespace, times, STATUS_CODES[reason], reason, message))

    def hold_submitter(self, rayjob: str, *, namespace: str = "default", held: bool = True) -> None:
        """Hold (or release) the submitter Job of ``rayjob``: the Job controller leaves it alone meanwhile."""
        self.journal.record_action("hold submitter" if held else "release submitter", kind="Job",
                                   namespace=namespace, name=rayjob)
        self.job_controller.hold(namespace, rayjob, held)

    @property
    def operator_log(self) -> builtins.list[str]:
        """The operator's log lines, across restarts, by instant: at most the last :data:`OPERATOR_LOG_LINES`
        of the running operator (a stuck reconcile logging every 3 s for months is not all kept, as on a cluster)."""
        logs = [self.rayjob_controller.log, self.raycluster_controller.log]
        logs += [c.log for c in (self.networkpolicy_controller, self.raycronjob_controller) if c is not None]
        entries = sorted(entry for log in logs for entry in log.latest(OPERATOR_LOG_LINES))
        return self._previous_operator_log + [line for _, line in entries[-OPERATOR_LOG_LINES:]]

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for dashboard in list(self.directory.history):
            dashboard.shut_down()
        self.executor.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_operator_limits(obj: Mapping[str, Any], manifest: Manifest) -> None:
    """Refuse what the API server accepts but the simulator cannot model: a number KubeRay's client cannot
    decode, or a RayCluster with more worker Pods than :data:`MAX_WORKER_PODS`."""
    problem = operator_decode_error(dict(obj))
    if problem is not None:
        kind = obj.get("kind")
        raise InputError(f"KubeRay cannot decode {kind} {manifest.name!r}: {problem.path}: {problem.message}",
                         pos=manifest.pos(problem.path),
                         hint="Kubernetes 1.35 stores the value, but the operator's client fails to read the object "
                              "(and, with it, every object of its kind); the simulator does not model that. Use a "
                              "number that fits the field")
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return
    cluster = spec.get("rayClusterSpec") if obj.get("kind") == "RayJob" else spec if obj.get("kind") == "RayCluster" \
        else None
    if not isinstance(cluster, Mapping):
        return
    wanted, path = worker_pods_wanted(cluster)
    if wanted > MAX_WORKER_PODS:
        where = f"spec.rayClusterSpec.{path.removeprefix('spec.')}" if obj.get("kind") == "RayJob" else path
        raise InputError(f"{obj.get('kind')} {manifest.name!r} asks for {wanted} worker Pods; the simulator models "
                         f"RayClusters of at most {MAX_WORKER_PODS}", pos=manifest.pos(where),
                         hint="the simulator creates every Pod it is asked for; scale the worker groups down (their "
                              "behaviour does not depend on the count)")


@contextlib.contextmanager
def _relaxed_gc() -> Iterator[None]:
    """Run the world with Python's cyclic garbage collector far less eager.

    The simulator allocates many short-lived dicts (object snapshots) that form no reference cycles; the
    default generation-0 threshold makes the collector scan them thousands of times per second of wall time.
    """
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], 50_000), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _describe_settings(env: Mapping[str, str], gates: Mapping[str, bool]) -> str:
    parts = [f"{name}={value}" for name, value in sorted(env.items())]
    parts += [f"--feature-gates {name}={str(value).lower()}" for name, value in sorted(gates.items())]
    return ", ".join(parts) or "defaults"


def wall_clock_origin() -> int:
    """The current UNIX second: an origin that makes object timestamps look like today's (CLI runs)."""
    return int(time.time())

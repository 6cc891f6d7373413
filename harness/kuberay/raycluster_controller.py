"""The RayCluster reconciler: head Service, head and worker Pods, and ``status`` (``calculateStatus``, v1.7.0).

What the RayJob controller depends on is reproduced closely: the head Service name and ports (the RayJob finds
the dashboard through the port named ``dashboard``), pod names and labels, worker-group ``suspend`` (used by the
DeleteWorkers policy), re-creation of a deleted head pod, and ``status.state = ready`` once every pod is Running
and Ready and the pod count equals desired workers + 1 ("ready" is sticky), and the token Secret of
``authOptions.mode: token`` (:mod:`.auth`). Before any of it, the reconcile
checks the RayCluster's metadata and spec (with the operator's feature gates) and, with mTLS requested, that
cert-manager is installed (it never is in the simulator); a failed check is a Warning event and no pods.
Autoscaling, GCS fault tolerance and ingress are not modelled; network policies have their own controller
(:mod:`.networkpolicy_controller`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._util.gofmt import dns1035_label, go_list
from ..model.enums import ClusterState, PodPhase
from ..model.kinds import POD, RAYCLUSTER, SECRET, SERVICE
from ..model.labels import DISABLE_HEAD_RESTART, LABEL_CLUSTER, LABEL_GROUP, LABEL_NODE_TYPE
from ..sim.clock import Clock
from ..sim.events import NORMAL, WARNING, EventRecorder
from ..sim.store import AlreadyExists, ApiError, NotFound, ObjectStore, WatchEvent
from ..sim.transcript import Transcript, short_line
from ..sim.workqueue import WorkQueue
from .auth import build_auth_secret, wants_generated_secret
from .gates import FeatureGates
from .profile import RAYCLUSTER_CONTROLLER_NAME, OperatorConfig
from .resources import (
    build_head_pod,
    build_head_service,
    build_worker_pod,
    head_service_name,
)
from .validation_cluster import validate_raycluster_spec

INT32_MAX: Final = 2_147_483_647


def desired_replicas(group: Mapping[str, Any]) -> int:
    """``GetWorkerGroupDesiredReplicas``: 0 when suspended, else replicas clamped to [min, max], times hosts."""
    if group.get("suspend"):
        return 0
    low = int(group.get("minReplicas", 0) or 0)
    high = int(group.get("maxReplicas", INT32_MAX) if group.get("maxReplicas") is not None else INT32_MAX)
    replicas = group.get("replicas")
    count = low if replicas is None or int(replicas) < low else min(int(replicas), high)
    return count * int(group.get("numOfHosts", 1) or 1)


# The simulator creates every Pod it is asked for; beyond this many workers per RayCluster it refuses the object.
MAX_WORKER_PODS: Final = 1_000


def worker_pods_wanted(spec: Mapping[str, Any]) -> tuple[int, str]:
    """How many worker Pods ``spec`` asks for (``desired_replicas`` summed) and the path of its largest group."""
    total, largest, path = 0, -1, "spec.workerGroupSpecs"
    for index, group in enumerate(spec.get("workerGroupSpecs") or []):
        if isinstance(group, Mapping):
            wanted = desired_replicas(group)
            total += wanted
            if wanted > largest:
                largest, path = wanted, f"spec.workerGroupSpecs[{index}].replicas"
    return total, path


_FINISHED: Final = (PodPhase.FAILED.value, PodPhase.SUCCEEDED.value)


def _phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase", ""))


def _ready(pod: Mapping[str, Any]) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == PodPhase.RUNNING and any(
        c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or [])


def _quantity_cpu(value: Any) -> float:
    text = str(value)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


_MEM_UNITS: Final = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "K": 10**3, "M": 10**6, "G": 10**9}


def _quantity_mem(value: Any) -> float:
    text = str(value)
    for suffix, factor in _MEM_UNITS.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def _format_cpu(cores: float) -> str:
    return str(int(cores)) if cores == int(cores) else f"{round(cores * 1000)}m"


def _format_mem(num: float) -> str:
    for suffix in ("Gi", "Mi", "Ki"):
        factor = _MEM_UNITS[suffix]
        if num >= factor and num % factor == 0:
            return f"{int(num // factor)}{suffix}"
    return str(int(num))


def desired_resources(spec: Mapping[str, Any]) -> dict[str, str]:
    """``CalculateDesiredResources``: per container limits (requests as fallback), head + desired workers."""
    totals = {"cpu": 0.0, "memory": 0.0, "gpu": 0.0}

    def add(template: Mapping[str, Any], times: int) -> None:
        for container in (template.get("spec") or {}).get("containers") or []:
            resources = container.get("resources") or {}
            chosen = {**(resources.get("requests") or {}), **(resources.get("limits") or {})}
            if "cpu" in chosen:
                totals["cpu"] += _quantity_cpu(chosen["cpu"]) * times
            if "memory" in chosen:
                totals["memory"] += _quantity_mem(chosen["memory"]) * times
            if "nvidia.com/gpu" in chosen:
                totals["gpu"] += float(chosen["nvidia.com/gpu"]) * times

    add(spec["headGroupSpec"]["template"], 1)
    for group in spec.get("workerGroupSpecs") or []:
        add(group["template"], desired_replicas(group))
    return {"desiredCPU": _format_cpu(totals["cpu"]), "desiredMemory": _format_mem(totals["memory"]),
            "desiredGPU": _format_cpu(totals["gpu"]), "desiredTPU": "0"}


MAX_RAYCLUSTER_NAME_LENGTH: Final = 53  # MaxRayClusterNameLength


def tls_enabled(spec: Mapping[str, Any], gates: FeatureGates) -> bool:
    """``IsTLSEnabled``: the RayClusterMTLS gate is on and ``spec.tlsOptions.enabled`` is true."""
    return gates.ray_cluster_mtls and (spec.get("tlsOptions") or {}).get("enabled") is True


def cluster_problem(cluster: Mapping[str, Any], gates: FeatureGates) -> tuple[str, str] | None:
    """The checks at the start of ``rayClusterReconcile`` (v1.7.0), in order: (event reason, message) or None."""
    meta = cluster["metadata"]
    where = f"{meta.get('namespace', '')}/{meta['name']}"
    name = str(meta["name"])
    if len(name) > MAX_RAYCLUSTER_NAME_LENGTH:
        return ("InvalidRayClusterMetadata", f"The RayCluster metadata is invalid {where}: RayCluster name should be "
                                             f"no more than {MAX_RAYCLUSTER_NAME_LENGTH} characters")
    if problems := dns1035_label(name):
        return ("InvalidRayClusterMetadata", f"The RayCluster metadata is invalid {where}: RayCluster name should be "
                                             f"a valid DNS1035 label: {go_list(problems)}")
    spec = cluster.get("spec") or {}
    if problem := validate_raycluster_spec(spec, meta.get("annotations") or {}, gates):
        return "InvalidRayClusterSpec", f"The RayCluster spec is invalid {where}: {problem}"
    if tls_enabled(spec, gates):
        # The simulated cluster has no cert-manager, as a kind cluster without it.
        return ("InvalidRayClusterSpec", f"The RayCluster spec is invalid {where}: tlsOptions requires cert-manager, "
                                         "but cert-manager is not installed")
    return None


class RayClusterController:
    def __init__(self, store: ObjectStore, clock: Clock, events: EventRecorder, config: OperatorConfig,
                 gates: FeatureGates | None = None) -> None:
        self.store = store
        self.clock = clock
        self.events = events
        self.config = config
        self.gates = gates or FeatureGates()
        self.queue: WorkQueue[tuple[str, str]] = WorkQueue(clock, self.reconcile, name="raycluster")
        self.log = Transcript(short_line, ordered=False)
        self._problems: dict[tuple[str, int, tuple[tuple[str, str], ...]], tuple[str, str] | None] = {}
        self._unwatch = store.watch(self._on_event)

    def stop(self) -> None:
        """The operator process stops: no more watch events, no pending reconciles."""
        self._unwatch()
        self.queue.shut_down()

    def _on_event(self, event: WatchEvent) -> None:
        if event.rtype == RAYCLUSTER:
            self.queue.add((event.namespace, event.name))
        elif event.rtype in (POD, SERVICE):
            for ref in event.obj["metadata"].get("ownerReferences") or []:
                if ref.get("controller") and ref.get("kind") == "RayCluster":
                    self.queue.add((event.namespace, ref["name"]))

    def _pods(self, cluster: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The cluster's pods: those it owns and that still carry its ``ray.io/cluster`` label."""
        name = cluster["metadata"]["name"]
        return [p for p in self.store.owned_by(cluster["metadata"]["uid"], POD)
                if (p["metadata"].get("labels") or {}).get(LABEL_CLUSTER) == name]

    def _invalid(self, cluster: Mapping[str, Any]) -> tuple[str, str] | None:
        """The first check ``rayClusterReconcile`` fails before touching pods: (event reason, message), or None.

        Cached per generation and annotations, as validation reads nothing else.
        """
        meta = cluster["metadata"]
        annotations = dict(meta.get("annotations") or {})
        key = (meta["uid"], int(meta.get("generation", 1)), tuple(sorted(annotations.items())))
        if key not in self._problems:
            if len(self._problems) > 10_000:
                self._problems.clear()
            self._problems[key] = cluster_problem(cluster, self.gates)
        return self._problems[key]

    def reconcile(self, key: tuple[str, str]) -> None:
        cluster = self.store.find(RAYCLUSTER, *key)
        if cluster is None or cluster["metadata"].get("deletionTimestamp"):
            return
        problem = self._invalid(cluster)
        if problem is not None:
            # v1.7.0 records the event and returns without a requeue: nothing is created, no status is written.
            reason, message = problem
            self.events.record(cluster, WARNING, reason, message, component=RAYCLUSTER_CONTROLLER_NAME,
                               action="Validate")
            self.queue.forget(key)
            return
        error: str | None = None
        try:
            self._reconcile_auth_secret(cluster)
            self._reconcile_service(cluster)
            self._reconcile_pods(cluster)
        except ApiError as exc:
            error = str(exc)
            self.clock.output(self.log, f"RayCluster {key[0]}/{key[1]}: {exc}")
            self.clock.touch()  # a failed reconcile is never idle (and is retried with back-off)
        current = self.store.find(RAYCLUSTER, *key)
        if current is not None:
            self._write_status(current, error)
        if error is not None:
            self.queue.add_rate_limited(key)
        else:
            self.queue.forget(key)

    def _reconcile_auth_secret(self, cluster: Mapping[str, Any]) -> None:
        """``reconcileAuthSecret`` (v1.5+): the cluster's own token Secret, created once."""
        if not wants_generated_secret(cluster["spec"]):
            return
        secret = build_auth_secret(cluster)
        if self.store.find(SECRET, cluster["metadata"]["namespace"], secret["metadata"]["name"]) is None:
            self.store.create(secret)

    def _reconcile_service(self, cluster: Mapping[str, Any]) -> None:
        ns = cluster["metadata"]["namespace"]
        name = head_service_name(cluster)
        if self.store.find(SERVICE, ns, name) is not None:
            return
        try:
            self.store.create(build_head_service(cluster), owned=True)
        except AlreadyExists:
            return
        self._event(cluster, "CreatedService", f"Created service {ns}/{name}", "Create")

    def _reconcile_pods(self, cluster: Mapping[str, Any]) -> None:
        ns = cluster["metadata"]["namespace"]
        spec = cluster["spec"]
        pods = self._pods(cluster)
        if spec.get("suspend"):
            for pod in pods:
                if not pod["metadata"].get("deletionTimestamp"):
                    self.store.delete(POD, ns, pod["metadata"]["name"])
            return
        heads = [p for p in pods if p["metadata"]["labels"].get(LABEL_NODE_TYPE) == "head"]
        for head in heads:
            # A head whose Ray container ended (restartPolicy Never) is deleted, then replaced below.
            if not head["metadata"].get("deletionTimestamp") and _phase(head) in _FINISHED:
                self.store.delete(POD, ns, head["metadata"]["name"])
        provisioned = any(c["type"] == "RayClusterProvisioned" and c["status"] == "True"
                          for c in (cluster.get("status") or {}).get("conditions") or [])
        skip_restart = (cluster["metadata"].get("annotations") or {}).get(DISABLE_HEAD_RESTART) == "true"
        # A provisioned SidecarMode cluster does not get a new head (v1.6+): it would not help the RayJob.
        if not heads and not (provisioned and skip_restart):
            created = self.store.create(build_head_pod(cluster, self.config), owned=True)
            self._event(cluster, "CreatedHeadPod", f"Created head Pod {ns}/{created['metadata']['name']}", "Create")
        for group in spec.get("workerGroupSpecs") or []:
            workers = [p for p in pods if p["metadata"]["labels"].get(LABEL_NODE_TYPE) == "worker"
                       and p["metadata"]["labels"].get(LABEL_GROUP) == group["groupName"]
                       and not p["metadata"].get("deletionTimestamp")]
            alive = [p for p in workers if _phase(p) not in _FINISHED]
            want = desired_replicas(group)
            excess = sorted(alive, key=lambda p: p["metadata"]["name"])[want:]
            for pod in [p for p in workers if _phase(p) in _FINISHED] + excess:
                self.store.delete(POD, ns, pod["metadata"]["name"])
                self._event(cluster, "DeletedWorkerPod", f"Deleted worker Pod {ns}/{pod['metadata']['name']}",
                            "Delete")
            for _ in range(want - len(alive)):
                created = self.store.create(build_worker_pod(cluster, group, self.config), owned=True)
                self._event(cluster, "CreatedWorkerPod", f"Created worker Pod {ns}/{created['metadata']['name']}",
                            "Create")

    def _event(self, cluster: Mapping[str, Any], reason: str, message: str, action: str) -> None:
        self.events.record(cluster, NORMAL, reason, message, component=RAYCLUSTER_CONTROLLER_NAME, action=action)

    def _write_status(self, cluster: Mapping[str, Any], error: str | None) -> None:
        spec = cluster["spec"]
        # A shallow copy: stored snapshots are never modified, and the one nested value changed in place below
        # (stateTransitionTimes) gets its own copy; the rest is replaced whole.
        status = dict(cluster.get("status") or {})
        if "stateTransitionTimes" in status:
            status["stateTransitionTimes"] = dict(status["stateTransitionTimes"])
        pods = self._pods(cluster)
        workers = [p for p in pods if p["metadata"]["labels"].get(LABEL_NODE_TYPE) == "worker"]
        groups = spec.get("workerGroupSpecs") or []
        desired = sum(desired_replicas(g) for g in groups)
        hosts = [int(g.get("numOfHosts", 1) or 1) for g in groups]
        status["readyWorkerReplicas"] = sum(1 for p in workers if _ready(p))
        status["availableWorkerReplicas"] = sum(
            1 for p in workers if (p.get("status") or {}).get("phase") == PodPhase.RUNNING)
        status["desiredWorkerReplicas"] = desired
        status["minWorkerReplicas"] = sum(
            int(g.get("minReplicas", 0) or 0) * h for g, h in zip(groups, hosts, strict=True))
        status["maxWorkerReplicas"] = sum(
            min(int(g.get("maxReplicas", INT32_MAX) or 0) * h, INT32_MAX) for g, h in zip(groups, hosts, strict=True))
        status.update(desired_resources(spec))
        status["observedGeneration"] = cluster["metadata"].get("generation", 1)
        all_running = bool(pods) and all(_ready(p) for p in pods)
        if error is None and len(pods) == desired + 1 and all_running:
            if status.get("state") != ClusterState.READY.value:
                status.setdefault("stateTransitionTimes", {})[ClusterState.READY.value] = self.clock.timestamp()
            status["state"] = ClusterState.READY.value
            status.pop("reason", None)
        if spec.get("suspend") and not pods:
            if status.get("state") != ClusterState.SUSPENDED.value:
                status.setdefault("stateTransitionTimes", {})[ClusterState.SUSPENDED.value] = \
                    self.clock.timestamp()
            status["state"] = ClusterState.SUSPENDED.value
        head = next((p for p in pods if p["metadata"]["labels"].get(LABEL_NODE_TYPE) == "head"), None)
        svc = self.store.find(SERVICE, cluster["metadata"]["namespace"], head_service_name(cluster))
        if svc is not None:
            status["endpoints"] = {p["name"]: str(p["port"]) for p in svc["spec"].get("ports") or []}
        head_status: dict[str, str] = {}
        if head is not None:
            head_status["podName"] = head["metadata"]["name"]
            if (head.get("status") or {}).get("podIP"):
                head_status["podIP"] = head["status"]["podIP"]
        if svc is not None:
            head_status["serviceName"] = svc["metadata"]["name"]
            head_status["serviceIP"] = svc["spec"].get("clusterIP", "")
        if head_status:
            status["head"] = head_status
        status["conditions"] = self._conditions(status.get("conditions") or [], pods, head, all_running,
                                                bool(spec.get("suspend")), error)
        # Like upstream's inconsistentRayClusterStatus: a new lastUpdateTime alone is not worth a write.
        old = {k: v for k, v in (cluster.get("status") or {}).items() if k != "lastUpdateTime"}
        if status == old or {k: v for k, v in status.items() if k != "lastUpdateTime"} == old:
            return
        status["lastUpdateTime"] = self.clock.timestamp()
        try:
            self.store.update_status({**cluster, "status": status}, owned=True)
        except NotFound:
            return

    def _conditions(self, old: list[dict[str, Any]], pods: list[dict[str, Any]], head: Mapping[str, Any] | None,
                    all_running: bool, suspend: bool, error: str | None) -> list[dict[str, Any]]:
        """The RayClusterStatusConditions (beta, on by default): Provisioned, HeadPodReady, Suspending/ed."""
        by_type = {c["type"]: c for c in old}
        now = self.clock.timestamp()

        def put(kind: str, status: str, reason: str, message: str = "") -> None:
            previous = by_type.get(kind)
            since = previous["lastTransitionTime"] if previous and previous["status"] == status else now
            by_type[kind] = {"type": kind, "status": status, "reason": reason, "message": message,
                             "lastTransitionTime": since}

        if error is not None:
            put("ReplicaFailure", "True", "FailedCreateWorkerPod", error)
        else:
            by_type.pop("ReplicaFailure", None)
        if head is None:
            put("HeadPodReady", "False", "HeadPodNotFound", "Head Pod not found")
        elif _ready(head):
            put("HeadPodReady", "True", "HeadPodRunningAndReady")
        else:
            put("HeadPodReady", "False", "ContainersNotReady", "containers with unready status: [ray-head]")
        provisioned = by_type.get("RayClusterProvisioned")
        if not (provisioned and provisioned["status"] == "True"):
            if all_running:
                put("RayClusterProvisioned", "True", "AllPodRunningAndReadyFirstTime",
                    "All Ray Pods are ready for the first time")
            else:
                put("RayClusterProvisioned", "False", "RayClusterPodsProvisioning",
                    "RayCluster Pods are being provisioned for first time")
        put("RayClusterSuspended", "False", "RayClusterSuspended")
        put("RayClusterSuspending", "True" if suspend and pods else "False", "RayClusterSuspending")
        order = ["HeadPodReady", "RayClusterProvisioned", "RayClusterSuspended", "RayClusterSuspending",
                 "ReplicaFailure"]
        return [by_type[k] for k in order if k in by_type]

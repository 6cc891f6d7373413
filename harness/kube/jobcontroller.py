"""The batch/v1 Job controller, as far as a RayJob's submitter needs it.

One pod at a time (parallelism 1, completions 1): pods named ``<job>-<rand5>`` with the ``job-name`` and
``controller-uid`` labels; a failed pod is replaced after an exponential back-off (10 s, 20 s, ... capped at
6 min) until ``backoffLimit`` failures have been exceeded; then the Job gets ``FailureTarget`` and, once no pod
is running, ``Failed`` with reason ``BackoffLimitExceeded``. A succeeded pod gives ``SuccessCriteriaMet`` then
``Complete`` (Kubernetes 1.31+ condition order). KubeRay reads the Complete/Failed conditions and their
``lastTransitionTime`` (the submitter's ``finishedAt``).

A pod the API server refuses to create is a Warning event ``FailedCreate`` ("Error creating: ...") on the Job and
a retry after the controller's rate-limited back-off. A Job may be *held* (:meth:`JobController.hold`): the
controller leaves it alone, creating no pod and writing no status, as an envtest without a Job controller does,
until it is released.

Not here: Indexed jobs, parallelism, pod failure policies, suspend, TTL after finished.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._util.jsoncopy import deep_copy
from ..model.enums import PodPhase, WatchEventType
from ..model.kinds import JOB, POD
from ..model.meta import controller_ref
from ..sim.clock import PRIORITY_CONTROLLER, Clock
from ..sim.events import WARNING, EventRecorder
from ..sim.store import ApiError, NotFound, ObjectStore, WatchEvent

DEFAULT_BACKOFF_LIMIT: Final = 6
BACKOFF_BASE: Final = 10.0
BACKOFF_CAP: Final = 360.0
# client-go's default controller rate limiter: per item, 5 ms doubling on each failure, at most 1000 s.
RATE_LIMIT_BASE: Final = 0.005
RATE_LIMIT_CAP: Final = 1000.0
COMPONENT: Final = "job-controller"


def replacement_delay(failures: int) -> float:
    """The Job controller's pod back-off after ``failures`` failed pods: 10 s doubling, at most 6 minutes (the
    doubling stops counting at the cap, so thousands of failures do not overflow it)."""
    return min(BACKOFF_BASE * float(2 ** min(failures - 1, 64)), BACKOFF_CAP)


class JobController:
    def __init__(self, store: ObjectStore, clock: Clock, events: EventRecorder | None = None) -> None:
        self.store = store
        self.clock = clock
        self.events = events
        self._queued: set[tuple[str, str]] = set()
        self._retry_at: dict[tuple[str, str], float] = {}
        self._api_failures: dict[tuple[str, str], int] = {}
        self._held: set[tuple[str, str]] = set()
        store.watch(self._on_event)

    def hold(self, namespace: str, name: str, held: bool = True) -> None:
        """Leave the Job ``namespace/name`` alone (no pod, no status write) until released; it need not exist."""
        key = (namespace, name)
        if held:
            self._held.add(key)
        elif key in self._held:
            self._held.discard(key)
            self._enqueue(key)

    def is_held(self, namespace: str, name: str) -> bool:
        return (namespace, name) in self._held

    def _on_event(self, event: WatchEvent) -> None:
        if event.rtype == JOB and event.type != WatchEventType.DELETED:
            self._enqueue((event.namespace, event.name))
        elif event.rtype == POD:
            owner = next((r for r in event.obj["metadata"].get("ownerReferences") or []
                          if r.get("controller") and r.get("kind") == "Job"), None)
            if owner is not None:
                self._enqueue((event.namespace, owner["name"]))

    def _enqueue(self, key: tuple[str, str], delay: float = 0.0) -> None:
        if delay == 0.0:
            if key in self._queued:
                return
            self._queued.add(key)
        self.clock.call_later(delay, lambda: self._sync(key, delay == 0.0), priority=PRIORITY_CONTROLLER,
                              label=f"job-controller {key[1]}")

    def _pods(self, job: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self.store.owned_by(job["metadata"]["uid"], POD)

    def _sync(self, key: tuple[str, str], from_queue: bool) -> None:
        if from_queue:
            self._queued.discard(key)
        job = self.store.find(JOB, *key)
        if job is None or job["metadata"].get("deletionTimestamp") or key in self._held:
            return
        status = deep_copy(job.get("status") or {})
        conditions = status.get("conditions") or []
        if any(c["type"] in ("Complete", "Failed") and c["status"] == "True" for c in conditions):
            return
        pods = self._pods(job)
        active = [p for p in pods if not p["metadata"].get("deletionTimestamp")
                  and (p.get("status") or {}).get("phase", "Pending") in (PodPhase.PENDING, PodPhase.RUNNING)]
        terminating = [p for p in pods if p["metadata"].get("deletionTimestamp")]
        succeeded = [p for p in pods if (p.get("status") or {}).get("phase") == PodPhase.SUCCEEDED]
        failed = [p for p in pods if (p.get("status") or {}).get("phase") == PodPhase.FAILED]
        backoff_limit = int(job["spec"].get("backoffLimit", DEFAULT_BACKOFF_LIMIT))
        now = self.clock.timestamp()
        status.setdefault("startTime", now)
        types = {c["type"] for c in conditions}

        def add(kind: str, reason: str = "", message: str = "") -> None:
            if kind not in types:
                conditions.append({"type": kind, "status": "True", "lastProbeTime": now,
                                   "lastTransitionTime": now, "reason": reason, "message": message})
                types.add(kind)

        if succeeded:
            add("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods")
            if not active and not terminating:
                add("Complete", "CompletionsReached", "Reached expected number of succeeded pods")
                status["completionTime"] = now
        elif len(failed) > backoff_limit:
            add("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
            for pod in active:
                try:
                    self.store.delete(POD, key[0], pod["metadata"]["name"])
                except ApiError:
                    continue  # deleted again at the next sync
            if not active and not terminating:
                add("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
        n_active = len(active)
        if not succeeded and len(failed) <= backoff_limit and not active and not terminating:
            wait = self._backoff_remaining(key, len(failed))
            if wait > 0:
                self._enqueue(key, wait)
            elif self._create_pod(job, key):
                n_active = 1
        status["conditions"] = conditions
        status["active"] = n_active or None
        status["succeeded"] = len(succeeded) or None
        status["failed"] = len(failed) or None
        status["terminating"] = len(terminating)
        status["ready"] = sum(1 for p in active if any(
            c["type"] == "Ready" and c["status"] == "True" for c in (p.get("status") or {}).get("conditions", [])))
        status["uncountedTerminatedPods"] = {}
        clean = {k: v for k, v in status.items() if v is not None and v != []}
        current = self.store.find(JOB, *key)
        if current is not None and current.get("status") != clean:
            self.store.update_status({**current, "status": clean}, owned=True)

    def _backoff_remaining(self, key: tuple[str, str], failures: int) -> float:
        """Seconds until the next pod may be created after ``failures`` failed pods (0 when none failed)."""
        if failures == 0:
            return 0.0
        due = self._retry_at.get(key)
        if due is None or due < 0:
            due = self.clock.now + replacement_delay(failures)
            self._retry_at[key] = due
        remaining = due - self.clock.now
        if remaining <= 0:
            self._retry_at.pop(key, None)
        return max(remaining, 0.0)

    def _create_pod(self, job: Mapping[str, Any], key: tuple[str, str]) -> bool:
        template = deep_copy(job["spec"]["template"])
        meta = template.setdefault("metadata", {})
        name = job["metadata"]["name"]
        uid = job["metadata"]["uid"]
        labels = meta.setdefault("labels", {})
        labels.update({"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                       "controller-uid": uid, "job-name": name})
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"generateName": f"{name}-", "namespace": job["metadata"]["namespace"],
                            "labels": labels, "annotations": meta.get("annotations") or {},
                            "ownerReferences": [controller_ref(job)]},
               "spec": template["spec"]}
        pod["spec"].setdefault("restartPolicy", "Never")
        try:
            self.store.create(pod, owned=True)
        except NotFound:
            return False
        except ApiError as exc:
            # As the real controller: a Warning event on the Job, then a rate-limited retry of the sync.
            if self.events is not None:
                self.events.record(job, WARNING, "FailedCreate", f"Error creating: {exc}", component=COMPONENT)
            failures = self._api_failures.get(key, 0)
            self._api_failures[key] = failures + 1
            self._enqueue(key, min(RATE_LIMIT_BASE * 2 ** failures, RATE_LIMIT_CAP))
            return False
        self._api_failures.pop(key, None)
        return True

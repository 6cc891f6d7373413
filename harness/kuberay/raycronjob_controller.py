"""The RayCronJob reconciler, KubeRay v1.7.0 (``ray-operator/controllers/ray/raycronjob_controller.go``).

Started only with the ``RayCronJob`` feature gate (alpha, off by default). One reconcile, in upstream's order:
validate (``ValidateRayCronJobSpec``: name length, schedule, time zone, the RayJob template; a failure is a
Warning ``InvalidRayCronJobSpec`` event and no requeue), honour ``spec.suspend`` (a Normal
``SuspendedRayCronJob`` event, no requeue), then take the first activation after ``status.lastScheduleTime``
(or the creation time): if it is still ahead, requeue until then; otherwise create the RayJob for that tick,
named ``<cronjob>-<minutes since the epoch>`` (an existing one counts as created, which keeps a repeated tick
from running twice), record ``lastScheduleTime`` and requeue for the next activation. Missed ticks are caught up
one per reconcile; each status write triggers the next reconcile, as the controller watches its own objects.

No history limits and no concurrency policy exist in v1.7.0: every tick creates a RayJob, whatever the previous
ones are doing; the RayJobs are owned by the RayCronJob and garbage-collected with it. Not here: the cron
grammar (:mod:`harness._util.cron`).
"""

from __future__ import annotations

from typing import Any, Final

from .._util.cron import CronError, load_zone, next_time, parse_standard
from .._util.gofmt import rfc3339
from .._util.jsoncopy import deep_copy
from ..model.kinds import RAYCRONJOB
from ..model.labels import ANNOTATION_CRONJOB_TIMESTAMP, LABEL_CRONJOB_NAME
from ..model.meta import controller_ref
from ..model.rayjob import RayJob
from ..sim.clock import Clock
from ..sim.events import NORMAL, WARNING, EventRecorder
from ..sim.store import AlreadyExists, ApiError, ObjectStore, WatchEvent
from ..sim.workqueue import WorkQueue
from .gates import FeatureGates
from .validation import MAX_RAYJOB_NAME_LENGTH, validate_rayjob_spec

CONTROLLER_NAME: Final = "raycronjob-controller"
REQUEUE: Final = 3.0  # RayCronJobDefaultRequeueDuration
MAX_RAYCRONJOB_NAME_LENGTH: Final = MAX_RAYJOB_NAME_LENGTH - 11  # room for "-<minutes>" in the RayJob name
Key = tuple[str, str]


def validate_raycronjob(obj: dict[str, Any], gates: FeatureGates) -> str | None:
    """``ValidateRayCronJobSpec``: the first problem, worded as v1.7.0 words it, or None."""
    name = str(obj["metadata"]["name"])
    spec = obj.get("spec") or {}
    if len(name) > MAX_RAYCRONJOB_NAME_LENGTH:
        return f"RayCronJob name should be no more than {MAX_RAYCRONJOB_NAME_LENGTH} characters"
    schedule = str(spec.get("schedule", ""))
    if "TZ" in schedule:
        return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
    try:
        parse_standard(schedule)
    except CronError as exc:
        return f"invalid cron schedule: {exc}"
    zone = spec.get("timeZone")
    if zone is not None:
        if zone == "":
            return ("timeZone must not be empty string, omit the field to use the local time zone of the KubeRay "
                    "operator")
        try:
            load_zone(str(zone))
        except CronError as exc:
            return f"invalid time zone: {exc}"
    template = {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": name},
                "spec": spec.get("jobTemplate") or {}}
    problem = validate_rayjob_spec(RayJob.from_raw(template), gates)
    return f"invalid RayJob template: {problem}" if problem else None


def rayjob_name(cronjob: str, scheduled: float) -> str:
    """``getRayJobName``: deterministic per tick, so a repeated create collides instead of duplicating."""
    return f"{cronjob}-{int(scheduled) // 60}"


class RayCronJobController:
    def __init__(self, store: ObjectStore, clock: Clock, events: EventRecorder, gates: FeatureGates) -> None:
        self.store = store
        self.clock = clock
        self.events = events
        self.gates = gates
        self.queue: WorkQueue[Key] = WorkQueue(clock, self._process, name="raycronjob")
        self.log: list[str] = []
        self._unwatch = store.watch(self._on_event)

    def stop(self) -> None:
        """The operator process stops: no more watch events, no pending reconciles."""
        self._unwatch()
        self.queue.shut_down()

    def _on_event(self, event: WatchEvent) -> None:
        if event.rtype == RAYCRONJOB:
            self.queue.add((event.namespace, event.name))

    def _process(self, key: Key) -> None:
        requeue, error = self.reconcile(key)
        if error is not None:
            self.log.append(f"{self.clock.now:10.3f}  RayCronJob {key[0]}/{key[1]}  Reconciler error: {error}")
            self.queue.add_rate_limited(key)
            return
        self.queue.forget(key)
        if requeue is not None and requeue > 0:
            self.queue.add_after(key, requeue)

    def _event(self, obj: dict[str, Any], type_: str, reason: str, message: str, action: str) -> None:
        self.events.record(obj, type_, reason, message, component=CONTROLLER_NAME, action=action)

    def reconcile(self, key: Key) -> tuple[float | None, str | None]:
        """``RayCronJobReconciler.Reconcile``: (requeue after, error)."""
        cronjob = self.store.find(RAYCRONJOB, *key)
        if cronjob is None:
            self.queue.drop(key)
            return None, None
        problem = validate_raycronjob(cronjob, self.gates)
        if problem is not None:
            self._event(cronjob, WARNING, "InvalidRayCronJobSpec", f"{key[0]}/{key[1]}: {problem}", "Validate")
            return None, None
        spec = cronjob["spec"]
        if spec.get("suspend") is True:
            self._event(cronjob, NORMAL, "SuspendedRayCronJob",
                        "RayCronJob suspended, no new RayJobs will be created", "Suspend")
            return None, None
        zone = spec.get("timeZone")
        schedule = parse_standard(f"TZ={zone} {spec['schedule']}" if zone is not None else spec["schedule"])
        now = self.clock.origin + self.clock.now
        last = (cronjob.get("status") or {}).get("lastScheduleTime")
        earliest = self._epoch(last) if last else self._epoch(cronjob["metadata"]["creationTimestamp"])
        scheduled = next_time(schedule, earliest)
        if scheduled is None:
            return None, None
        if scheduled > now:
            return scheduled - now, None
        try:
            self.store.create(self._construct_rayjob(cronjob, scheduled))
        except AlreadyExists:
            pass  # a previous reconcile created this tick's RayJob: still advance lastScheduleTime
        except ApiError as exc:
            return None, str(exc)
        following = next_time(schedule, scheduled)
        status = {**(cronjob.get("status") or {}), "lastScheduleTime": rfc3339(scheduled)}
        if status != cronjob.get("status"):
            try:
                self.store.update_status({**cronjob, "status": status})
            except ApiError as exc:
                return REQUEUE, str(exc)
        return (following - now if following is not None else None), None

    def _epoch(self, timestamp: str) -> float:
        return self.clock.origin + self.clock.parse_timestamp(timestamp)

    def _construct_rayjob(self, cronjob: dict[str, Any], scheduled: float) -> dict[str, Any]:
        """``constructRayJob``: the template as spec, the cronjob label, the tick's timestamp, an owner."""
        meta = cronjob["metadata"]
        return {"apiVersion": "ray.io/v1", "kind": "RayJob",
                "metadata": {"name": rayjob_name(meta["name"], scheduled), "namespace": meta["namespace"],
                             "labels": {LABEL_CRONJOB_NAME: meta["name"]},
                             "annotations": {ANNOTATION_CRONJOB_TIMESTAMP: rfc3339(scheduled)},
                             "ownerReferences": [controller_ref(cronjob)]},
                "spec": deep_copy(cronjob["spec"]["jobTemplate"])}


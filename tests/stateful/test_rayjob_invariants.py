"""RayJob lifecycle invariants under random operations: a hypothesis state machine driving one Simulator.

The machine applies RayJobs of assorted shapes (cleanup on/off, retries, deadlines, suspend at creation, HTTP and
Sidecar modes, deletion rules), suspends and resumes them, deletes them, lets virtual time pass, and injects
faults (deleting a RayCluster, a head pod or a submitter Job by hand). After every step it reads the *journal*
(every observed change, so transient states count) and checks what upstream KubeRay guarantees:

- every persisted ``jobDeploymentStatus`` transition is one the v1.7 state machine can make in one write;
- ``status.succeeded`` / ``status.failed`` never decrease, and ``failed <= backoffLimit + 1``;
- no object outlives its controller owner by more than the garbage-collection and termination delays;
- a RayCluster created by a RayJob is deleted only when upstream would delete it;
- ``jobId`` and ``rayClusterName`` are chosen only at New→Initializing and cleared only when resources are
  released (Suspending→Suspended, Retrying→New).

Ground truth: RAYJOB_BEHAVIOR.md §3 (reconcile loop and state machine).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from harness.executors.scripted import ScriptedExecutor
from harness.executors.settings import JobScript, JobScripts
from harness.journal import JournalEntry
from harness.model.enums import JobDeploymentStatus
from harness.model.kinds import RAYCLUSTER, RAYJOB
from harness.simulator import Simulator

Obj = dict[str, Any]
D = JobDeploymentStatus
NAMES = ("alpha", "beta", "gamma")
# Garbage collection is immediate and pod termination takes about a second; anything alive a minute after its
# controller owner went away was leaked.
OWNER_GRACE_SECONDS = 60.0

# RAYJOB_BEHAVIOR.md §3.2 and §3.6: one reconcile makes at most one transition and writes it once.
ALLOWED: Mapping[D, frozenset[D]] = {
    D.NEW: frozenset({D.INITIALIZING}),
    D.INITIALIZING: frozenset({D.RUNNING, D.WAITING, D.SUSPENDING, D.FAILED, D.RETRYING}),
    D.RUNNING: frozenset({D.COMPLETE, D.FAILED, D.SUSPENDING, D.RETRYING}),
    D.WAITING: frozenset({D.RUNNING, D.FAILED, D.RETRYING}),
    D.SUSPENDING: frozenset({D.SUSPENDED}),
    D.SUSPENDED: frozenset({D.NEW}),
    D.RETRYING: frozenset({D.NEW}),
    D.COMPLETE: frozenset(),
    D.FAILED: frozenset(),
    D.VALIDATION_FAILED: frozenset(),
}


# -- RayJob shapes ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    mode: str
    cleanup: str  # "none", "shutdown" or "rules"
    ttl: int
    backoff_limit: int | None
    active_deadline: int | None
    suspend: bool
    workers: int

    def manifest(self, name: str) -> Obj:
        head: Obj = {"rayStartParams": {}, "template": {"spec": {"containers": [
            {"name": "ray-head", "image": "rayproject/ray:2.60.0",
             "ports": [{"containerPort": 8265, "name": "dashboard"}, {"containerPort": 6379, "name": "gcs-server"}]},
        ]}}}
        cluster: Obj = {"rayVersion": "2.60.0", "headGroupSpec": head}
        if self.workers:
            cluster["workerGroupSpecs"] = [{
                "groupName": "workers", "replicas": self.workers, "minReplicas": 0, "maxReplicas": 2,
                "rayStartParams": {},
                "template": {"spec": {"containers": [{"name": "ray-worker", "image": "rayproject/ray:2.60.0"}]}}}]
        spec: Obj = {"entrypoint": "python /home/ray/train.py", "submissionMode": self.mode,
                     "rayClusterSpec": cluster}
        if self.cleanup == "shutdown":
            spec["shutdownAfterJobFinishes"] = True
            spec["ttlSecondsAfterFinished"] = self.ttl
        elif self.cleanup == "rules":
            spec["deletionStrategy"] = {"deletionRules": [
                {"policy": "DeleteWorkers", "condition": {"jobStatus": "FAILED", "ttlSeconds": 0}},
                {"policy": "DeleteCluster", "condition": {"jobStatus": "FAILED", "ttlSeconds": self.ttl}},
                {"policy": "DeleteCluster", "condition": {"jobStatus": "SUCCEEDED", "ttlSeconds": self.ttl}},
                {"policy": "DeleteSelf", "condition": {"jobStatus": "SUCCEEDED", "ttlSeconds": self.ttl + 600}},
            ]}
        if self.backoff_limit is not None:
            spec["backoffLimit"] = self.backoff_limit
        if self.active_deadline is not None:
            spec["activeDeadlineSeconds"] = self.active_deadline
        if self.suspend:
            spec["suspend"] = True
        return {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": name}, "spec": spec}


@st.composite
def shapes(draw: st.DrawFn) -> Shape:
    cleanup = draw(st.sampled_from(["none", "shutdown", "rules"]))
    return Shape(
        mode=draw(st.sampled_from(["K8sJobMode", "K8sJobMode", "HTTPMode", "SidecarMode"])),
        cleanup=cleanup,
        ttl=draw(st.sampled_from([0, 10, 60, 600])),
        backoff_limit=draw(st.sampled_from([None, 0, 1, 2])),
        active_deadline=draw(st.one_of(st.none(), st.integers(5, 600))),
        # Suspending needs shutdownAfterJobFinishes (validation, §4 rule 1).
        suspend=cleanup == "shutdown" and draw(st.booleans()),
        workers=draw(st.integers(0, 1)),
    )


scripts = st.builds(
    JobScript,
    runtime=st.sampled_from([1.0, 20.0, 120.0, 900.0]),
    exit_code=st.sampled_from([0, 1]),
    stopped=st.sampled_from([False, False, False, True]),
)
durations = st.one_of(st.floats(0.5, 60.0), st.floats(60.0, 7200.0))


# -- reading the journal ----------------------------------------------------------------------------------------------


def state(value: Any) -> D:
    """A persisted jobDeploymentStatus; absent means New (``omitempty`` drops the empty string)."""
    return D(value or "")


def uid_of(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"]["uid"])


def controller_uid(obj: Mapping[str, Any]) -> str | None:
    refs = obj["metadata"].get("ownerReferences") or []
    return next((str(r["uid"]) for r in refs if r.get("controller")), None)


class RayJobInvariants(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: dict[str, JobScript] = {}  # per RayJob name, filled in as RayJobs are applied
        self.sim = Simulator(executor=ScriptedExecutor(JobScripts(by_rayjob=self.scripts)))
        self.parse = self.sim.clock.parse_timestamp
        self.seen = 0  # journal entries already checked
        self.rayjobs: dict[str, Obj] = {}  # uid -> latest RayJob snapshot in journal order
        self.deleted_at: dict[str, float] = {}  # uid -> time of its DELETED entry (any kind)
        self.counters: dict[tuple[str, str], int] = {}
        self.cluster_deletions_checked: set[str] = set()
        self.deleted_by_hand: set[str] = set()  # RayCluster uids this machine deleted itself

    def teardown(self) -> None:
        self.sim.close()

    # -- helpers --------------------------------------------------------------------------------------------------

    def names(self, kind: str, selector: Mapping[str, str] | None = None) -> list[str]:
        return [o["metadata"]["name"] for o in self.sim.list(kind, namespace="default", selector=selector)
                if not o["metadata"].get("deletionTimestamp")]

    def absent(self) -> list[str]:
        present = {o["metadata"]["name"] for o in self.sim.store.list(RAYJOB, "default")}
        return [n for n in NAMES if n not in present]

    # -- rules ----------------------------------------------------------------------------------------------------

    @initialize(shape=shapes(), script=scripts)
    def first_rayjob(self, shape: Shape, script: JobScript) -> None:
        self.scripts[NAMES[0]] = script
        self.sim.apply(shape.manifest(NAMES[0]))

    @precondition(lambda self: bool(self.absent()))
    @rule(data=st.data(), shape=shapes(), script=scripts)
    def apply_rayjob(self, data: st.DataObject, shape: Shape, script: JobScript) -> None:
        name = data.draw(st.sampled_from(self.absent()), label="name")
        self.scripts[name] = script
        self.sim.apply(shape.manifest(name))

    @rule(data=st.data(), action=st.sampled_from(["suspend", "resume", "delete"]))
    def change_rayjob(self, data: st.DataObject, action: str) -> None:
        """Suspend or resume a RayJob that may be suspended (validation requires shutdown), or delete one."""
        if action == "delete":
            candidates = self.names("RayJob")
        else:
            candidates = [o["metadata"]["name"] for o in self.sim.list("RayJob") if
                          o["spec"].get("shutdownAfterJobFinishes") and not o["metadata"].get("deletionTimestamp")]
        if not candidates:
            event(f"nothing to {action}")
            return
        name = data.draw(st.sampled_from(candidates), label="name")
        if action == "delete":
            self.sim.delete("RayJob", name)
        else:
            self.sim.patch("RayJob", name, {"spec": {"suspend": action == "suspend"}})

    @rule(seconds=durations)
    def advance(self, seconds: float) -> None:
        self.sim.advance(seconds)

    @rule(data=st.data())
    def inject_fault(self, data: st.DataObject) -> None:
        """Delete, by hand, a RayCluster, a head pod or a submitter Job (whichever exist)."""
        targets = [("RayCluster", n) for n in self.names("RayCluster")]
        targets += [("Pod", n) for n in self.names("Pod", {"ray.io/node-type": "head"})]
        targets += [("Job", n) for n in self.names("Job")]
        if not targets:
            event("nothing to break")
            return
        kind, name = data.draw(st.sampled_from(targets), label="target")
        if kind == "RayCluster":
            self.deleted_by_hand.add(uid_of(self.sim.store.get(RAYCLUSTER, "default", name)))
        self.sim.delete(kind, name)

    # -- invariants -----------------------------------------------------------------------------------------------

    @invariant()
    def journal_respects_the_state_machine(self) -> None:
        entries = self.sim.journal.entries
        for entry in entries[self.seen:]:
            if entry.type == "ACTION" or entry.obj is None:
                continue
            if entry.type == "DELETED":
                self.deleted_at[uid_of(entry.obj)] = entry.t
            if entry.kind == "RayJob":
                self._check_rayjob_entry(entry)
                self.rayjobs[uid_of(entry.obj)] = dict(entry.obj)
            elif entry.kind == "RayCluster":
                self._check_raycluster_entry(entry)
        self.seen = len(entries)

    def _check_rayjob_entry(self, entry: JournalEntry) -> None:
        assert entry.obj is not None
        uid = uid_of(entry.obj)
        if entry.type == "MODIFIED" and "status.jobDeploymentStatus" in entry.changes:
            old, new = (state(v) for v in entry.changes["status.jobDeploymentStatus"])
            assert new == D.VALIDATION_FAILED or new in ALLOWED[old], \
                f"RayJob {entry.name} made the transition {old.value or 'New'}→{new.value or 'New'} at t={entry.t}"
            event(f"transition {old.value or 'New'}→{new.value or 'New'}")  # coverage, in --hypothesis-show-statistics
        if entry.type == "DELETED":
            return
        transition = tuple(state(v) for v in entry.changes.get("status.jobDeploymentStatus", (None, None)))
        for path in ("status.jobId", "status.rayClusterName"):
            if path not in entry.changes:
                continue
            if entry.changes[path][1]:
                assert transition == (D.NEW, D.INITIALIZING), \
                    f"RayJob {entry.name}: {path} set to {entry.changes[path][1]!r} at t={entry.t} outside " \
                    f"New→Initializing (transition {transition})"
            else:
                assert transition in ((D.SUSPENDING, D.SUSPENDED), (D.RETRYING, D.NEW)), \
                    f"RayJob {entry.name}: {path} cleared at t={entry.t} outside a release (transition {transition})"
        status = entry.obj.get("status") or {}
        for counter in ("succeeded", "failed"):
            value = int(status.get(counter) or 0)
            previous = self.counters.get((uid, counter), 0)
            assert value >= previous, f"RayJob {entry.name}: status.{counter} went from {previous} to {value}"
            self.counters[(uid, counter)] = value
        limit = entry.obj["spec"].get("backoffLimit") or 0
        assert int(status.get("failed") or 0) <= limit + 1, \
            f"RayJob {entry.name}: status.failed={status.get('failed')} exceeds backoffLimit+1={limit + 1}"

    def _check_raycluster_entry(self, entry: JournalEntry) -> None:
        assert entry.obj is not None
        uid = uid_of(entry.obj)
        starts_deletion = entry.type == "DELETED" or (
            entry.changes.get("metadata.deletionTimestamp", [None, None])[1] is not None)
        if not starts_deletion or uid in self.cluster_deletions_checked:
            return
        self.cluster_deletions_checked.add(uid)
        owner_uid = controller_uid(entry.obj)
        if owner_uid is None or uid in self.deleted_by_hand or owner_uid in self.deleted_at:
            event("RayCluster deleted by hand or with its RayJob")
            return
        owner = self.rayjobs[owner_uid]
        if owner["metadata"].get("deletionTimestamp"):
            event("RayCluster deleted by hand or with its RayJob")
            return
        status = owner.get("status") or {}
        current = state(status.get("jobDeploymentStatus"))
        event(f"RayCluster deleted while its RayJob was {current.value or 'New'}")
        if current in (D.SUSPENDING, D.RETRYING):
            return
        due = self._cleanup_due(owner)
        assert current.is_terminal and due is not None and entry.t >= due, \
            f"RayCluster {entry.name} deleted at t={entry.t} while its RayJob {owner['metadata']['name']} was " \
            f"{current.value or 'New'} (cleanup due at {due})"

    def _cleanup_due(self, rayjob: Obj) -> float | None:
        """When terminal cleanup may delete the RayCluster (§3.8), or None if it never does."""
        spec, status = rayjob["spec"], rayjob.get("status") or {}
        if not status.get("endTime"):
            return None
        end = self.parse(status["endTime"])
        rules = (spec.get("deletionStrategy") or {}).get("deletionRules")
        if rules is not None:
            dues = [end + int(r["condition"].get("ttlSeconds", 0)) for r in rules
                    if r["policy"] == "DeleteCluster" and (
                        r["condition"].get("jobStatus") == status.get("jobStatus")
                        or r["condition"].get("jobDeploymentStatus") == status.get("jobDeploymentStatus"))]
            return min(dues) if dues else None
        if spec.get("shutdownAfterJobFinishes"):
            return end + int(spec.get("ttlSecondsAfterFinished") or 0)
        return None

    @invariant()
    def nothing_outlives_its_controller_owner(self) -> None:
        self.journal_respects_the_state_machine()  # brings deleted_at up to date
        live = {uid_of(obj) for _, obj in self.sim.store.all_objects()}
        for rtype, obj in self.sim.store.all_objects():
            owner = controller_uid(obj)
            if owner is None or owner in live:
                continue
            assert owner in self.deleted_at, f"{rtype.kind} {obj['metadata']['name']} has an unknown owner {owner}"
            orphaned_for = self.sim.now - self.deleted_at[owner]
            assert orphaned_for <= OWNER_GRACE_SECONDS, \
                f"{rtype.kind} {obj['metadata']['name']} outlived its owner by {orphaned_for:g}s"


TestRayJobInvariants = RayJobInvariants.TestCase
TestRayJobInvariants.settings = settings(max_examples=50, stateful_step_count=20, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])

"""Builders of realistic journals for the report tests: objects shaped as the API server returns them.

A :class:`World` holds objects and records each change through the real :class:`Journal`
(``record_change`` / ``record_action``), so the tests exercise the same entries a backend would produce.
"""

from __future__ import annotations

import copy
from typing import Any

from harness.journal import Journal
from harness.report import ScenarioReport, StepRecord

Obj = dict[str, Any]
NS = "default"


class World:
    def __init__(self) -> None:
        self.t = 0.0
        self.journal = Journal(lambda: self.t)
        self.objects: dict[tuple[str, str, str], Obj] = {}
        self._rv = 0

    def at(self, t: float) -> World:
        self.t = t
        return self

    def _key(self, obj: Obj) -> tuple[str, str, str]:
        return (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])

    def put(self, obj: Obj) -> Obj:
        """Create or replace ``obj``, recording ADDED or MODIFIED."""
        self._rv += 1
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self._rv)
        key = self._key(obj)
        old = self.objects.get(key)
        self.objects[key] = obj
        self.journal.record_change("MODIFIED" if old else "ADDED", obj, old)
        return obj

    def update(self, kind: str, name: str, *, status: Obj | None = None, meta: Obj | None = None,
               namespace: str = NS) -> Obj:
        """Merge ``status``/``meta`` into the stored object and record MODIFIED."""
        obj = copy.deepcopy(self.objects[(kind, namespace, name)])
        if status is not None:
            obj.setdefault("status", {}).update(status)
        if meta is not None:
            obj["metadata"].update(meta)
        return self.put(obj)

    def delete(self, kind: str, name: str, namespace: str = NS) -> None:
        obj = self.objects.pop((kind, namespace, name))
        self.journal.record_change("DELETED", obj, None)

    def action(self, action: str, kind: str = "", name: str = "", detail: str = "") -> None:
        self.journal.record_action(action, kind=kind, namespace=NS if kind else "", name=name, detail=detail)


def owner(kind: str, name: str) -> list[Obj]:
    api = "ray.io/v1" if kind.startswith("Ray") else ("batch/v1" if kind == "Job" else "v1")
    return [{"apiVersion": api, "kind": kind, "name": name, "uid": f"uid-{name}", "controller": True,
             "blockOwnerDeletion": True}]


def rayjob(name: str) -> Obj:
    return {"apiVersion": "ray.io/v1", "kind": "RayJob",
            "metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}"},
            "spec": {"entrypoint": "python /home/ray/samples/sample_code.py", "shutdownAfterJobFinishes": True,
                     "ttlSecondsAfterFinished": 3600}}


def raycluster(name: str, job: str) -> Obj:
    return {"apiVersion": "ray.io/v1", "kind": "RayCluster",
            "metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}", "ownerReferences": owner("RayJob", job),
                         "labels": {"ray.io/originated-from-crd": "RayJob"}},
            "spec": {"rayVersion": "2.46.0"}, "status": {}}


def pod(name: str, owner_kind: str, owner_name: str, phase: str = "Pending") -> Obj:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}",
                         "ownerReferences": owner(owner_kind, owner_name)},
            "spec": {"containers": [{"name": "ray-head", "image": "rayproject/ray:2.46.0"}]},
            "status": {"phase": phase}}


def service(name: str, owner_kind: str, owner_name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}",
                         "ownerReferences": owner(owner_kind, owner_name)},
            "spec": {"ports": [{"name": "dashboard", "port": 8265}]}, "status": {"loadBalancer": {}}}


def submitter_job(name: str) -> Obj:
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": NS, "uid": f"uid-job-{name}",
                         "ownerReferences": owner("RayJob", name)},
            "spec": {"backoffLimit": 2}, "status": {}}


def event(name: str, involved_kind: str, involved_name: str, reason: str, message: str,
          type_: str = "Normal") -> Obj:
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": NS},
            "involvedObject": {"kind": involved_kind, "namespace": NS, "name": involved_name},
            "reason": reason, "message": message, "type": type_, "count": 1}


def ttl_lifecycle(world: World, job: str = "rayjob-sample", ttl: float = 3600.0, *,
                  outcome: str = "SUCCEEDED") -> None:
    """A K8sJobMode RayJob from apply to TTL cleanup of its RayCluster, as KubeRay v1.4+ drives it."""
    cluster, head, worker = f"{job}-x7k2p", f"{job}-x7k2p-head-9zt4q", f"{job}-x7k2p-small-group-worker-b5k8w"
    world.at(0.0).action("apply", "RayJob", job)
    world.put(rayjob(job))
    world.update("RayJob", job, meta={"finalizers": ["ray.io/rayjob-finalizer"]})
    world.update("RayJob", job, status={"jobDeploymentStatus": "Initializing", "jobId": f"{job}-abcde",
                                        "rayClusterName": cluster, "startTime": "2026-01-01T00:00:00Z"})
    world.put(raycluster(cluster, job))
    world.put(event(f"{job}.1", "RayJob", job, "CreatedRayCluster", f"Created RayCluster {NS}/{cluster}"))
    world.put(pod(head, "RayCluster", cluster))
    world.put(pod(worker, "RayCluster", cluster))
    world.put(service(f"{cluster}-head-svc", "RayCluster", cluster))
    world.at(3.0).update("Pod", head, status={"phase": "Running"})
    world.at(4.0).update("Pod", worker, status={"phase": "Running"})
    world.at(5.0).update("RayCluster", cluster, status={"state": "ready"})
    world.at(6.0).update("RayJob", job, status={"jobDeploymentStatus": "Running",
                                                "dashboardURL": f"{cluster}-head-svc.{NS}.svc.cluster.local:8265"})
    world.put(submitter_job(job))
    world.put(event(f"{job}.2", "RayJob", job, "CreatedRayJobSubmitter", f"Created Kubernetes Job {NS}/{job}"))
    world.put(pod(f"{job}-q7w2c", "Job", job))
    world.at(7.0).update("Pod", f"{job}-q7w2c", status={"phase": "Running"})
    world.update("Job", job, status={"active": 1, "startTime": "2026-01-01T00:00:07Z"})
    world.at(8.0).update("RayJob", job, status={"jobStatus": "PENDING"})
    world.at(9.0).update("RayJob", job, status={"jobStatus": "RUNNING"})
    failed = outcome == "FAILED"
    world.at(60.0).update("RayJob", job, status={"jobStatus": outcome})
    world.update("Pod", f"{job}-q7w2c", status={"phase": "Succeeded"})
    world.update("Job", job, status={"active": 0, "succeeded": 1, "conditions": [
        {"type": "Complete", "status": "True", "lastTransitionTime": "2026-01-01T00:01:00Z"}]})
    world.at(61.0).update("RayJob", job, status={"jobDeploymentStatus": "Failed" if failed else "Complete",
                                                 "endTime": "2026-01-01T00:01:01Z",
                                                 **({"reason": "AppFailed"} if failed else {})})
    world.at(61.0 + ttl).update("RayCluster", cluster, meta={"deletionTimestamp": "2026-01-01T01:01:01Z"})
    world.put(event(f"{job}.3", "RayJob", job, "DeletedRayCluster", f"Deleted RayCluster {NS}/{cluster}"))
    world.update("Pod", head, meta={"deletionTimestamp": "2026-01-01T01:01:31Z"})
    world.update("Pod", worker, meta={"deletionTimestamp": "2026-01-01T01:01:31Z"})
    world.at(62.0 + ttl).delete("Pod", head)
    world.delete("Pod", worker)
    world.delete("Service", f"{cluster}-head-svc")
    world.delete("RayCluster", cluster)


def report_for(world: World, *, name: str = "ttl-cleanup", status: str = "passed",
               failure: str | None = None, steps: tuple[StepRecord, ...] = ()) -> ScenarioReport:
    entries = tuple(world.journal.entries)
    return ScenarioReport(
        name=name, file=f"scenarios/{name}.yaml", status=status, backend="sim", executor="scripted",
        kuberay_version="1.4.2", duration_wall=0.0123, duration_virtual=max([0.0, *(e.t for e in entries)]),
        failure=failure, steps=steps, journal_entries=entries, namespace=NS)

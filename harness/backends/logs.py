"""Where each log of a RayJob is, decided once for every backend and every reader.

``simulate --logs``, a scenario's ``expect_logs`` and failure diagnostics all ask :meth:`Backend.logs`, and every
backend answers with :func:`read_log` over its own primitives (list pods, read a pod's log, read the driver log,
read the operator's log), so that the answer cannot differ between readers or backends:

- ``driver``: ``job-driver-<jobId>.log`` on the head pod (what ``ray job logs`` shows); when it cannot be read the
  message says why (no job yet, head pod starting or deleted) and, in K8sJobMode, points at the submitter log,
  which streamed the same output and outlives the cluster. :func:`read_driver_log` adds the copy a backend with
  :class:`~.base.DriverLogCapture` kept of a deleted head's log, marked as such;
- ``head``: the head pod's Ray container (the first one), i.e. ``ray start`` output;
- ``submitter``: K8sJobMode, the pods of the submitter Job (labelled ``job-name=<rayjob>``); SidecarMode, the
  ``ray-job-submitter`` container of the head pod; other modes have no submitter;
- ``worker``: every worker pod's Ray container;
- ``operator``: the operator's log lines about the RayJob and the RayClusters it created (or one RayCluster).

Several pods are shown one after the other, each under a ``==> pod <name> <==`` header, oldest first.
Not here: reading a named pod's log (``Backend.pod_logs``), checking log contents (``harness.runner``).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from .._util.durations import format_duration
from ..errors import HarnessError
from ..journal import Journal
from ..model.labels import LABEL_CLUSTER, LABEL_JOB_NAME, LABEL_NODE_TYPE, SUBMITTER_CONTAINER
from .base import Backend, Log, LogSource, LogUnavailable

# Where the driver's output is once the head pod is gone; named for both front ends that read logs.
SUBMITTER_INSTEAD = ("the submitter log streamed the same output and is kept after the cluster: --logs submitter "
                     "(source: submitter in a scenario)")

Obj = dict[str, Any]


class LogReader(Protocol):
    """The primitives :func:`read_log` needs (every Backend has them)."""

    @property
    def journal(self) -> Journal: ...

    def get(self, kind: str, name: str, *, namespace: str) -> Obj | None: ...

    def list(self, kind: str, *, namespace: str | None,
             selector: str | Mapping[str, str] | None = None) -> builtins.list[Obj]: ...

    def pod_logs(self, pod: str, *, namespace: str, container: str | None = None) -> str: ...

    def driver_log(self, rayjob: str, *, namespace: str) -> str: ...

    def operator_log(self, *, namespace: str, objects: Sequence[tuple[str, str]] | None = None) -> builtins.list[str]:
        ...


def read_log(reader: LogReader, *, namespace: str, source: LogSource, rayjob: str | None = None,
             raycluster: str | None = None, container: str | None = None) -> Log:
    """The log of ``rayjob`` (or ``raycluster``) from ``source``; LogUnavailable when it cannot be read now."""
    if (rayjob is None) == (raycluster is None):
        raise ValueError("read_log needs exactly one of rayjob= or raycluster=")
    subject = f"RayJob/{rayjob}" if rayjob is not None else f"RayCluster/{raycluster}"
    if rayjob is None and source in ("driver", "submitter"):
        raise LogUnavailable(f"the {source} log belongs to a RayJob, not to {subject}")
    try:
        if source == "driver":
            assert rayjob is not None
            return _driver(reader, namespace, rayjob)
        if source == "submitter":
            assert rayjob is not None
            return _submitter(reader, namespace, rayjob, container)
        if source == "operator":
            return _operator(reader, namespace, rayjob, raycluster)
        cluster = raycluster if raycluster is not None else _cluster_of(reader, namespace, str(rayjob))
        pods = _pods(reader, namespace, f"{LABEL_CLUSTER}={cluster},{LABEL_NODE_TYPE}={source}")
        if not pods:
            raise LogUnavailable(f"{subject} has no {source} pod")
        return Log(f"{source} log of {subject}", _pod_logs(reader, namespace, pods, container, first=True))
    except LogUnavailable:
        raise
    except HarnessError as exc:
        raise LogUnavailable(f"the {source} log of {subject} cannot be read: {exc.message}") from None


def _pods(reader: LogReader, namespace: str, selector: str) -> list[Obj]:
    pods = reader.list("Pod", namespace=namespace, selector=selector)
    return sorted(pods, key=lambda p: (str(p["metadata"].get("creationTimestamp", "")), p["metadata"]["name"]))


def _rayjob(reader: LogReader, namespace: str, name: str) -> Obj:
    obj = reader.get("RayJob", name, namespace=namespace)
    if obj is None:
        raise LogUnavailable(f"RayJob/{name} does not exist")
    return obj


def _cluster_of(reader: LogReader, namespace: str, rayjob: str) -> str:
    cluster = (_rayjob(reader, namespace, rayjob).get("status") or {}).get("rayClusterName")
    if not cluster:
        raise LogUnavailable(f"RayJob/{rayjob} has no RayCluster yet (status.rayClusterName is empty)")
    return str(cluster)


def _container(pod: Obj, container: str | None, first: bool) -> str | None:
    """The container to read: the one asked for, else (``first``) the pod's first one, the Ray container."""
    if container is not None or not first:
        return container
    containers = (pod.get("spec") or {}).get("containers") or []
    return str(containers[0]["name"]) if containers else None


def _pod_logs(reader: LogReader, namespace: str, pods: list[Obj], container: str | None, *, first: bool) -> str:
    if len(pods) == 1:
        pod = pods[0]
        return reader.pod_logs(pod["metadata"]["name"], namespace=namespace,
                               container=_container(pod, container, first))
    parts = []
    for pod in pods:
        name = pod["metadata"]["name"]
        text = reader.pod_logs(name, namespace=namespace, container=_container(pod, container, first))
        parts.append(f"==> pod {name} <==\n" + text)
    return "\n".join(parts)


def _deleted_head(journal: Journal, namespace: str, cluster: str) -> tuple[str, float] | None:
    """(name, time) of the cluster's last head pod the journal saw deleted, or None."""
    cluster_label, type_label = f"metadata.labels.{LABEL_CLUSTER}", f"metadata.labels.{LABEL_NODE_TYPE}"
    found = None
    for entry in journal.select(kind="Pod", namespace=namespace, types=("DELETED",)):
        if entry.old(cluster_label) == cluster and entry.old(type_label) == "head":
            found = (entry.name, entry.t)
    return found


def _driver(reader: LogReader, namespace: str, rayjob: str) -> Log:
    """The driver log on the head pod, or LogUnavailable saying which step between RayJob and log file is missing."""
    obj = _rayjob(reader, namespace, rayjob)
    status, spec = obj.get("status") or {}, obj.get("spec") or {}
    mode = spec.get("submissionMode") or "K8sJobMode"
    job_id, cluster = str(status.get("jobId") or ""), str(status.get("rayClusterName") or "")
    deployment = status.get("jobDeploymentStatus") or "New"
    subject = f"RayJob/{rayjob}"
    if not job_id:
        waiting = "; InteractiveMode waits for spec.jobId" if mode == "InteractiveMode" else ""
        raise LogUnavailable(f"{subject} has no Ray job yet (status.jobId is empty{waiting})")
    if not cluster:
        raise LogUnavailable(f"{subject} has no RayCluster (status.rayClusterName is empty)")
    instead = SUBMITTER_INSTEAD if mode == "K8sJobMode" else None
    heads = _pods(reader, namespace, f"{LABEL_CLUSTER}={cluster},{LABEL_NODE_TYPE}=head")
    if not heads:
        deleted = _deleted_head(reader.journal, namespace, cluster)
        if deleted is not None:
            raise LogUnavailable(f"the driver log of {subject} was on head pod {deleted[0]}, which was deleted at "
                                 f"{format_duration(deleted[1])}, and went with it", hint=instead)
        raise LogUnavailable(f"RayCluster {cluster} of {subject} has no head pod", hint=instead)
    head = heads[-1]
    name = head["metadata"]["name"]
    if head["metadata"].get("deletionTimestamp"):
        raise LogUnavailable(f"head pod {name} of {subject} is being deleted, and the driver log with it",
                             hint=instead)
    try:
        return Log(f"driver log of {subject}", reader.driver_log(rayjob, namespace=namespace))
    except HarnessError as exc:
        phase = (head.get("status") or {}).get("phase") or "Pending"
        if phase != "Running":
            raise LogUnavailable(f"head pod {name} of {subject} is {phase}: Ray has not run job {job_id!r} on it "
                                 "yet") from None
        waiting = ": the RayJob is still Initializing, so nothing has submitted the job (its operator log says " \
            "why)" if deployment == "Initializing" else ""
        raise LogUnavailable(f"head pod {name} of {subject} is Running, but its driver log of job {job_id!r} cannot "
                             f"be read ({exc.message}){waiting}") from None


def read_driver_log(backend: Backend, *, namespace: str, rayjob: str) -> Log:
    """The driver log as :meth:`Backend.logs` reads it; when that fails and the backend keeps copies of deleted
    heads' logs (:class:`~.base.DriverLogCapture`), the copy, with a note saying it is one."""
    try:
        return backend.logs(namespace=namespace, source="driver", rayjob=rayjob)
    except LogUnavailable:
        capture = backend.capabilities.driver_log_capture
        copy = capture.captured_driver_log(rayjob, namespace=namespace) if capture is not None else None
        if copy is None:
            raise
        when = format_duration(copy.at)
        how = f"before head pod {copy.pod} was deleted at {when}" if copy.pod_deleted else \
            f"when the Ray head on pod {copy.pod} stopped at {when}"
        return Log(f"driver log of RayJob/{rayjob}", copy.text,
                   note=f"captured {how}; on a real cluster it is gone with the pod")


def _submitter(reader: LogReader, namespace: str, rayjob: str, container: str | None) -> Log:
    obj = _rayjob(reader, namespace, rayjob)
    mode = (obj.get("spec") or {}).get("submissionMode") or "K8sJobMode"
    if mode == "SidecarMode":
        cluster = _cluster_of(reader, namespace, rayjob)
        pods = _pods(reader, namespace, f"{LABEL_CLUSTER}={cluster},{LABEL_NODE_TYPE}=head")
        if not pods:
            raise LogUnavailable(f"the head pod of RayJob/{rayjob} does not exist")
        return Log(f"submitter container of RayJob/{rayjob}'s head pod",
                   _pod_logs(reader, namespace, pods, container or SUBMITTER_CONTAINER, first=False))
    if mode != "K8sJobMode":
        raise LogUnavailable(f"RayJob/{rayjob} uses submissionMode={mode}, which has no submitter pod")
    pods = _pods(reader, namespace, f"{LABEL_JOB_NAME}={rayjob}")
    if not pods:
        raise LogUnavailable(f"the submitter Job of RayJob/{rayjob} has no pod")
    return Log(f"submitter log of RayJob/{rayjob}", _pod_logs(reader, namespace, pods, container, first=False))


def _operator(reader: LogReader, namespace: str, rayjob: str | None, raycluster: str | None) -> Log:
    if raycluster is not None:
        objects = [("RayCluster", raycluster)]
        subject = f"RayCluster/{raycluster}"
    else:
        assert rayjob is not None
        _rayjob(reader, namespace, rayjob)
        clusters = [str(value) for _, value in reader.journal.values(
            "status.rayClusterName", kind="RayJob", namespace=namespace, name=rayjob) if value]
        objects = [("RayJob", rayjob), *(("RayCluster", name) for name in dict.fromkeys(clusters))]
        subject = f"RayJob/{rayjob}"
    lines = reader.operator_log(namespace=namespace, objects=objects)
    return Log(f"operator log about {subject}", "".join(line + "\n" for line in lines))

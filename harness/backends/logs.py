"""Where each log of a RayJob is, decided once for every backend and every reader.

``simulate --logs``, a scenario's ``expect_logs`` and failure diagnostics all ask :meth:`Backend.logs`, and every
backend answers with :func:`read_log` over its own primitives (list pods, read a pod's log, read the driver log,
read the operator's log), so that the answer cannot differ between readers or backends:

- ``driver``: ``job-driver-<jobId>.log`` on the head pod (what ``ray job logs`` shows);
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

from ..errors import HarnessError
from ..journal import Journal
from ..model.labels import LABEL_CLUSTER, LABEL_JOB_NAME, LABEL_NODE_TYPE, SUBMITTER_CONTAINER
from .base import Log, LogSource, LogUnavailable

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
            return Log(f"driver log of {subject}", reader.driver_log(rayjob, namespace=namespace))
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

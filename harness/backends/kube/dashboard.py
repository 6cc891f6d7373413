"""A RayCluster's Ray dashboard, reached through the API server: the driver log of a job, and a user's
``ray job submit``.

The driver's output is ``/tmp/ray/session_latest/logs/job-driver-<submission_id>.log`` on the head pod, and the
dashboard serves the same file at ``GET /api/jobs/<id>/logs``. The harness asks the dashboard through the API
server's service proxy (``…/services/<head service>:dashboard/proxy/…``), which needs no port-forward and works
wherever ``kubectl get --raw`` does; when the proxy is refused (RBAC, a dashboard not serving) it reads the file
on the head pod instead (``kubectl exec <head> -- cat <file>``). A user's ``ray job submit --submission-id ID``
is ``POST /api/jobs/`` through the same proxy.

The head service is found by KubeRay's labels (``ray.io/cluster``, ``ray.io/node-type=head``), which also cover
a renamed head service (``headService.metadata.name``).

Not here: which log a scenario means (:mod:`harness.backends.logs`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

from ...errors import HarnessError
from ...model.labels import LABEL_CLUSTER, LABEL_NODE_TYPE
from .api import KubeApi
from .resources import ApiResource
from .transport import ApiError, ApiUnreachable

SERVICES: Final = ApiResource("", "v1", "Service", "services")
PODS: Final = ApiResource("", "v1", "Pod", "pods")
DASHBOARD_PORT: Final = 8265
DRIVER_LOG: Final = "/tmp/ray/session_latest/logs/job-driver-{}.log"


@dataclass(frozen=True)
class HeadService:
    name: str
    port: str  # a port name ("dashboard") or number, as the proxy path takes it


def head_service(api: KubeApi, *, namespace: str, cluster: str) -> HeadService:
    """The head Service of RayCluster ``cluster``; HarnessError when it has none."""
    found, _ = api.list(SERVICES, namespace=namespace, label_selector=f"{LABEL_CLUSTER}={cluster},"
                                                                      f"{LABEL_NODE_TYPE}=head")
    if not found:
        raise HarnessError(f"RayCluster {namespace}/{cluster} has no head Service")
    service = sorted(found, key=lambda s: str(s["metadata"]["name"]))[0]
    ports = (service.get("spec") or {}).get("ports") or []
    named = next((p for p in ports if p.get("name") == "dashboard"), None)
    numbered = next((p for p in ports if p.get("port") == DASHBOARD_PORT), None)
    port = named.get("name") if named else (numbered or {}).get("port", DASHBOARD_PORT)
    return HeadService(str(service["metadata"]["name"]), str(port))


def job_logs(api: KubeApi, *, namespace: str, service: HeadService, job_id: str) -> str:
    """The dashboard's job-logs answer for ``job_id``; ApiError/ApiUnreachable when it cannot be had."""
    response = api.service_proxy("GET", service.name, service.port, f"api/jobs/{job_id}/logs", namespace=namespace)
    body = response.json()
    if not isinstance(body, dict) or not isinstance(body.get("logs"), str):
        raise HarnessError(f"the dashboard's answer for job {job_id!r} has no logs: {response.text()[:200]}")
    return str(body["logs"])


def driver_log_file(api: KubeApi, *, namespace: str, cluster: str, job_id: str) -> str:
    """The driver log file on the head pod of ``cluster``, read with an exec (``cat``)."""
    from kubernetes.client import CoreV1Api
    from kubernetes.stream import stream

    pods, _ = api.list(PODS, namespace=namespace, label_selector=f"{LABEL_CLUSTER}={cluster},{LABEL_NODE_TYPE}=head")
    if not pods:
        raise HarnessError(f"RayCluster {namespace}/{cluster} has no head pod")
    pod = pods[0]
    container = ((pod.get("spec") or {}).get("containers") or [{}])[0].get("name")
    core = CoreV1Api(api.transport.connection.api_client)
    client = stream(core.connect_get_namespaced_pod_exec, pod["metadata"]["name"], namespace,
                    command=["cat", DRIVER_LOG.format(job_id)], container=container, stderr=True, stdin=False,
                    stdout=True, tty=False, _preload_content=False)
    try:
        client.run_forever(timeout=60)
        out, err, code = client.read_stdout(), client.read_stderr(), client.returncode
    finally:
        client.close()
    if code not in (0, None):
        raise HarnessError(f"reading {DRIVER_LOG.format(job_id)} on pod {pod['metadata']['name']} failed: "
                           f"{err.strip() or f'exit code {code}'}")
    return str(out)


NO_ROUTE: Final = ("the API server serves neither services/proxy (the dashboard's job logs) nor pods/exec (the "
                   "file on the head pod)")


def driver_log(api: KubeApi, *, namespace: str, cluster: str, job_id: str) -> str:
    """The driver log of ``job_id`` on ``cluster``: the dashboard first, the file on the head pod second."""
    proxy, exec_ = api.serves_subresource("services/proxy"), api.serves_subresource("pods/exec")
    if not proxy and not exec_:
        raise HarnessError(f"the driver log of job {job_id!r} cannot be read: {NO_ROUTE}",
                           hint="read the submitter's log instead (source: submitter), which streams the same output")
    failures = []
    if proxy:
        try:
            return job_logs(api, namespace=namespace,
                            service=head_service(api, namespace=namespace, cluster=cluster), job_id=job_id)
        except (ApiError, ApiUnreachable, HarnessError) as exc:
            failures.append(f"the dashboard (through the API server's service proxy) answered {_short(exc)}")
    if exec_:
        try:
            return driver_log_file(api, namespace=namespace, cluster=cluster, job_id=job_id)
        except Exception as exc:  # the client's ApiException, a websocket error, or ours
            failures.append(f"reading the file on the head pod failed: {_short(exc)}")
    raise HarnessError(f"the driver log of job {job_id!r} on RayCluster {namespace}/{cluster} cannot be read: "
                       + "; ".join(failures),
                       hint="the dashboard must be serving (the head pod Running and Ready), and the credentials "
                            "allow services/proxy or pods/exec")


def submit_job(api: KubeApi, *, namespace: str, cluster: str, submission_id: str, entrypoint: str) -> None:
    """``ray job submit --submission-id ID -- ENTRYPOINT`` to ``cluster``'s dashboard."""
    service = head_service(api, namespace=namespace, cluster=cluster)
    api.service_proxy("POST", service.name, service.port, "api/jobs/", namespace=namespace,
                      body={"entrypoint": entrypoint, "submission_id": submission_id})


def _short(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc)
    try:
        body = json.loads(text)
        if isinstance(body, dict) and body.get("message"):
            text = str(body["message"])
    except ValueError:
        pass
    return text.splitlines()[0][:300] if text else type(exc).__name__


__all__ = ["HeadService", "driver_log", "head_service", "job_logs", "submit_job"]

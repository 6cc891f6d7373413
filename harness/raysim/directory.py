"""Where the simulated Ray dashboards live, and how a dashboard URL reaches one.

On a real cluster the operator and the submitter reach the dashboard through the head Service's DNS name
(``<svc>.<ns>.svc.cluster.local:8265``); the Service selects the head pod of one RayCluster. The directory
resolves URLs the same way (Service → selector ``ray.io/cluster`` → that cluster's live head), so a URL that
points at a deleted or re-created cluster behaves as it would: refused, or answered by a fresh, empty head.

The directory also holds the faults a scenario sets on a cluster's dashboard (:mod:`.faults`): they belong to the
cluster by name, so they outlive a head restart and apply to a cluster created after they are set.

Not here: the job table itself (:mod:`.dashboard`), pod lifecycles (:mod:`harness.kube.kubelet`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from ..model.kinds import SERVICE
from ..model.labels import LABEL_CLUSTER
from ..sim.clock import Clock
from ..sim.store import ObjectStore
from .dashboard import ClusterHandle, DashboardUnavailable, Executor, RayDashboard
from .faults import JobInfoFault, faulted_job_info


class DashboardDirectory:
    def __init__(self, store: ObjectStore, clock: Clock, executor: Executor) -> None:
        self.store = store
        self.clock = clock
        self.executor = executor
        self._live: dict[tuple[str, str], RayDashboard] = {}  # (namespace, cluster) -> current head's dashboard
        self.history: list[RayDashboard] = []  # every head that ever ran, for logs and diagnostics
        self._job_info_faults: dict[tuple[str, str], JobInfoFault] = {}  # (namespace, cluster) -> the answer

    def start_head(self, cluster: Mapping[str, Any], head_pod: Mapping[str, Any]) -> RayDashboard:
        """A head container started: it brings up a new, empty dashboard (no GCS fault tolerance)."""
        meta = cluster["metadata"]
        key = (meta["namespace"], meta["name"])
        previous = self._live.get(key)
        if previous is not None:
            previous.shut_down()
        handle = ClusterHandle(meta["namespace"], meta["name"], meta["uid"], head_pod)
        dashboard = RayDashboard(handle, self.executor, self.clock)
        self._live[key] = dashboard
        self.history.append(dashboard)
        return dashboard

    def stop_head(self, dashboard: RayDashboard) -> None:
        dashboard.shut_down()
        key = (dashboard.cluster.namespace, dashboard.cluster.name)
        if self._live.get(key) is dashboard:
            del self._live[key]

    def current(self, namespace: str, cluster: str) -> RayDashboard | None:
        return self._live.get((namespace, cluster))

    def _route(self, url: str, namespace: str) -> tuple[str, str, str | None]:
        """(host, namespace, RayCluster the URL's Service selects or None), as cluster DNS and the Service do."""
        host, service, ns = _split_url(url, namespace)
        svc = self.store.find(SERVICE, ns, service) if service else None
        cluster = ((svc or {}).get("spec") or {}).get("selector", {}).get(LABEL_CLUSTER)
        return host, ns, cluster

    def resolve(self, url: str, *, namespace: str = "") -> RayDashboard:
        """The dashboard a URL reaches, or DashboardUnavailable worded like a failed HTTP dial."""
        host, ns, cluster = self._route(url, namespace)
        dashboard = self._live.get((ns, cluster)) if cluster else None
        if dashboard is None or not dashboard.serving:
            raise DashboardUnavailable(f'Get "http://{host}/api/jobs/": dial tcp: lookup {host}: '
                                       "connect: connection refused")
        return dashboard

    # -- the operator's status query, and the faults a scenario sets on it ----------------------------------------

    def set_job_info_fault(self, namespace: str, cluster: str, fault: JobInfoFault | None) -> None:
        """From now on the dashboard of ``cluster`` answers the operator's status query with ``fault``."""
        if fault is None:
            self._job_info_faults.pop((namespace, cluster), None)
        else:
            self._job_info_faults[(namespace, cluster)] = fault

    def job_info(self, url: str, submission_id: str, *, namespace: str = "",
                 token: str | None = None) -> dict[str, Any]:
        """KubeRay's ``GetJobInfo`` through the URL, with the client's token: the job's info, a fault's answer
        (which stands in for the whole client, as upstream's fake does), or a DashboardError."""
        _, ns, cluster = self._route(url, namespace)
        fault = self._job_info_faults.get((ns, cluster)) if cluster else None
        if fault is None:
            dashboard = self.resolve(url, namespace=namespace)
            dashboard.authorize(token)
            return dashboard.get_job_info(submission_id)
        live = self._live.get((ns, cluster)) if cluster else None
        return faulted_job_info(fault, live.jobs.get(submission_id) if live is not None else None, submission_id)


@functools.lru_cache(maxsize=1024)
def _split_url(url: str, namespace: str) -> tuple[str, str, str]:
    """(host, Service, namespace) a dashboard URL names; pure, and polled with the same few URLs all the time."""
    host = url.removeprefix("http://").removeprefix("https://").split("/", 1)[0].split(":", 1)[0]
    parts = host.split(".")
    if len(parts) >= 2 and parts[0]:
        return host, parts[0], parts[1]
    return host, parts[0], namespace

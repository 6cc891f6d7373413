"""kind provisioning: local kind clusters running a pinned, real KubeRay operator, made (and unmade) by the harness.

The kind backend is provisioning plus the Kubernetes backend; this package is the provisioning half and knows
nothing of how scenarios run. It reads the cluster catalog (``clusters/``: pinned node images, KubeRay install
profiles), checks the machine, creates or reuses a cluster, installs or verifies the operator, loads images,
collects diagnostics, and hands back a :class:`ClusterHandle` (kubeconfig, context, operator location). It also
holds what running on a real cluster needs decided up front: the real-time estimate of a scenario, the
namespace a scenario runs in, and the file lock that lets concurrent test workers share one cluster.

Subprocesses go through ``harness._util.procs``; the Docker engine through the ``docker`` SDK, imported only
when an engine is contacted.
"""

from __future__ import annotations

from .catalog import Catalog, InstallProfile, NodeImage, load_catalog
from .errors import ClusterInputError, NotOursError, PreflightError, ProvisioningError
from .handle import ClusterHandle, OperatorRef, scenario_namespace
from .install import OperatorInstall, OperatorSettings
from .provision import Provisioner, UpRequest
from .realtime import RealWaitEstimate, TooSlow, estimate_real_wait, judge_real_time
from .session import SessionCluster, SharedCluster

__all__ = [
    "Catalog",
    "ClusterHandle",
    "ClusterInputError",
    "InstallProfile",
    "NodeImage",
    "NotOursError",
    "OperatorInstall",
    "OperatorRef",
    "OperatorSettings",
    "PreflightError",
    "Provisioner",
    "ProvisioningError",
    "RealWaitEstimate",
    "SessionCluster",
    "SharedCluster",
    "TooSlow",
    "UpRequest",
    "estimate_real_wait",
    "judge_real_time",
    "load_catalog",
    "scenario_namespace",
]

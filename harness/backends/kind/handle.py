"""What provisioning hands to whoever runs scenarios on the cluster: how to reach it and where the operator is.

A :class:`ClusterHandle` is everything the Kubernetes backend needs and nothing of how the cluster was made:
the kubeconfig file and context to build a client from (never the user's current context), the API server,
the operator's namespace, Deployment and pod selector (for its logs), the KubeRay release and its install
fingerprint, and whether this process created the cluster. It round-trips through JSON, which is how
pytest-xdist workers share one (:mod:`.session`). :func:`scenario_namespace` names the namespace a scenario
runs in, unique per run, so that scenarios (and parallel runs) on one cluster never see each other's objects.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from .install import OPERATOR_CONTAINER, OPERATOR_NAMESPACE, OPERATOR_SELECTOR, RELEASE_NAME

NAMESPACE_PREFIX: Final = "rh-"
_NOT_DNS: Final = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class OperatorRef:
    """Where the KubeRay operator of a cluster runs."""

    kuberay: str  # "1.7.0"
    fingerprint: str  # OperatorInstall.fingerprint: release, image and flags
    namespace: str = OPERATOR_NAMESPACE
    deployment: str = RELEASE_NAME
    container: str = OPERATOR_CONTAINER
    selector: str = OPERATOR_SELECTOR


@dataclass(frozen=True)
class ClusterHandle:
    name: str
    kubeconfig: Path
    context: str
    api_server: str  # https://127.0.0.1:PORT
    kubernetes: str  # "1.35.0"
    node_image: str
    install_method: str  # "helm" or "manifests"
    operator: OperatorRef
    created: bool  # this process created the cluster (False: an existing one was reused)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kubeconfig"] = str(self.kubeconfig)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClusterHandle:
        fields = dict(data)
        fields["kubeconfig"] = Path(fields["kubeconfig"])
        fields["operator"] = OperatorRef(**fields["operator"])
        return cls(**fields)


def scenario_namespace(scenario: str, run_id: str) -> str:
    """A DNS-1123 label (at most 63 characters) for ``scenario`` in run ``run_id``: readable, and unique per run.

    The name keeps as much of the scenario's name as fits; a digest of the full name and the run id keeps two
    long names, or two runs, apart.
    """
    slug = _NOT_DNS.sub("-", scenario.lower()).strip("-") or "scenario"
    digest = hashlib.sha256(f"{scenario}\0{run_id}".encode()).hexdigest()[:8]
    room = 63 - len(NAMESPACE_PREFIX) - len(digest) - 1
    return f"{NAMESPACE_PREFIX}{slug[:room].rstrip('-')}-{digest}"

"""KubeRay's feature gates as facts: their names and v1.7.0 defaults (``pkg/features/features.go``), and the
``--feature-gates`` flag syntax (component-base: ``A=true,B=false``).

Front ends parse the flag here (an unknown name is refused, as the operator refuses to start with one); what a
gate does is the operator's business (``harness.kuberay``), and whether a backend can honour a value is the
backend's (the simulator refuses what it does not model).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ..errors import InputError

V1_7_0_DEFAULTS: Final[Mapping[str, bool]] = {
    "RayClusterStatusConditions": True,  # beta since v1.3
    "RayJobDeletionPolicy": True,  # beta since v1.6 (alpha, off, v1.3 to v1.5)
    "RayMultiHostIndexing": True,  # beta since v1.6
    "RayServiceIncrementalUpgrade": True,  # beta since v1.7
    "RayCronJob": False,  # alpha
    "SidecarSubmitterRestart": False,  # alpha, v1.7
    "RayClusterNetworkPolicy": False,  # alpha, v1.7
    "GCSFaultToleranceEmbeddedStorage": False,  # alpha, v1.7
    "RayClusterMTLS": False,  # alpha, v1.7
    "RayClusterHistoryServer": False,  # alpha, v1.7
    "KubernetesWAS": False,  # alpha, v1.7
}
KNOWN_GATES: Final = tuple(V1_7_0_DEFAULTS)


def parse_feature_gates(text: str) -> dict[str, bool]:
    """Parse ``A=true,B=false`` as ``--feature-gates`` does; InputError on an unknown gate or value."""
    gates: dict[str, bool] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or value.lower() not in ("true", "false"):
            raise InputError(f"feature gate={item!r} is not NAME=true|false",
                             hint="e.g. --feature-gates RayClusterNetworkPolicy=true,RayJobDeletionPolicy=false")
        if name not in KNOWN_GATES:
            raise InputError(f"feature gate name={name!r} is unknown", hint=f"known gates: {', '.join(KNOWN_GATES)}")
        gates[name] = value.lower() == "true"
    return gates

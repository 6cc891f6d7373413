"""The KubeRay releases ``validate`` can check against, and what each brings: CRDs, feature-gate defaults.

A :class:`Release` bundles the facts of one installed KubeRay release that decide what is accepted: the CRD
versions the API server serves (schemas, CEL rules, deprecation warnings) and the operator's feature-gate
defaults. The operator's rules come from the simulated controllers' own validation code; a release whose rules
differ plugs in here with its own CRD tables (``harness.manifests.schema``) and profile
(``harness.kuberay.profile``), and the layers need no change.

Only the releases the simulator models are offered; today that is v1.7.0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from ..errors import InputError
from ..kuberay.gates import FeatureGates
from ..kuberay.profile import OperatorConfig, profile_for, supported_versions
from ..manifests import CRD_VERSIONS, CrdVersion
from ..model.featuregates import parse_feature_gates


@dataclass(frozen=True)
class Release:
    """One KubeRay release as the validator sees it, with the operator's feature gates as deployed."""

    version: str  # "1.7.0"
    crds: tuple[CrdVersion, ...]
    gates: FeatureGates = field(default_factory=FeatureGates)

    @property
    def short(self) -> str:
        return ".".join(self.version.split(".")[:2])


_CRDS: Final[Mapping[str, tuple[CrdVersion, ...]]] = {
    "1.7.0": CRD_VERSIONS,
}


def release_for(version: str, feature_gates: str = "") -> Release:
    """The release named ``1.7``, ``v1.7`` or ``1.7.0``, with ``--feature-gates`` (``A=true,B=false``) applied.

    InputError (exit 2) for a release that is not modelled, or an unknown gate.
    """
    profile = profile_for(version)
    crds = _CRDS.get(profile.version)
    if crds is None:  # a profile without CRD tables: simulated, but not yet validated
        raise InputError(f"kuberay version={version!r} has no CRD schemas for validation",
                         hint=f"validate against one of: {', '.join(sorted(_CRDS))}")
    config = OperatorConfig(feature_gates=parse_feature_gates(feature_gates))
    gates = FeatureGates.from_lookup(lambda name: config.gate(name, profile))
    return Release(profile.version, crds, gates)


def release_names() -> list[str]:
    """The releases to offer in ``--help``: simulated and with CRD tables."""
    return [v for v in supported_versions() if profile_for(v).version in _CRDS]


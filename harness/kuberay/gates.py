"""The operator's ``--feature-gates`` as the reconcilers read them.

:class:`FeatureGates` holds one boolean per gate that changes what the simulated controllers do, with
v1.7.0's defaults (``pkg/features/features.go``). It is built once per operator from its configuration and
passed to validation and the controllers, so that no code reads a gate by name.

Not here: which gates and values a user may set (:mod:`.profile`, which refuses the ones not modelled).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureGates:
    """The feature gates the simulated operator reads; defaults are v1.7.0's."""

    rayjob_deletion_policy: bool = True  # Beta and on by default since v1.6
    sidecar_submitter_restart: bool = False
    ray_cron_job: bool = False  # v1.6+ alpha: starts the RayCronJob controller
    ray_cluster_history_server: bool = False
    ray_cluster_network_policy: bool = False
    ray_cluster_mtls: bool = False
    gcs_fault_tolerance_embedded_storage: bool = False

    @classmethod
    def from_lookup(cls, enabled: Callable[[str], bool]) -> FeatureGates:
        """Build from a lookup by upstream gate name (``"RayJobDeletionPolicy"``...)."""
        return cls(rayjob_deletion_policy=enabled("RayJobDeletionPolicy"),
                   sidecar_submitter_restart=enabled("SidecarSubmitterRestart"),
                   ray_cron_job=enabled("RayCronJob"),
                   ray_cluster_history_server=enabled("RayClusterHistoryServer"),
                   ray_cluster_network_policy=enabled("RayClusterNetworkPolicy"),
                   ray_cluster_mtls=enabled("RayClusterMTLS"),
                   gcs_fault_tolerance_embedded_storage=enabled("GCSFaultToleranceEmbeddedStorage"))

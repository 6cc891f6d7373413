"""Executors that run a simulated dashboard's Ray jobs for real: the ``ray`` executor and its local runtime.

The scripted executor (pure virtual time) lives beside the dashboard model in :mod:`harness.sim.dashboard`;
this package holds the one that needs Ray installed. Importing it does not import Ray: the runtime is a
subprocess (``ray start``) and the job SDK is imported on first submission.

- :class:`RayRuntime` / :func:`get_shared_runtime`: a harness-owned ``ray start --head`` (:mod:`.ray_runtime`);
- :class:`RayExecutor`: the Executor and RealWork protocols over that runtime (:mod:`.ray_executor`);
- :mod:`.paths`: container paths, ConfigMap volumes, env and runtime_env made local.
"""

from __future__ import annotations

from .paths import ConfigMapLookup, JobSetupError, PackageChecker
from .ray_executor import RayExecutor, create_ray_executor
from .ray_runtime import RayRuntime, get_shared_runtime, ray_installed, stop_shared_runtime, sweep_stale

__all__ = [
    "ConfigMapLookup",
    "JobSetupError",
    "PackageChecker",
    "RayExecutor",
    "RayRuntime",
    "create_ray_executor",
    "get_shared_runtime",
    "ray_installed",
    "stop_shared_runtime",
    "sweep_stale",
]

"""rayjob-harness: a local simulator and test harness for KubeRay RayJob behaviour.

The public names are listed in ``__all__`` and imported on first use (PEP 562), so that ``import harness`` (which
pytest does when it loads the plugin) stays cheap and never pulls in Ray or a Kubernetes client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backends.kube import KubeBackend, KubeTarget
    from .backends.sim import SimBackend
    from .errors import (
        ExecutorError,
        HarnessError,
        InputError,
        ManifestError,
        MissingDependencyError,
        ScenarioError,
        SimulationError,
    )
    from .executors.scripted import ScriptedExecutor
    from .executors.settings import JobScript, JobScripts
    from .journal import Journal, JournalEntry
    from .kube.kubelet import Latencies
    from .manifests import Manifest, load_manifests, validate_manifest
    from .model.enums import JobDeploymentStatus, JobFailedReason, JobStatus, SubmissionMode
    from .raysim.nodes import RayTimings
    from .runner import RunOptions, ScenarioResult, run_scenario
    from .scenario import Scenario, load_file
    from .simulator import Simulator

__version__ = "0.1.0"

_EXPORTS = {
    "ExecutorError": "errors", "HarnessError": "errors", "InputError": "errors", "ManifestError": "errors",
    "MissingDependencyError": "errors", "ScenarioError": "errors", "SimulationError": "errors",
    "JobDeploymentStatus": "model.enums", "JobFailedReason": "model.enums", "JobStatus": "model.enums",
    "SubmissionMode": "model.enums",
    "JobScript": "executors.settings", "ScriptedExecutor": "executors.scripted",
    "Journal": "journal", "JournalEntry": "journal",
    "Latencies": "kube.kubelet", "RayTimings": "raysim.nodes",
    "Manifest": "manifests", "load_manifests": "manifests", "validate_manifest": "manifests",
    "Simulator": "simulator",
    "JobScripts": "executors.settings", "SimBackend": "backends.sim",
    "KubeBackend": "backends.kube", "KubeTarget": "backends.kube",
    "Scenario": "scenario", "load_file": "scenario",
    "RunOptions": "runner", "ScenarioResult": "runner", "run_scenario": "runner",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

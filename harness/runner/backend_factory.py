"""Making a backend for one scenario from the run options and the scenario's own settings.

The simulator backend is built per scenario, because a scenario's settings shape the simulated world: the
KubeRay release, the operator's environment and feature gates, and the scripted executor's behaviour.

Not here: the backends themselves (``harness.backends``).
"""

from __future__ import annotations

from ..backends.base import Backend
from ..backends.sim import SimBackend
from ..errors import InputError
from ..executors import EXECUTOR_CHOICES, ExecutorSettings
from ..kuberay.profile import profile_for, supported_versions
from ..scenario.model import Scenario
from ..scenario.versions import parse_version
from .runner import RunOptions

AVAILABLE_BACKENDS = ("sim",)


def default_kuberay_version(backend: str) -> str:
    """The release a backend runs when none is asked for: the newest simulated one."""
    return max(supported_versions(), key=parse_version)


def check_options(options: RunOptions) -> None:
    """InputError for options no scenario could run with (unknown backend, unsupported release)."""
    if options.backend not in AVAILABLE_BACKENDS:
        raise InputError(f"backend={options.backend!r} is not available",
                         hint=f"available backends: {', '.join(AVAILABLE_BACKENDS)}")
    if options.executor not in EXECUTOR_CHOICES:
        raise InputError(f"executor={options.executor!r} is unknown", hint="use auto, scripted or ray")
    if options.kuberay_version is not None:
        profile_for(options.kuberay_version)  # raises InputError naming the supported releases


def create_backend(scenario: Scenario, options: RunOptions) -> Backend:
    """A fresh backend for ``scenario`` (the default factory of the CLI and the pytest plugin)."""
    check_options(options)
    return SimBackend(kuberay_version=options.kuberay_version or default_kuberay_version("sim"),
                      executor=ExecutorSettings(name=scenario.resolve_executor(options.executor),
                                                scripts=scenario.executor, path_map=scenario.paths),
                      operator_env=scenario.operator.env,
                      feature_gates=scenario.operator.feature_gates, seed=options.seed)

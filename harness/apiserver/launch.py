"""Building a server from what a person asks for on the command line: release, executor, operator settings.

The command line stays a thin front end (it never builds a simulator itself); this module makes the simulator the
same way the in-process backend does (:func:`harness.executors.build.build_executor`, wall-clock timestamps) and
wraps it in an :class:`~.server.ApiServer`.

Not here: argument parsing (``harness.cli.serve``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..executors import ExecutorSettings
from ..executors.build import build_executor
from ..kuberay.profile import DEFAULT_RELEASE
from ..simulator import Simulator, wall_clock_origin
from .server import LOOPBACK, ApiServer
from .world import Pacing


@dataclass(frozen=True)
class ServeSettings:
    kuberay_version: str = DEFAULT_RELEASE
    executor: ExecutorSettings = field(default_factory=ExecutorSettings)
    operator_env: Mapping[str, str] = field(default_factory=dict)
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    host: str = LOOPBACK
    port: int = 0
    pacing: Pacing = "WallClock"
    seed: int = 0
    on_warning: Callable[[str], None] | None = None


def build_server(settings: ServeSettings) -> ApiServer:
    """A server over a fresh simulator (not started). InputError for settings the simulator cannot honour."""
    sim = Simulator(settings.kuberay_version, executor=build_executor(settings.executor),
                    operator_env=settings.operator_env, feature_gates=settings.feature_gates, seed=settings.seed,
                    origin=wall_clock_origin(), on_warning=settings.on_warning)
    try:
        return ApiServer(sim, host=settings.host, port=settings.port, pacing=settings.pacing)
    except BaseException:
        sim.close()
        raise

"""Executors: how a submitted Ray job runs. The one place that names them, chooses one, and builds it.

- :mod:`.settings`: executor names (typed literals), scripted outcomes (:class:`JobScript`, :class:`JobScripts`)
  and :class:`ExecutorSettings`, the one type an executor is built from;
- :mod:`.choice`: how ``auto`` resolves, the same for every front end, and whether Ray is really installed;
- :mod:`.build`: :func:`~.build.build_executor` from settings;
- :mod:`.scripted`: declared outcomes in pure virtual time;
- :mod:`.ray_executor`, :mod:`.ray_runtime`, :mod:`.paths`: jobs run for real on a local Ray runtime.

Importing this package imports the settings and the choice only: neither the simulator nor Ray. The executors
implement the dashboard's :class:`~harness.raysim.dashboard.Executor` protocol and never know which controller
submitted a job.
"""

from __future__ import annotations

from .choice import ray_importable, ray_missing_reason, resolve_executor
from .settings import (
    EXECUTOR_CHOICES,
    EXECUTOR_NAMES,
    ExecutorChoice,
    ExecutorName,
    ExecutorSettings,
    JobScript,
    JobScripts,
    SimExecutorName,
)

__all__ = [
    "EXECUTOR_CHOICES",
    "EXECUTOR_NAMES",
    "ExecutorChoice",
    "ExecutorName",
    "ExecutorSettings",
    "JobScript",
    "JobScripts",
    "SimExecutorName",
    "ray_importable",
    "ray_missing_reason",
    "resolve_executor",
]

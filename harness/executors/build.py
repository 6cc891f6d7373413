"""Building an executor from :class:`~.settings.ExecutorSettings`: the only place that constructs one by name.

The ray executor is imported only when asked for, so that building a scripted executor never touches Ray's
modules. Not here: choosing the name (:mod:`.choice`).
"""

from __future__ import annotations

from ..raysim.dashboard import Executor
from .scripted import ScriptedExecutor
from .settings import ExecutorSettings


def build_executor(settings: ExecutorSettings) -> Executor:
    """A fresh executor as ``settings`` describe it (the ray one runs on the process's shared Ray runtime)."""
    if settings.name == "ray":
        from .ray_executor import create_ray_executor

        return create_ray_executor(path_map=dict(settings.path_map), base_dir=settings.base_dir)
    return ScriptedExecutor(settings.scripts)

"""Which executor runs a scenario's Ray jobs when the user did not say.

``auto`` (the default) picks the real ``ray`` executor for scenarios that declare no scripted behaviour, when Ray
is installed, so that a scenario about a user's own entrypoint really runs it; a scenario with ``executor:``
settings (runtime, exit code, output), or one restricted to ``executors: [scripted]``, keeps the scripted
executor. An explicit ``--executor`` / ``--rayjob-executor`` always wins.
"""

from __future__ import annotations

import importlib.util

from ..scenario.model import Scenario

EXECUTOR_CHOICES = ("auto", "scripted", "ray")


def ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None


def resolve_executor(scenario: Scenario, requested: str) -> str:
    if requested != "auto":
        return requested
    if not scenario.executor.is_empty:
        return "scripted"
    if scenario.executors is not None and "ray" not in scenario.executors:
        return scenario.executors[0]
    return "ray" if ray_available() else "scripted"

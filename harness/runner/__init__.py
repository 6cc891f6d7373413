"""Running scenarios against a Backend: steps, bindings, ``finally``, assertions and failure diagnostics.

:func:`run_scenario` runs one scenario on a backend made by a factory (:func:`create_backend` by default) and
returns a :class:`ScenarioResult`; :func:`select` applies ``-k`` expressions. :class:`ScenarioSession` runs
steps one at a time (the pytest fixture for scenarios written in Python). :mod:`.outcomes` judges how each RayJob
of a run ended against the outcome asked for, and :mod:`.explain` says why it ended there (``simulate``'s gate).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backend_factory import create_backend, default_kuberay_version
    from .runner import RunOptions, ScenarioResult, StepEvent, StepResult, run_scenario
    from .selection import compile_keyword_expression, select
    from .session import ScenarioFailure, ScenarioSession

# Imported on first use (PEP 562): ``simulate`` needs only :mod:`.outcomes` and :mod:`.explain`, not the scenario
# machinery the names below pull in.
_EXPORTS = {
    "create_backend": "backend_factory", "default_kuberay_version": "backend_factory",
    "RunOptions": "runner", "ScenarioResult": "runner", "StepEvent": "runner", "StepResult": "runner",
    "run_scenario": "runner", "compile_keyword_expression": "selection", "select": "selection",
    "ScenarioFailure": "session", "ScenarioSession": "session",
}

__all__ = [
    "RunOptions",
    "ScenarioFailure",
    "ScenarioResult",
    "ScenarioSession",
    "StepEvent",
    "StepResult",
    "compile_keyword_expression",
    "create_backend",
    "default_kuberay_version",
    "run_scenario",
    "select",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value

"""Running scenarios against a Backend: steps, bindings, ``finally``, assertions and failure diagnostics.

:func:`run_scenario` runs one scenario on a backend made by a factory (:func:`create_backend` by default) and
returns a :class:`ScenarioResult`; :func:`select` applies ``-k`` expressions. :class:`ScenarioSession` runs
steps one at a time (the pytest fixture for scenarios written in Python). :mod:`.outcomes` judges how each RayJob
of a run ended against the outcome asked for, and :mod:`.explain` says why it ended there (``simulate``'s gate).
"""

from __future__ import annotations

from .backend_factory import create_backend, default_kuberay_version
from .runner import RunOptions, ScenarioResult, StepEvent, StepResult, run_scenario
from .selection import compile_keyword_expression, select
from .session import ScenarioFailure, ScenarioSession

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

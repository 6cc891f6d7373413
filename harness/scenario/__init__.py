"""The scenario language: typed model, loader (file:line:column errors), JSON Schema.

A scenario file says what to do (apply, patch, suspend, delete, rerun, advance) and what must be observed
(waits, partial-object expectations, transitions over the journal, presence, counts, events, logs). This
package turns such files into typed :class:`Scenario` values before anything runs; ``harness.runner`` runs them.
"""

from __future__ import annotations

from .loader import discover, load_file, load_text, looks_like_scenario_file, parse_step
from .model import ObjectRef, Scenario, Step, StepSource
from .schema import SCHEMA_FILE, scenario_schema
from .versions import VersionSpec

__all__ = [
    "SCHEMA_FILE",
    "ObjectRef",
    "Scenario",
    "Step",
    "StepSource",
    "VersionSpec",
    "discover",
    "load_file",
    "load_text",
    "looks_like_scenario_file",
    "parse_step",
    "scenario_schema",
]

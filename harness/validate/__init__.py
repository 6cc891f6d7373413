"""Static checks of RayJob manifests before deployment: ``rayjob-harness validate``.

Three layers look at every object, and every finding is reported at once, with ``file:line:column``, a rule id, a
severity, a message (the API server's or the operator's own words where the rule is theirs) and a fix:

- schema: what the Kubernetes API server accepts with the release's CRDs installed (``harness.manifests``);
- operator: what KubeRay's validation refuses, from the simulated operator's own code (``harness.kuberay``);
- pitfalls: what both accept but does not behave as people expect (``RAYJOB_BEHAVIOR.md`` section 6).

Use :func:`validate_paths` for files and folders, render with :func:`render_text`, :func:`render_json` or
:func:`render_sarif`, and :func:`convert_text` to rewrite ray.io/v1alpha1 RayJobs as ray.io/v1.

Not here: running anything (``harness.simulator``); nothing in this package imports Ray or a Kubernetes client.
"""

from __future__ import annotations

from .convert import Conversion, Note, convert_text
from .documents import Document, Inputs, input_files, read_inputs
from .engine import check_document, validate_inputs, validate_paths
from .findings import Finding, Layer, Report, Severity
from .releases import Release, release_for
from .render import render_json, render_text
from .rules import RULES, Rule
from .sarif import render_sarif

__all__ = [
    "RULES",
    "Conversion",
    "Document",
    "Finding",
    "Inputs",
    "Layer",
    "Note",
    "Release",
    "Report",
    "Rule",
    "Severity",
    "check_document",
    "convert_text",
    "input_files",
    "read_inputs",
    "release_for",
    "render_json",
    "render_sarif",
    "render_text",
    "validate_inputs",
    "validate_paths",
]

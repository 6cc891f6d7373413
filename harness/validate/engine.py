"""One validation run: read the inputs, put every object through the three layers, collect one report.

For each object: the schema layer (the API server with the release's CRDs) always; then, when the stored object
is well formed enough to read (no wrong types, nothing undecodable), the operator layer and the pitfalls. A
missing required field does not stop the later layers: the operator and the pitfalls are asked as if it had been
filled in, so that one run shows everything. The runtime_env check also reads a ``runtimeEnv`` object the API
server refuses, to check its contents as if written right.

Nothing here raises for bad input: unreadable files, empty inputs and every problem are findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from ..model.rayjob import RayJob
from .documents import Document, Inputs, read_inputs
from .entrypoint import check_entrypoint
from .findings import Finding, Report
from .operator_layer import check_operator
from .pitfalls import check_pitfalls
from .releases import Release, release_for
from .runtime_env import check_runtime_env
from .schema_layer import SchemaAnswer, check_schema
from .subject import Subject


def _typed_job(doc: Document, answer: SchemaAnswer) -> RayJob | None:
    """The RayJob the operator would read, or None when the stored object does not read as one."""
    if doc.manifest.kind != "RayJob" or answer.result is None or not answer.readable:
        return None
    try:
        return RayJob.from_raw(answer.result.obj)
    except (KeyError, TypeError, ValueError, AttributeError):  # a shape the schema allowed but the model cannot read
        return None


def check_document(doc: Document, inputs: Inputs, release: Release) -> list[Finding]:
    """Every finding about one object."""
    answer = check_schema(doc, release)
    findings = list(answer.findings)
    if answer.result is None:
        return findings
    subject = Subject(doc, answer.result, inputs, release, _typed_job(doc, answer))
    if answer.readable:
        findings += check_operator(subject) + check_pitfalls(subject) + check_entrypoint(subject)
    findings += check_runtime_env(subject)
    return findings


def validate_inputs(inputs: Inputs, release: Release, *, strict: bool = False) -> Report:
    findings = list(inputs.findings)
    for doc in inputs.documents:
        findings += check_document(doc, inputs, release)
    return Report(tuple(findings), inputs.files, len(inputs.documents), release.version, strict, inputs.texts)


def validate_paths(paths: Sequence[str], *, kuberay_version: str = "1.7", feature_gates: str = "",
                   strict: bool = False, recursive: bool = False, stdin: TextIO | None = None) -> Report:
    """Validate files and folders (``-`` for standard input) against a KubeRay release.

    Raises InputError only for a release or feature gate that is not modelled; every problem with the inputs
    themselves is a finding of the report.
    """
    release = release_for(kuberay_version, feature_gates)
    return validate_inputs(read_inputs(paths, recursive=recursive, stdin=stdin), release, strict=strict)

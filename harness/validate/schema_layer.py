"""The schema layer: what the Kubernetes API server, with the release's CRDs installed, does with each object.

It asks ``harness.manifests`` (the simulator's own API-server model) and reports every problem at once, where a
real server stops early: kubectl's strict decoding refuses unknown fields before validation (so required fields
are not reported in the same answer), and CEL rules are skipped while other errors stand. Here each unknown field
is its own finding with the server's text, the 422 causes follow, and skipped CEL rules are evaluated anyway.

A key written twice is reported here too (a pitfall: kubectl keeps the last value without a word).

A field written at the wrong level gets the place it belongs in its fix (``spec.rayVersion`` ->
``spec.rayClusterSpec.rayVersion``) and its contents are checked as if it were there. ``spec.runtimeEnv`` (removed
in KubeRay v1.1.0) is the exception: its contents are a runtime_env, checked by :mod:`.runtime_env`.

Not here: what the operator refuses after admission (:mod:`.operator_layer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from .._util.jsoncopy import deep_copy
from ..errors import ManifestError
from ..manifests import Manifest, ManifestIssue, ValidationResult, crd_version, validate_manifest
from ..manifests.field_errors import NIL_PATH, ErrorType, FieldError, kubectl_invalid_lines
from ..manifests.loader import check_identity, kind_meant
from ..manifests.placement import Placement, placement
from ..manifests.positions import split_path
from ..manifests.schema import CrdVersion
from ..manifests.structural import apply_defaults, prune, validate, validate_rules
from ..manifests.validate import generic_hint, issue_hint, strict_decoding_error, unknown_field_hint
from ..model.kinds import resource_type
from .documents import Document
from .findings import Finding, Severity
from .releases import Release

_RULE_BY_CAUSE: Final = {
    ErrorType.REQUIRED.value: "schema/required",
    ErrorType.TYPE_INVALID.value: "schema/type",
    ErrorType.NOT_SUPPORTED.value: "schema/enum",
    ErrorType.DUPLICATE.value: "schema/duplicate",
}
_UNREADABLE_CAUSES: Final = (ErrorType.TYPE_INVALID.value, ErrorType.NOT_SUPPORTED.value)
_V1: Final = "use apiVersion: ray.io/v1 ('rayjob-harness validate --convert FILE' rewrites a v1alpha1 RayJob)"


@dataclass(frozen=True)
class SchemaAnswer:
    """The API server's answer for one object and the findings drawn from it.

    ``readable`` says whether later layers can read the stored object: no value of the wrong type or outside its
    enum, nothing the server could not decode.
    """

    result: ValidationResult | None
    findings: tuple[Finding, ...]
    readable: bool


def _finding(doc: Document, rule_id: str, severity: Severity, message: str, fix: str, path: str) -> Finding:
    m = doc.manifest
    return Finding(rule_id, severity, message, fix, m.pos(path), f"{m.kind}/{doc.namespace}/{m.name}", path)


def _identity(doc: Document) -> Finding | None:
    """kubectl's checks before any request: apiVersion, kind, name; a kind and version the cluster serves."""
    m = doc.manifest
    try:
        check_identity(m)
    except ManifestError as exc:
        hint = exc.hint or "see the message"
        complete = all(isinstance(m.obj.get(key), str) and m.obj[key] for key in ("apiVersion", "kind")) and m.name
        if not complete:
            return _finding(doc, "schema/identity", Severity.ERROR, exc.message, hint, "metadata")
        if resource_type(m.kind) is not None:
            return _finding(doc, "schema/unserved-version", Severity.ERROR, exc.message, hint, "apiVersion")
        meant = kind_meant(m.kind)
        if meant is not None:
            return _finding(doc, "schema/unknown-kind", Severity.ERROR,
                            f'no matches for kind "{m.kind}" in version "{m.api_version}"',
                            f"did you mean kind: {meant}? Kinds are case-sensitive", "kind")
        return _finding(doc, "schema/unchecked-kind", Severity.NOTE,
                        f"kind={m.kind!r} ({m.api_version}) is not checked by rayjob-harness",
                        "nothing to do; only RayJob, RayCluster and the built-in kinds they reference are checked",
                        "kind")
    return None


def _value_at(obj: Any, path: str) -> Any:
    for part in split_path(path):
        if isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        elif isinstance(obj, dict) and part in obj:
            obj = obj[part]
        else:
            return None
    return obj


def _as_placed(doc: Document, path: str, meant: Placement) -> list[Finding]:
    """A misplaced field's contents checked at the place it belongs; findings point where it was written."""
    m = doc.manifest
    value = deep_copy(_value_at(m.obj, path))

    def back(target: str) -> str:
        """Where a path below the intended place was written."""
        return path + target[len(meant.path):]

    note = f" (as {meant.path}, where {path.rsplit('.', 1)[-1]} belongs)"
    findings = [_finding(doc, "schema/unknown-field", Severity.ERROR, strict_decoding_error(m, [unknown]) + note,
                         "remove the field or fix its name; 'kubectl explain' lists the fields a kind has",
                         back(unknown))
                for unknown in prune(value, meant.node, meant.path)]
    apply_defaults(value, meant.node)
    for error in validate(value, meant.node, meant.path):
        findings.append(_field_finding(doc, error, back(error.field), note))
    return findings


def _field_finding(doc: Document, error: FieldError, written: str, note: str = "") -> Finding:
    m = doc.manifest
    rule_id = _RULE_BY_CAUSE.get(error.type.value, "schema/invalid")
    issue = ManifestIssue(str(error), error.field, m.pos(written), error.type.value)
    fix = issue_hint(issue) or generic_hint(422, m.kind)
    return _finding(doc, rule_id, Severity.ERROR, kubectl_invalid_lines(m.kind, m.name, [str(error)]) + note, fix,
                    written)


def _unknown_fields(doc: Document, result: ValidationResult, release: Release,
                    crd: CrdVersion | None) -> list[Finding]:
    m = doc.manifest
    findings = []
    for path in result.unknown_fields:
        findings.append(_finding(doc, "schema/unknown-field", Severity.ERROR, strict_decoding_error(m, [path]),
                                 unknown_field_hint(m, path, release.crds), path))
        meant = placement(crd.root, path) if crd is not None and path != "spec.runtimeEnv" else None
        if meant is not None and _value_at(m.obj, path) is not None:
            findings += _as_placed(doc, path, meant)
    return findings


def check_schema(doc: Document, release: Release) -> SchemaAnswer:
    """Every problem the API server has with ``doc`` on ``kubectl apply`` (strict field validation)."""
    if (problem := _identity(doc)) is not None:
        return SchemaAnswer(None, (problem,), False)
    m: Manifest = doc.manifest
    result = validate_manifest(m, field_validation="Warn", crds=release.crds)
    crd = crd_version(m.kind, m.api_version, release.crds)
    findings: list[Finding] = []
    if crd is not None and crd.deprecation_warning:
        findings.append(_finding(doc, "schema/deprecated-version", Severity.WARNING, crd.deprecation_warning, _V1
                                 if m.kind == "RayJob" else "use apiVersion: ray.io/v1", "apiVersion"))
    if result.code == 400:  # could not be decoded at all: nothing else is known about the object
        issue = result.errors[0]
        findings.append(_finding(doc, "schema/decode-error", Severity.ERROR, result.error_text,
                                 issue_hint(issue) or generic_hint(400, m.kind), issue.path))
        return SchemaAnswer(result, tuple(findings), False)
    findings += _unknown_fields(doc, result, release, crd)
    findings += [_finding(doc, "pitfall/duplicate-key", Severity.WARNING,
                          f"{path} is written twice; kubectl keeps only the last value", "remove one of the two",
                          path) for path in m.duplicate_keys]
    readable = True
    for issue in result.errors:
        if issue.path == NIL_PATH:  # CEL rules skipped by the server: evaluate them now, for a complete answer
            if crd is not None:
                findings += [_field_finding(doc, error, error.field) for error in
                             validate_rules(result.obj, crd.root, "")]
            continue
        readable = readable and issue.cause not in _UNREADABLE_CAUSES
        rule_id = _RULE_BY_CAUSE.get(issue.cause, "schema/invalid")
        findings.append(_finding(doc, rule_id, Severity.ERROR, kubectl_invalid_lines(m.kind, m.name, [issue.message]),
                                 issue_hint(issue) or generic_hint(422, m.kind), issue.path))
    return SchemaAnswer(result, tuple(findings), readable)

"""What the Kubernetes API server does with a manifest on ``kubectl apply``, before any controller sees it.

For RayJob and RayCluster (KubeRay v1.7.0 CRDs) the request path is reproduced in order:

1. the deprecation warning of a deprecated version (sent even when the request then fails);
2. decoding: unknown fields are pruned against the *request version's* schema; with ``fieldValidation=Strict``
   (kubectl's default) they fail the request with 400 ``... strict decoding error: unknown field "spec.x"``,
   with ``Warn`` each becomes a warning, with ``Ignore`` they vanish silently;
3. defaulting (nulls dropped, CRD defaults filled in);
4. validation (422): metadata, then the OpenAPI schema, list-map keys, then x-kubernetes-validations rules (CEL;
   transition rules against the stored object on an update), which are skipped with a ``<nil>`` cause when a
   type/enum/required error came first;
5. storage: a v1alpha1 object is stored as v1 (conversion strategy None: only ``apiVersion`` changes) and read
   back through the v1 schema, which applies v1's defaults; ``status`` is dropped on create.

Built-in kinds get the light checks of :mod:`.builtin`. Everything here is pure: no clock, no store.

Not here: reading files (:mod:`.loader`); what the KubeRay operator later rejects (``harness.kuberay.validation``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from .._util.gofmt import dns1123_subdomain, go_quote
from .._util.jsoncopy import deep_copy
from ..errors import ManifestRefused, SourcePos
from ..model.kinds import resource_type
from . import hints
from .builtin import BUILTIN_KINDS
from .field_errors import CEL_SKIPPED, NIL_PATH, FieldError, invalid, kubectl_invalid_lines
from .loader import Manifest
from .names import OBJECT_META_FIELDS, validate_object_meta
from .placement import placement
from .positions import split_path
from .schema import CRD_VERSIONS, CrdVersion, crd_version, storage_version
from .schema_nodes import Schema
from .status_schema import validate_status_write
from .structural import ABSENT, apply_defaults, list_map_duplicates, prune, validate, validate_rules

FieldValidation = Literal["Strict", "Warn", "Ignore"]


@dataclass(frozen=True)
class ManifestIssue:
    """One reason the API server refuses a manifest.

    ``message`` is the server's text: a 422 cause as ``<path>: <reason>``, or the whole 400 message.
    ``cause`` is the Status cause type (``FieldValueRequired``...), empty for a 400.
    """

    message: str
    path: str
    pos: SourcePos
    cause: str = ""


@dataclass(frozen=True)
class ValidationResult:
    """The API server's answer to a create: the object it would store, its warnings, or why it refuses."""

    obj: dict[str, Any]
    warnings: tuple[str, ...]
    errors: tuple[ManifestIssue, ...]
    kind: str = ""
    name: str = ""
    group: str = ""
    code: int = 0  # 0 accepted, 400 BadRequest (decoding), 422 Invalid (validation)
    unknown_fields: tuple[str, ...] = ()  # pruned paths, whatever the fieldValidation mode

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_text(self) -> str:
        """What kubectl prints for the refusal (empty when accepted)."""
        if not self.errors:
            return ""
        if self.code == 422:
            return kubectl_invalid_lines(self.kind, self.name, [issue.message for issue in self.errors])
        return self.errors[0].message

    def kubectl_output(self, source: str, verb: str = "creating") -> str:
        """Everything ``kubectl apply -f <source>`` prints on stderr for this answer: warnings, then the refusal."""
        lines = [f"Warning: {warning}" for warning in self.warnings]
        if self.errors:
            text = self.error_text
            if text.startswith("unable to decode"):  # kubectl could not even build the request
                lines.append(f"error: {text}")
            elif self.code == 400:
                lines.append(f"Error from server (BadRequest): error when {verb} {go_quote(source)}: {text}")
            else:
                lines.append(text)
        return "\n".join(lines)

    @property
    def status_message(self) -> str:
        """The ``message`` of the API server's Status object (what client libraries show)."""
        if self.code != 422:
            return self.error_text
        texts = list(dict.fromkeys(issue.message for issue in self.errors))
        qualified = f"{self.kind}.{self.group}" if self.group else self.kind
        joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
        return f"{qualified} {go_quote(self.name)} is invalid: {joined}"


def validate_manifest(m: Manifest, *, field_validation: FieldValidation | str = "Strict",
                      crds: Sequence[CrdVersion] = CRD_VERSIONS,
                      old: Mapping[str, Any] | None = None) -> ValidationResult:
    """How the API server handles ``m``: a create, or with ``old`` (the stored object) an update.

    ``field_validation`` is kubectl's ``--validate`` mode; ``crds`` are the installed KubeRay release's CRD
    versions (v1.7.0's by default). On an update, transition rules (``oldSelf``) compare with ``old``.
    """
    if field_validation not in ("Strict", "Warn", "Ignore"):
        raise ValueError(f"field_validation={field_validation!r} is not Strict, Warn or Ignore")
    crd = crd_version(m.kind, m.api_version, crds)
    if crd is not None:
        return _validate_custom(m, crd, field_validation, crds, old)
    return _validate_builtin(m, field_validation)


def validate_status_update(m: Manifest, *, field_validation: FieldValidation | str = "Strict") -> ValidationResult:
    """The API server's answer to a write of ``m``'s ``status`` through its status subresource.

    Only the status is decoded and validated there (:mod:`.status_schema`); the rest of the object is the stored
    one. Kinds without a status schema in :data:`~.status_schema.STATUS_SCHEMAS` are not checked.
    """
    rtype = resource_type(m.kind)
    group = rtype.group if rtype is not None else ""
    unknown, errors = validate_status_write(m.kind, m.obj.get("status"))
    if unknown and field_validation == "Strict":
        return _strict_result(m, m.obj, unknown, [], group)
    warnings = [f"unknown field {go_quote(path)}" for path in unknown] if field_validation == "Warn" else []
    issues = tuple(_issue(m, error) for error in errors)
    return ValidationResult(m.obj, tuple(warnings), issues, m.kind, m.name, group, 422 if issues else 0,
                            tuple(unknown))


def _issue(m: Manifest, error: FieldError) -> ManifestIssue:
    return ManifestIssue(str(error), error.field, m.pos(error.field), error.type.value)


def _decode_error(m: Manifest, version: str, text: str) -> str:
    return f"{m.kind} in version {go_quote(version)} cannot be handled as a {m.kind}: {text}"


def _meta_decode_error(meta: dict[str, Any]) -> str | None:
    """ObjectMeta is a Go struct: label and annotation values that are not strings cannot be decoded."""
    for block in ("labels", "annotations"):
        values = meta.get(block)
        if isinstance(values, dict):
            for value in values.values():
                if value is not None and not isinstance(value, str):
                    found = {bool: "bool", int: "number", float: "number", list: "array"}.get(type(value),
                                                                                              "object")
                    return (f"json: cannot unmarshal {found} into Go struct field ObjectMeta.metadata.{block} "
                            f"of type string")
    return None


def _unknown_metadata(meta: dict[str, Any]) -> list[str]:
    unknown = [f"metadata.{key}" for key in meta if key not in OBJECT_META_FIELDS]
    for path in unknown:
        del meta[path.removeprefix("metadata.")]
    return unknown


def strict_decoding_error(m: Manifest, paths: Sequence[str]) -> str:
    """The 400 text of ``fieldValidation=Strict`` for unknown fields ``paths`` of ``m``, in its request version."""
    text = "strict decoding error: " + ", ".join(f"unknown field {go_quote(path)}" for path in paths)
    return _decode_error(m, m.api_version.rpartition("/")[2], text)


def _strict_result(m: Manifest, obj: dict[str, Any], unknown: list[str], warnings: list[str],
                   group: str) -> ValidationResult:
    issue = ManifestIssue(strict_decoding_error(m, unknown), unknown[0], m.pos(unknown[0]))
    return ValidationResult(obj, tuple(warnings), (issue,), m.kind, m.name, group, 400, tuple(unknown))


def _decoding(m: Manifest, obj: dict[str, Any], version: str, root: Schema | None, mode: str,
              warnings: list[str], group: str) -> tuple[list[str], ValidationResult | None]:
    """Step 2: prune unknown fields; a refusal when Strict (or when metadata cannot be decoded)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and (problem := _meta_decode_error(meta)):
        issue = ManifestIssue(f"unable to decode {go_quote(m.source)}: {problem}", "metadata", m.pos("metadata"))
        return [], ValidationResult(obj, tuple(warnings), (issue,), m.kind, m.name, group, 400)
    if root is not None:
        unknown = prune(obj, root)
    else:
        builtin = BUILTIN_KINDS[m.kind]
        unknown = sorted((key for key in obj if key not in builtin.top_fields), key=str.encode)
        for key in unknown:
            del obj[key]
    unknown += _unknown_metadata(meta) if isinstance(meta, dict) else []
    if unknown and mode == "Strict":
        return unknown, _strict_result(m, obj, unknown, warnings, group)
    if mode == "Warn":
        warnings.extend(f"unknown field {go_quote(path)}" for path in unknown)
    return unknown, None


def _validate_custom(m: Manifest, crd: CrdVersion, mode: str, crds: Sequence[CrdVersion],
                     old: Mapping[str, Any] | None) -> ValidationResult:
    obj: dict[str, Any] = deep_copy(m.obj)
    warnings: list[str] = [crd.deprecation_warning] if crd.deprecation_warning else []
    unknown, refused = _decoding(m, obj, crd.version, crd.root, mode, warnings, crd.group)
    if refused is not None:
        return refused
    apply_defaults(obj, crd.root)
    errors = _schema_errors(obj, crd, old)
    rtype = resource_type(m.kind)
    if not crd.storage:  # conversion None: the stored object is the same data under the storage apiVersion
        stored = storage_version(m.kind, crds)
        obj["apiVersion"] = stored.api_version
        apply_defaults(obj, stored.root)
    if rtype is not None and rtype.status_subresource:
        obj.pop("status", None)
    issues = tuple(_issue(m, error) for error in errors)
    return ValidationResult(obj, tuple(warnings), issues, m.kind, m.name, crd.group, 422 if issues else 0,
                            tuple(unknown))


def _schema_errors(obj: dict[str, Any], crd: CrdVersion, old: Mapping[str, Any] | None) -> list[FieldError]:
    meta = obj.get("metadata")
    errors = validate_object_meta(meta, dns1123_subdomain, namespaced=True) if isinstance(meta, dict) else []
    errors += validate(obj, crd.root, "")
    errors += list_map_duplicates(obj, crd.root, "")
    if crd.has_rules:
        if any(error.type.blocks_cel for error in errors):
            errors.append(invalid(NIL_PATH, None, CEL_SKIPPED))
        else:
            errors += validate_rules(obj, crd.root, "", ABSENT if old is None else old)
    return errors


def _validate_builtin(m: Manifest, mode: str) -> ValidationResult:
    rtype = resource_type(m.kind)
    builtin = BUILTIN_KINDS.get(m.kind)
    if rtype is None or builtin is None:
        raise ValueError(f"kind={m.kind!r} is not modelled; load manifests through harness.manifests.loader")
    group, version = rtype.group, m.api_version.rpartition("/")[2]
    obj: dict[str, Any] = deep_copy(m.obj)
    warnings: list[str] = []
    unknown, refused = _decoding(m, obj, version, None, mode, warnings, group)
    if refused is not None:
        return refused
    if (problem := builtin.decode(obj)) is not None:
        issue = ManifestIssue(_decode_error(m, version, problem), "data", m.pos("data"))
        return ValidationResult(obj, tuple(warnings), (issue,), m.kind, m.name, group, 400, tuple(unknown))
    meta = obj.get("metadata")
    errors = validate_object_meta(meta, builtin.name_check, namespaced=rtype.namespaced) \
        if isinstance(meta, dict) else []
    errors += builtin.check(obj)
    if rtype.status_subresource:
        obj.pop("status", None)
    issues = tuple(_issue(m, error) for error in errors)
    return ValidationResult(obj, tuple(warnings), issues, m.kind, m.name, group, 422 if issues else 0,
                            tuple(unknown))




# -- raising -----------------------------------------------------------------------------------------------------

STATUS_REASONS: Final = {400: "BadRequest", 422: "Invalid"}  # the metav1.Status reason of each refusal code

_GENERIC_HINT: Final = {
    400: "remove or rename the unknown fields; 'kubectl explain <kind>.spec' lists the fields a kind has",
    422: "fix the fields listed; 'kubectl explain <kind>.spec' describes each field",
}


def unknown_field_hint(m: Manifest, path: str, crds: Sequence[CrdVersion] = CRD_VERSIONS) -> str:
    """What to do about the unknown field ``path`` of ``m``: a known mistake, a newer API version, a near miss."""
    crd = crd_version(m.kind, m.api_version, crds)
    newer = crd is not None and not crd.storage and schema_node(storage_version(m.kind, crds).root, path) is not None
    meant = placement(crd.root, path) if crd is not None else None
    return hints.unknown_field_hint(path, _siblings(m.kind, crd, path), newer_version_has_it=newer,
                                    belongs_at=meant.path if meant else None)


def issue_hint(issue: ManifestIssue) -> str | None:
    """The specific hint for one refused field (a Required or an Invalid value), or None."""
    return hints.required_hint(issue.path) if issue.cause == "FieldValueRequired" else hints.value_hint(issue.path)


def hint_for(result: ValidationResult, m: Manifest) -> str:
    """The most useful hint for a refused manifest: the first issue with a specific hint, else a generic one."""
    if result.code == 400 and result.unknown_fields:
        return unknown_field_hint(m, result.unknown_fields[0])
    for issue in result.errors:
        if found := issue_hint(issue):
            return found
    return generic_hint(result.code, m.kind)


def generic_hint(code: int, kind: str) -> str:
    """The hint for a refusal with no field-specific advice (400: unknown fields, 422: invalid values)."""
    return _GENERIC_HINT.get(code, "see the API server's message above").replace("<kind>", kind.lower())


def raise_for_errors(result: ValidationResult, manifest: Manifest) -> None:
    """Raise :class:`~harness.errors.ManifestRefused` (a ManifestError) at the first refused field when the API
    server would refuse the manifest."""
    if result.ok:
        return
    first = result.errors[0]
    raise ManifestRefused(result.error_text, code=result.code, reason=STATUS_REASONS.get(result.code, "BadRequest"),
                          status_message=result.status_message, pos=first.pos, hint=hint_for(result, manifest))


def schema_node(schema: Schema | None, path: str) -> Schema | None:
    """The schema node at an API-server path, or None when the path leaves the modelled schema."""
    node = schema
    for part in split_path(path):
        if node is not None and node.type == "array":
            node = node.items
            if part.isdigit():
                continue
        if node is None:
            return None
        node = node.properties.get(part) if node.properties is not None else node.additional
    return node


def _siblings(kind: str, crd: CrdVersion | None, path: str) -> list[str]:
    """The field names known next to ``path`` (for "did you mean" hints)."""
    parent = path.rpartition(".")[0]
    if parent == "metadata":
        return sorted(OBJECT_META_FIELDS)
    if crd is None:
        return sorted(BUILTIN_KINDS[kind].top_fields) if not parent and kind in BUILTIN_KINDS else []
    node = schema_node(crd.root, parent) if parent else crd.root
    if node is not None and node.type == "array":
        node = node.items
    return sorted(node.properties) if node is not None and node.properties else []

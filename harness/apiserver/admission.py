"""Admission of a write: what the API server checks and fills in before anything is stored.

In the API server's order: the body must be of the URL's kind, version, namespace and name; then decoding with the
request's ``fieldValidation`` (Strict, Warn, Ignore; Warn without the parameter), CRD defaults and validation,
through :func:`harness.manifests.validate_manifest` (the same path as ``Simulator.apply``, so the server and the
in-process simulator refuse the same manifests with the same words); last, what the simulated operator cannot
model under its feature gates (403, saying so).

Not here: the store's own checks (names taken, stale resourceVersions), made on the world thread by :mod:`.rest`.
"""

from __future__ import annotations

from typing import Any, Final

from ..kuberay.switches import network_policy_warning, unmodelled_use
from ..manifests import Manifest, ValidationResult, validate_manifest, validate_status_update
from . import eventsv1
from .request import Request, Response
from .resources import Served
from .status import Cause, Details, StatusError
from .world import World

Obj = dict[str, Any]
FIELD_VALIDATIONS: Final = ("Strict", "Warn", "Ignore")


def field_validation(req: Request) -> str:
    mode = req.query.get("fieldValidation") or "Warn"  # the server's default without the parameter (1.27+)
    if mode not in FIELD_VALIDATIONS:
        raise StatusError(400, f"fieldValidation parameter unsupported: {mode}; valid values are Strict, Warn, "
                               "Ignore")
    return mode


def check_body(served: Served, obj: Obj, namespace: str | None, name: str | None) -> None:
    """The body names the URL's kind, version, namespace and name (filled in where it names none)."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if kind is not None and kind != served.kind:
        raise StatusError(400, f"the kind in the data ({kind}) does not match the expected kind ({served.kind})")
    if api_version is not None and api_version != served.api_version:
        raise StatusError(400, f"the API version in the data ({api_version}) does not match the expected API "
                               f"version ({served.api_version})")
    obj.setdefault("apiVersion", served.api_version)
    obj.setdefault("kind", served.kind)
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise StatusError(400, "json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta")
    if served.namespaced and namespace:
        if meta.get("namespace") and meta["namespace"] != namespace:
            raise StatusError(400, "the namespace of the provided object does not match the namespace sent on the "
                                   "request")
        meta["namespace"] = namespace
    if name is not None:
        if meta.get("name") and meta["name"] != name:
            raise StatusError(400, f"the name of the object ({meta['name']}) does not match the name on the URL "
                                   f"({name})")
        meta.setdefault("name", name)


def admit(world: World, req: Request, served: Served, obj: Obj, response: Response, *,
          old: Obj | None = None) -> Obj:
    """Decode, default and validate ``obj`` as the API server does on a write; the object to store.

    ``old`` is the stored object on an update (transition rules compare with it). Warnings go on ``response``
    (and on a refusal too: kubectl prints them before the error).
    """
    if served.shape == "events.k8s.io":
        obj = eventsv1.from_v1(obj)
    result = validate_manifest(Manifest(obj=obj, source="<request body>", line=0),
                               field_validation=field_validation(req), old=old)
    for warning in result.warnings:
        if warning not in response.warnings:
            response.warnings.append(warning)
    if result.code == 400:
        raise StatusError(400, result.status_message, headers=tuple(("Warning", w) for w in response.warnings))
    if result.code == 422:
        raise invalid(result, headers=tuple(("Warning", w) for w in response.warnings))
    stored = result.obj
    problem = unmodelled_use(stored, world.sim.gates)
    if problem is not None:
        path, reason = problem
        raise StatusError(403, f"{stored.get('kind')} {result.name!r} is not modelled by the simulator: "
                               f"{path}: {reason}")
    notice = network_policy_warning(stored, world.sim.gates)
    if notice:
        response.warnings.append(notice)
    return stored


def admit_status(req: Request, obj: Obj, response: Response) -> None:
    """A write to the status subresource: only ``status`` is decoded and validated (unknown fields, types,
    formats, enums), against the kind's status schema."""
    result = validate_status_update(Manifest(obj=obj, source="<request body>", line=0),
                                    field_validation=field_validation(req))
    response.warnings.extend(w for w in result.warnings if w not in response.warnings)
    if result.code == 400:
        raise StatusError(400, result.status_message, headers=tuple(("Warning", w) for w in response.warnings))
    if result.code == 422:
        raise invalid(result, headers=tuple(("Warning", w) for w in response.warnings))
    if "status" in result.obj:
        obj["status"] = result.obj["status"]


def invalid(result: ValidationResult, headers: tuple[tuple[str, str], ...] = ()) -> StatusError:
    """The 422 of a refused manifest: the server's message and one cause per field."""
    causes = tuple(Cause(issue.cause or "FieldValueInvalid", _cause_message(issue.message, issue.path), issue.path)
                   for issue in result.errors)
    return StatusError(422, result.status_message, details=Details(name=result.name, group=result.group,
                                                                   kind=result.kind, causes=causes),
                       headers=headers)


def _cause_message(message: str, path: str) -> str:
    prefix = f"{path}: "
    return message[len(prefix):] if path and message.startswith(prefix) else message


def invalid_fields(served: Served, name: str, causes: list[Cause]) -> StatusError:
    """A 422 for causes found outside the schema (a custom resource PUT without a resourceVersion)."""
    texts = [f"{c.field}: {c.message}" for c in causes]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    qualified = f"{served.kind}.{served.api_group}" if served.api_group else served.kind
    return StatusError(422, f'{qualified} "{name}" is invalid: {joined}',
                       details=Details(name=name, group=served.api_group, kind=served.kind, causes=tuple(causes)))

"""The REST verbs over the simulator's store: get, list, create, update, patch, delete, for every served resource.

Each verb does what the Kubernetes API server does, in its order: admission (:mod:`.admission`: decoding with
``fieldValidation``, defaults, validation against the project's schema models); then the store's own semantics
(resourceVersion, generation, optimistic concurrency, the status subresource, finalizers, garbage collection).
Every store call runs on the world thread.

Approximations, said here and in docs/serve.md: server-side apply is create-or-merge (no managedFields, no
conflicts between field managers); ``fieldManager`` is accepted and not recorded.

Not here: URLs and deprecation warnings (:mod:`.routes`), watch streams (:mod:`.watch`), pod logs
(:mod:`.podlogs`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from .._util.jsoncopy import deep_copy
from ..model.selectors import Requirement, matches, parse_selector
from ..sim.store import ApiError
from . import eventsv1, fields, patches, tables
from .admission import admit, admit_status, check_body, invalid_fields
from .request import (
    APPLY_PATCH,
    JSON,
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_PATCH,
    Request,
    Response,
    decode_body,
    decode_object,
)
from .resources import Served
from .status import Cause, Details, StatusError, from_store, success
from .world import World

Obj = dict[str, Any]
T = TypeVar("T")
_CR_PATCH_TYPES: Final = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH)


@dataclass(frozen=True)
class Target:
    """What a resource URL names: a resource, maybe a namespace, maybe an object and a subresource."""

    served: Served
    namespace: str | None  # None: every namespace (lists), or a cluster-scoped resource
    name: str | None = None
    subresource: str | None = None


class Rest:
    """The verbs, bound to one world."""

    def __init__(self, world: World) -> None:
        self.world = world

    # -- helpers ---------------------------------------------------------------------------------------------------

    def _call(self, fn: Callable[[], T], target: Target) -> T:
        try:
            return self.world.call(fn)
        except ApiError as exc:
            raise from_store(exc, name=target.name or "", group=target.served.api_group,
                             plural=target.served.plural) from None

    def now(self) -> float:
        """Virtual now as UNIX seconds (what ages are measured against)."""
        clock = self.world.sim.clock
        return clock.origin + clock.now

    def present(self, served: Served, obj: Obj) -> Obj:
        """A stored object as this resource version shows it."""
        if served.shape == "events.k8s.io":
            return eventsv1.to_v1(obj)
        if obj.get("apiVersion") != served.api_version:
            obj = {**obj, "apiVersion": served.api_version}
        return obj

    def _not_found(self, target: Target) -> StatusError:
        return StatusError(404, f'{target.served.qualified} "{target.name}" not found',
                           details=Details(name=target.name or "", group=target.served.api_group,
                                           kind=target.served.plural))

    def _key(self, target: Target) -> tuple[str, str]:
        return (target.namespace or "") if target.served.namespaced else "", target.name or ""

    # -- reading ---------------------------------------------------------------------------------------------------

    def get(self, req: Request, target: Target) -> Response:
        ns, name = self._key(target)
        obj = self._call(lambda: self.world.sim.store.find(target.served.rtype, ns, name), target)
        if obj is None:
            raise self._not_found(target)
        shown = self.present(target.served, obj)
        if req.wants_table() and target.subresource is None:
            return Response(body=tables.table(target.served, [shown], self.now(),
                                              resource_version=obj["metadata"]["resourceVersion"],
                                              include=req.query.get("includeObject", "Metadata")))
        return Response(body=shown)

    def selection(self, req: Request, served: Served) -> tuple[tuple[Requirement, ...],
                                                               tuple[fields.FieldRequirement, ...]]:
        try:
            labels = parse_selector(req.query.get("labelSelector") or None)
        except ValueError as exc:
            raise StatusError(400, f"unable to parse requirement: {exc}") from None
        try:
            field_reqs = fields.parse(req.query.get("fieldSelector"), served.kind, custom=served.custom,
                                      events_v1=served.shape == "events.k8s.io")
        except fields.FieldSelectorError as exc:
            raise StatusError(400, str(exc)) from None
        return labels, field_reqs

    def list(self, req: Request, target: Target) -> Response:
        served = target.served
        labels, field_reqs = self.selection(req, served)
        limit = req.integer("limit") or 0
        after = _continue_key(req.query.get("continue", ""))

        def collect() -> tuple[list[Obj], int]:
            store = self.world.sim.store
            items = [o for o in store.list(served.rtype, target.namespace if served.namespaced else None)
                     if matches(labels, o["metadata"].get("labels")) and fields.matches(field_reqs, o)]
            return items, store.resource_version

        items, rv = self._call(collect, target)
        if after is not None:
            items = [o for o in items if _object_key(o) > after]
        meta: Obj = {"resourceVersion": str(rv)}
        if limit > 0 and len(items) > limit:
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(_object_key(items[limit - 1])).encode()).decode()
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        shown = [self.present(served, o) for o in items]
        if req.wants_table():
            body = tables.table(served, shown, self.now(), resource_version=str(rv),
                                include=req.query.get("includeObject", "Metadata"))
            body["metadata"].update({k: v for k, v in meta.items() if k != "resourceVersion"})
            return Response(body=body)
        return Response(body={"kind": f"{served.kind}List", "apiVersion": served.api_version, "metadata": meta,
                              "items": shown})

    # -- writing ---------------------------------------------------------------------------------------------------

    def create(self, req: Request, target: Target) -> Response:
        served = target.served
        obj = decode_object(req)
        check_body(served, obj, target.namespace, target.name)
        response = Response(code=201)
        stored = admit(self.world, req, served, obj, response)
        dry_run = bool(req.query.get("dryRun"))

        def write() -> Obj:
            store = self.world.sim.store
            if dry_run:
                return stored
            return store.create(stored)

        created = self._call(write, Target(served, target.namespace, obj["metadata"].get("name")))
        response.body = self.present(served, created)
        return response

    def update(self, req: Request, target: Target) -> Response:
        served = target.served
        obj = decode_object(req)
        check_body(served, obj, target.namespace, target.name)
        rv = obj["metadata"].get("resourceVersion")
        if not rv and served.custom:
            raise invalid_fields(served, target.name or "", [
                Cause("FieldValueInvalid", "Invalid value: 0x0: must be specified for an update",
                      "metadata.resourceVersion")])
        response = Response()
        status_only = target.subresource == "status"
        ns, name = self._key(target)
        current = self._call(lambda: self.world.sim.store.find(served.rtype, ns, name), target)
        if current is None:
            raise self._not_found(target)
        if status_only:
            admit_status(req, obj, response)
            stored = obj
        else:
            stored = admit(self.world, req, served, obj, response, old=current)
        if rv:
            stored["metadata"]["resourceVersion"] = rv

        def write() -> Obj:
            store = self.world.sim.store
            ns, name = self._key(target)
            current = store.find(served.rtype, ns, name)
            if current is None:
                raise self._not_found(target)
            if req.query.get("dryRun"):
                return current
            return store.update_status(stored) if status_only else store.update(stored)

        response.body = self.present(served, self._call(write, target))
        return response

    def patch(self, req: Request, target: Target) -> Response:
        served = target.served
        content_type = req.content_type
        allowed = _CR_PATCH_TYPES if served.custom else (*_CR_PATCH_TYPES, STRATEGIC_PATCH)
        if content_type not in allowed:
            raise StatusError(415, f"{content_type or 'no content type'} is not supported by "
                                   f"{served.api_version}, Kind={served.kind}: the body of the request was in an "
                                   "unknown format - accepted media types include: " + ", ".join(allowed))
        body = decode_body(req, allowed=(content_type,))
        if content_type == APPLY_PATCH:
            return self._apply(req, target, body)
        ns, name = self._key(target)
        current = self._call(lambda: self.world.sim.store.find(served.rtype, ns, name), target)
        if current is None:
            raise self._not_found(target)
        shown = self.present(served, deep_copy(current))
        try:
            if content_type == JSON_PATCH:
                patched = patches.json_patch(shown, body)
            elif content_type == STRATEGIC_PATCH:
                patched = patches.strategic_merge(shown, body, kind=served.kind)
            else:
                patched = patches.merge(shown, body)
        except patches.PatchError as exc:
            raise StatusError(exc.code, str(exc)) from None
        if not isinstance(patched, dict):
            raise StatusError(422, "the patch produced something that is not an object")
        return self._write_patched(req, target, current, patched, body)

    def _write_patched(self, req: Request, target: Target, current: Obj, patched: Obj, body: Any) -> Response:
        served = target.served
        response = Response()
        status_only = target.subresource == "status"
        if status_only:
            stored = {**current, "status": patched.get("status")}
            admit_status(req, stored, response)
        else:
            stored = admit(self.world, req, served, patched, response, old=current)
        # a patch is checked against the stored resourceVersion only when it names one itself
        wanted = (body.get("metadata") or {}).get("resourceVersion") if isinstance(body, dict) else None
        stored["metadata"] = {**stored.get("metadata", {})}
        if wanted:
            stored["metadata"]["resourceVersion"] = str(wanted)
        else:
            stored["metadata"].pop("resourceVersion", None)

        def write() -> Obj:
            store = self.world.sim.store
            if req.query.get("dryRun"):
                return stored
            return store.update_status(stored) if status_only else store.update(stored)

        response.body = self.present(served, self._call(write, target))
        return response

    def _apply(self, req: Request, target: Target, body: Any) -> Response:
        """Server-side apply, approximated as create-or-merge (docs/serve.md says what that leaves out)."""
        served = target.served
        if not isinstance(body, dict):
            raise StatusError(400, "error decoding YAML: the apply configuration is not an object")
        check_body(served, body, target.namespace, target.name)
        if not req.query.get("fieldManager"):
            raise StatusError(422, "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: "
                                   "is required for apply patch")
        ns, name = self._key(target)
        current = self._call(lambda: self.world.sim.store.find(served.rtype, ns, name), target)
        if current is None:
            created = self.create(Request("POST", req.path, req.query, {**req.headers, "content-type": JSON},
                                          json.dumps(body).encode()), Target(served, target.namespace))
            return created
        merged = patches.merge(self.present(served, deep_copy(current)), body)
        return self._write_patched(req, target, current, merged, body)

    def delete(self, req: Request, target: Target) -> Response:
        served = target.served
        options = self._delete_options(req)
        propagation = str(options.get("propagationPolicy") or "Background")
        if propagation not in ("Background", "Foreground", "Orphan"):
            raise StatusError(422, f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported '
                                   f'value: "{propagation}": supported values: "Foreground", "Background", "Orphan"')
        grace = options.get("gracePeriodSeconds")
        preconditions = options.get("preconditions") or {}
        ns, name = self._key(target)

        def remove() -> tuple[Obj, bool]:
            store = self.world.sim.store
            current = store.find(served.rtype, ns, name)
            if current is None:
                raise self._not_found(target)
            meta = current["metadata"]
            if preconditions.get("uid") and preconditions["uid"] != meta["uid"]:
                raise StatusError(409, f"Precondition failed: UID in precondition: {preconditions['uid']}, UID in "
                                       f"object meta: {meta['uid']}", reason="Conflict")
            if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != meta["resourceVersion"]:
                raise StatusError(409, f"Precondition failed: ResourceVersion in precondition: "
                                       f"{preconditions['resourceVersion']}, ResourceVersion in object meta: "
                                       f"{meta['resourceVersion']}", reason="Conflict")
            if options.get("dryRun"):
                return current, True
            last = store.delete(served.rtype, ns, name, propagation=propagation,
                                grace_period=int(grace) if grace is not None else None)
            return last, store.find(served.rtype, ns, name) is not None

        last, remains = self._call(remove, target)
        if remains or not served.custom:
            return Response(body=self.present(served, last))
        return Response(body=success(Details(name=name, group=served.api_group, kind=served.plural,
                                             uid=last["metadata"]["uid"])))

    def delete_collection(self, req: Request, target: Target) -> Response:
        served = target.served
        listed = self.list(Request("GET", req.path, {k: v for k, v in req.query.items()
                                                     if k in ("labelSelector", "fieldSelector")}), target)
        assert isinstance(listed.body, dict)
        items = listed.body["items"]
        for item in items:
            meta = item["metadata"]
            self.delete(req, Target(served, meta.get("namespace"), meta["name"]))
        return listed

    def _delete_options(self, req: Request) -> Obj:
        options: Obj = {}
        if req.body.strip():
            body = decode_body(req)
            if isinstance(body, dict):
                options.update(body)
        for key in ("propagationPolicy", "gracePeriodSeconds", "dryRun"):
            if req.query.get(key):
                options[key] = req.query[key]
        if req.query.get("orphanDependents") in ("true", "1") and "propagationPolicy" not in options:
            options["propagationPolicy"] = "Orphan"
        return options


def _object_key(obj: Obj) -> list[str]:
    return [obj["metadata"].get("namespace", ""), obj["metadata"]["name"]]


def _continue_key(token: str) -> list[str] | None:
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, json.JSONDecodeError):
        raise StatusError(400, "continue key is not valid: illegal base64 data") from None
    if not isinstance(key, list):
        raise StatusError(400, "continue key is not valid")
    return [str(part) for part in key]

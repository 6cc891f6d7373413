"""From a URL to what answers it: discovery, ``/version``, OpenAPI, the controls group, and every resource verb.

Resource URLs are Kubernetes': ``/api/v1/...`` for the core group, ``/apis/<group>/<version>/...`` for the
others, with ``namespaces/<ns>/`` before the resource for namespaced objects, then an optional object name and
subresource (``status``, ``log``). A deprecated version (``ray.io/v1alpha1`` in KubeRay v1.7.0) gets its
``Warning`` header on every request, before anything can fail.

Not here: HTTP framing and authentication (:mod:`.http`).
"""

from __future__ import annotations

import platform
from typing import Any, Final

from .. import __version__
from . import openapi, resources, reviews
from .controls import Controls, aggregated_group
from .podlogs import PodLogs
from .request import Request, Response
from .resources import AGGREGATED_CONTENT_TYPE, CONTROLS_GROUP, CONTROLS_VERSION, Served
from .rest import Rest, Target
from .status import StatusError, unknown_path
from .watch import WatchStream
from .world import World

Obj = dict[str, Any]
KUBERNETES_MINOR: Final = "35"  # the release whose API server wording harness.manifests reproduces


def version_info() -> Obj:
    return {"major": "1", "minor": KUBERNETES_MINOR, "emulationMajor": "1", "emulationMinor": KUBERNETES_MINOR,
            "gitVersion": f"v1.{KUBERNETES_MINOR}.0-rayjob-harness.{__version__}", "gitCommit": "",
            "gitTreeState": "clean", "buildDate": "", "goVersion": "", "compiler": "python",
            "platform": f"{platform.system().lower()}/{platform.machine().lower()}"}


class Router:
    def __init__(self, world: World, address: str) -> None:
        self.world = world
        self.address = address
        self.rest = Rest(world)
        self.controls = Controls(world)

    def handle(self, req: Request) -> Response:
        path = req.path.rstrip("/") or "/"
        parts = path.split("/")[1:]
        if path in ("/healthz", "/livez", "/readyz"):
            return Response(body="ok", content_type="text/plain")
        if path == "/version":
            return Response(body=version_info())
        if parts[0] == "openapi":
            return self._openapi(parts)
        if path in ("/api", "/apis"):
            return self._root_discovery(req, core=path == "/api")
        if parts[0] == "api":
            if len(parts) == 2:
                if parts[1] != "v1":
                    raise unknown_path()
                return Response(body=resources.api_resource_list("", "v1"))
            return self._resource(req, "", parts[1], parts[2:])
        if parts[0] == "apis" and len(parts) >= 2:
            group = parts[1]
            if group in dict(reviews.groups()):
                if len(parts) == 2:
                    return Response(body=_group(group, [reviews.VERSION]))
                if parts[2] != reviews.VERSION:
                    raise unknown_path()
                return reviews.handle(req, group, parts[3:])
            if group == CONTROLS_GROUP:
                if len(parts) == 2:
                    return Response(body=_group(CONTROLS_GROUP, [CONTROLS_VERSION]))
                if parts[2] != CONTROLS_VERSION:
                    raise unknown_path()
                return self.controls.handle(req, parts[3:])
            versions = dict(resources.group_versions()).get(group)
            if versions is None:
                raise unknown_path()
            if len(parts) == 2:
                return Response(body=_group(group, versions))
            if parts[2] not in versions:
                raise unknown_path()
            if len(parts) == 3:
                return Response(body=resources.api_resource_list(group, parts[2]))
            return self._resource(req, group, parts[2], parts[3:])
        raise unknown_path()

    # -- discovery and OpenAPI -------------------------------------------------------------------------------------

    def _root_discovery(self, req: Request, *, core: bool) -> Response:
        if "as=apigroupdiscoverylist" in req.accept.replace(" ", "").lower():
            body = resources.aggregated(core, extra=[aggregated_group(), *reviews.aggregated_groups()])
            return Response(body=body, content_type=AGGREGATED_CONTENT_TYPE,
                            headers=[("Vary", "Accept")])
        if core:
            return Response(body=resources.api_versions(self.address))
        return Response(body=resources.api_group_list(extra=[(CONTROLS_GROUP, [CONTROLS_VERSION]), *reviews.groups()]))

    def _openapi(self, parts: list[str]) -> Response:
        if parts[1:] == ["v3"]:
            return Response(body=openapi.index())
        if len(parts) > 2 and parts[1] == "v3":
            doc = openapi.lookup("/".join(parts[2:]))
            if doc is not None:
                return Response(body=doc, headers=[("Cache-Control", "public, immutable")])
        raise unknown_path()

    # -- resources -------------------------------------------------------------------------------------------------

    def _target(self, group: str, version: str, rest: list[str]) -> Target:
        namespace: str | None = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            inner = resources.find(group, version, rest[2])
            if inner is not None and inner.namespaced:
                namespace, rest = rest[1], rest[2:]
        found = resources.find(group, version, rest[0])
        if found is None or len(rest) > 3:
            raise unknown_path()
        served: Served = found
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and sub not in served.subresources:
            raise unknown_path()
        if served.namespaced and name is not None and namespace is None:
            raise unknown_path()
        return Target(served, namespace, name, sub)

    def _resource(self, req: Request, group: str, version: str, rest: list[str]) -> Response:
        if not rest:
            raise unknown_path()
        target = self._target(group, version, rest)
        warning = target.served.deprecation_warning
        try:
            response = self._verb(req, target)
        except StatusError as exc:
            if warning and ("Warning", warning) not in exc.headers:
                exc.headers = (("Warning", warning), *exc.headers)
            raise
        if warning and warning not in response.warnings:
            response.warnings.insert(0, warning)
        return response

    def _verb(self, req: Request, target: Target) -> Response:
        rest, method = self.rest, req.method
        if target.name is None:
            if method == "GET":
                if req.flag("watch"):
                    return WatchStream(rest, req, target).response()
                return rest.list(req, target)
            if method == "POST":
                if target.namespace is None and target.served.namespaced:
                    raise StatusError(405, f"the server does not allow this method on the requested resource "
                                           f"(post {target.served.plural})", reason="MethodNotAllowed")
                return rest.create(req, target)
            if method == "DELETE":
                return rest.delete_collection(req, target)
            raise StatusError(405, "the server does not allow this method on the requested resource")
        if target.subresource == "log":
            if method != "GET":
                raise StatusError(405, "the server does not allow this method on the requested resource")
            return PodLogs(rest, req, target).response()
        if method == "GET":
            return rest.get(req, target)
        if method == "PUT":
            return rest.update(req, target)
        if method == "PATCH":
            return rest.patch(req, target)
        if method == "DELETE" and target.subresource is None:
            return rest.delete(req, target)
        raise StatusError(405, "the server does not allow this method on the requested resource")


def _group(name: str, versions: list[str]) -> Obj:
    gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": name, "versions": gvs, "preferredVersion": gvs[0]}


"""The simulator's own controls: a small API group, ``simulator.rayjob-harness.io/v1alpha1``, on the same server.

Real clusters do not serve this group; that is how a client tells the simulator from a cluster (discovery lists it).
Resources, all cluster-scoped, each one object except ``faults`` (docs/serve.md is the reference clients code against):

- ``clocks/virtual`` (kind ``Clock``): ``spec.pacing`` (``WallClock`` or ``Manual``, see :mod:`.world`) and
  ``status`` (virtual ``now`` in seconds, the virtual ``time``, pending timers). ``PATCH`` (merge) changes the
  pacing. ``POST clocks/virtual/advance`` with ``{"seconds": 30}`` or ``{"duration": "1h"}`` fast-forwards;
  ``POST clocks/virtual/settle`` with ``{"timeout": "1h"}`` runs until every RayJob is settled.
- ``jobscripts/default`` (kind ``JobScripts``): the scripted executor's behaviour (``spec.default``,
  ``spec.byRayJob``, ``spec.byEntrypoint``, ``spec.bySubmissionId``; each a script with ``runtime``,
  ``exitCode``, ``output``, ``stopped``, ``startup``). ``PUT`` replaces it. Refused (409) when Ray jobs run on a
  real Ray runtime.
- ``operators/kuberay`` (kind ``Operator``): the simulated operator's release, environment and feature gates.
  ``PUT`` (replace) or ``PATCH`` (merge; ``null`` removes) restarts the operator with other ones, as a pod restart
  would (its in-memory state is lost); a setting the simulator does not model is 422 and leaves it running.
- ``faults`` (kind ``Fault``): ``POST`` injects one fault at once (:mod:`.faults`).

Not here: the HTTP routing (:mod:`.routes`), how time moves (:mod:`.world`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from .._util.durations import format_duration, parse_duration
from ..errors import InputError
from ..executors.scripted import ScriptedExecutor
from ..executors.settings import JobScript, JobScripts
from . import faults
from .request import MERGE_PATCH, Request, Response, decode_body
from .resources import CONTROLS_GROUP, CONTROLS_VERSION
from .status import StatusError
from .world import CALL_TIMEOUT, PACINGS, World

Obj = dict[str, Any]
API_VERSION: Final = f"{CONTROLS_GROUP}/{CONTROLS_VERSION}"
PREFIX: Final = f"/apis/{API_VERSION}"
MAX_ADVANCE: Final = 10 * 365 * 86400.0  # ten virtual years: far beyond any TTL or deadline


def resource_list() -> Obj:
    def entry(name: str, kind: str, verbs: list[str]) -> Obj:
        return {"name": name, "singularName": name.rstrip("s") if "/" not in name else "", "namespaced": False,
                "kind": kind, "verbs": verbs}

    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": API_VERSION, "resources": [
        entry("clocks", "Clock", ["get", "list", "patch", "update"]),
        entry("clocks/advance", "Clock", ["create"]),
        entry("clocks/settle", "Clock", ["create"]),
        entry("jobscripts", "JobScripts", ["get", "list", "update"]),
        entry("operators", "Operator", ["get", "list", "patch", "update"]),
        entry("faults", "Fault", ["create"]),
    ]}


def aggregated_group() -> Obj:
    """The group's entry in aggregated discovery (``/apis``)."""
    resources = []
    for item in resource_list()["resources"]:
        if "/" in item["name"]:
            continue
        resource: Obj = {"resource": item["name"], "responseKind": {"group": CONTROLS_GROUP,
                                                                    "version": CONTROLS_VERSION,
                                                                    "kind": item["kind"]},
                         "scope": "Cluster", "singularResource": item["singularName"], "verbs": item["verbs"]}
        subs = [r["name"].partition("/")[2] for r in resource_list()["resources"]
                if r["name"].startswith(item["name"] + "/")]
        if subs:
            resource["subresources"] = [{"subresource": sub, "responseKind": resource["responseKind"],
                                         "verbs": ["create"]} for sub in subs]
        resources.append(resource)
    return {"metadata": {"name": CONTROLS_GROUP},
            "versions": [{"version": CONTROLS_VERSION, "resources": resources, "freshness": "Current"}]}


def _seconds(value: Any, what: str) -> float:
    try:
        seconds = parse_duration(value)
    except (ValueError, TypeError) as exc:
        raise StatusError(422, f"{what}: {exc}") from None
    if not math.isfinite(seconds) or seconds > MAX_ADVANCE:
        raise StatusError(422, f"{what}: {format_duration(seconds) if math.isfinite(seconds) else value} is more "
                               f"than the limit of {format_duration(MAX_ADVANCE)}")
    return seconds


def _script(data: Any, where: str) -> JobScript:
    if not isinstance(data, Mapping):
        raise StatusError(422, f"{where}: must be an object with runtime, exitCode, output, stopped, startup")
    unknown = sorted(set(data) - {"runtime", "exitCode", "output", "stopped", "startup"})
    if unknown:
        raise StatusError(422, f"{where}: unknown field {unknown[0]!r}; a script has runtime, exitCode, output, "
                               "stopped, startup")
    output = data.get("output", [])
    if isinstance(output, str):
        output = [output]
    if not isinstance(output, list) or not all(isinstance(line, str) for line in output):
        raise StatusError(422, f"{where}.output: must be a list of strings")
    exit_code = data.get("exitCode", 0)
    if not isinstance(exit_code, int) or isinstance(exit_code, bool):
        raise StatusError(422, f"{where}.exitCode: must be an integer")
    return JobScript(runtime=_seconds(data.get("runtime", 5.0), f"{where}.runtime"), exit_code=exit_code,
                     output=tuple(output), stopped=bool(data.get("stopped", False)),
                     startup=_seconds(data.get("startup", 0.9), f"{where}.startup"))


def _script_json(script: JobScript) -> Obj:
    return {"runtime": script.runtime, "exitCode": script.exit_code, "output": list(script.output),
            "stopped": script.stopped, "startup": script.startup}


class Controls:
    def __init__(self, world: World) -> None:
        self.world = world

    def handle(self, req: Request, rest: list[str]) -> Response:
        """``rest``: the path after ``/apis/simulator.rayjob-harness.io/v1alpha1/``."""
        if not rest or rest == [""]:
            return Response(body=resource_list())
        resource, name = rest[0], rest[1] if len(rest) > 1 else None
        if resource == "faults" and name is None:
            return faults.inject(self.world, req, API_VERSION)
        action = rest[2] if len(rest) > 2 else None
        handlers = {"clocks": ("virtual", self._clock), "jobscripts": ("default", self._jobscripts),
                    "operators": ("kuberay", self._operator)}
        if resource not in handlers or len(rest) > 3:
            raise StatusError(404, "the server could not find the requested resource")
        singleton, handler = handlers[resource]
        if name is not None and name != singleton:
            raise StatusError(404, f'{resource}.{CONTROLS_GROUP} "{name}" not found')
        if name is None:
            if req.method != "GET":
                raise StatusError(405, f"{req.method} is not supported on {resource}")
            item = handler(Request("GET", req.path, req.query, req.headers), None)
            return Response(body={"kind": f"{item['kind']}List", "apiVersion": API_VERSION, "metadata": {},
                                  "items": [item]})
        return Response(body=handler(req, action))

    # -- clock -----------------------------------------------------------------------------------------------------

    def clock(self) -> Obj:
        def read() -> Obj:
            clock = self.world.sim.clock
            next_event = clock.next_event_time()
            status: Obj = {"now": clock.now, "time": clock.timestamp(), "pendingTimers": clock.pending()}
            if math.isfinite(next_event):
                status["nextTimerIn"] = max(0.0, next_event - clock.now)
            if self.world.failures:
                status["failures"] = list(self.world.failures[-20:])
            return {"apiVersion": API_VERSION, "kind": "Clock", "metadata": {"name": "virtual"},
                    "spec": {"pacing": self.world.pacing}, "status": status}

        return self.world.call(read)

    def _clock(self, req: Request, action: str | None) -> Obj:
        if action == "advance":
            if req.method != "POST":
                raise StatusError(405, "clocks/advance accepts POST only")
            body = decode_body(req)
            if not isinstance(body, Mapping) or ("seconds" in body) == ("duration" in body):
                raise StatusError(422, 'an advance needs exactly one of "seconds" (a number) or "duration" '
                                       '(e.g. "30s", "1h")')
            value = body.get("seconds", body.get("duration"))
            self.world.advance(_seconds(value, "seconds" if "seconds" in body else "duration"))
            return self.clock()
        if action == "settle":
            if req.method != "POST":
                raise StatusError(405, "clocks/settle accepts POST only")
            body = decode_body(req) if req.body.strip() else {}
            timeout = _seconds(body.get("timeout", "24h") if isinstance(body, Mapping) else "24h", "timeout")
            # virtual time follows the wall clock while real Ray work runs, so the wait may take that long
            settled = self.world.call(lambda: self.world.sim.settle(timeout), timeout=timeout + CALL_TIMEOUT)
            clock = self.clock()
            clock["status"]["settled"] = settled
            return clock
        if action is not None:
            raise StatusError(404, "the server could not find the requested resource")
        if req.method == "GET":
            return self.clock()
        if req.method in ("PATCH", "PUT"):
            body = decode_body(req, allowed=(MERGE_PATCH, "application/json") if req.method == "PATCH"
                               else ("application/json",))
            pacing = (body.get("spec") or {}).get("pacing") if isinstance(body, Mapping) else None
            if pacing not in PACINGS:
                raise StatusError(422, f'Clock.{CONTROLS_GROUP} "virtual" is invalid: spec.pacing: Unsupported '
                                       f'value: {pacing!r}: supported values: "WallClock", "Manual"')
            self.world.call(lambda: self.world.set_pacing(pacing))
            return self.clock()
        raise StatusError(405, f"{req.method} is not supported on clocks")

    # -- job scripts -----------------------------------------------------------------------------------------------

    def _executor(self) -> ScriptedExecutor:
        executor = self.world.sim.executor
        if not isinstance(executor, ScriptedExecutor):
            raise StatusError(409, "Ray jobs run on a local Ray runtime (executor=ray), which runs each entrypoint "
                                   "for real; scripted behaviour needs 'rayjob-harness serve --executor scripted'")
        return executor

    def _jobscripts(self, req: Request, action: str | None) -> Obj:
        if action is not None:
            raise StatusError(404, "the server could not find the requested resource")
        executor = self._executor()
        if req.method == "PUT":
            body = decode_body(req)
            wanted = body.get("spec") if isinstance(body, Mapping) else None
            if not isinstance(wanted, Mapping):
                raise StatusError(422, "a JobScripts object needs a spec")
            scripts = _scripts(wanted)
            self.world.call(lambda: setattr(executor, "scripts", scripts))
        elif req.method != "GET":
            raise StatusError(405, f"{req.method} is not supported on jobscripts; PUT the whole object")
        scripts = self.world.call(lambda: executor.scripts)
        spec: Obj = {"default": _script_json(scripts.default or JobScript())}
        for key, table in (("byRayJob", scripts.by_rayjob), ("byEntrypoint", scripts.by_entrypoint),
                           ("bySubmissionId", scripts.by_submission_id)):
            spec[key] = {name: _script_json(script) for name, script in table.items()}
        return {"apiVersion": API_VERSION, "kind": "JobScripts", "metadata": {"name": "default"}, "spec": spec}

    # -- operator --------------------------------------------------------------------------------------------------

    def _operator(self, req: Request, action: str | None) -> Obj:
        if action is not None:
            raise StatusError(404, "the server could not find the requested resource")
        if req.method in ("PUT", "PATCH"):
            self._restart(req)
        elif req.method != "GET":
            raise StatusError(405, f"{req.method} is not supported on operators")
        sim = self.world.sim

        def read() -> Obj:
            gates = {name: sim.config.gate(name, sim.profile) for name in sorted(sim.profile.gate_defaults)}
            return {"apiVersion": API_VERSION, "kind": "Operator", "metadata": {"name": "kuberay"},
                    "spec": {"version": sim.profile.version, "env": dict(sim.config.env), "featureGates": gates,
                             "executor": sim.executor.name}}

        return self.world.call(read)

    def _restart(self, req: Request) -> None:
        """Restart the operator with the environment and gates asked for: PUT replaces them, PATCH (a merge patch)
        changes some (``null`` removes a variable, or returns a gate to its default)."""
        body = decode_body(req, allowed=(MERGE_PATCH, "application/json") if req.method == "PATCH"
                           else ("application/json",))
        spec = body.get("spec") if isinstance(body, Mapping) else None
        if not isinstance(spec, Mapping):
            raise StatusError(422, "an Operator needs a spec with env and featureGates")
        sim = self.world.sim
        if spec.get("version") not in (None, sim.profile.version):
            raise StatusError(422, f"spec.version: the release is chosen when the server starts "
                                   f"(--kuberay-version); this one runs {sim.profile.version}")
        env = _mapping(spec.get("env"), "spec.env", str)
        gates = _mapping(spec.get("featureGates"), "spec.featureGates", bool)

        def restart() -> None:
            new_env = dict(sim.config.env) if req.method == "PATCH" else {}
            new_gates = dict(sim.config.feature_gates) if req.method == "PATCH" else {}
            for target, changes in ((new_env, env), (new_gates, gates)):
                for key, value in changes.items():
                    if value is None:
                        target.pop(key, None)
                    else:
                        target[key] = value
            if req.method == "PUT":  # gates equal to the release's defaults are not settings of their own
                new_gates = {k: v for k, v in new_gates.items() if sim.profile.gate_defaults.get(k) != v}
            sim.restart_operator(operator_env=new_env, feature_gates=new_gates)

        try:
            self.world.call(restart)
        except InputError as exc:
            raise StatusError(422, exc.message + (f" ({exc.hint})" if exc.hint else "")) from None


def _mapping(value: Any, where: str, kind: type) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise StatusError(422, f"{where}: must be an object")
    for key, item in value.items():
        if item is not None and not isinstance(item, kind):
            raise StatusError(422, f"{where}.{key}: must be a {kind.__name__} or null")
    return dict(value)


def _scripts(spec: Mapping[str, Any]) -> JobScripts:
    unknown = sorted(set(spec) - {"default", "byRayJob", "byEntrypoint", "bySubmissionId"})
    if unknown:
        raise StatusError(422, f"spec: unknown field {unknown[0]!r}; JobScripts has default, byRayJob, byEntrypoint, "
                               "bySubmissionId")
    tables: dict[str, dict[str, JobScript]] = {}
    for key in ("byRayJob", "byEntrypoint", "bySubmissionId"):
        entries = spec.get(key) or {}
        if not isinstance(entries, Mapping):
            raise StatusError(422, f"spec.{key}: must map names to scripts")
        tables[key] = {str(name): _script(script, f"spec.{key}[{name}]") for name, script in entries.items()}
    default = _script(spec["default"], "spec.default") if spec.get("default") is not None else None
    return JobScripts(default=default, by_rayjob=tables["byRayJob"], by_entrypoint=tables["byEntrypoint"],
                      by_submission_id=tables["bySubmissionId"])

"""Fault injection through the controls group: ``POST .../faults`` breaks the simulated world at once.

Each request names one fault in its ``spec`` (the same faults the scenario language injects in-process, through
the simulator's own methods, so both roads break the world the same way):

- ``killContainer``: ``{namespace, pod, container?, exitCode? (137), reason? ("Error")}``; 409 when the container
  is not running;
- ``dashboardAnswer``: ``{namespace, rayCluster, answer: error|not_found|status|truth, jobStatus?, message?}``;
- ``failNext``: ``{verb: create|delete, kind, namespace, times? (1), reason? (InternalError), message?}``;
- ``holdSubmitter``: ``{namespace, rayJob, held? (true)}``;
- ``image``: ``{image, pullable: false|true, reason? ("not found")}``.

The answer (201) is the request with ``status.virtualTime``, the instant it took effect. Nothing is stored: a
fault is an action, not an object. Bad input is 422 with the simulator's own message.

Not here: restarting the operator (``operators/kuberay`` in :mod:`.controls`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, cast

from ..errors import InputError
from ..model.enums import JobStatus
from ..raysim.faults import JobInfoFault
from ..sim.faults import Verb
from ..sim.store import ApiError
from ..simulator import Simulator
from .request import Request, Response, decode_object
from .status import StatusError
from .world import World

Obj = dict[str, Any]
FIELDS: Final[Mapping[str, tuple[frozenset[str], frozenset[str]]]] = {  # fault -> (required, optional) fields
    "killContainer": (frozenset({"namespace", "pod"}), frozenset({"container", "exitCode", "reason"})),
    "dashboardAnswer": (frozenset({"namespace", "rayCluster", "answer"}), frozenset({"jobStatus", "message"})),
    "failNext": (frozenset({"verb", "kind", "namespace"}), frozenset({"times", "reason", "message"})),
    "holdSubmitter": (frozenset({"namespace", "rayJob"}), frozenset({"held"})),
    "image": (frozenset({"image", "pullable"}), frozenset({"reason"})),
}
ANSWERS: Final = ("error", "not_found", "status", "truth")
Answer = Literal["error", "not_found", "status"]


def _checked(name: str, spec: Any) -> Obj:
    if not isinstance(spec, Mapping):
        raise StatusError(422, f"spec.{name}: must be an object")
    required, optional = FIELDS[name]
    missing = sorted(required - set(spec))
    if missing:
        raise StatusError(422, f"spec.{name}.{missing[0]}: Required value")
    unknown = sorted(set(spec) - required - optional)
    if unknown:
        raise StatusError(422, f"spec.{name}: unknown field {unknown[0]!r}; known: "
                               f"{', '.join(sorted(required | optional))}")
    return dict(spec)


def _text(spec: Obj, key: str, default: str | None = None) -> str:
    value = spec.get(key, default)
    if not isinstance(value, str):
        raise StatusError(422, f"{key}: must be a string")
    return value


def _int(spec: Obj, key: str, default: int) -> int:
    value = spec.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise StatusError(422, f"{key}: must be an integer")
    return value


def _bool(spec: Obj, key: str, default: bool) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        raise StatusError(422, f"{key}: must be true or false")
    return value


def _injection(name: str, spec: Obj) -> Callable[[Simulator], None]:
    """What to do to the simulator (on the world thread) for one checked fault."""
    ns = _text(spec, "namespace", "default") if "namespace" in FIELDS[name][0] else ""
    if name == "killContainer":
        pod, container = _text(spec, "pod"), spec.get("container")
        if container is not None and not isinstance(container, str):
            raise StatusError(422, "container: must be a string")
        code, reason = _int(spec, "exitCode", 137), _text(spec, "reason", "Error")

        def kill(sim: Simulator) -> None:
            sim.kill_container(pod, container, namespace=ns, exit_code=code, reason=reason)

        return kill
    if name == "dashboardAnswer":
        answer = _text(spec, "answer")
        if answer not in ANSWERS:
            raise StatusError(422, f"answer: Unsupported value: {answer!r}: supported values: {', '.join(ANSWERS)}")
        status = spec.get("jobStatus")
        try:
            job_status = JobStatus(status) if status is not None else None
        except ValueError:
            raise StatusError(422, f"jobStatus: {status!r} is not a Ray job status") from None
        message = spec.get("message")
        fault = None if answer == "truth" else JobInfoFault(cast(Answer, answer), job_status, message)
        cluster = _text(spec, "rayCluster")
        return lambda sim: sim.answer_job_info(cluster, fault, namespace=ns)
    if name == "failNext":
        verb = _text(spec, "verb")
        if verb not in ("create", "delete"):
            raise StatusError(422, f"verb: Unsupported value: {verb!r}: supported values: create, delete")
        kind, times = _text(spec, "kind"), _int(spec, "times", 1)
        reason, message = _text(spec, "reason", "InternalError"), _text(spec, "message", "")
        return lambda sim: sim.fail_next(cast(Verb, verb), kind, namespace=ns, times=times, reason=reason,
                                         message=message)
    if name == "holdSubmitter":
        rayjob, held = _text(spec, "rayJob"), _bool(spec, "held", True)
        return lambda sim: sim.hold_submitter(rayjob, namespace=ns, held=held)
    image, pullable, reason = _text(spec, "image"), _bool(spec, "pullable", False), _text(spec, "reason",
                                                                                          "not found")
    if pullable:
        return lambda sim: sim.make_image_pullable(image)
    return lambda sim: sim.make_image_unpullable(image, reason=reason)


def inject(world: World, req: Request, api_version: str) -> Response:
    if req.method != "POST":
        raise StatusError(405, "faults accepts POST only: a fault is an action, nothing is stored")
    body = decode_object(req)
    spec = body.get("spec")
    if not isinstance(spec, Mapping) or len(spec) != 1 or next(iter(spec)) not in FIELDS:
        raise StatusError(422, f"a Fault's spec names exactly one of: {', '.join(FIELDS)}")
    name = next(iter(spec))
    action = _injection(name, _checked(name, spec[name]))

    def run() -> float:
        sim = world.sim
        action(sim)
        return sim.clock.now

    try:
        when = world.call(run)
    except InputError as exc:
        raise StatusError(422, f"spec.{name}: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")) from None
    except ApiError as exc:
        raise StatusError(409, f"spec.{name} cannot be injected now: {exc.message}") from None
    return Response(code=201, body={"apiVersion": api_version, "kind": "Fault", "metadata": {},
                                    "spec": dict(spec), "status": {"virtualTime": when}})

"""``metav1.Status``: the shape of every refusal the API server sends, and the exception that carries one.

kubectl prints ``Error from server (<reason>): <message>`` from these fields, and client libraries raise on the
``code``; the wording of each message is the real API server's (``KUBE_API_NOTES.md`` §8). The store's own
:class:`~harness.sim.store.ApiError` subtree is turned into a Status here, so the simulator's controllers and the
HTTP layer share one vocabulary.

Not here: deciding when to refuse (:mod:`.rest`), sending it (:mod:`.http`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ..sim.store import ApiError

Obj = dict[str, Any]

REASONS: Final = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                  405: "MethodNotAllowed", 406: "NotAcceptable", 409: "Conflict", 410: "Expired",
                  413: "RequestEntityTooLarge", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
                  500: "InternalError", 504: "Timeout"}


@dataclass(frozen=True)
class Cause:
    reason: str
    message: str
    field: str = ""

    def to_json(self) -> Obj:
        out: Obj = {"reason": self.reason, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out


@dataclass(frozen=True)
class Details:
    name: str = ""
    group: str = ""
    kind: str = ""
    uid: str = ""
    causes: tuple[Cause, ...] = ()

    def to_json(self) -> Obj:
        out: Obj = {}
        for key in ("name", "group", "kind", "uid"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.causes:
            out["causes"] = [cause.to_json() for cause in self.causes]
        return out


class StatusError(Exception):
    """A refusal to send as a ``metav1.Status`` with HTTP status ``code``."""

    def __init__(self, code: int, message: str, *, reason: str | None = None, details: Details | None = None,
                 headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details
        self.headers = headers

    def to_json(self) -> Obj:
        return status_body(self.code, self.message, self.reason, self.details)


def status_body(code: int, message: str, reason: str, details: Details | None = None) -> Obj:
    body: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                 "reason": reason}
    if details is not None and details.to_json():
        body["details"] = details.to_json()
    body["code"] = code
    return body


def success(details: Details) -> Obj:
    """The Status a delete answers with when the object is gone at once (custom resources)."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": details.to_json()}


def from_store(error: ApiError, *, name: str = "", group: str = "", plural: str = "") -> StatusError:
    """The Status for an error the simulated store raised (NotFound, AlreadyExists, Conflict, Invalid...)."""
    details = Details(name=name, group=group, kind=plural) if name or plural else None
    return StatusError(error.code, error.message, reason=error.reason, details=details)


def not_found(plural_qualified: str, name: str, *, group: str, plural: str) -> StatusError:
    return StatusError(404, f'{plural_qualified} "{name}" not found',
                       details=Details(name=name, group=group, kind=plural))


NO_RESOURCE: Final = "the server could not find the requested resource"


def unknown_path() -> StatusError:
    return StatusError(404, NO_RESOURCE, details=Details())


def bad_request(message: str) -> StatusError:
    return StatusError(400, message)

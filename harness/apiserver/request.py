"""A request as the API layer sees it, the response it gives, and how bodies and query strings are read.

The HTTP layer (:mod:`.http`) turns bytes into a :class:`Request` and a :class:`Response` back into bytes; the API
layer never sees a socket. Bodies are read as the API server reads them: no ``Content-Type`` means JSON (the
``kubernetes`` Python client 37 sends none on POST and PUT), YAML content types are YAML, protobuf is refused
with 415, and anything over 3 MiB with 413. Booleans in query strings are parsed as Go's ``strconv.ParseBool``.

Not here: what a request does (:mod:`.rest`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from .._util.gofmt import go_quote
from .status import StatusError

Obj = dict[str, Any]
MAX_BODY: Final = 3 * 1024 * 1024  # the API server's request body limit
JSON: Final = "application/json"
YAML: Final = "application/yaml"
MERGE_PATCH: Final = "application/merge-patch+json"
JSON_PATCH: Final = "application/json-patch+json"
STRATEGIC_PATCH: Final = "application/strategic-merge-patch+json"
APPLY_PATCH: Final = "application/apply-patch+yaml"
PATCH_TYPES: Final = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)
_TRUE: Final = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE: Final = frozenset({"0", "f", "F", "FALSE", "false", "False"})


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def accept(self) -> str:
        return self.headers.get("accept", "")

    def wants_table(self) -> bool:
        """kubectl get asks for ``application/json;as=Table;v=v1;g=meta.k8s.io`` first."""
        return any("as=table" in part.replace(" ", "").lower() and "g=meta.k8s.io" in part.lower()
                   for part in self.accept.split(","))

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.query.get(name)
        if value is None or value == "":
            return default
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise StatusError(400, f"invalid boolean value {go_quote(value)} for query parameter {name!r}")

    def integer(self, name: str) -> int | None:
        value = self.query.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise StatusError(400, f"invalid value {go_quote(value)} for query parameter {name}: "
                                   "must be an integer") from None


@dataclass
class Response:
    code: int = 200
    body: Obj | str | bytes | None = None
    content_type: str = JSON
    warnings: list[str] = field(default_factory=list)
    stream: Iterator[bytes] | None = None  # chunks; an empty chunk is a liveness tick (see .http)
    headers: list[tuple[str, str]] = field(default_factory=list)

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, separators=(",", ":")).encode()


def warning_header(text: str) -> str:
    """``299 - "text"`` with the text quoted as Go quotes it (client-go drops warnings with bare quotes)."""
    return f"299 - {go_quote(text)}"


def decode_body(req: Request, *, allowed: tuple[str, ...] = (JSON, YAML)) -> Any:
    """The request body as data; StatusError 413/415/400 as the API server answers."""
    if len(req.body) > MAX_BODY:
        raise StatusError(413, f"Request entity too large: limit is {MAX_BODY}")
    content_type = req.content_type or JSON
    if content_type not in allowed:
        accepted = ", ".join(allowed)
        raise StatusError(415, f"the body of the request was in an unknown format - accepted media types "
                               f"include: {accepted}")
    text = req.body.decode("utf-8", errors="replace")
    if not text.strip():
        raise StatusError(400, "the body of the request was empty")
    if content_type in (YAML, APPLY_PATCH):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise StatusError(400, f"error converting YAML to JSON: yaml: {_yaml_problem(exc)}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise StatusError(400, f"couldn't get version/kind; json parse error: {exc.msg} at line {exc.lineno} "
                               f"column {exc.colno}") from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"line {mark.line + 1}: {problem}" if mark is not None else str(problem)


def decode_object(req: Request) -> Obj:
    body = decode_body(req)
    if not isinstance(body, dict):
        found = "array" if isinstance(body, list) else type(body).__name__
        raise StatusError(400, f"couldn't get version/kind; json parse error: json: cannot unmarshal {found} "
                               "into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\";"
                               " Kind string \"json:\\\"kind,omitempty\\\"\" }")
    return body

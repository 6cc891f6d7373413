"""HTTP to the API server through the official client's configured connection, with Kubernetes' error shapes.

Every request goes through the ``kubernetes`` client's own connection pool, so TLS, client certificates, proxies
and credentials (bearer tokens, exec plugins that refresh them) are exactly what the client would use. The
client's generated API classes are not used: they are split by group and, in client 35 and later, reject
objects that lack OpenAPI-required fields; the backend wants every kind as plain JSON on one code path.

An answer outside 2xx becomes an :class:`ApiError` carrying the server's ``metav1.Status`` (code, reason,
message, causes); a server that cannot be reached becomes :class:`ApiUnreachable`. ``Warning`` headers
(``299 - "text"``, quotes backslash-escaped) are handed to a callback, as kubectl prints them.

Not here: which path a kind lives at (:mod:`.resources`), what the requests mean (:mod:`.api`).
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ...errors import HarnessError
from .target import Connection

JSON: Final = "application/json"
MERGE_PATCH: Final = "application/merge-patch+json"
APPLY_PATCH: Final = "application/apply-patch+yaml"
DEFAULT_TIMEOUT: Final = 30.0
AUTH_REFRESH: Final = 10.0  # seconds the credentials' headers are reused
_WARNING: Final = re.compile(r'^\s*\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Cause:
    """One cause of a refusal (``details.causes[]``): which field and why."""

    reason: str
    message: str
    field: str


class ApiError(HarnessError):
    """The API server answered with an error Status."""

    def __init__(self, code: int, reason: str, message: str, *, causes: Sequence[Cause] = (),
                 details: Mapping[str, Any] | None = None, method: str = "", path: str = "") -> None:
        super().__init__(message or f"{method} {path} failed with HTTP {code} {reason}")
        self.code = code
        self.reason = reason
        self.causes = tuple(causes)
        self.details = dict(details or {})
        self.method = method
        self.path = path

    @property
    def not_found(self) -> bool:
        return self.code == 404

    @property
    def conflict(self) -> bool:
        return self.code == 409

    @property
    def gone(self) -> bool:
        return self.code == 410


class ApiUnreachable(HarnessError):
    """The API server did not answer (refused, reset, timed out)."""


def status_error(code: int, body: bytes | str, *, method: str = "", path: str = "") -> ApiError:
    """The :class:`ApiError` for an error answer: its Status when the body is one, else the raw text."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        status = json.loads(text)
    except ValueError:
        status = None
    if not isinstance(status, dict) or status.get("kind") != "Status":
        return ApiError(code, "", text.strip()[:500], method=method, path=path)
    details = status.get("details") or {}
    causes = [Cause(str(c.get("reason", "")), str(c.get("message", "")), str(c.get("field", "")))
              for c in details.get("causes") or [] if isinstance(c, dict)]
    return ApiError(int(status.get("code") or code), str(status.get("reason", "")), str(status.get("message", "")),
                    causes=causes, details=details, method=method, path=path)


def parse_warning(header: str) -> str | None:
    """The text of one ``Warning`` header (RFC 7234 form, as the API server sends it)."""
    found = _WARNING.match(header)
    if found is None:
        return None
    return re.sub(r"\\(.)", r"\1", found.group(1))


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    data: bytes = b""
    raw: Any = field(default=None, repr=False)  # the open urllib3 response of a streamed request

    def json(self) -> Any:
        return json.loads(self.data.decode("utf-8")) if self.data else None

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


class Transport:
    """Requests to one API server through a configured ``kubernetes`` ApiClient."""

    def __init__(self, connection: Connection, *, on_warning: Callable[[str], None] | None = None) -> None:
        self.connection = connection
        self._config = connection.api_client.configuration
        self._pool = connection.api_client.rest_client.pool_manager
        self._on_warning = on_warning
        self.host = str(self._config.host).rstrip("/")
        self._auth_headers: dict[str, str] | None = None
        self._auth_at = 0.0

    def _auth(self) -> dict[str, str]:
        """The credentials' headers. Asking the client for them re-reads the kubeconfig (so that exec plugins and
        expiring tokens stay fresh), which costs more than a request on loopback: they are kept a few seconds."""
        now = time.monotonic()
        if self._auth_headers is None or now - self._auth_at > AUTH_REFRESH:
            headers = {}
            for setting in self._config.auth_settings().values():
                if setting.get("in") == "header" and setting.get("value"):
                    headers[str(setting["key"])] = str(setting["value"])
            self._auth_headers, self._auth_at = headers, now
        return self._auth_headers

    def _headers(self, accept: str, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": "rayjob-harness", **self._auth()}
        if content_type is not None:
            headers["Content-Type"] = content_type
        return headers

    def url(self, path: str, query: Mapping[str, Any] | None = None) -> str:
        items = [(key, _query_value(value)) for key, value in (query or {}).items() if value is not None]
        return self.host + path + ("?" + urllib.parse.urlencode(items) if items else "")

    def request(self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
                content_type: str | None = None, accept: str = JSON, timeout: float | None = DEFAULT_TIMEOUT,
                stream: bool = False) -> Response:
        """One request; ApiError for an error answer, ApiUnreachable when there is none. With ``stream`` the
        response is left open in ``raw`` (the caller closes it)."""
        import urllib3

        payload = None
        if body is not None:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            content_type = content_type or JSON
        url = self.url(path, query)
        try:
            raw = self._pool.request(method, url, body=payload, headers=self._headers(accept, content_type),
                                     preload_content=False, timeout=_timeout(timeout), retries=False)
        except urllib3.exceptions.HTTPError as exc:
            raise ApiUnreachable(f"{method} {path}: the API server at {self.host} did not answer: {_reason(exc)}",
                                 hint=f"check that it runs and that context={self.connection.context} of "
                                      f"kubeconfig={self.connection.kubeconfig} leads to it") from None
        headers = {key: value for key, value in raw.headers.items()}
        if self._on_warning is not None:
            for header in raw.headers.getlist("Warning"):
                text = parse_warning(header)
                if text:
                    self._on_warning(text)
        if stream and 200 <= raw.status < 300:
            return Response(raw.status, headers, raw=raw)
        try:
            data = raw.read()
        except urllib3.exceptions.HTTPError as exc:
            raise ApiUnreachable(f"{method} {path}: the answer from {self.host} was cut off: {_reason(exc)}") \
                from None
        finally:
            raw.release_conn()
        if raw.status == 401:
            self._auth_headers = None  # a rotated token: ask the client again next time
        if not 200 <= raw.status < 300:
            raise status_error(raw.status, data, method=method, path=path)
        return Response(raw.status, headers, data)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _timeout(seconds: float | None) -> Any:
    import urllib3

    if seconds is None:
        return urllib3.Timeout(connect=DEFAULT_TIMEOUT, read=None)
    return urllib3.Timeout(connect=min(seconds, DEFAULT_TIMEOUT), read=seconds)


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason if reason is not None else exc)

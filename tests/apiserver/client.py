"""A small raw HTTPS client for the API server under test: exact requests, exact answers (status, headers, body)."""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from harness.apiserver import ApiServer

TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
                "application/json")
AGGREGATED_ACCEPT = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                     "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    @property
    def warnings(self) -> list[str]:
        return self.headers.get_all("Warning") or []


@dataclass
class Hangup:
    connection: http.client.HTTPSConnection
    response: http.client.HTTPResponse

    def close(self) -> None:
        """Close the socket for real (the response holds it open after the connection lets go)."""
        sock = self.connection.sock
        if sock is not None:
            sock.close()
        self.response.close()
        self.connection.close()


class Client:
    def __init__(self, server: ApiServer, *, token: str | None = None) -> None:
        self.server = server
        self.token = server.token if token is None else token
        self.context = ssl.create_default_context(cadata=server.credentials.ca_pem.decode())

    def connection(self, timeout: float = 30.0) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.server.host, self.server.port, context=self.context, timeout=timeout)

    def _headers(self, headers: Mapping[str, str] | None, content_type: str | None) -> dict[str, str]:
        out = {"Accept": "application/json"}
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        if content_type:
            out["Content-Type"] = content_type
        out.update(headers or {})
        return out

    def request(self, method: str, path: str, body: Any = None, *, content_type: str | None = "application/json",
                headers: Mapping[str, str] | None = None) -> Answer:
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        connection = self.connection()
        try:
            connection.request(method, path, body=data, headers=self._headers(headers, content_type if data else None))
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, path: str, **kw: Any) -> Answer:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> Answer:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> Answer:
        return self.request("PUT", path, body, **kw)

    def patch(self, path: str, body: Any, content_type: str = "application/merge-patch+json", **kw: Any) -> Answer:
        return self.request("PATCH", path, body, content_type=content_type, **kw)

    def delete(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.request("DELETE", path, body, **kw)

    def advance(self, seconds: float) -> Any:
        return self.post("/apis/simulator.rayjob-harness.io/v1alpha1/clocks/virtual/advance",
                         {"seconds": seconds}).body

    def stream(self, path: str, *, headers: Mapping[str, str] | None = None,
               timeout: float = 15.0) -> tuple[Hangup, Iterator[bytes]]:
        """Open a streaming GET; returns what hangs up (``close()``) and an iterator of lines."""
        connection = self.connection(timeout=timeout)
        connection.request("GET", path, headers=self._headers(headers, None))
        response = connection.getresponse()
        assert response.status == 200, response.read()
        hangup = Hangup(connection, response)

        def lines() -> Iterator[bytes]:
            while True:
                line = response.readline()
                if not line:
                    return
                yield line

        return hangup, lines()

    def events(self, path: str, count: int, **kw: Any) -> list[dict[str, Any]]:
        """The first ``count`` events of a watch (then hangs up)."""
        connection, lines = self.stream(path, **kw)
        try:
            out = []
            for line in lines:
                out.append(json.loads(line))
                if len(out) == count:
                    break
            return out
        finally:
            connection.close()

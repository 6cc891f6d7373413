"""The HTTPS/1.1 front: stdlib ``ThreadingHTTPServer`` over TLS, one thread per connection, bearer tokens.

Why the standard library: requests are short and the simulator serialises them anyway (:mod:`.world`), so a
thread per connection costs nothing that matters, and blocking streams (watch, ``logs -f``) are plain generators
whose ``finally`` runs when the client goes away. A stream yields an empty chunk when it has been quiet for a
while; this layer then checks whether the peer has closed the connection, and on a closed peer or a failed
write it closes the generator. No thread, queue or subscription outlives its client.

Every answer that is not a success is a JSON ``metav1.Status`` (an unexpected error too: 500 ``InternalError``),
never an HTML or text page. Requests without the kubeconfig's token get 401.

Not here: what a path means (:mod:`.routes`).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hmac
import logging
import select
import socket
import ssl
import threading
import traceback
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from .request import MAX_BODY, Request, Response, warning_header
from .routes import Router
from .status import StatusError, status_body
from .world import WorldStopped

log = logging.getLogger(__name__)
_READ_CHUNK: Final = 64 * 1024
IDLE_TIMEOUT: Final = 300.0
_DRAIN_LIMIT: Final = 4 * MAX_BODY  # a body up to this size is read and dropped before the 413


class ApiHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], router: Router, token: str, tls: ssl.SSLContext) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)
        self.router = router
        self.token = token
        self.tls = tls
        self._lock = threading.Lock()
        self._connections: set[Any] = set()
        self.open_streams = 0

    def finish_request(self, request: Any, client_address: Any) -> None:
        """The TLS handshake happens here, on the connection's own thread, never on the accepting one."""
        with contextlib.suppress(OSError):  # headers and body go out in separate writes: no Nagle delay
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("TLS handshake with %s failed: %s", client_address, exc)
            return
        with self._lock:
            self._connections.add(request)
        try:
            super().finish_request(request, client_address)
        finally:
            with self._lock:
                self._connections.discard(request)
            with contextlib.suppress(OSError):
                request.close()

    def close_connections(self) -> None:
        """Hang up on every client (idle keep-alive connections included): their threads then end."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error:\n%s", client_address, traceback.format_exc())

    def stream_opened(self) -> None:
        with self._lock:
            self.open_streams += 1

    def stream_closed(self) -> None:
        with self._lock:
            self.open_streams -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT  # a connection silent this long (a client gone without a word) is closed
    server: ApiHttpServer
    server_version = "rayjob-harness"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own refusals (a malformed request line, an unknown method, headers too long) as a JSON
        Status, like every other answer, never its HTML page."""
        self.close_connection = True
        text = message or self.responses.get(code, ("error",))[0]
        reason = {400: "BadRequest", 405: "MethodNotAllowed", 414: "RequestURITooLong",
                  431: "RequestHeaderFieldsTooLarge", 501: "MethodNotAllowed"}.get(code, "InternalError")
        answer = 405 if code == 501 else code
        with contextlib.suppress(OSError):
            self._send(Response(code=answer, body=status_body(answer, text, reason)))

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    # -- one request -----------------------------------------------------------------------------------------------

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.server.token.encode())

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        if not length:
            return b""
        size = int(length)
        if size > MAX_BODY:
            if size <= _DRAIN_LIMIT:  # read it away, so the client gets the answer rather than a reset
                self._discard(size)
            else:
                self.close_connection = True
            raise StatusError(413, f"Request entity too large: limit is {MAX_BODY}")
        return self.rfile.read(size)

    def _discard(self, size: int) -> None:
        while size > 0:
            chunk = self.rfile.read(min(size, _READ_CHUNK))
            if not chunk:
                return
            size -= len(chunk)

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return body
            if len(body) + size > MAX_BODY:
                self.close_connection = True
                raise StatusError(413, f"Request entity too large: limit is {MAX_BODY}")
            body += self.rfile.read(size)
            self.rfile.readline()

    def _serve(self) -> None:
        try:
            if not self._authorised():
                raise StatusError(401, "Unauthorized")
            split = urlsplit(self.path)
            query = dict(parse_qsl(split.query, keep_blank_values=True))
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = Request(self.command, split.path, query, headers, self._read_body())
            response = self.server.router.handle(request)
        except StatusError as exc:
            response = Response(code=exc.code, body=exc.to_json(),
                                warnings=[v for k, v in exc.headers if k == "Warning"])
        except concurrent.futures.TimeoutError:
            response = Response(code=504, body=status_body(504, "the simulator did not answer in time (a long settle "
                                                                "or advance with real Ray work in flight?)", "Timeout"))
        except WorldStopped:
            response = Response(code=503, body=status_body(503, "the simulator is shutting down",
                                                           "ServiceUnavailable"))
        except Exception as exc:
            log.error("internal error on %s %s:\n%s", self.command, self.path, traceback.format_exc())
            response = Response(code=500, body=status_body(500, f"Internal error occurred: {exc}", "InternalError"))
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.code)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        for text in response.warnings:
            self.send_header("Warning", warning_header(text))
        for name, value in response.headers:
            self.send_header(name, value)
        if response.stream is None:
            payload = response.payload()
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._stream(response.stream)

    def _peer_gone(self) -> bool:
        """Whether the client closed the connection (a client sends nothing while it reads a stream)."""
        sock = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            previous = sock.gettimeout()
            sock.settimeout(0.01)
            try:
                return bool(sock.recv(1) == b"")
            finally:
                sock.settimeout(previous)
        except (ssl.SSLWantReadError, TimeoutError):
            return False
        except (OSError, ValueError):
            return True

    def _stream(self, chunks: Iterator[bytes]) -> None:
        self.server.stream_opened()
        try:
            for chunk in chunks:
                if not chunk:
                    if self._peer_gone():
                        break
                    continue
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
            else:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            self.close_connection = True
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
            self.server.stream_closed()

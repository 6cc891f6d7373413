"""A small Docker engine for tests: a real HTTP server on a unix socket speaking the part of the Docker API that
the ``docker`` SDK and the ``docker`` command-line client use for kind clusters.

It holds containers (with labels, state, published ports and files) and images in memory, answers listing,
inspecting, archive reads, image inspection, pulls and container removal, and records every request. Point a
client at it with ``DOCKER_HOST=unix://<socket>``. It runs no container: a test that uses it checks what the
harness (and kind, through the docker client) asked of the engine, never that a cluster ran.
"""

from __future__ import annotations

import base64
import io
import json
import socketserver
import tarfile
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

API_VERSION = "1.45"


@dataclass
class FakeContainer:
    name: str
    labels: dict[str, str]
    image: str = "kindest/node:v1.35.0@sha256:" + "0" * 64
    state: str = "running"
    api_port: int | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex + uuid.uuid4().hex)

    def summary(self) -> dict[str, Any]:
        return {"Id": self.id, "Names": [f"/{self.name}"], "Image": self.image, "Labels": self.labels,
                "State": self.state, "Status": "Up 1 minute" if self.state == "running" else "Exited (0)",
                "Created": 1700000000, "Command": "/usr/local/bin/entrypoint /sbin/init", "Ports": [],
                "Mounts": [], "NetworkSettings": {"Networks": {}}, "HostConfig": {"NetworkMode": "kind"}}

    def detail(self) -> dict[str, Any]:
        ports = {"6443/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(self.api_port)}]} if self.api_port else {}
        return {"Id": self.id, "Name": f"/{self.name}", "Image": "sha256:" + "1" * 64,
                "Config": {"Image": self.image, "Labels": self.labels, "Hostname": self.name},
                "State": {"Status": self.state, "Running": self.state == "running"},
                "NetworkSettings": {"Ports": ports}}


def kind_node(cluster: str, role: str = "control-plane", *, node_labels: dict[str, str] | None = None,
              api_port: int | None = 40000, state: str = "running", readable: bool = True) -> FakeContainer:
    """A container as kind makes it, with a kubeadm config carrying ``node_labels`` (as kind v0.31 writes it)."""
    labels_arg = ",".join(f"{k}={v}" for k, v in (node_labels or {}).items())
    kubeadm = (f"apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nnodeRegistration:\n"
               f"  kubeletExtraArgs:\n    node-ip: \"172.18.0.2\"\n    node-labels: \"{labels_arg}\"\n---\n"
               f"apiVersion: kubeadm.k8s.io/v1beta3\nkind: JoinConfiguration\nnodeRegistration:\n"
               f"  kubeletExtraArgs:\n    node-labels: \"{labels_arg}\"\n")
    suffix = "control-plane" if role == "control-plane" else "worker"
    return FakeContainer(name=f"{cluster}-{suffix}", state=state,
                         labels={"io.x-k8s.kind.cluster": cluster, "io.x-k8s.kind.role": role},
                         api_port=api_port if role == "control-plane" else None,
                         files={"/kind/kubeadm.conf": kubeadm.encode()} if readable else {})


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class FakeEngine:
    """Start with ``with FakeEngine() as engine:``; ``engine.env`` is the environment pointing clients at it."""

    def __init__(self, *, mem_total: int = 16 * 2**30, root_dir: str = "/tmp") -> None:
        self.containers: dict[str, FakeContainer] = {}
        self.images: dict[str, str] = {}
        self.pullable: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        self.mem_total = mem_total
        self.root_dir = root_dir
        self._folder = Path(tempfile.mkdtemp(prefix="fde", dir="/tmp"))
        self.socket = self._folder / "docker.sock"
        self._lock = threading.Lock()
        self._server: _Server | None = None

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def add(self, *containers: FakeContainer) -> None:
        for container in containers:
            self.containers[container.id] = container

    def cluster_names(self) -> set[str]:
        return {c.labels.get("io.x-k8s.kind.cluster", "") for c in self.containers.values()}

    def deletions(self) -> list[str]:
        return [path for method, path in self.requests if method == "DELETE"]

    def __enter__(self) -> FakeEngine:
        engine = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                engine._handle(self, "GET")

            def do_HEAD(self) -> None:
                engine._handle(self, "HEAD")

            def do_POST(self) -> None:
                engine._handle(self, "POST")

            def do_DELETE(self) -> None:
                engine._handle(self, "DELETE")

        self._server = _Server(str(self.socket), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.socket.unlink(missing_ok=True)
        self._folder.rmdir()

    # -- the API -------------------------------------------------------------------------------------------

    def _find(self, ref: str) -> FakeContainer | None:
        for container in self.containers.values():
            if ref in (container.id, container.name) or (len(ref) >= 12 and container.id.startswith(ref)):
                return container
        return None

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        path = unquote(parts.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        length = int(request.headers.get("Content-Length") or 0)
        if length:
            request.rfile.read(length)
        with self._lock:
            self.requests.append((method, path + (f"?{parts.query}" if parts.query else "")))
        segments = path.strip("/").split("/")
        if segments and segments[0].startswith("v1."):
            segments = segments[1:]
        route = "/".join(segments)
        try:
            status, body, headers = self._route(method, segments, route, query)
        except KeyError as missing:
            status, body, headers = 404, {"message": f"No such object: {missing}"}, {}
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Api-Version", API_VERSION)
        request.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        for key, value in headers.items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        if method != "HEAD":
            request.wfile.write(data)

    def _route(self, method: str, segments: list[str], route: str, query: dict[str, str]
               ) -> tuple[int, Any, dict[str, str]]:
        if route == "_ping":
            return 200, b"OK", {"Content-Type": "text/plain"}
        if route == "version":
            return 200, {"Version": "27.0.0-fake", "ApiVersion": API_VERSION, "MinAPIVersion": "1.24",
                         "Os": "linux", "Arch": "amd64"}, {}
        if route == "info":
            return 200, {"ServerVersion": "27.0.0-fake", "MemTotal": self.mem_total, "NCPU": 2,
                         "DockerRootDir": self.root_dir, "OperatingSystem": "fake engine for tests"}, {}
        if route == "containers/json":
            return 200, [c.summary() for c in self.containers.values() if self._matches(c, query)], {}
        if len(segments) == 3 and segments[0] == "containers" and segments[2] == "json":
            container = self._find(segments[1])
            if container is None:
                raise KeyError(segments[1])
            return 200, container.detail(), {}
        if len(segments) == 3 and segments[0] == "containers" and segments[2] == "archive":
            container = self._find(segments[1])
            if container is None or query.get("path") not in container.files:
                raise KeyError(query.get("path"))
            return self._archive(query["path"], container.files[query["path"]])
        if len(segments) == 2 and segments[0] == "containers" and method == "DELETE":
            container = self._find(segments[1])
            if container is None:
                raise KeyError(segments[1])
            del self.containers[container.id]
            return 204, b"", {}
        if route == "images/create" and method == "POST":
            reference = query["fromImage"] + (f":{query['tag']}" if query.get("tag") else "")
            if reference not in self.pullable:
                return 404, {"message": f"pull access denied for {reference}"}, {}
            self.images[reference] = "sha256:" + uuid.uuid4().hex * 2
            lines = [{"status": "Pulling fs layer", "id": "abc"},
                     {"status": "Downloading", "id": "abc", "progressDetail": {"current": 2**20, "total": 2**21}},
                     {"status": f"Status: Downloaded newer image for {reference}"}]
            return 200, "".join(json.dumps(line) + "\r\n" for line in lines).encode(), {}
        if len(segments) >= 3 and segments[0] == "images" and segments[-1] == "json":
            reference = "/".join(segments[1:-1])
            if reference not in self.images:
                raise KeyError(reference)
            return 200, {"Id": self.images[reference], "RepoTags": [reference]}, {}
        return 404, {"message": f"the fake engine does not serve {method} /{route}"}, {}

    @staticmethod
    def _matches(container: FakeContainer, query: dict[str, str]) -> bool:
        if container.state != "running" and query.get("all") not in ("1", "true", "True"):
            return False
        filters = json.loads(query.get("filters") or "{}")
        wanted = filters.get("label", [])
        labels = list(wanted) if isinstance(wanted, (list, dict)) else [wanted]
        for label in labels:
            key, sep, value = str(label).partition("=")
            if key not in container.labels or (sep and container.labels[key] != value):
                return False
        names = filters.get("name", [])
        return all(name in container.name for name in (list(names) if isinstance(names, (list, dict)) else [names]))

    @staticmethod
    def _archive(path: str, content: bytes) -> tuple[int, bytes, dict[str, str]]:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            info = tarfile.TarInfo(Path(path).name)
            info.size = len(content)
            info.mtime = int(time.time())
            archive.addfile(info, io.BytesIO(content))
        stat = {"name": Path(path).name, "size": len(content), "mode": 420, "mtime": "2024-01-01T00:00:00Z",
                "linkTarget": ""}
        return 200, buffer.getvalue(), {"Content-Type": "application/x-tar",
                                        "X-Docker-Container-Path-Stat": base64.b64encode(json.dumps(stat).encode())
                                        .decode()}

"""``ApiServer``: one simulator behind a Kubernetes-compatible HTTP API, started and stopped as one thing.

>>> with ApiServer(Simulator(kuberay="1.7"), port=0) as server:     # doctest: +SKIP
...     server.kubeconfig.write(Path("kubeconfig"))                  # kubectl --kubeconfig kubeconfig get rayjob

It owns everything it starts: the world thread, the HTTPS server and its threads, its TLS files, the simulator
(and so the executor's local Ray runtime). ``stop()`` ends open watches and log streams, stops serving, and closes the
simulator; it is safe to call twice. The server listens on loopback unless another address is asked for.

Not here: the command line (``harness.cli.serve``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

from ..kube.namespaces import NamespaceController
from ..simulator import Simulator
from .http import ApiHttpServer
from .kubeconfig import Kubeconfig, new_token
from .routes import Router
from .tls import make_credentials
from .world import Pacing, World

LOOPBACK = "127.0.0.1"


class ApiServer:
    def __init__(self, sim: Simulator, *, host: str = LOOPBACK, port: int = 0, token: str | None = None,
                 pacing: Pacing = "WallClock") -> None:
        self.sim = sim
        self.namespaces = NamespaceController(sim.store, sim.clock)
        self.world = World(sim, pacing=pacing)
        self.token = token or new_token()
        self.router = Router(self.world, f"{host}:{port}")
        self.credentials = make_credentials(host)
        try:
            self.http = ApiHttpServer((host, port), self.router, self.token, self.credentials.context())
        except BaseException:
            self.credentials.cleanup()
            raise
        bound = self.http.server_address
        self.host, self.port = str(bound[0]), int(bound[1])
        self.router.address = f"{self.host}:{self.port}"
        self._thread = threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="rayjob-harness-http", daemon=True)
        self._started = False
        self._stopped = False

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in str(self.host) else self.host
        return f"https://{host}:{self.port}"

    @property
    def kubeconfig(self) -> Kubeconfig:
        return Kubeconfig(server=self.url, token=self.token, ca_pem=self.credentials.ca_pem)

    def write_kubeconfig(self, path: Path) -> Path:
        return self.kubeconfig.write(path)

    def start(self) -> ApiServer:
        self.world.start()
        self._thread.start()
        self._started = True
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.world.stop()  # ends every watch; log followers see the world gone
        if self._started:
            self.http.shutdown()
            self._thread.join(timeout=10)
        self.http.close_connections()
        self.http.server_close()
        self.credentials.cleanup()
        self.sim.close()

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

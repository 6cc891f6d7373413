"""Reaching a running server's controls from another process, through a kubeconfig (``rayjob-harness advance``).

Reads a kubeconfig the way kubectl does (``--kubeconfig``, else the first file in ``$KUBECONFIG``, else
``~/.kube/config``; ``--context``, else the current context), then calls the controls group over HTTPS with the
kubeconfig's authority and token. A server without the controls group (a real cluster) is said to be one.

Not here: the controls themselves (:mod:`.controls`).
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from .controls import API_VERSION

Obj = dict[str, Any]


def default_kubeconfig() -> Path:
    env = os.environ.get("KUBECONFIG", "")
    first = next((part for part in env.split(os.pathsep) if part), "")
    return Path(first) if first else Path.home() / ".kube" / "config"


@dataclass(frozen=True)
class Endpoint:
    server: str
    token: str
    ca_pem: bytes | None
    source: str

    def call(self, method: str, path: str, body: Obj | None = None, *, timeout: float = 120.0) -> Obj:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.server.rstrip("/") + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
            "Accept": "application/json"})
        context = ssl.create_default_context(cadata=self.ca_pem.decode()) if self.ca_pem else None
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:
                result: Obj = json.loads(answer.read())
                return result
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("message", exc.reason)
            except ValueError:
                message = exc.reason
            if exc.code == 404 and path.startswith(f"/apis/{API_VERSION}"):
                raise InputError(f"server={self.server} has no simulator controls ({API_VERSION} is not served): "
                                 "it is not a rayjob-harness simulator",
                                 hint="on a real cluster time cannot be fast-forwarded; wait instead") from None
            raise InputError(f"server={self.server} answered {exc.code}: {message}",
                             hint=f"check the kubeconfig {self.source}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InputError(f"server={self.server} cannot be reached: {reason}",
                             hint="is 'rayjob-harness serve' still running? Its kubeconfig changes at every start"
                             ) from None


def endpoint(kubeconfig: Path | None = None, context: str | None = None) -> Endpoint:
    path = (kubeconfig or default_kubeconfig()).expanduser()
    try:
        config = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise InputError(f"kubeconfig={str(path)!r} cannot be read: {exc.strerror}",
                         hint="pass the file 'rayjob-harness serve' wrote with --kubeconfig") from None
    except yaml.YAMLError as exc:
        raise InputError(f"kubeconfig={str(path)!r} is not YAML: {exc}",
                         hint="pass the file 'rayjob-harness serve' wrote with --kubeconfig") from None
    if not isinstance(config, dict):
        raise InputError(f"kubeconfig={str(path)!r} is not a kubeconfig", hint="pass the file serve wrote")
    name = context or config.get("current-context")

    def named(section: str, wanted: str | None) -> Obj:
        for item in config.get(section) or []:
            if isinstance(item, dict) and item.get("name") == wanted:
                return dict(item)
        known = ", ".join(str(i.get("name")) for i in config.get(section) or [] if isinstance(i, dict))
        raise InputError(f"kubeconfig={str(path)!r} has no {section[:-1]} named {wanted!r}",
                         hint=f"known: {known or 'none'}")

    ctx = named("contexts", name).get("context") or {}
    cluster = named("clusters", ctx.get("cluster")).get("cluster") or {}
    user = named("users", ctx.get("user")).get("user") or {}
    ca_data = cluster.get("certificate-authority-data")
    ca = base64.b64decode(ca_data) if ca_data else None
    if ca is None and cluster.get("certificate-authority"):
        ca = Path(cluster["certificate-authority"]).expanduser().read_bytes()
    return Endpoint(str(cluster.get("server", "")), str(user.get("token", "")), ca, str(path))


def advance(target: Endpoint, seconds: float) -> Obj:
    """Fast-forward the server's virtual time; returns its Clock."""
    return target.call("POST", f"/apis/{API_VERSION}/clocks/virtual/advance", {"seconds": seconds})


def clock(target: Endpoint) -> Obj:
    return target.call("GET", f"/apis/{API_VERSION}/clocks/virtual")

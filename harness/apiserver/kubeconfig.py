"""The kubeconfig a running server hands out: its address, its bearer token, a context that says "simulator".

The file is written with mode 0600 (it holds the token) and atomically, so kubectl never reads half of it. The
token is random per server start; a request without it gets 401. The cluster entry carries the certificate of
the server's own throwaway authority (:mod:`.tls`): kubectl sends a token over HTTPS only.

Not here: reading kubeconfigs of real clusters (the Kubernetes backend uses the official client for that).
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

CONTEXT: Final = "rayjob-harness-simulator"


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Kubeconfig:
    server: str  # https://127.0.0.1:PORT
    token: str
    ca_pem: bytes
    namespace: str = "default"
    context: str = CONTEXT

    def to_dict(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": self.context, "cluster": {
                "server": self.server,
                "certificate-authority-data": base64.b64encode(self.ca_pem).decode()}}],
            "users": [{"name": self.context, "user": {"token": self.token}}],
            "contexts": [{"name": self.context, "context": {"cluster": self.context, "user": self.context,
                                                             "namespace": self.namespace}}],
            "current-context": self.context,
        }

    def write(self, path: Path) -> Path:
        """Write the file (mode 0600, atomically); returns the path."""
        path = path.expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".kubeconfig-", dir=path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as out:
                yaml.safe_dump(self.to_dict(), out, sort_keys=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

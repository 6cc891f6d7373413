"""A Kubernetes-compatible HTTP API over one :class:`~harness.simulator.Simulator` (``rayjob-harness serve``).

kubectl and the official ``kubernetes`` client work against it unchanged: discovery, OpenAPI v3, CRUD with
API-server semantics, watch, server-side printing, pod logs, and the simulator's own controls group
(``simulator.rayjob-harness.io``). Layout, one topic per module: :mod:`.server` (start and stop) and
:mod:`.launch` (from command-line settings), :mod:`.world` (the simulator's thread and virtual time),
:mod:`.http` and :mod:`.tls`, :mod:`.routes`, :mod:`.rest` and :mod:`.admission`, :mod:`.watch`,
:mod:`.podlogs`, :mod:`.tables`, :mod:`.openapi`, :mod:`.resources`, :mod:`.patches`, :mod:`.fields`,
:mod:`.eventsv1`, :mod:`.reviews`, :mod:`.controls` and :mod:`.remote` (reaching them from another process),
:mod:`.kubeconfig`, :mod:`.status`, :mod:`.request`. docs/serve.md is the reference.
"""

from __future__ import annotations

from .kubeconfig import CONTEXT, Kubeconfig
from .server import LOOPBACK, ApiServer
from .world import PACINGS, Pacing

__all__ = ["CONTEXT", "LOOPBACK", "PACINGS", "ApiServer", "Kubeconfig", "Pacing"]

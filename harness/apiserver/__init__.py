"""A Kubernetes-compatible HTTP API over one :class:`~harness.simulator.Simulator` (``rayjob-harness serve``).

kubectl and the official ``kubernetes`` client work against it unchanged: discovery, OpenAPI v3, CRUD with
API-server semantics, watch, server-side printing, pod logs, and the simulator's own controls group
(``simulator.rayjob-harness.io``). Layout, one topic per module: :mod:`.server` (start and stop),
:mod:`.world` (the simulator's thread and virtual time), :mod:`.http`, :mod:`.routes`, :mod:`.rest`,
:mod:`.watch`, :mod:`.podlogs`, :mod:`.tables`, :mod:`.openapi`, :mod:`.resources`, :mod:`.patches`,
:mod:`.fields`, :mod:`.eventsv1`, :mod:`.controls`, :mod:`.kubeconfig`, :mod:`.status`, :mod:`.request`.
"""

from __future__ import annotations

from .kubeconfig import CONTEXT, Kubeconfig
from .server import LOOPBACK, ApiServer
from .world import PACINGS, Pacing

__all__ = ["CONTEXT", "LOOPBACK", "PACINGS", "ApiServer", "Kubeconfig", "Pacing"]

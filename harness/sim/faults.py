"""Requests the simulated API server will refuse because a scenario asked it to: "fail the next create of a kind".

KubeRay's tests make the Kubernetes client fail a create or a delete to reach the operator's error paths
(``FailedToCreateRayCluster``, ``FailedToDeleteRayJobSubmitter``...). Here the refusal is the API server's, so
whoever sends the next matching request (the operator, the Job controller, the garbage collector, the scenario)
gets it, as with a real server in trouble. :class:`WriteFaults` keeps the pending refusals; the object store asks
it before each create and delete (:meth:`harness.sim.store.ObjectStore.create`) and words the error.

Not here: the error classes (:mod:`.store`), the other faults (``harness.raysim.faults``, the kubelet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..model.kinds import ResourceType

Verb = Literal["create", "delete"]


@dataclass
class PendingFailure:
    """``remaining`` more requests to ``verb`` a ``rtype`` in ``namespace`` fail with ``reason`` and ``code``."""

    verb: Verb
    rtype: ResourceType
    namespace: str
    remaining: int
    code: int
    reason: str
    message: str

    def text(self, name: str) -> str:
        """The Status message apimachinery gives an error of this reason (``errors.NewInternalError``...)."""
        detail = self.message or "the scenario failed this request"
        if self.reason == "InternalError":
            return f"Internal error occurred: {detail}"
        if self.reason == "Forbidden":
            return f'{self.rtype.qualified} "{name}" is forbidden: {detail}'
        if self.reason == "Conflict":
            return f'Operation cannot be fulfilled on {self.rtype.qualified} "{name}": {detail}'
        if self.reason == "Timeout":
            return f"Timeout: {detail}"
        return detail


class WriteFaults:
    """The pending refusals, oldest first; each is used up by as many matching requests as it was set for."""

    def __init__(self) -> None:
        self._pending: list[PendingFailure] = []

    def add(self, failure: PendingFailure) -> None:
        if failure.remaining > 0:
            self._pending.append(failure)

    def take(self, verb: Verb, rtype: ResourceType, namespace: str) -> PendingFailure | None:
        """The refusal for this request, counted as used, or None when the request goes through."""
        for failure in self._pending:
            if (failure.verb, failure.rtype, failure.namespace) == (verb, rtype, namespace):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._pending.remove(failure)
                return failure
        return None

    def __bool__(self) -> bool:
        return bool(self._pending)

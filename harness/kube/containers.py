"""What a container does while it runs: the seam between the kubelet model and the software inside pods.

The kubelet knows pod phases, probes, restarts and logs, but not what a Ray head or a ``ray job submit``
process does. A :class:`ContainerProgram` models that: it is started when the container starts, writes log lines,
says when it is ready, and exits with a code. Programs for Ray nodes and submitters live in ``harness.raysim``;
the generic ones (run forever / exit after a delay) live here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..sim.clock import Clock


class ContainerContext(Protocol):
    """The handle a program gets on its running container."""

    clock: Clock
    pod: Mapping[str, Any]  # the raw Pod as it was when the container started
    container: Mapping[str, Any]  # the raw container spec

    @property
    def env(self) -> Mapping[str, str]:
        """The process's environment as the kubelet resolved it (Secrets and ConfigMaps read)."""
        ...

    def log(self, *lines: str) -> None:
        """Write lines to the container's stdout (what ``kubectl logs`` shows)."""
        ...

    def stream(self, source: Callable[[], list[str]]) -> None:
        """Let the container's stdout be read from ``source`` whenever logs are asked for (a real process)."""
        ...

    def set_ready(self, ready: bool) -> None:
        """The process is able to pass its readiness probe from now on (the kubelet decides when it probes)."""
        ...

    def exit(self, code: int, reason: str | None = None) -> None:
        """The main process ended with ``code``."""
        ...

    @property
    def running(self) -> bool: ...


class ContainerProgram(Protocol):
    def start(self, ctx: ContainerContext) -> None: ...

    def stop(self, ctx: ContainerContext) -> None:
        """The container is being killed (pod deletion); the program must cancel its pending work."""
        ...


ProgramFactory = Callable[[Mapping[str, Any], Mapping[str, Any]], "ContainerProgram | None"]


@dataclass
class LongRunning:
    """A service process: ready once started, runs until killed. The default for unknown containers."""

    def start(self, ctx: ContainerContext) -> None:
        ctx.set_ready(True)

    def stop(self, ctx: ContainerContext) -> None:
        return None


@dataclass
class ExitAfter:
    """A batch process: writes ``output``, then exits with ``code`` after ``seconds``."""

    seconds: float
    code: int = 0
    output: tuple[str, ...] = ()

    def start(self, ctx: ContainerContext) -> None:
        ctx.set_ready(True)
        ctx.log(*self.output)
        self._timer = ctx.clock.call_later(self.seconds, lambda: ctx.exit(self.code), label="container exit")

    def stop(self, ctx: ContainerContext) -> None:
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.cancel()

"""``GET /api/v1/namespaces/{ns}/pods/{name}/log``: container logs as ``kubectl logs`` reads them.

Plain text, whatever the ``Accept`` header says. Parameters: ``container`` (required when the pod has several),
``previous``, ``tailLines``, ``limitBytes``, ``sinceSeconds``/``sinceTime``, ``timestamps`` (each line prefixed
with its RFC 3339 time in nanoseconds, from virtual time) and ``follow``: a stream that sends new lines as the
container writes them and ends when the container stops, as the kubelet does. A follower whose client went away
is noticed at the next quiet tick and stopped.

Not here: where the lines come from (``harness.kube.kubelet``, fed by scripted programs or a real Ray runtime).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Final

from .._util.gofmt import parse_rfc3339
from ..kube.kubelet import LogLine, LogView
from ..sim.store import ApiError
from .request import Request, Response
from .rest import Rest, Target
from .status import Details, StatusError, from_store

FOLLOW_POLL: Final = 0.2  # seconds between looks at a followed container


class PodLogs:
    def __init__(self, rest: Rest, req: Request, target: Target) -> None:
        self.rest = rest
        self.target = target
        self.namespace = target.namespace or "default"
        self.name = target.name or ""
        self.container = req.query.get("container") or None
        self.previous = req.flag("previous")
        self.follow = req.flag("follow")
        self.timestamps = req.flag("timestamps")
        self.tail = req.integer("tailLines")
        self.limit = req.integer("limitBytes")
        since = req.integer("sinceSeconds")
        since_time = req.query.get("sinceTime")
        clock = rest.world.sim.clock
        self.since: float | None = None
        if since is not None:
            self.since = max(0.0, clock.now - since)
        elif since_time:
            self.since = parse_rfc3339(since_time) - clock.origin

    def _view(self) -> LogView:
        sim = self.rest.world.sim
        try:
            return self.rest.world.call(lambda: sim.kubelet.log_view(self.namespace, self.name, self.container,
                                                                      previous=self.previous))
        except ApiError as exc:
            raise from_store(exc, name=self.name, plural="pods") if exc.code == 404 else \
                _bad(exc.message) from None

    def _format(self, lines: Sequence[LogLine]) -> bytes:
        origin = self.rest.world.sim.clock.origin
        out = []
        for line in lines:
            if self.timestamps:
                stamp = datetime.fromtimestamp(origin + line.t, tz=timezone.utc)
                nanos = round((origin + line.t) % 1 * 1e9)
                out.append(f"{stamp:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z {line.text}\n")
            else:
                out.append(line.text + "\n")
        return "".join(out).encode()

    def _selected(self, lines: Sequence[LogLine]) -> list[LogLine]:
        chosen = [line for line in lines if self.since is None or line.t >= self.since]
        if self.tail is not None and self.tail >= 0:
            chosen = chosen[len(chosen) - self.tail:] if self.tail else []
        return chosen

    def response(self) -> Response:
        view = self._view()
        first = self._format(self._selected(view.lines))
        if self.limit is not None and self.limit > 0:
            first = first[: self.limit]
        if not self.follow:
            return Response(body=first, content_type="text/plain")
        return Response(content_type="text/plain", stream=self._follow(first, view))

    def _follow(self, first: bytes, view: LogView) -> Iterator[bytes]:
        yield first
        sent = view.total  # lines written so far; the view holds only the newest ones
        budget = None if self.limit is None or self.limit <= 0 else self.limit - len(first)
        running, run = view.running, view.restart_count
        while running:
            time.sleep(FOLLOW_POLL)
            try:
                view = self._view()
            except Exception:  # the pod went away: the kubelet ends the stream
                return
            if view.restart_count != run:
                return  # the container restarted: that is a new log, as a real follow ends here too
            fresh = view.total - sent
            new = self._format(view.lines[max(0, len(view.lines) - fresh):] if fresh > 0 else ())
            sent = view.total
            if budget is not None:
                new, budget = new[:budget], budget - len(new)
            yield new
            if budget is not None and budget <= 0:
                return
            running = view.running


def _bad(message: str) -> StatusError:
    return StatusError(400, message, details=Details())

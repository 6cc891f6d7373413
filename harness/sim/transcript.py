"""What the simulated programs print: append-only logs in which a line repeated by a stuck loop costs nothing.

A loop whose runs only print (an operator logging "Unknown JobDeploymentStatus" every 3 s, a submitter printing
"Waiting for Ray Dashboard GCS to become healthy" every 2 s) is passed over by the clock like an idle one
(:mod:`.clock`); what its skipped runs print is kept here as one :class:`Series`: the items one run prints, the
first run's instant, the period and the count. Reading gives every line exactly as stepping through the runs
would have printed it, the instants by the same repeated float sums (:func:`.fastforward.nth`).

Reads are bounded as a cluster bounds them: :meth:`Transcript.text` gives the last :data:`MAX_LOG_BYTES` (the
kubelet rotates a container's log file at 10 MiB and ``kubectl logs`` shows the current file), and
:meth:`Transcript.latest` the last lines by instant.

Not here: proving that a run only prints (the clock's watch), what the lines say (the programs, the controllers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from .fastforward import nth

MAX_LOG_BYTES: Final = 10 * 1024 * 1024  # the kubelet's default containerLogMaxSize


@dataclass(frozen=True)
class Series:
    """``count`` runs of one loop, at ``first``, ``first + period``, ... (repeated sums), each printing ``items``."""

    items: tuple[str, ...]
    first: float
    period: float
    count: int

    @property
    def size(self) -> int:
        return self.count * len(self.items)

    def entries(self, skip_runs: int = 0) -> Iterator[tuple[float, str]]:
        """(instant, item) of every run from run ``skip_runs`` on, in order."""
        if skip_runs >= self.count:
            return
        t = nth(self.first, self.period, skip_runs)
        for run in range(skip_runs, self.count):
            if run > skip_runs:
                t = t + self.period
            for item in self.items:
                yield t, item

    def last_instant(self) -> float:
        return nth(self.first, self.period, self.count - 1)


Part = tuple[float, str] | Series


def _plain(t: float, item: str) -> str:
    return item


def padded_line(t: float, item: str) -> str:
    """A RayJob or RayCronJob reconciler's log line: the instant right-aligned in ten places."""
    return f"{t:10.3f}  {item}"


def short_line(t: float, item: str) -> str:
    """A RayCluster or NetworkPolicy reconciler's log line."""
    return f"{t:.3f} {item}"


class Transcript:
    """An append-only log of items stamped with virtual time; ``render`` makes a line of one (default: the item).

    ``ordered`` says that the order of the lines matters to a reader (a container's log); the clock then never
    lets two loops print into it during one skip. A controller's log is read sorted by instant instead.
    """

    def __init__(self, render: Callable[[float, str], str] = _plain, *, ordered: bool = True) -> None:
        self.render = render
        self.ordered = ordered
        self._parts: list[Part] = []
        self._size = 0

    def add(self, t: float, item: str) -> None:
        self._parts.append((t, item))
        self._size += 1

    def add_series(self, series: Series) -> None:
        if series.count > 0 and series.items:
            self._parts.append(series)
            self._size += series.size

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0

    def entries(self) -> Iterator[tuple[float, str]]:
        """Every (instant, item), in the order printed (all of them: prefer :meth:`text` or :meth:`latest`)."""
        for part in self._parts:
            if isinstance(part, Series):
                yield from part.entries()
            else:
                yield part

    def lines(self) -> list[str]:
        return [self.render(t, item) for t, item in self.entries()]

    def text(self, max_bytes: int = MAX_LOG_BYTES) -> str:
        """The log as ``kubectl logs`` prints it (the items, one a line, without instants): the last whole lines
        that fit in ``max_bytes``."""
        chunks: list[str] = []  # newest first
        budget = max_bytes
        for part in reversed(self._parts):
            if isinstance(part, Series):
                run = "".join(f"{item}\n" for item in part.items)
                whole = min(part.count, budget // len(run))
                chunks.append(run * whole)
                budget -= whole * len(run)
                if whole == part.count:
                    continue
                partial = []  # the last items of one more run, as many as still fit
                for item in reversed(part.items):
                    if len(item) + 1 > budget:
                        break
                    partial.append(f"{item}\n")
                    budget -= len(item) + 1
                chunks.append("".join(reversed(partial)))
                break
            line = f"{part[1]}\n"
            if len(line) > budget:
                break
            chunks.append(line)
            budget -= len(line)
        return "".join(reversed(chunks))

    def tail(self, max_bytes: int = MAX_LOG_BYTES) -> list[tuple[float, str]]:
        """The (instant, item) pairs of :meth:`text`: the last whole lines that fit in ``max_bytes``, oldest
        first."""
        chunks: list[list[tuple[float, str]]] = []  # newest first
        budget = max_bytes
        for part in reversed(self._parts):
            if isinstance(part, Series):
                run = sum(len(item) + 1 for item in part.items)
                whole = min(part.count, budget // run)
                chunks.append(list(part.entries(part.count - whole)))
                budget -= whole * run
                if whole == part.count:
                    continue
                t = nth(part.first, part.period, part.count - whole - 1)  # the run before those kept
                partial = []
                for item in reversed(part.items):
                    if len(item) + 1 > budget:
                        break
                    partial.append((t, item))
                    budget -= len(item) + 1
                chunks.append(partial[::-1])
                break
            if len(part[1]) + 1 > budget:
                break
            chunks.append([part])
            budget -= len(part[1]) + 1
        return [entry for chunk in reversed(chunks) for entry in chunk]

    def latest(self, limit: int) -> list[tuple[float, str]]:
        """The last ``limit`` (instant, line) pairs by instant (ties by line), oldest first."""
        if limit <= 0:
            return []
        picked: list[tuple[float, str]] = []
        oldest_kept = float("inf")
        for part in reversed(self._parts):
            if isinstance(part, Series):
                # Series printed in one skip may overlap in time: one older than every line kept may still be
                # followed (further back) by one that is not, so it is passed, not a reason to stop.
                if len(picked) >= limit and part.last_instant() < oldest_kept:
                    continue
                runs = min(part.count, -(-limit // len(part.items)))
                found = [(t, self.render(t, item)) for t, item in part.entries(part.count - runs)]
            else:
                # Everything printed before a single line is no later than it (skips end before what follows).
                if len(picked) >= limit and part[0] < oldest_kept:
                    break
                found = [(part[0], self.render(*part))]
            picked.extend(found)
            oldest_kept = min(oldest_kept, found[0][0])
        picked.sort()
        return picked[-limit:]

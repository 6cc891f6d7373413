"""Logs in which a repeated line costs nothing: what a reader gets is what stepping through every run prints."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.sim.transcript import Series, Transcript


def stamped(t: float, item: str) -> str:
    return f"{t:.3f} {item}"


def expanded(parts: list[tuple[float, str] | Series]) -> Transcript:
    """The same log with every run of every series written line by line, as stepping writes it."""
    log = Transcript(stamped)
    for part in parts:
        if isinstance(part, Series):
            t = part.first
            for run in range(part.count):
                if run:
                    t = t + part.period
                for item in part.items:
                    log.add(t, item)
        else:
            log.add(*part)
    return log


@st.composite
def logs(draw: st.DrawFn) -> list[tuple[float, str] | Series]:
    parts: list[tuple[float, str] | Series] = []
    t = 0.0
    for _ in range(draw(st.integers(0, 6))):
        t += draw(st.floats(0.1, 100))
        if draw(st.booleans()):
            items = tuple(draw(st.lists(st.sampled_from(["waiting", "", "a much longer line of output"]),
                                        min_size=1, max_size=3)))
            period = draw(st.sampled_from([1.0, 2.0, 3.0, 1 / 3]))
            count = draw(st.integers(1, 300))
            parts.append(Series(items, t, period, count))
            t = parts[-1].last_instant() + period  # type: ignore[union-attr]
        else:
            parts.append((t, draw(st.sampled_from(["started", "done", "x" * 50]))))
    return parts


@settings(max_examples=200, deadline=None)
@given(parts=logs(), max_bytes=st.integers(0, 3_000), limit=st.integers(0, 400))
def test_reading_a_log_with_series_gives_what_the_lines_one_by_one_give(
        parts: list[tuple[float, str] | Series], max_bytes: int, limit: int) -> None:
    log = Transcript(stamped)
    for part in parts:
        if isinstance(part, Series):
            log.add_series(part)
        else:
            log.add(*part)
    flat = expanded(parts)
    assert len(log) == len(flat)
    assert log.lines() == flat.lines()
    assert log.text(max_bytes) == flat.text(max_bytes)
    assert log.tail(max_bytes) == flat.tail(max_bytes)
    assert "".join(f"{item}\n" for _, item in log.tail(max_bytes)) == log.text(max_bytes)
    assert log.latest(limit) == flat.latest(limit)


def test_the_text_keeps_the_last_whole_lines_that_fit() -> None:
    log = Transcript()
    for item in ("first", "second", "third"):
        log.add(0.0, item)
    assert log.text(13) == "second\nthird\n"
    assert log.text(5) == ""


def test_series_printed_in_one_skip_overlap_and_the_latest_lines_are_taken_across_them() -> None:
    log = Transcript(stamped, ordered=False)
    log.add(0.0, "start")
    log.add_series(Series(("a",), 1.0, 2.0, 100))  # 1, 3, ..., 199
    log.add_series(Series(("b",), 2.0, 3.0, 60))  # 2, 5, ..., 179
    assert log.latest(3) == [(195.0, "195.000 a"), (197.0, "197.000 a"), (199.0, "199.000 a")]
    assert log.latest(4)[0] == (193.0, "193.000 a")
    assert log.latest(200)[0] == (0.0, "0.000 start")

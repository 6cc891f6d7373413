"""The time axis: proportional pieces, compressed idle gaps, nice ticks."""

from __future__ import annotations

import pytest

from harness.report.axis import build_axis, find_idle_gaps, nice_step, tick_label


def test_an_hour_of_ttl_after_a_minute_of_work_is_compressed() -> None:
    times = [0.0, 3.0, 6.0, 30.0, 61.0, 3661.0, 3662.0]
    assert find_idle_gaps(times) == [(61.0, 3661.0)]


def test_two_long_gaps_around_a_minute_of_work_are_both_compressed() -> None:
    times = [0.0, 3600.0, 3630.0, 3660.0, 7260.0]
    assert find_idle_gaps(times) == [(0.0, 3600.0), (3660.0, 7260.0)]


def test_a_job_running_for_minutes_beside_a_similar_ttl_stays_to_scale() -> None:
    assert find_idle_gaps([0.0, 5.0, 125.0, 185.0, 186.0]) == []


def test_quiet_stretches_under_five_minutes_are_never_compressed() -> None:
    assert find_idle_gaps([0.0, 0.5, 50.0]) == []
    assert find_idle_gaps([0.0, 1.0, 240.0]) == []


def test_a_run_where_nothing_happens_after_the_start_is_all_break() -> None:
    assert find_idle_gaps([0.0, 600.0]) == [(0.0, 600.0)]


def test_x_grows_with_time_and_spans_the_given_width() -> None:
    axis = build_axis([0.0, 10.0, 20.0, 60.0], left=100.0, width=1000.0)
    xs = [axis.x(t) for t in (0.0, 5.0, 10.0, 20.0, 60.0)]
    assert xs == sorted(xs)
    assert xs[0] == pytest.approx(100.0)
    assert xs[-1] == pytest.approx(1100.0)
    assert axis.x(5.0) - axis.x(0.0) == pytest.approx(axis.x(10.0) - axis.x(5.0))


def test_a_compressed_gap_takes_a_narrow_band_and_the_work_keeps_the_width() -> None:
    axis = build_axis([0.0, 30.0, 61.0, 3661.0, 3662.0], left=0.0, width=1000.0)
    assert len(axis.breaks) == 1
    band = axis.breaks[0]
    assert (band.t0, band.t1, band.label) == (61.0, 3661.0, "1h")
    assert band.x1 - band.x0 < 60
    assert axis.x(61.0) - axis.x(0.0) > 700
    assert axis.x(61.0) <= band.x0 + 1 and axis.x(3661.0) >= band.x1 - 1
    assert axis.x(0.0) < axis.x(2000.0) < axis.x(3661.0)


def test_ticks_fall_on_nice_units_and_do_not_overlap() -> None:
    axis = build_axis([0.0, 100.0, 200.0, 300.0], left=0.0, width=1000.0)
    assert [t.label for t in axis.ticks] == ["0s", "30s", "1m", "1m30s", "2m", "2m30s", "3m", "3m30s", "4m",
                                            "4m30s", "5m"]


def test_the_first_instant_after_a_break_is_labelled() -> None:
    axis = build_axis([0.0, 30.0, 61.0, 3661.0, 3700.0], left=0.0, width=1000.0)
    major = [t for t in axis.ticks if t.major]
    assert [t.label for t in major] == ["1h1m1s"]
    assert all(not (axis.breaks[0].x0 < t.x < axis.breaks[0].x1) for t in axis.ticks)


def test_a_run_that_is_one_instant_starts_at_the_left_of_a_full_width_axis() -> None:
    axis = build_axis([0.0], left=10.0, width=500.0)
    assert axis.left == 10.0 and axis.right == pytest.approx(510.0)
    assert axis.x(0.0) == pytest.approx(10.0)
    assert [t.label for t in axis.ticks] == ["0s"]


def test_an_instant_between_breaks_sits_in_the_middle_of_its_band() -> None:
    axis = build_axis([0.0, 3600.0, 7200.0], left=0.0, width=1000.0)
    middle = axis.pieces[1]
    assert axis.x(3600.0) == pytest.approx((middle.x0 + middle.x1) / 2)


@pytest.mark.parametrize(("minimum", "step"), [(0.03, 0.05), (0.8, 1.0), (7.0, 10.0), (40.0, 60.0),
                                               (1000.0, 1800.0), (200000.0, 259200.0)])
def test_nice_step_is_the_smallest_nice_unit_at_least_the_minimum(minimum: float, step: float) -> None:
    assert nice_step(minimum) == step


def test_tick_labels_use_seconds_below_a_minute_and_units_above() -> None:
    assert tick_label(0.25, 0.05) == "0.25s"
    assert tick_label(45.0, 15.0) == "45s"
    assert tick_label(3661.0, 1.0) == "1h1m1s"


def test_a_break_longer_than_a_minute_is_labelled_in_whole_seconds() -> None:
    axis = build_axis([0.0, 20.0, 80.8, 3682.0, 3683.0], left=0.0, width=1000.0)
    assert [b.label for b in axis.breaks] == ["1h1s"]

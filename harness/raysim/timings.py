"""How long the Ray processes inside pods take for each step, in virtual seconds.

Defaults are the figures measured with Ray 2.60 on a 2-core machine (RAYJOB_BEHAVIOR.md section 8). Shared by the
node programs (:mod:`.nodes`) and the submitter's programs (:mod:`.cli`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RayTimings:
    """Seconds each Ray process takes for its steps."""

    head_start: float = 3.0  # `ray start --head` until the dashboard answers
    worker_start: float = 2.0  # `ray start --address` until the raylet is healthy
    cli_call: float = 0.8  # one `ray job ...` CLI round trip (interpreter start + HTTP)
    # (the health wait loop's pause is the script's own `sleep 2`, run by the shell model)
    follow_poll: float = 1.0  # how often `ray job logs --follow` sees new lines
    follow_drain: float = 5.0  # `ray job logs --follow` returns about 5 s after the job ends

"""A long-lived process that runs the real CLI entry point on request, inside memory limits (a test helper).

Starting Python and importing the harness for every fuzzed input would cost most of the suite's time, so one
worker serves many inputs: it reads one JSON request per line (``{"argv": [...]}``), runs ``harness.cli.main``
in-process with stdout and stderr captured, and answers one JSON line with the exit code, the captured output and,
when an exception escaped the entry point (what a user would see as a traceback), its formatted traceback.

Its address space is capped with ``RLIMIT_AS`` (first argument, in MiB): an input that makes the harness use more
memory ends in a MemoryError, reported like any other escaped exception. Time is bounded by the test driving it,
which kills the worker's process group when an answer is late.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import traceback


def _ends(text: str) -> str:
    """The start and the end of a long output (a message may repeat a 100 kB value)."""
    return text if len(text) <= 6000 else text[:3000] + "\n[...]\n" + text[-3000:]


def serve(limit_mib: int) -> None:
    limit = limit_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from harness.cli.main import main

    requests, answers = sys.stdin, sys.__stdout__
    assert answers is not None
    for line in requests:
        request = json.loads(line)
        out, err = io.StringIO(), io.StringIO()
        escaped = ""
        code: int | None = None
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(request["argv"])
        except SystemExit as exc:  # argparse refusing a flag
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException:  # everything that escapes is what the test looks for
            escaped = traceback.format_exc()
        answer = {"exit": code, "stdout": _ends(out.getvalue()), "stderr": _ends(err.getvalue()),
                  "traceback": escaped}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve(int(sys.argv[1]))

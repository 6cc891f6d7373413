"""``rayjob-harness``: the entry point. Parses arguments and turns expected errors into exit codes.

Exit codes: 0 success, 1 a scenario or expectation failed, 2 bad input (manifest, scenario, flag; the message
names the place and the fix), 130 interrupted. No traceback is shown for input errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import HarnessError, InputError


def build_parser() -> argparse.ArgumentParser:
    from . import cluster as cluster_cmd
    from . import run as run_cmd
    from . import simulate as simulate_cmd

    parser = argparse.ArgumentParser(
        prog="rayjob-harness",
        description="Simulate and test KubeRay RayJob behaviour locally, in virtual time.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sim = sub.add_parser("simulate", help="apply manifests to the simulator and print what KubeRay does",
                         description="Apply RayJob manifests to a simulated cluster running KubeRay, run until "
                                     "every RayJob is settled (or --for elapses), and print the journal.")
    simulate_cmd.add_arguments(sim)
    sim.set_defaults(handler=simulate_cmd.command)
    run = sub.add_parser("run", help="run scenario files", description="Run scenario files or folders.")
    run_cmd.add_run_arguments(run)
    run.set_defaults(handler=run_cmd.run_command)
    cluster_cmd.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

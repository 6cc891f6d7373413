"""``rayjob-harness``: the entry point. Parses arguments and turns expected errors into exit codes.

Exit codes: 0 success, 1 a scenario, expectation or validation failed, 2 bad input (manifest, scenario, flag; the
message names the place and the fix), 130 interrupted. No traceback is shown for input errors.

Only the chosen command's module is imported, so ``validate`` and ``--help`` start without loading the simulator.
Warnings logged anywhere in the harness are printed once each, as ``Warning: ...`` on stderr, and so is the
progress of a local Ray runtime starting.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Final

from .. import __version__
from ..errors import HarnessError, InputError

# command -> (help, description, module, function adding its arguments, handler); a command whose module registers
# its own parser (with actions of its own) names "register" and no handler
COMMANDS: Final = {
    "simulate": ("apply manifests to the simulator and print what KubeRay does",
                 "Apply RayJob manifests to a simulated cluster running KubeRay, run until every RayJob is settled "
                 "(or --for elapses), and print the journal.", "simulate", "add_arguments", "command"),
    "run": ("run scenario files", "Run scenario files or folders.", "run", "add_run_arguments", "run_command"),
    "validate": ("check manifests before deployment: API server schema, operator rules, pitfalls",
                 "Check RayJob manifests (and the RayClusters and ConfigMaps they use) as the API server and the "
                 "KubeRay operator would, plus the pitfalls they both accept; every problem at once, with its "
                 "place and a fix. Exit 0 without errors, 1 with errors, 2 when an input cannot be read.",
                 "validate", "add_arguments", "command"),
    "cluster": ("create, inspect or delete kind clusters running the real KubeRay operator", "", "cluster",
                "register", ""),
    "serve": ("serve the simulator behind a Kubernetes-compatible API, for kubectl and Kubernetes clients",
              "Start a simulated cluster running KubeRay behind a Kubernetes-compatible HTTPS API on loopback, write "
              "a kubeconfig for it, and serve until Ctrl-C. kubectl apply, get, describe, logs, delete, patch and "
              "wait work against it unchanged.", "serve", "add_arguments", "command"),
    "advance": ("fast-forward the virtual time of a running 'serve'",
                "Fast-forward the virtual time of a running 'rayjob-harness serve' (a TTL, a deadline), through "
                "its kubeconfig.", "serve", "add_advance_arguments", "advance_command"),
}


def _version() -> str:
    from ..backends.registry import backend_info

    return f"rayjob-harness {__version__} (KubeRay {', '.join(backend_info('sim').kuberay_versions)} simulated)"


class _VersionAction(argparse.Action):
    """``--version``, worded when asked for: the text names the simulated releases, which means importing the
    backend registry, a cost every other invocation (``--help`` first) would pay for nothing."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0,
                         help=help or "show program's version number and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        parser._print_message(_version() + "\n", sys.stdout)
        parser.exit()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the command it names gets its arguments (and its module imported)."""
    chosen = next((arg for arg in argv if not arg.startswith("-")), None) if argv is not None else None
    parser = argparse.ArgumentParser(
        prog="rayjob-harness",
        description="Simulate and test KubeRay RayJob behaviour locally, in virtual time.")
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (short, description, module, adder, handler) in COMMANDS.items():
        if argv is not None and chosen != name:
            sub.add_parser(name, help=short, description=description)  # listed in --help, arguments not loaded
            continue
        loaded = importlib.import_module(f".{module}", __package__)
        if adder == "register":
            getattr(loaded, adder)(sub)
            continue
        command = sub.add_parser(name, help=short, description=description)
        getattr(loaded, adder)(command)
        command.set_defaults(handler=getattr(loaded, handler))
    return parser


def _chosen_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost (sub)command parser the arguments chose: its usage is the one to show for a bad flag."""
    for action in parser._actions:  # argparse keeps subcommands as an action holding one parser per name
        if isinstance(action, argparse._SubParsersAction):
            name = getattr(args, action.dest, None)
            if name in action.choices:
                return _chosen_parser(action.choices[name], args)
    return parser


PROGRESS_LOGGER: Final = "harness.executors.ray_runtime"  # says when a Ray runtime starts and is up


class _OncePerMessage(logging.Handler):
    """Prints each distinct warning once (the same text often reaches the CLI by two roads), and the progress of a
    starting Ray runtime, which takes seconds."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.levelno < logging.WARNING:
            if record.name == PROGRESS_LOGGER:
                print(text, file=sys.stderr, flush=True)
        elif text not in self.seen:
            self.seen.add(text)
            print(f"{record.levelname.capitalize()}: {text}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if extra:  # the command's own usage, not the top-level one
        _chosen_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    logger, handler, progress = logging.getLogger("harness"), _OncePerMessage(), logging.getLogger(PROGRESS_LOGGER)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    level = progress.level
    progress.setLevel(logging.INFO)
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
    except BrokenPipeError:
        # the reader went away (`... | head`): stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        progress.setLevel(level)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``rayjob-harness validate PATH...``: check manifests before deployment, all problems in one run.

Exit codes: 0 without errors, 1 with errors (``--strict``: warnings too), 2 when an input cannot be read or parsed
(or a flag is wrong). ``--convert`` instead rewrites ray.io/v1alpha1 RayJobs as ray.io/v1: 0 when everything was
mapped, 1 when something was left as written (each said on stderr), 2 for unreadable input.

This module only parses flags and prints; the checks live in ``harness.validate``, imported when the command runs
(so ``--help`` is instant). Neither imports Ray, a Kubernetes client or the simulator.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from ..backends.registry import backend_info
from ..errors import InputError, ManifestError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="YAML files or folders of them ('-' reads standard input)")
    releases = ", ".join(backend_info("sim").kuberay_versions)
    parser.add_argument("--kuberay-version", default="1.7", metavar="V",
                        help=f"the KubeRay release the cluster runs ({releases}; default 1.7)")
    parser.add_argument("--feature-gates", default="", metavar="G=true,...",
                        help="the operator's --feature-gates, e.g. RayJobDeletionPolicy=false (default: the "
                             "release's defaults)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                        help="text for people (default), json for scripts, sarif for CI code scanning")
    parser.add_argument("--strict", action="store_true", help="count warnings as errors (exit 1)")
    parser.add_argument("-R", "--recursive", action="store_true", help="also read YAML files in sub-folders")
    parser.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                        help="write the report (or the converted YAML) to FILE instead of standard output")
    parser.add_argument("--convert", action="store_true",
                        help="rewrite ray.io/v1alpha1 RayJobs and RayClusters as ray.io/v1 (runtimeEnv becomes "
                             "runtimeEnvYAML with Ray's key names) and say what could not be mapped")
    parser.add_argument("--write", action="store_true", help="with --convert: rewrite the files in place")
    parser.add_argument("--list-rules", action="store_true", help="print every rule with its severity and exit")


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text + "\n")
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write --output path={str(output)!r}: {exc.strerror or exc}",
                         hint="choose a writable file") from None


def _colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def _list_rules() -> int:
    from ..validate import RULES

    width = max(len(rule_id) for rule_id in RULES)
    for rule in RULES.values():
        print(f"{rule.id:<{width}}  {rule.severity.value:<7}  {rule.title}")
    return 0


def command(args: argparse.Namespace) -> int:
    if args.list_rules:
        return _list_rules()
    if not args.paths:
        raise InputError("no PATH to validate", hint="give files or folders, e.g. 'rayjob-harness validate "
                                                     "rayjob.yaml', or '-' to read standard input")
    if args.write and not args.convert:
        raise InputError("--write rewrites files only with --convert", hint="add --convert, or drop --write")
    if args.convert:
        return convert_command(args.paths, recursive=args.recursive, write=args.write, output=args.output)
    from .. import __version__
    from ..validate import render_json, render_sarif, render_text, validate_paths

    report = validate_paths(args.paths, kuberay_version=args.kuberay_version, feature_gates=args.feature_gates,
                            strict=args.strict, recursive=args.recursive)
    if args.format == "json":
        text = render_json(report, __version__)
    elif args.format == "sarif":
        text = render_sarif(report, __version__)
    else:
        text = render_text(report, colour=args.output is None and _colour(sys.stdout))
    _emit(text, args.output)
    return report.exit_code


def convert_command(paths: list[str], *, recursive: bool, write: bool, output: Path | None) -> int:
    """Convert each file; the YAML goes to stdout (or ``output``), or back into the file with ``write``."""
    from ..validate import convert_text, input_files
    from ..validate.documents import STDIN

    if write and STDIN in paths:
        raise InputError("--write cannot rewrite standard input", hint="drop --write to print the result")
    files, missing = input_files(paths, recursive=recursive)
    for problem in missing:
        print(f"error: {problem.pos}: {problem.message}\n  Hint: {problem.fix}", file=sys.stderr)
    failed = bool(missing)
    printed: list[str] = []
    unmapped = False
    for file in files:
        name = "<stdin>" if file == STDIN else str(file)
        try:
            text = sys.stdin.read() if file == STDIN else Path(file).read_text(encoding="utf-8")
            result = convert_text(text, name)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: {name}: cannot be read: {exc}", file=sys.stderr)
            failed = True
            continue
        except ManifestError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed = True
            continue
        for note in result.notes:
            print(f"{note.pos}: note: {note.message}", file=sys.stderr)
        unmapped = unmapped or bool(result.notes)
        if write:
            if result.converted:
                tmp = Path(file).with_name(f".{Path(file).name}.tmp")
                tmp.write_text(result.text, encoding="utf-8")
                tmp.replace(file)
            print(f"{name}: converted {result.converted} object(s)" if result.converted else
                  f"{name}: nothing to convert", file=sys.stderr)
        else:
            printed.append(f"# Source: {name}\n{result.text}" if len(files) > 1 else result.text)
    if printed:
        _emit("---\n".join(text if text.endswith("\n") else text + "\n" for text in printed).rstrip("\n"), output)
    return 2 if failed else 1 if unmapped else 0

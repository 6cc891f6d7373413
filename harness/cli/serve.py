"""``rayjob-harness serve`` and ``rayjob-harness advance``: the simulator behind a Kubernetes-compatible API.

``serve`` starts one simulated cluster running KubeRay, serves it over HTTPS on loopback with a generated
kubeconfig (mode 0600, context ``rayjob-harness-simulator``), prints how to use it, and runs until Ctrl-C or
SIGTERM, then stops everything it started (the Ray runtime included) and removes the kubeconfig it wrote. Its Ray
jobs run as ``run`` runs them (``--executor auto``). ``advance DURATION`` fast-forwards a running server's virtual
time (a TTL, a deadline) through the kubeconfig, from another terminal.

Argument parsing and printing only: the server is built by :mod:`harness.apiserver.launch`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .._util.durations import format_duration
from ..apiserver import CONTEXT, LOOPBACK, PACINGS
from ..apiserver.launch import ServeSettings, build_server
from ..apiserver.remote import advance, endpoint
from ..backends.registry import backend_info
from ..errors import InputError
from ..executors import EXECUTOR_CHOICES
from ..model.featuregates import parse_feature_gates
from .simulate import _duration, _pairs, executor_settings

DEFAULT_KUBECONFIG = "rayjob-harness.kubeconfig"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    info = backend_info("sim")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default 0: a free port)")
    parser.add_argument("--address", default=LOOPBACK,
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--kubeconfig-out", type=Path, default=Path(DEFAULT_KUBECONFIG), metavar="FILE",
                        help=f"where to write the kubeconfig (default ./{DEFAULT_KUBECONFIG}; removed on exit)")
    parser.add_argument("--kuberay-version", default=info.default_kuberay_version,
                        help=f"KubeRay release ({', '.join(info.kuberay_versions)}; default "
                             f"{info.default_kuberay_version})")
    parser.add_argument("--executor", choices=EXECUTOR_CHOICES, default="auto",
                        help="how Ray jobs run: auto (default: scripted when --job-* flags declare the outcome, "
                             "else for real on local Ray when it is installed), scripted, or ray")
    parser.add_argument("--pacing", choices=PACINGS, default="WallClock",
                        help="how virtual time moves between requests: WallClock (default: one virtual second "
                             "per second, as on a cluster) or Manual (only 'rayjob-harness advance' moves it)")
    parser.add_argument("--job-runtime", type=_duration, default=None, metavar="DURATION",
                        help="scripted executor: how long each Ray job runs (default 5s)")
    parser.add_argument("--job-exit", type=int, default=None, metavar="CODE",
                        help="scripted executor: the entrypoint's exit code (0 → SUCCEEDED, else FAILED)")
    parser.add_argument("--job-stopped", action="store_true", help="scripted executor: the job ends STOPPED")
    parser.add_argument("--job-output", action="append", default=[], metavar="TEXT",
                        help="scripted executor: a line the driver prints (repeatable)")
    parser.add_argument("--operator-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable of the operator (one the simulator does not model is "
                             "refused)")
    parser.add_argument("--feature-gates", default="", metavar="G=true,...", help="operator feature gates")
    parser.add_argument("--path-map", action="append", default=[], metavar="CONTAINER=LOCAL",
                        help="ray executor: map a container path to a local folder, e.g. /app=./app")
    parser.add_argument("--seed", type=int, default=0, help="seed of generated names (default 0)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request on stderr")


def add_advance_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("duration", type=_duration, metavar="DURATION", help="how much virtual time, e.g. 30s, 1h")
    parser.add_argument("--kubeconfig", type=Path, default=None, metavar="FILE",
                        help="the kubeconfig serve wrote (default: $KUBECONFIG, else ~/.kube/config)")
    parser.add_argument("--context", default=None, help="kubeconfig context (default: the current one)")


class _Stop(Exception):
    """SIGTERM, turned into an orderly stop."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Stop()


def command(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise InputError(f"--port={args.port} is not a port", hint="use 1-65535, or 0 for a free port")
    if args.verbose:
        logging.getLogger("harness.apiserver").setLevel(logging.DEBUG)
    settings = ServeSettings(
        kuberay_version=args.kuberay_version, executor=executor_settings(args),
        operator_env=_pairs(args.operator_env, "--operator-env"),
        feature_gates=parse_feature_gates(args.feature_gates), host=args.address, port=args.port,
        pacing=args.pacing, seed=args.seed, on_warning=logging.getLogger("harness.cli").warning)
    try:
        server = build_server(settings)
    except OSError as exc:
        raise InputError(f"cannot listen on {args.address}:{args.port}: {exc.strerror}",
                         hint="choose another --port (0 picks a free one)") from None
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    kubeconfig: Path | None = None
    written = ""
    try:
        server.start()
        kubeconfig = server.write_kubeconfig(args.kubeconfig_out)
        written = kubeconfig.read_text()
        _banner(server.url, kubeconfig, server.sim.profile.version, server.sim.executor.name, args.pacing,
                args.address)
        threading.Event().wait()
    except (KeyboardInterrupt, _Stop):
        print("stopping", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
        if kubeconfig is not None:
            _remove_if_ours(kubeconfig, written)
    return 0


def _remove_if_ours(path: Path, written: str) -> None:
    """Remove the kubeconfig unless something else (another server in the same folder) has rewritten it since."""
    try:
        if path.read_text() == written:
            path.unlink()
    except OSError:
        pass


def _banner(url: str, kubeconfig: Path, release: str, executor: str, pacing: str, address: str) -> None:
    time_note = "paced to the wall clock" if pacing == "WallClock" else "moved only by 'rayjob-harness advance'"
    lines = [
        f"rayjob-harness serve: KubeRay {release} simulated, executor={executor}, virtual time {time_note}",
        f"  API server  {url}" + ("" if address == LOOPBACK else "  (reachable beyond this machine)"),
        f"  kubeconfig  {kubeconfig.resolve()}  (context {CONTEXT}; removed when the server stops)",
        "",
        f"  export KUBECONFIG={kubeconfig.resolve()}",
        "  kubectl apply -f rayjob.yaml && kubectl get rayjob -w",
        f"  rayjob-harness advance 1h --kubeconfig {kubeconfig.resolve()}   # fast-forward virtual time",
        "",
        "Ctrl-C stops the server and everything it started.",
    ]
    print("\n".join(lines), flush=True)


def advance_command(args: argparse.Namespace) -> int:
    target = endpoint(args.kubeconfig, args.context)
    clock = advance(target, args.duration)
    status = clock.get("status") or {}
    print(f"advanced {format_duration(args.duration)}: virtual time is now {status.get('time')} "
          f"({format_duration(round(float(status.get('now', 0.0))))} since the server started)")
    return 0

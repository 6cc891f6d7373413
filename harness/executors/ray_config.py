"""How the harness configures ``ray start``: the ports of one runtime, its command line and its environment.

Pure decisions, kept apart from the runtime's lifecycle (:mod:`.ray_runtime`) so that they read as a list: which
port each Ray process gets (every one inside the runtime's reserved block, including the two Ray 2.60 otherwise
fixes), which flags and environment keep Ray on loopback with token auth, and what the processes inherit
(the runtime's marker, a private ``HOME`` and ``TMPDIR``, this interpreter on ``PATH``).

Not here: reserving the block (:mod:`.runtime_dirs`), starting or stopping anything.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .choice import ray_importable
from .runtime_dirs import ENV_MARKER

INSTALL_HINT: Final = "pip install 'rayjob-harness[ray]'"
PORT_RANGE: Final = (20000, 32000)  # below the usual ephemeral range (32768-60999), where clients get ports
BLOCK_SIZE: Final = 128  # 11 fixed ports, then worker ports (one per worker process: supervisors, drivers)
_FIXED_PORTS: Final = 16
# A user's RAY_AUTH_TOKEN would take precedence over the runtime's token file; their RAY_ADDRESS would point
# `ray start` at another cluster.
_DROPPED_ENV: Final = ("RAY_ADDRESS", "RAY_API_SERVER_ADDRESS", "RAY_AUTH_TOKEN")


@dataclass(frozen=True)
class RayPorts:
    """The ports of one runtime, all inside one reserved block."""

    base: int

    @property
    def gcs(self) -> int:
        return self.base

    @property
    def dashboard(self) -> int:
        return self.base + 1

    @property
    def agent(self) -> int:
        """The dashboard agent's HTTP port (it runs the job submissions the dashboard forwards)."""
        return self.base + 6

    @property
    def block(self) -> range:
        return range(self.base, self.base + BLOCK_SIZE)

    def flags(self) -> list[str]:
        b = self.base
        return [f"--port={b}", f"--dashboard-port={b + 1}", f"--ray-client-server-port={b + 2}",
                f"--node-manager-port={b + 3}", f"--object-manager-port={b + 4}",
                f"--metrics-export-port={b + 5}", f"--dashboard-agent-listen-port={b + 6}",
                f"--dashboard-agent-grpc-port={b + 7}", f"--runtime-env-agent-port={b + 8}",
                f"--min-worker-port={b + _FIXED_PORTS}", f"--max-worker-port={b + BLOCK_SIZE - 1}"]

    def env(self) -> dict[str, str]:
        """The ports Ray 2.60 takes only from the environment (fixed at 44217 and 44227 otherwise)."""
        return {"AUTOSCALER_METRIC_PORT": str(self.base + 9), "DASHBOARD_METRIC_PORT": str(self.base + 10)}


def start_command(ports: RayPorts, *, temp_dir: Path, num_cpus: int, object_store_memory: int) -> list[str]:
    """``ray start --head --block`` with the dashboard, every listener on loopback, every port in the block."""
    return [*_ray_command(), "start", "--head", "--block", "--include-dashboard=true",
            "--node-ip-address=127.0.0.1", "--dashboard-host=127.0.0.1", *ports.flags(), f"--temp-dir={temp_dir}",
            f"--num-cpus={num_cpus}", f"--object-store-memory={object_store_memory}", "--log-color=false",
            "--disable-usage-stats"]


def runtime_env(runtime_dir: Path, ports: RayPorts, token_path: Path, *,
                base: Mapping[str, str] | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every Ray process of a runtime: ``base`` (default: ours) with the runtime's settings,
    then ``extra`` on top (it can override any of them)."""
    base = os.environ if base is None else base
    env = {key: value for key, value in base.items() if key not in _DROPPED_ENV}
    env.update({
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token_path),
        # A single-machine runtime: Ray then resolves its node address to loopback (on Linux too).
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        **ports.env(),
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_USAGE_STATS_CONFIG_PATH": str(runtime_dir / "usage_stats.json"),
        # Ray 2.60 drains a node for up to 30 s on SIGTERM; a throwaway local head has nothing to drain.
        "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",
        # `ray start` writes to a file here, not a terminal: unbuffered, its log is complete as it happens.
        "PYTHONUNBUFFERED": "1",
        # Nothing Ray or a driver writes under ~ may land in the user's home; keep their user site though.
        "HOME": str(runtime_dir / "home"),
        # Ray's dashboard (multiprocessing forkserver) and drivers leave pymp-* dirs in the system temp dir.
        "TMPDIR": str(runtime_dir / "tmp"),
        "PYTHONUSERBASE": base.get("PYTHONUSERBASE") or _user_base(),
        # `python` in an entrypoint must be this interpreter (the one with ray installed).
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), base.get("PATH", "")]),
        ENV_MARKER: runtime_dir.name,
    })
    if "PIP_CONFIG_FILE" not in env:  # runtime_env pip installs should still see the user's index settings
        for candidate in (Path.home() / ".config" / "pip" / "pip.conf", Path.home() / ".pip" / "pip.conf"):
            if candidate.is_file():
                env["PIP_CONFIG_FILE"] = str(candidate)
                break
    env.update(extra or {})
    return env


def ray_installed() -> bool:
    """True when ``ray`` is a real installed package (see :func:`.choice.ray_importable`)."""
    return ray_importable()


def _ray_command() -> list[str]:
    """The ``ray`` CLI of this interpreter (not whatever ``ray`` a PATH shim resolves to)."""
    beside = Path(sys.executable).parent / "ray"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "ray.scripts.scripts"]


def _user_base() -> str:
    import site

    return site.getuserbase() or ""

"""Probes of a running local Ray runtime from the outside, as an attacker or an auditor would see it: its listening
sockets (read from ``/proc/net/tcp{,6}`` and mapped to processes by socket inode), unauthenticated HTTP job
submissions and gRPC calls, and the processes that carry its marker."""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path

from harness._util import procs
from harness.executors.runtime_dirs import marker_of

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's st column

# One method of every gRPC service a Ray 2.60 runtime serves that would let a caller run or place work: the GCS
# (register a job), the raylet (lease a worker), the object manager, core workers (push a task), the Ray client
# server (schedule a task) and the dashboard agent (its reporter and log services).
JOB_METHODS = (
    "/ray.rpc.JobInfoGcsService/AddJob",
    "/ray.rpc.NodeManagerService/RequestWorkerLease",
    "/ray.rpc.ObjectManagerService/Push",
    "/ray.rpc.CoreWorkerService/PushTask",
    "/ray.rpc.RayletDriver/Schedule",
    "/ray.rpc.ReporterService/HealthCheck",
    "/ray.rpc.LogService/ListLogs",
)
SUBMISSION_PATHS = ("/api/jobs/", "/api/job_agent/jobs/")  # the dashboard's and the dashboard agent's job APIs


@dataclass(frozen=True)
class Listener:
    address: str
    port: int
    pid: int


def _decode_address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    # /proc/net/tcp{,6} print each 32-bit word of the address in host (little-endian) order.
    swapped = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(swapped)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _listening_inodes() -> dict[int, tuple[str, int]]:
    found: dict[int, tuple[str, int]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != _LISTEN:
                continue
            hex_address, hex_port = fields[1].split(":")
            found[int(fields[9])] = (_decode_address(hex_address), int(hex_port, 16))
    return found


def listeners(pids: list[int]) -> list[Listener]:
    """The TCP sockets in LISTEN state held by ``pids`` (by the socket inodes among their open descriptors)."""
    inodes = _listening_inodes()
    out = []
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and int(target[8:-1]) in inodes:
                address, port = inodes[int(target[8:-1])]
                out.append(Listener(address, port, pid))
    return sorted(set(out), key=lambda item: (item.port, item.pid))


def post_job_without_token(port: int, path: str, entrypoint: str) -> int | str:
    """POST a job submission with no credentials; the HTTP status, or what went wrong for a non-HTTP port."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("POST", path, body=json.dumps({"entrypoint": entrypoint}),
                           headers={"Content-Type": "application/json"})
        return connection.getresponse().status
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__
    finally:
        connection.close()


def grpc_codes_without_token(port: int) -> dict[str, str]:
    """The gRPC status of each of :data:`JOB_METHODS` called with no credentials (an empty request body)."""
    import grpc

    codes = {}
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        for method in JOB_METHODS:
            try:
                channel.unary_unary(method)(b"", timeout=5)
                codes[method] = "OK"
            except grpc.RpcError as error:
                codes[method] = error.code().name
    finally:
        channel.close()
    return codes


def marked(runtime_dir: Path) -> list[int]:
    """Live processes of the runtime that lived in ``runtime_dir``, recognised by its marker only."""
    return procs.find_marked(marker_of(runtime_dir))


def reapers_of(runtime_dir: Path) -> list[int]:
    """Live reaper processes watching ``runtime_dir`` (their orders are in their environment)."""
    needle = json.dumps(str(runtime_dir)).encode()
    found = []
    for pid in procs.all_pids():
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if b"RJH_REAPER=" in environ and needle in environ and procs.pid_alive(pid):
            found.append(pid)
    return found


@dataclass(frozen=True)
class Dispositions:
    """Which signals a process ignores and which it catches (``SigIgn``/``SigCgt`` of /proc/<pid>/status)."""

    ignored: int
    caught: int

    def ignores(self, signum: int) -> bool:
        return bool(self.ignored >> (signum - 1) & 1)

    def catches(self, signum: int) -> bool:
        return bool(self.caught >> (signum - 1) & 1)


def signal_dispositions(pid: int) -> Dispositions:
    fields = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if ":\t" in line)
    return Dispositions(int(fields["SigIgn"], 16), int(fields["SigCgt"], 16))

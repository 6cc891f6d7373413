"""The Ray programs a submitter container runs: ``ray job submit|status|logs|stop``, the dashboard health check
KubeRay's script does with ``python -c``, and KubeRay's light-weight Go submitter ``/submitter`` (v1.5+ image
``quay.io/kuberay/submitter``).

Each is a command for :mod:`harness.kube.shell`: it takes ``argv`` and a process (environment, stdout, stderr),
talks to the simulated dashboards and yields virtual time. Flags, output lines and exit codes follow the real
programs: Ray's job CLI (``ray job submit`` joins the entrypoint words with ``subprocess.list2cmdline``, exits 1
when it tails a job that FAILED; ``ray job logs --follow`` exits 0 whatever the outcome) and, for ``/submitter``,
``ray-operator/rayjob-submitter`` at v1.7.0 (pflag parsing, ``RAY_DASHBOARD_ADDRESS``/``RAY_JOB_SUBMISSION_ID``/
``RAY_AUTH_TOKEN`` from the environment, ``SUCC --``/``INFO --``/``ERROR --`` lines, exit 1 on any error, and
``SUCC -- Job '<id>' succeeded`` printed whenever the log stream closes normally, even for a FAILED job).

Timings: a ``ray`` CLI round trip (``RayTimings.cli_call``) is spent where its answer is awaited: after the health
check, before ``ray job logs`` polls, and before ``submit`` starts tailing; ``ray job status`` is folded into the
health check's round trip. Not here: the shell language (:mod:`harness.kube.shell`), the job table
(:mod:`.dashboard`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from subprocess import list2cmdline
from typing import Any, Final

from ..kube.shell import Command, Process, Step
from ..model.enums import JobStatus
from .dashboard import DashboardError, JobNotFound, JobRecord, RayDashboard, SubmissionRejected, SubmitRequest
from .directory import DashboardDirectory
from .timings import RayTimings

_SUBMIT_VALUE_OPTIONS: Final = frozenset({
    "--address", "--submission-id", "--job-id", "--runtime-env", "--runtime-env-json", "--working-dir",
    "--metadata-json", "--entrypoint-num-cpus", "--entrypoint-num-gpus", "--entrypoint-memory",
    "--entrypoint-resources", "--entrypoint-label-selector", "--headers", "--verify", "--log-style",
    "--log-color"})
_SUBMIT_FLAGS: Final = frozenset({"--no-wait", "-v", "--verbose"})
_COMMON_VALUE_OPTIONS: Final = frozenset({"--address", "--headers", "--verify", "--log-style", "--log-color"})
_HEALTH_URL: Final = re.compile(r"(https?://[^'\"\s]+)/api/gcs_healthz")
LOCAL_HOSTS: Final = ("127.0.0.1", "localhost")
DEFAULT_ADDRESS: Final = "http://127.0.0.1:8265"


class CliError(Exception):
    """A program ends with ``code`` after printing ``lines`` on stderr."""

    def __init__(self, code: int, *lines: str) -> None:
        super().__init__(lines[-1] if lines else "")
        self.code = code
        self.lines = lines


@dataclass(frozen=True)
class PodSide:
    """Where the programs run: the pod's namespace, the cluster whose head shares its network (SidecarMode),
    the RayJob it submits for, and who submits (``submitter`` or ``sidecar``)."""

    directory: DashboardDirectory
    timings: RayTimings
    namespace: str
    local_cluster: str | None
    rayjob: str
    submitted_by: str

    def dashboard(self, address: str, token: str | None, *, health: bool = False) -> RayDashboard:
        """The dashboard ``address`` reaches from this pod; the job API checks ``token`` (health checks are open,
        as KubeRay's readiness probes on ``/api/gcs_healthz`` need no token)."""
        host = address.removeprefix("http://").removeprefix("https://").split("/", 1)[0].split(":", 1)[0]
        if host in LOCAL_HOSTS:
            found = self.directory.current(self.namespace, self.local_cluster) if self.local_cluster else None
            if found is None or not found.serving:
                raise DashboardError(f'Post "{address}/api/jobs/": dial tcp {host}: connect: connection refused')
        else:
            found = self.directory.resolve(address, namespace=self.namespace)
        if not health:
            found.authorize(token)
        return found


def _address(options: Mapping[str, str], env: Mapping[str, str]) -> str:
    """``--address``, else ``RAY_API_SERVER_ADDRESS`` or ``RAY_ADDRESS``, else the local default (as Ray's CLI)."""
    address = options.get("--address") or env.get("RAY_API_SERVER_ADDRESS") or env.get("RAY_ADDRESS") or \
        DEFAULT_ADDRESS
    return address if "://" in address else f"http://{address}"


def _split_options(argv: list[str], values: frozenset[str], flags: frozenset[str],
                   usage: str) -> tuple[dict[str, str], list[str]]:
    """Click-style parsing: options anywhere before ``--``, then positional words."""
    options: dict[str, str] = {}
    positional: list[str] = []
    words = iter(argv)
    for word in words:
        if word == "--":
            positional.extend(words)
            break
        name, eq, inline = word.partition("=")
        if name in values:
            value = inline if eq else next(words, None)
            if value is None:
                raise CliError(2, usage, f"Error: Option '{name}' requires an argument.")
            options[name] = value
        elif word in flags:
            options[word] = "true"
        elif word.startswith("-") and len(word) > 1:
            raise CliError(2, usage, f"Error: No such option: {name}")
        else:
            positional.append(word)
    return options, positional


def _traceback(error: str) -> CliError:
    return CliError(1, "Traceback (most recent call last):", error)


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _traceback(f"json.decoder.JSONDecodeError: {exc}") from exc


def client_side_runtime_env_error(runtime_env: Mapping[str, Any] | None) -> str | None:
    """What ``ray job submit`` refuses before contacting the cluster: a remote working_dir that is not a .zip."""
    working_dir = (runtime_env or {}).get("working_dir")
    if isinstance(working_dir, str) and "://" in working_dir and not working_dir.endswith(".zip"):
        return "ValueError: Only .zip files supported for remote URIs."
    return None


def submitted_banner(address: str, submission_id: str) -> list[str]:
    line = f"Job '{submission_id}' submitted successfully"
    return [f"Job submission server address: {address}", "", "-" * len(line), line, "-" * len(line), "",
            "Next steps", "  Query the logs of the job:", f"    ray job logs {submission_id}",
            "  Query the status of the job:", f"    ray job status {submission_id}",
            "  Request the job to be stopped:", f"    ray job stop {submission_id}", ""]


def final_status_lines(job_status: JobStatus, submission_id: str, message: str) -> list[str]:
    if job_status == JobStatus.SUCCEEDED:
        text = f"Job '{submission_id}' succeeded"
        return ["", "-" * len(text), text, "-" * len(text), ""]
    if job_status == JobStatus.STOPPED:
        return [f"Job '{submission_id}' was stopped"]
    text = f"Job '{submission_id}' failed"
    return ["", "-" * len(text), text, "-" * len(text), "", f"Status message: {message}"]


def status_lines(record: JobRecord, submission_id: str) -> list[str]:
    """What Ray's CLI prints about a job's status (``_log_job_status``): a banner once terminal."""
    if record.status.is_terminal:
        return final_status_lines(record.status, submission_id, record.message)
    return [f"Status for job '{submission_id}': {record.status.value}", f"Status message: {record.message}"]


def _emit(proc: Process, lines: list[str]) -> None:
    for line in lines:
        proc.out(line)


# -- ray job ... --------------------------------------------------------------------------------------------------


def ray_command(side: PodSide) -> Command:
    """``ray``: the ``job`` subcommands a submitter uses."""

    def ray(argv: list[str], proc: Process) -> Step:
        sub = argv[1:3]
        try:
            if sub == ["job", "submit"]:
                return (yield from _submit(side, argv[3:], proc))
            if sub == ["job", "status"]:
                return (yield from _status(side, argv[3:], proc))
            if sub == ["job", "logs"]:
                return (yield from _logs(side, argv[3:], proc))
            if sub == ["job", "stop"]:
                return (yield from _stop(side, argv[3:], proc))
            raise CliError(2, f"Error: ray {' '.join(argv[1:3])} is not modelled by the simulator")
        except CliError as failed:
            for line in failed.lines:
                proc.err(line)
            return failed.code

    return ray


def _submit(side: PodSide, args: list[str], proc: Process) -> Step:
    usage = "Usage: ray job submit [OPTIONS] ENTRYPOINT..."
    options, entrypoint = _split_options(args, _SUBMIT_VALUE_OPTIONS, _SUBMIT_FLAGS, usage)
    if not entrypoint:
        raise CliError(2, usage, "Try 'ray job submit --help' for help.", "",
                       "Error: Missing argument 'ENTRYPOINT...'.")
    address = _address(options, proc.env)
    runtime_env: dict[str, Any] | None = None
    if "--runtime-env-json" in options:
        runtime_env = dict(_json(options["--runtime-env-json"], "runtime env"))
    if "--working-dir" in options:
        runtime_env = {**(runtime_env or {}), "working_dir": options["--working-dir"]}
    problem = client_side_runtime_env_error(runtime_env)
    if problem is not None:
        raise _traceback(problem)
    resources = _json(options["--entrypoint-resources"], "resources") if "--entrypoint-resources" in options \
        else None
    submission_id = options.get("--submission-id") or options.get("--job-id") or ""
    request = SubmitRequest(
        submission_id=submission_id, entrypoint=list2cmdline(entrypoint), runtime_env=runtime_env,
        metadata=_json(options["--metadata-json"], "metadata") if "--metadata-json" in options else None,
        entrypoint_num_cpus=_float(options.get("--entrypoint-num-cpus")),
        entrypoint_num_gpus=_float(options.get("--entrypoint-num-gpus")),
        entrypoint_resources=resources if isinstance(resources, dict) else None,
        submitted_by=side.submitted_by, rayjob=side.rayjob)
    try:
        dashboard = side.dashboard(address, proc.env.get("RAY_AUTH_TOKEN"))
        submitted = dashboard.submit_job(request)
    except SubmissionRejected as exc:
        raise _traceback(f"RuntimeError: Request failed with status code 500: {exc}") from exc
    except DashboardError as exc:
        raise _traceback(f"ConnectionError: Failed to connect to Ray at address: {address}. ({exc})") from exc
    _emit(proc, submitted_banner(address, submitted))
    if "--no-wait" in options:
        return 0
    proc.out("Tailing logs until the job exits (disable with --no-wait):")
    yield side.timings.cli_call
    record = yield from _follow(side, address, submitted, proc)
    _emit(proc, status_lines(record, submitted))
    return 1 if record.status == JobStatus.FAILED else 0


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise CliError(2, f"Error: Invalid value: '{text}' is not a valid float.") from exc


def _job_id(positional: list[str], usage: str) -> str:
    if len(positional) != 1:
        raise CliError(2, usage, "Error: Missing argument 'JOB_ID'." if not positional else
                       f"Error: Got unexpected extra argument ({positional[1]})")
    return positional[0]


def _record(side: PodSide, address: str, submission_id: str, proc: Process) -> tuple[RayDashboard, JobRecord]:
    try:
        dashboard = side.dashboard(address, proc.env.get("RAY_AUTH_TOKEN"))
        dashboard.get_job_info(submission_id)
    except JobNotFound as exc:
        raise _traceback(f"RuntimeError: Request failed with status code 404: Job {submission_id} does not "
                         "exist.") from exc
    except DashboardError as exc:
        raise _traceback(f"ConnectionError: Failed to connect to Ray at address: {address}. ({exc})") from exc
    return dashboard, dashboard.jobs[submission_id]


def _status(side: PodSide, args: list[str], proc: Process) -> Step:
    usage = "Usage: ray job status [OPTIONS] JOB_ID"
    options, positional = _split_options(args, _COMMON_VALUE_OPTIONS, frozenset({"-v", "--verbose"}), usage)
    submission_id = _job_id(positional, usage)
    _, record = _record(side, _address(options, proc.env), submission_id, proc)
    _emit(proc, status_lines(record, submission_id))
    return 0
    yield


def _logs(side: PodSide, args: list[str], proc: Process) -> Step:
    usage = "Usage: ray job logs [OPTIONS] JOB_ID"
    options, positional = _split_options(args, _COMMON_VALUE_OPTIONS, frozenset({"-f", "--follow"}), usage)
    submission_id = _job_id(positional, usage)
    address = _address(options, proc.env)
    if "-f" not in options and "--follow" not in options:
        _, record = _record(side, address, submission_id, proc)
        _emit(proc, list(record.driver_log))
        return 0
    yield side.timings.cli_call
    record = yield from _follow(side, address, submission_id, proc)
    _emit(proc, status_lines(record, submission_id))
    return 0  # `ray job logs --follow` exits 0 whatever the job's outcome (KubeRay issue #3211)


def _follow(side: PodSide, address: str, submission_id: str,
            proc: Process) -> Generator[float, None, JobRecord]:
    """Print the driver log as it grows until the job is terminal, then drain (about 5 s, as measured)."""
    printed = 0
    while True:
        _, record = _record(side, address, submission_id, proc)
        fresh = record.driver_log[printed:]
        printed += len(fresh)
        _emit(proc, fresh)
        if record.status.is_terminal:
            break
        yield side.timings.follow_poll
    yield side.timings.follow_drain
    _emit(proc, record.driver_log[printed:])
    return record


def _stop(side: PodSide, args: list[str], proc: Process) -> Step:
    usage = "Usage: ray job stop [OPTIONS] JOB_ID"
    options, positional = _split_options(args, _COMMON_VALUE_OPTIONS, frozenset({"--no-wait"}), usage)
    submission_id = _job_id(positional, usage)
    address = _address(options, proc.env)
    dashboard, record = _record(side, address, submission_id, proc)
    proc.out(f"Attempting to stop job '{submission_id}'")
    dashboard.stop_job(submission_id)
    if "--no-wait" in options:
        return 0
    proc.out(f"Waiting for job '{submission_id}' to exit (disable with --no-wait):")
    while not record.status.is_terminal:
        yield side.timings.follow_poll
        _, record = _record(side, address, submission_id, proc)
    _emit(proc, final_status_lines(record.status, submission_id, record.message)[:1])
    return 0


# -- python -c: the dashboard health check of KubeRay's script -----------------------------------------------------


def is_health_check(argv: list[str]) -> bool:
    return len(argv) >= 3 and argv[1] == "-c" and _HEALTH_URL.search(argv[2]) is not None


def python_command(side: PodSide) -> Command:
    """``python -c "<urllib GET .../api/gcs_healthz>"``: 0 when the dashboard answers, 1 otherwise."""

    def python(argv: list[str], proc: Process) -> Step:
        match = _HEALTH_URL.search(argv[2]) if is_health_check(argv) else None
        if match is None:
            proc.err("python: only KubeRay's dashboard health check is modelled by the simulator")
            return 2
        try:
            side.dashboard(match.group(1), None, health=True)
            healthy = True
        except DashboardError:
            healthy = False
        if not healthy:
            proc.err("urllib.error.URLError: <urlopen error [Errno 111] Connection refused>")
        yield side.timings.cli_call if healthy else 0.0
        return 0 if healthy else 1

    return python


# -- /submitter: KubeRay's light-weight Go submitter -----------------------------------------------------------------

_GO_VALUE_FLAGS: Final = ("runtime-env-json", "metadata-json", "entrypoint-resources", "entrypoint-num-cpus",
                          "entrypoint-num-gpus")
_GO_USAGE: Final = ("Usage of /submitter:",
                    "      --entrypoint-num-cpus float32   the quantity of CPU cores to reserve for the entrypoint "
                    "command, separately from any tasks or actors that are launched by it.",
                    "      --entrypoint-num-gpus float32   the quantity of GPU cores to reserve for the entrypoint "
                    "command, separately from any tasks or actors that are launched by it.",
                    "      --entrypoint-resources string   a JSON-serialized dictionary mapping resource name to "
                    "resource quantity describing resources to reserve for the entrypoint command, separately "
                    "from any tasks or actors that are launched by it.",
                    "      --metadata-json string          JSON-serialized dictionary of metadata to attach to the "
                    "job.",
                    "      --runtime-env-json string       JSON-serialized runtime_env dictionary.")


def _go_flags(args: list[str]) -> tuple[dict[str, str], list[str]]:
    """pflag: ``--name value`` or ``--name=value``; ``--`` ends the flags; unknown flags fail with exit 2."""
    flags: dict[str, str] = {}
    rest: list[str] = []
    words = iter(args)
    for word in words:
        if word == "--":
            rest.extend(words)
            break
        if not word.startswith("-") or word == "-":
            rest.append(word)
            continue
        name, eq, inline = word.lstrip("-").partition("=")
        if name not in _GO_VALUE_FLAGS:
            shown = f"--{name}" if word.startswith("--") else f"-{name}"
            raise CliError(2, f"unknown flag: {shown}" if word.startswith("--") else
                           f"unknown shorthand flag: '{name[:1]}' in {word}", *_GO_USAGE)
        value = inline if eq else next(words, None)
        if value is None:
            raise CliError(2, f"flag needs an argument: --{name}", *_GO_USAGE)
        if name.startswith("entrypoint-num-"):
            try:
                float(value)
            except ValueError as exc:
                raise CliError(2, f'invalid argument "{value}" for "--{name}" flag: strconv.ParseFloat: '
                                  f'parsing "{value}": invalid syntax', *_GO_USAGE) from exc
        flags[name] = value
    return flags, rest


def _go_json(text: str, into: str) -> Any:
    """``json.Unmarshal`` into the request's Go types, with Go's error texts."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CliError(1, f"ERROR --  invalid character in JSON: {exc}") from exc
    if into == "float32 map":
        if not isinstance(value, dict):
            raise CliError(1, "ERROR --  json: cannot unmarshal "
                              f"{_go_json_type(value)} into Go value of type map[string]float32")
        for item in value.values():
            if not isinstance(item, (int, float)) or isinstance(item, bool):
                raise CliError(1, f"ERROR --  json: cannot unmarshal {_go_json_type(item)} into Go value of type "
                                  "float32")
    elif not isinstance(value, dict) and value is not None:
        raise CliError(1, f"ERROR --  json: cannot unmarshal {_go_json_type(value)} into Go value of type "
                          f"{'types.RuntimeEnvType' if into == 'runtime env' else 'map[string]string'}")
    return value


def _go_json_type(value: Any) -> str:
    return {bool: "bool", str: "string", int: "number", float: "number", list: "array"}.get(type(value), "object")


def lightweight_submitter(side: PodSide) -> Command:
    """``/submitter [flags] -- <entrypoint>``: submit through the job API, then tail the logs over a websocket."""

    def submitter(argv: list[str], proc: Process) -> Step:
        try:
            return (yield from _lightweight(side, argv, proc))
        except CliError as failed:
            for line in failed.lines:
                proc.err(line)
            return failed.code

    return submitter


def _lightweight(side: PodSide, argv: list[str], proc: Process) -> Step:
    flags, words = _go_flags(argv[1:])
    address = proc.env.get("RAY_DASHBOARD_ADDRESS", "")
    if not address:
        raise CliError(1, "ERROR --  missing RAY_DASHBOARD_ADDRESS in environment variables")
    submission_id = proc.env.get("RAY_JOB_SUBMISSION_ID", "")
    if not submission_id:
        raise CliError(1, "ERROR --  missing RAY_JOB_SUBMISSION_ID in environment variables")
    runtime_env = _go_json(flags["runtime-env-json"], "runtime env") if "runtime-env-json" in flags else None
    metadata = _go_json(flags["metadata-json"], "metadata") if "metadata-json" in flags else None
    resources = _go_json(flags["entrypoint-resources"], "float32 map") if "entrypoint-resources" in flags else None
    url = address if address.startswith("http://") else f"http://{address}"
    token = proc.env.get("RAY_AUTH_TOKEN") or None
    request = SubmitRequest(
        submission_id=submission_id, entrypoint=" ".join(words), runtime_env=runtime_env, metadata=metadata,
        entrypoint_num_cpus=float(flags["entrypoint-num-cpus"]) if "entrypoint-num-cpus" in flags else None,
        entrypoint_num_gpus=float(flags["entrypoint-num-gpus"]) if "entrypoint-num-gpus" in flags else None,
        entrypoint_resources=resources, submitted_by=side.submitted_by, rayjob=side.rayjob)
    try:
        dashboard = side.dashboard(url, token)
        dashboard.submit_job(request)
        proc.out(f"SUCC -- Job '{submission_id}' submitted successfully")
    except SubmissionRejected:
        proc.out(f"INFO -- Job '{submission_id}' has already been submitted, tailing logs.")
    except DashboardError as exc:
        raise CliError(1, f"ERROR --  {exc}") from exc
    proc.out("INFO -- Tailing logs until the job finishes:")
    printed = 0
    while True:
        try:
            dashboard = side.dashboard(url, token)
            record = dashboard.jobs[submission_id]
        except (DashboardError, KeyError) as exc:
            raise CliError(1, f"ERROR --  failed to WebSocket dial: {exc}") from exc
        fresh = record.driver_log[printed:]
        printed += len(fresh)
        _emit(proc, fresh)
        if record.status.is_terminal:
            break
        yield side.timings.follow_poll
    # The dashboard closes the log stream normally when the job ends, whatever its status.
    proc.out(f"SUCC -- Job '{submission_id}' succeeded")
    return 0


def commands(side: PodSide) -> dict[str, Command]:
    """The command table of a submitter container (beside the shell's builtins)."""
    return {"ray": ray_command(side), "python": python_command(side), "python3": python_command(side),
            "submitter": lightweight_submitter(side)}


COMMAND_NAMES: Final = frozenset({"ray", "python", "python3", "submitter"})

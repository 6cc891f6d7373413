"""The harness's own files about the clusters it made: kubeconfig, rendered configs, tool logs, a record.

Per cluster, one folder ``<state>/clusters/<name>/``:

- ``kubeconfig`` (mode 0600): the only kubeconfig kind writes to and kubectl/helm read from, so the user's
  ``~/.kube/config`` and current context are never touched;
- ``kind-config.yaml``, ``values.yaml`` or ``overlay/``: exactly what kind and Helm (or kubectl) were given;
- ``logs/``: each tool's output; ``record.json``: what was installed and which images were loaded.

``<state>`` is ``$RAYJOB_HARNESS_STATE`` when set, else ``$XDG_STATE_HOME/rayjob-harness/kind``, else
``~/.local/state/rayjob-harness/kind``. These files are conveniences, never proof of ownership (that is the
node label, :mod:`.ownership`): losing them loses nothing that cannot be rebuilt.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from .commands import Target
from .errors import ClusterInputError

STATE_ENV: Final = "RAYJOB_HARNESS_STATE"
# kind names node containers <name>-control-plane and contexts kind-<name>: DNS-label characters only.
_CLUSTER_NAME: Final = re.compile(r"^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$")
DEFAULT_CLUSTER: Final = "rayjob-harness"


def check_cluster_name(name: str) -> str:
    if not _CLUSTER_NAME.match(name):
        raise ClusterInputError(f"cluster name={name!r} is not a valid kind cluster name",
                                hint="use lower-case letters, digits and '-', at most 40 characters, "
                                     "starting and ending with a letter or digit")
    return name


def state_root(env: Mapping[str, str] | None = None) -> Path:
    environ = env if env is not None else os.environ
    if environ.get(STATE_ENV):
        return Path(environ[STATE_ENV])
    base = Path(environ["XDG_STATE_HOME"]) if environ.get("XDG_STATE_HOME") else Path.home() / ".local" / "state"
    return base / "rayjob-harness" / "kind"


@dataclass
class ClusterRecord:
    """What the harness did to a cluster it made (a convenience for status and reuse, not a proof)."""

    name: str
    kuberay: str = ""
    kubernetes: str = ""
    node_image: str = ""
    install_method: str = ""
    install_fingerprint: str = ""
    loaded_images: dict[str, str] = field(default_factory=dict)  # reference -> image ID loaded into the nodes


@dataclass(frozen=True)
class ClusterFiles:
    folder: Path
    name: str

    @property
    def target(self) -> Target:
        return Target(self.name, self.kubeconfig)

    @property
    def kubeconfig(self) -> Path:
        return self.folder / "kubeconfig"

    @property
    def kind_config(self) -> Path:
        return self.folder / "kind-config.yaml"

    @property
    def values(self) -> Path:
        return self.folder / "values.yaml"

    @property
    def overlay(self) -> Path:
        return self.folder / "overlay"

    @property
    def logs(self) -> Path:
        return self.folder / "logs"

    @property
    def record_path(self) -> Path:
        return self.folder / "record.json"

    def ensure(self) -> ClusterFiles:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.kubeconfig.exists():
            self.kubeconfig.touch(mode=0o600)
        os.chmod(self.kubeconfig, 0o600)
        return self

    def read_record(self) -> ClusterRecord:
        try:
            data = json.loads(self.record_path.read_text())
        except (OSError, ValueError):
            return ClusterRecord(self.name)
        known = {key: value for key, value in data.items() if key in ClusterRecord.__dataclass_fields__}
        known["name"] = self.name
        return ClusterRecord(**known)

    def write_record(self, record: ClusterRecord) -> None:
        write_json_atomically(self.record_path, asdict(record))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def cluster_files(name: str, env: Mapping[str, str] | None = None) -> ClusterFiles:
    return ClusterFiles(state_root(env) / "clusters" / check_cluster_name(name), name)


def write_json_atomically(path: Path, data: Any) -> None:
    """Write ``data`` as JSON so that a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""Which Kubernetes API server the backend talks to, and the client built for it from a kubeconfig.

A :class:`KubeTarget` names a kubeconfig file and a context, as ``kubectl --kubeconfig F --context C`` does;
None means what kubectl would use (``$KUBECONFIG``, else ``~/.kube/config``; the file's current context).
:func:`connect` reads it with the official ``kubernetes`` client (token, client certificates, exec plugins,
TLS settings all come from there) and turns every way it can be wrong into an :class:`~harness.errors.InputError`
naming the file and the fix: a missing or unreadable file, YAML that does not parse (with its line), a context
that is not there (listing the ones that are), a file without a current context. The kubeconfig is never written.

Not here: talking to the server once connected (:mod:`.transport`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ...errors import InputError, MissingDependencyError, SourcePos

KUBE_INSTALL_HINT = "install the Kubernetes client with: pip install 'rayjob-harness[kube]'"
POOL_SIZE = 32


@dataclass(frozen=True)
class KubeTarget:
    """A kubeconfig file and a context in it; None for either means what kubectl would use."""

    kubeconfig: Path | None = None
    context: str | None = None

    def describe(self) -> str:
        return f"context={self.context or '(current)'} kubeconfig={self.kubeconfig or default_kubeconfig_text()}"


@dataclass(frozen=True)
class Connection:
    """A configured client: the ``kubernetes`` ApiClient, and where it leads (for messages)."""

    api_client: Any  # kubernetes.client.ApiClient
    server: str  # https://127.0.0.1:6443
    context: str
    kubeconfig: str  # the file (or ':'-separated files) it was read from
    default_namespace: str


def default_kubeconfig_text() -> str:
    return os.environ.get("KUBECONFIG") or "~/.kube/config"


def _files(target: KubeTarget) -> list[Path]:
    if target.kubeconfig is not None:
        return [target.kubeconfig]
    text = os.environ.get("KUBECONFIG", "")
    if text:
        return [Path(part).expanduser() for part in text.split(os.pathsep) if part]
    return [Path("~/.kube/config").expanduser()]


def _read(path: Path) -> dict[str, Any]:
    """One kubeconfig file as data; InputError with the line for YAML that does not parse."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"kubeconfig={path} does not exist",
                         hint="pass --kubeconfig FILE naming an existing file (rayjob-harness serve writes one with "
                              "--kubeconfig-out FILE; kind writes one per cluster)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"kubeconfig={path} cannot be read: {exc}",
                         hint="check the file's permissions and that it is a kubeconfig (YAML)") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        pos = SourcePos(str(path), mark.line + 1, mark.column + 1) if mark is not None else SourcePos(str(path))
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"kubeconfig is not valid YAML: {problem}", pos=pos,
                         hint="a kubeconfig is a YAML mapping with clusters, users, contexts and current-context") \
            from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"kubeconfig is a YAML {type(data).__name__}, not a mapping", pos=SourcePos(str(path), 1),
                         hint="a kubeconfig is a YAML mapping with clusters, users, contexts and current-context")
    return data


def _named(items: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            out.setdefault(item["name"], item)
    return out


def _choose_context(target: KubeTarget, files: list[Path]) -> tuple[str, str]:
    """The context to use and the files it is read from (as text), checked before the client reads them."""
    merged_contexts: dict[str, dict[str, Any]] = {}
    current = ""
    for path in files:
        if target.kubeconfig is None and not path.exists():
            continue  # kubectl skips missing files named by $KUBECONFIG
        data = _read(path)
        for name, item in _named(data.get("contexts")).items():
            merged_contexts.setdefault(name, item)
        if not current and isinstance(data.get("current-context"), str):
            current = data["current-context"]
    shown = os.pathsep.join(str(path) for path in files)
    if not merged_contexts:
        if target.kubeconfig is None and not any(path.exists() for path in files):
            raise InputError(f"no kubeconfig found at {shown}",
                             hint="pass --kubeconfig FILE (rayjob-harness serve writes one with --kubeconfig-out "
                                  "FILE), or set $KUBECONFIG")
        raise InputError(f"kubeconfig={shown} has no contexts", pos=SourcePos(shown),
                         hint="a kubeconfig needs a contexts: list naming a cluster and a user")
    context = target.context or current
    if not context:
        raise InputError(f"kubeconfig={shown} has no current-context and no --context was given",
                         pos=SourcePos(shown),
                         hint=f"pass --context NAME; contexts there: {', '.join(merged_contexts)}")
    if context not in merged_contexts:
        raise InputError(f"context={context!r} is not in kubeconfig={shown}", pos=SourcePos(shown),
                         hint=f"contexts there: {', '.join(merged_contexts)}")
    return context, shown


def connect(target: KubeTarget) -> Connection:
    """A client for ``target``; InputError (file, hint) when the kubeconfig or context cannot be used."""
    try:
        from kubernetes import client as kube_client
        from kubernetes import config as kube_config
        from kubernetes.config.config_exception import ConfigException
    except ImportError:
        raise MissingDependencyError("the Kubernetes backend needs the kubernetes client, which is not installed",
                                     hint=KUBE_INSTALL_HINT) from None
    files = _files(target)
    context, shown = _choose_context(target, files)
    configuration: Any = kube_client.Configuration()
    try:
        load: Any = kube_config.load_kube_config  # untyped in older clients
        load(config_file=os.pathsep.join(str(path) for path in files), context=context,
             client_configuration=configuration, persist_config=False)
    except ConfigException as exc:
        raise InputError(f"context={context!r} of kubeconfig={shown} cannot be used: {exc}", pos=SourcePos(shown),
                         hint="check that the context names a cluster (with a server) and a user that exist in "
                              "the file") from None
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"context={context!r} of kubeconfig={shown} cannot be used: {exc}", pos=SourcePos(shown),
                         hint="check the certificate and key files the context's user names") from None
    # Watches hold a connection each (a dozen on the simulator's server), besides the requests.
    configuration.connection_pool_maxsize = POOL_SIZE
    api_client = kube_client.ApiClient(configuration=configuration)
    namespace = "default"
    for path in files:
        if path.exists():
            item = _named(_read(path).get("contexts")).get(context)
            if item is not None:
                namespace = str((item.get("context") or {}).get("namespace") or "default")
                break
    return Connection(api_client=api_client, server=str(api_client.configuration.host), context=context,
                      kubeconfig=shown, default_namespace=namespace)

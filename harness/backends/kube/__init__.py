"""The Kubernetes backend: scenarios on any Kubernetes API server, through a kubeconfig and the official client.

The same backend serves a real cluster (kind with the real KubeRay operator, or any cluster a kubeconfig reaches)
and ``rayjob-harness serve`` (the simulator behind a Kubernetes-compatible API, recognised by its controls group,
where time is virtual). One module per topic:

- :mod:`.target`: kubeconfig and context to a configured client (bad ones are input errors);
- :mod:`.transport`: HTTP through the client's connection, Status errors, Warning headers;
- :mod:`.resources`, :mod:`.api`: where kinds live, and the typed requests;
- :mod:`.watching`: list-then-watch of one resource, resumed, and relisted after 410 without repeats;
- :mod:`.events`: events.k8s.io/v1 Events in the core/v1 shape;
- :mod:`.observed`: the watched objects and the journal they feed;
- :mod:`.clock`: wall time on a cluster, stepped virtual time on the simulator's server;
- :mod:`.controls`: the simulator's controls group;
- :mod:`.dashboard`, :mod:`.operator`: driver logs and job submission through the dashboard, the operator;
- :mod:`.backend`: the Backend protocol put together, and the registry's factory.

Importing this package imports the ``kubernetes`` client only when a backend is made.
"""

from __future__ import annotations

from .backend import FACTORY, KubeBackend
from .target import KubeTarget

__all__ = ["FACTORY", "KubeBackend", "KubeTarget"]

"""The Ray side of the simulation: what runs inside the pods KubeRay creates, and the dashboards they serve.

- :mod:`.dashboard`: one Ray head's job table and job API (what the operator and submitters call), and the
  :class:`~.dashboard.Executor` protocol through which ``harness.executors`` decide how a job runs;
- :mod:`.directory`: which dashboards are up, and how a dashboard URL reaches one (through the head Service);
- :mod:`.nodes`: the programs of Ray head and worker containers and of the job submitters.

It sits above the kubelet model (``harness.kube``), whose containers run these programs, and below the operator
(``harness.kuberay``), which reaches Ray only through dashboards, as KubeRay does.
"""

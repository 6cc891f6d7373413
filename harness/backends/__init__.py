"""Backends: the one seam between what a scenario does and where it runs.

- :mod:`.base`: the :class:`~.base.Backend` protocol (object first, keyword-only ``namespace=``), its optional
  capabilities as typed protocols, :class:`~.base.BackendSettings`, and the errors steps see;
- :mod:`.registry`: every backend's declaration (releases, default, virtual time, executors, capabilities) and
  how one is made; implementations are imported only then;
- :mod:`.logs`: where each log of a RayJob is, decided once for every backend;
- :mod:`.sim`: the in-process simulator behind the protocol.

Importing this package imports none of the backends.
"""

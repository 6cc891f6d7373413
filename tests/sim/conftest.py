"""Fixtures for the simulator-core specifications: a fresh clock, name generator and object store per test.

Each test builds its own small world (no module-level state), so tests can run in any order and in parallel.
"""

from __future__ import annotations

import pytest

from harness._util.names import NameGenerator
from harness.sim.clock import Clock
from harness.sim.store import ObjectStore, WatchEvent


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> ObjectStore:
    store = ObjectStore(clock, NameGenerator(7))
    store.ensure_namespace("default")
    return store


@pytest.fixture
def events(store: ObjectStore) -> list[WatchEvent]:
    """Every watch event the store emits from the moment the fixture is requested."""
    seen: list[WatchEvent] = []
    store.watch(seen.append)
    return seen

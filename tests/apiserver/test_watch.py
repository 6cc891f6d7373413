"""Watch streams: resume, expiry, selectors, bookmarks, streaming lists, Tables, and cleanup when a client leaves."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from harness.apiserver import ApiServer
from harness.simulator import Simulator

from .client import TABLE_ACCEPT, Client

CONFIGMAPS = "/api/v1/namespaces/{ns}/configmaps"


def configmap(name: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels},
            "data": {"k": "v"}}


def test_a_watch_from_a_list_resource_version_sees_only_later_changes(client: Client, ns: str):
    client.post(CONFIGMAPS.format(ns=ns), configmap("before"))
    rv = client.get(CONFIGMAPS.format(ns=ns)).body["metadata"]["resourceVersion"]
    client.post(CONFIGMAPS.format(ns=ns), configmap("after"))
    events = client.events(f"{CONFIGMAPS.format(ns=ns)}?watch=true&resourceVersion={rv}", 1)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "after")]


def test_a_watch_from_resource_version_zero_starts_with_every_current_object(client: Client, ns: str):
    client.post(CONFIGMAPS.format(ns=ns), configmap("a"))
    client.post(CONFIGMAPS.format(ns=ns), configmap("b"))
    events = client.events(f"{CONFIGMAPS.format(ns=ns)}?watch=1&resourceVersion=0", 2)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "a"), ("ADDED", "b")]


def test_a_deletion_arrives_with_the_last_state_and_a_new_resource_version(client: Client, ns: str):
    created = client.post(CONFIGMAPS.format(ns=ns), configmap("doomed")).body
    rv = created["metadata"]["resourceVersion"]
    client.delete(f"{CONFIGMAPS.format(ns=ns)}/doomed")
    (event,) = client.events(f"{CONFIGMAPS.format(ns=ns)}?watch=true&resourceVersion={rv}", 1)
    assert event["type"] == "DELETED" and event["object"]["data"] == {"k": "v"}
    assert int(event["object"]["metadata"]["resourceVersion"]) > int(rv)


def test_an_object_that_stops_matching_the_selector_is_seen_deleted(client: Client, ns: str):
    created = client.post(CONFIGMAPS.format(ns=ns), configmap("moving", tier="gold")).body
    rv = created["metadata"]["resourceVersion"]
    client.patch(f"{CONFIGMAPS.format(ns=ns)}/moving", {"metadata": {"labels": {"tier": "silver"}}})
    events = client.events(f"{CONFIGMAPS.format(ns=ns)}?watch=true&resourceVersion={rv}&labelSelector=tier%3Dgold", 1)
    assert events[0]["type"] == "DELETED" and events[0]["object"]["metadata"]["labels"] == {"tier": "silver"}


def test_a_resource_version_older_than_the_history_gets_a_410_expired_event():
    sim = Simulator("1.7")
    sim.store.history = type(sim.store.history)(maxlen=5)
    with ApiServer(sim, pacing="Manual") as server:
        client = Client(server)
        for index in range(10):
            client.post(CONFIGMAPS.format(ns="default"), configmap(f"c{index}"))
        (event,) = client.events(f"{CONFIGMAPS.format(ns='default')}?watch=true&resourceVersion=2", 1)
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    assert event["object"]["message"].startswith("too old resource version: 2 (")


def test_timeout_seconds_ends_the_stream_with_a_bookmark(client: Client, ns: str):
    start = time.monotonic()
    connection, lines = client.stream(f"{CONFIGMAPS.format(ns=ns)}?watch=true&resourceVersion=0&timeoutSeconds=1"
                                      "&allowWatchBookmarks=true")
    try:
        received = [json.loads(line) for line in lines]
    finally:
        connection.close()
    assert time.monotonic() - start < 10
    assert [event["type"] for event in received] == ["BOOKMARK"]
    assert received[0]["object"]["kind"] == "ConfigMap"


def test_a_streaming_list_sends_current_objects_then_the_initial_events_end_bookmark(client: Client, ns: str):
    client.post(CONFIGMAPS.format(ns=ns), configmap("there"))
    events = client.events(f"{CONFIGMAPS.format(ns=ns)}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true"
                           "&resourceVersionMatch=NotOlderThan", 2)
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_a_streaming_list_without_bookmarks_is_refused_with_422(client: Client, ns: str):
    answer = client.get(f"{CONFIGMAPS.format(ns=ns)}?watch=true&sendInitialEvents=true"
                        "&resourceVersionMatch=NotOlderThan")
    assert answer.status == 422 and "allowWatchBookmarks" in answer.body["message"]


def test_a_table_watch_sends_one_row_tables_with_columns_first(client: Client, ns: str):
    client.post(CONFIGMAPS.format(ns=ns), configmap("a"))
    client.post(CONFIGMAPS.format(ns=ns), configmap("b"))
    events = client.events(f"{CONFIGMAPS.format(ns=ns)}?watch=true&resourceVersion=0", 2,
                           headers={"Accept": TABLE_ACCEPT})
    first, second = (event["object"] for event in events)
    assert first["kind"] == "Table" and len(first["rows"]) == 1 and "columnDefinitions" in first
    assert "columnDefinitions" not in second and second["rows"][0]["cells"][:2] == ["b", 1]


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_watch_whose_client_hangs_up_is_cleaned_up():
    with ApiServer(Simulator("1.7"), pacing="Manual") as server:
        connection, _ = Client(server).stream(f"{CONFIGMAPS.format(ns='default')}?watch=true&resourceVersion=0")
        assert _wait_for(lambda: server.world.hub.open_watches == 1 and server.http.open_streams == 1)
        connection.close()
        assert _wait_for(lambda: server.world.hub.open_watches == 0 and server.http.open_streams == 0)


@pytest.fixture
def many_watchers(client: Client, ns: str) -> Iterator[list]:
    opened = [client.stream(f"{CONFIGMAPS.format(ns=ns)}?watch=true&resourceVersion=0") for _ in range(20)]
    yield opened
    for connection, _ in opened:
        connection.close()


def test_every_open_watch_receives_each_change(client: Client, ns: str, many_watchers: list):
    client.post(CONFIGMAPS.format(ns=ns), configmap("broadcast"))
    names = {json.loads(next(lines))["object"]["metadata"]["name"] for _, lines in many_watchers}
    assert names == {"broadcast"}

"""A list-then-watch of one resource in one namespace, kept running on a thread, feeding changes and a cache.

:class:`ResourceWatch` lists the resource, reports every listed object as ADDED, then watches from the list's
resourceVersion with ``kubernetes.watch.Watch`` (bookmarks on, so that a resumed watch starts from a recent
version), resuming from the last version seen when a watch times out or the connection drops.

When the server answers ``410 Gone`` (the version to resume from is older than it remembers), the watch relists
and reports the difference between what it had and what the list says: ADDED for an object it did not know,
MODIFIED (with the state it had as the old one) for one whose resourceVersion moved, DELETED (with its last
known state) for one the list no longer has, and nothing for one unchanged. So a relist neither repeats a
change already reported nor leaves an object in a state it has left; what happened *between* the two states
is not in any list, and a real informer cannot see it either (:attr:`ResourceWatch.relists` counts relists,
so that a journal can say where it may have a gap).

A change is reported to the sink once: an event for a resourceVersion already reported (a repeat after a
resumed watch) is dropped, and an object re-created under the same name whose deletion was missed is reported
as DELETED then ADDED.

Not here: what the changes mean (the backend's journal), how an events.k8s.io Event looks as a core one
(:mod:`.events`; passed in as ``normalise``).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Final

from .api import KubeApi
from .resources import ApiResource
from .transport import ApiError, ApiUnreachable

Obj = dict[str, Any]
ChangeSink = Callable[[str, Obj, "Obj | None"], None]
"""Told of each change: (ADDED|MODIFIED|DELETED, the object now, the object before or None)."""

WATCH_SECONDS: Final = 290  # below the API server's own cap (--min-request-timeout 1800 s, randomised)
_BACKOFF: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0)
_log = logging.getLogger(__name__)


def _key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


def _rv(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion", ""))


def _uid(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("uid", ""))


def _number(rv: str) -> int:
    """A resourceVersion as a number for progress tracking (etcd revisions are; an opaque one counts as 0)."""
    return int(rv) if rv.isdigit() else 0


class ResourceWatch:
    """Watches one resource in one namespace (None: every namespace) until stopped."""

    def __init__(self, api: KubeApi, res: ApiResource, *, namespace: str | None, sink: ChangeSink,
                 normalise: Callable[[Obj], Obj] | None = None, watch_seconds: int = WATCH_SECONDS,
                 on_version: Callable[[int], None] | None = None,
                 on_list: Callable[[int], None] | None = None) -> None:
        self.api = api
        self.res = res
        self.namespace = namespace
        self._sink = sink
        self._normalise = normalise
        self._on_version = on_version  # told the resourceVersion of every change delivered (repeats included)
        self._on_list = on_list  # told the resourceVersion of every list
        self._watch_seconds = watch_seconds
        self.cache: dict[tuple[str, str], Obj] = {}
        self.relists = 0
        self.resumes = 0
        self.last_error = ""
        self._progress = 0
        self._resource_version = ""
        self._stop = threading.Event()
        self._listed = False
        self._stream: Any = None  # the open watch response, so that stop() can hang up on it
        self._stream_lock = threading.Lock()
        self._changed = threading.Condition()
        self._watch: Any = None
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"watch-{res.plural}-{namespace or 'all'}")

    @property
    def name(self) -> str:
        return f"{self.res.qualified} in {self.namespace or 'every namespace'}"

    # -- life ------------------------------------------------------------------------------------------------------

    def start(self) -> None:
        """List (reporting every object as ADDED), then keep watching on a thread; raises if the list fails.
        Started again after :meth:`stop`, it resumes from the last resourceVersion it saw (relisting if the
        server no longer has it)."""
        if self._thread.is_alive():
            return
        if not self._listed:
            self._relist(initial=True)
            self._listed = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=self._thread.name)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        watch = self._watch
        if watch is not None:
            watch.stop()
        with self._stream_lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            _hang_up(stream)  # a read blocked on a quiet stream returns at once
        with self._changed:
            self._changed.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5.0)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- progress --------------------------------------------------------------------------------------------------

    @property
    def progress(self) -> int:
        """The highest resourceVersion this watch has seen (object, bookmark or list)."""
        return self._progress

    def wait_progress(self, resource_version: int, timeout: float) -> bool:
        """Block until :attr:`progress` reaches ``resource_version``; False after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._progress < resource_version and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return self._progress >= resource_version

    def _advance(self, rv: str) -> None:
        if rv:
            self._resource_version = rv
        number = _number(rv)
        with self._changed:
            if number > self._progress:
                self._progress = number
                self._changed.notify_all()

    # -- the loop --------------------------------------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._watch_once()
                failures = 0
            except ApiError as exc:
                if self._stop.is_set():
                    return
                if exc.gone:
                    self._relist_after_gone()
                    continue
                failures = self._failed(exc, failures)
            except Exception as exc:  # a dropped connection, a server that went away: resume after a pause
                if self._stop.is_set():
                    return
                failures = self._failed(exc, failures)

    def _failed(self, exc: Exception, failures: int) -> int:
        self.last_error = f"{type(exc).__name__}: {exc}"
        _log.debug("watch of %s failed (%s); resuming from %s", self.name, self.last_error, self._resource_version)
        self._stop.wait(_BACKOFF[min(failures, len(_BACKOFF) - 1)])
        return failures + 1

    def _relist_after_gone(self) -> None:
        try:
            self._relist(initial=False)
        except (ApiError, ApiUnreachable) as exc:
            self._failed(exc, len(_BACKOFF) - 1)

    def _watch_once(self) -> None:
        from kubernetes import watch

        make: Any = watch.Watch  # untyped in older clients
        self._watch = make()
        self.resumes += 1
        try:
            for event in self._watch.stream(self._request, resource_version=self._resource_version,
                                            timeout_seconds=self._watch_seconds, allow_watch_bookmarks=True):
                if self._stop.is_set():
                    return
                self._handle(str(event.get("type", "")), event.get("raw_object") or event.get("object") or {})
        except Exception as exc:
            # kubernetes.watch raises its own ApiException for an ERROR event; make a 410 look like ours
            if getattr(exc, "status", None) == 410:
                raise ApiError(410, "Expired", str(getattr(exc, "reason", exc))) from None
            raise
        finally:
            self._watch = None
            with self._stream_lock:
                self._stream = None

    def _request(self, **kwargs: Any) -> Any:
        """The watch request, in the shape ``kubernetes.watch.Watch`` calls an API function."""
        response = self.api.transport.request(
            "GET", self.res.collection(self.namespace), stream=True, timeout=None,
            query={"watch": True, "resourceVersion": kwargs.get("resource_version") or None,
                   "timeoutSeconds": kwargs.get("timeout_seconds"),
                   "allowWatchBookmarks": kwargs.get("allow_watch_bookmarks")})
        with self._stream_lock:
            if self._stop.is_set():  # stopped while the request was on its way: nobody would hang up
                _hang_up(response.raw)
            else:
                self._stream = response.raw
        return response.raw

    def _handle(self, type_: str, raw: Obj) -> None:
        if type_ == "BOOKMARK":
            self._advance(_rv(raw))
            return
        if type_ == "ERROR":
            code = int(raw.get("code") or 500)
            raise ApiError(code, str(raw.get("reason", "")), str(raw.get("message", "")))
        if type_ not in ("ADDED", "MODIFIED", "DELETED"):
            return
        obj = self._shaped(raw)
        key = _key(obj)
        cached = self.cache.get(key)
        if type_ == "DELETED":
            if cached is not None:
                del self.cache[key]
                self._emit("DELETED", obj, cached)
        elif cached is not None and _uid(cached) != _uid(obj):
            # re-created under the same name while its deletion was not seen
            del self.cache[key]
            self._emit("DELETED", cached, cached)
            self.cache[key] = obj
            self._emit("ADDED", obj, None)
        elif cached is None or _rv(cached) != _rv(obj):
            self.cache[key] = obj
            self._emit("MODIFIED" if cached is not None else "ADDED", obj, cached)
        self._advance(_rv(obj))
        if self._on_version is not None:  # after the sink has it: whoever waits for this version may read it
            self._on_version(_number(_rv(obj)))

    def _shaped(self, raw: Obj) -> Obj:
        raw.setdefault("apiVersion", self.res.api_version)
        raw.setdefault("kind", self.res.kind)
        return self._normalise(raw) if self._normalise is not None else raw

    def _relist(self, *, initial: bool) -> None:
        items, list_rv = self.api.list(self.res, namespace=self.namespace)
        if not initial:
            self.relists += 1
        listed = {_key(obj): obj for obj in (self._shaped(item) for item in items)}
        # (order, change): in the order they happened as far as versions say; a replaced object's deletion just
        # before its successor appears; the deletion of one now gone (its version unknown) last.
        changes: list[tuple[tuple[int, int, int], tuple[str, Obj, Obj | None]]] = []
        for key, obj in listed.items():
            cached = self.cache.get(key)
            version = _number(_rv(obj))
            if cached is None:
                changes.append(((0, version, 1), ("ADDED", obj, None)))
            elif _uid(cached) != _uid(obj):
                changes.append(((0, version, 0), ("DELETED", cached, cached)))
                changes.append(((0, version, 1), ("ADDED", obj, None)))
            elif _rv(cached) != _rv(obj):
                changes.append(((0, version, 1), ("MODIFIED", obj, cached)))
        for key, cached in self.cache.items():
            if key not in listed:
                changes.append(((1, 0, 0), ("DELETED", cached, cached)))
        changes.sort(key=lambda item: item[0])
        self.cache = dict(listed)
        for _, (type_, obj, old) in changes:
            self._emit(type_, obj, old)
        self._advance(list_rv)
        if self._on_list is not None:
            self._on_list(_number(list_rv))

    def _emit(self, type_: str, obj: Obj, old: Obj | None) -> None:
        try:
            self._sink(type_, obj, old)
        except Exception:  # a sink's bug must not kill the watch; it is logged with its traceback
            _log.exception("handling %s %s/%s from the watch of %s failed", type_, *_key(obj), self.name)


def _hang_up(response: Any) -> None:
    """Close a streamed response's connection under a reader blocked on it (the reader then fails and returns)."""
    sock = getattr(getattr(response, "connection", None), "sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed

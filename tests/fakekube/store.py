"""The object store: current objects, the global resourceVersion, and the event history.

Owns the etcd-like part of the fake:

* one global integer resourceVersion; every write bumps it and stamps the object
  (`metadata.resourceVersion` as a string, `uid`, `creationTimestamp`, `generation`);
* a bounded history of write events (each with the object before and after),
  which watches replay from and from which the state at an older resourceVersion
  is rebuilt (consistent paged lists);
* compaction: `compacted_rv` is the oldest resourceVersion still covered; a watch
  or a continue token older than that gets 410 Expired;
* paged lists with opaque continue tokens.

Not thread-safe by design: the server owns the store on its event-loop thread and
every test hook is marshalled there. Stored objects are never mutated in place
(a write replaces the dict), so they can be shared with history and watchers.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import json
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.fakekube.protocol import ApiError, Obj, bad_request, expired
from tests.fakekube.resources import ResourceType
from tests.fakekube.selectors import ObjectFilter

EventType = Literal["ADDED", "MODIFIED", "DELETED"]
Key = tuple[str, str]
"""(namespace, name); the namespace is "" for cluster-scoped objects."""

_UID_NAMESPACE = uuid.UUID("6f1b8a3e-6b1c-4f57-9a43-0a8f3c7e5d21")

_CONTINUE_TOO_OLD = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, or use the continue token "
    "in this response to retrieve the remainder of the results. Continuing with the "
    "provided token results in an inconsistent list - objects that were created, modified, "
    "or deleted between the time the first chunk was returned and now may show up in the list."
)


def to_json_object(obj: Any) -> Obj:
    """A deep, JSON-clean copy: YAML timestamps become RFC 3339 strings."""

    def default(value: object) -> str:
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            return value.strftime("%Y-%m-%dT%H:%M:%SZ")
        if isinstance(value, dt.date):
            return value.isoformat()
        raise TypeError(f"not JSON-serialisable: {value!r}")

    result = json.loads(json.dumps(obj, default=default))
    if not isinstance(result, dict):
        raise TypeError(f"expected a JSON object, got {type(result).__name__}")
    return result


def with_resource_version(obj: Obj, rv: int) -> Obj:
    """A shallow copy of `obj` whose `metadata.resourceVersion` is `rv`."""
    return {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(rv)}}


def object_key(obj: Obj) -> Key:
    """The store key of a stamped object."""
    meta = obj["metadata"]
    return (meta.get("namespace") or "", meta["name"])


@dataclass(frozen=True, slots=True, eq=False)
class Event:
    """One write, as history keeps it and watches replay it."""

    rv: int
    type: EventType
    plural: str
    obj: Obj
    """The object after the write; for DELETED its last state stamped with `rv`."""
    prev: Obj | None
    """The object before the write; None for ADDED."""
    _lines: dict[str, bytes] = field(default_factory=dict, repr=False)

    def seen_as(self, flt: ObjectFilter) -> EventType | None:
        """The event type a watcher with filter `flt` receives, if any.

        Like the apiserver's cacher: a MODIFIED that moves an object into the
        selection is sent as ADDED, one that moves it out as DELETED.
        """
        now = self.type != "DELETED" and flt.matches(self.obj)
        before = self.prev is not None and flt.matches(self.prev)
        if now and before:
            return "MODIFIED"
        if now:
            return "ADDED"
        if before:
            return "DELETED"
        return None

    def line(self, seen: EventType) -> bytes:
        """The watch-stream line (`{"type":..,"object":..}` + newline), cached per type."""
        cached = self._lines.get(seen)
        if cached is None:
            obj = self.obj
            if seen == "DELETED" and self.type == "MODIFIED" and self.prev is not None:
                # Moved out of the selection: the previous content at this event's rv.
                obj = with_resource_version(self.prev, self.rv)
            cached = encode_event(seen, obj)
            self._lines[seen] = cached
        return cached


def encode_event(event_type: str, obj: Obj) -> bytes:
    """One newline-terminated JSON watch event."""
    return json.dumps({"type": event_type, "object": obj}, separators=(",", ":")).encode() + b"\n"


@dataclass(frozen=True, slots=True)
class StoreBackup:
    """A snapshot of the store (see `Store.backup`)."""

    rv: int
    compacted_rv: int
    history: tuple[Event, ...]
    objects: dict[str, dict[Key, Obj]]


@dataclass(frozen=True, slots=True)
class Page:
    """One list response's worth of objects."""

    items: list[Obj]
    resource_version: int
    continue_token: str | None
    remaining: int | None


class Store:
    """Objects by plural and key, the global resourceVersion, and the bounded history."""

    def __init__(self, *, initial_rv: int = 1, history_limit: int = 10_000) -> None:
        if history_limit < 1:
            raise ValueError("history_limit must be at least 1")
        self.rv = initial_rv
        """The current (latest) resourceVersion."""
        self.compacted_rv = initial_rv
        """The oldest resourceVersion history still covers: watching from it is allowed."""
        self._history_limit = history_limit
        self._history: deque[Event] = deque()
        self._objects: dict[str, dict[Key, Obj]] = {}

    # -- reads --------------------------------------------------------------------------

    def objects(self, plural: str) -> dict[Key, Obj]:
        """The live mapping of current objects of `plural` (do not mutate)."""
        return self._objects.setdefault(plural, {})

    def get(self, plural: str, key: Key) -> Obj | None:
        """One current object, or None."""
        return self.objects(plural).get(key)

    def events_since(self, plural: str, rv: int) -> list[Event]:
        """History events of `plural` with resourceVersion > `rv`, oldest first."""
        if rv < self.compacted_rv:
            raise expired(f"too old resource version: {rv} ({self.compacted_rv})")
        return [ev for ev in self._newer_than(rv) if ev.plural == plural][::-1]

    def state_at(self, plural: str, rv: int) -> dict[Key, Obj]:
        """The objects of `plural` as they were at `rv`, rebuilt by undoing newer events."""
        if rv > self.rv:
            raise too_large_resource_version(rv, self.rv)
        if rv < self.compacted_rv:
            raise expired(f"too old resource version: {rv} ({self.compacted_rv})")
        state = dict(self.objects(plural))
        for ev in self._newer_than(rv):
            if ev.plural != plural:
                continue
            key = object_key(ev.obj)
            if ev.prev is None:
                state.pop(key, None)
            else:
                state[key] = ev.prev
        return state

    def _newer_than(self, rv: int) -> Iterator[Event]:
        """History events with resourceVersion > `rv`, newest first."""
        for ev in reversed(self._history):
            if ev.rv <= rv:
                return
            yield ev

    # -- writes -------------------------------------------------------------------------

    def put(self, rt: ResourceType, obj: Obj) -> Event | None:
        """Create or replace an object; None when it is unchanged (no rv bump, no event).

        `obj` must be JSON-clean (see `to_json_object`) and is owned by the store after.
        """
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict) or not meta.get("name"):
            raise ValueError("object has no metadata.name")
        obj["apiVersion"] = rt.api_version
        obj["kind"] = rt.kind
        if rt.namespaced:
            meta["namespace"] = meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        if rt.plural == "namespaces":
            _namespace_defaults(obj)
        key = object_key(obj)
        old = self.get(rt.plural, key)
        _stamp(obj, old, rt.plural, key, self.rv + 1)
        if old is not None and _without_rv(old) == _without_rv(obj):
            return None
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.objects(rt.plural)[key] = obj
        return self._record(Event(self.rv, "MODIFIED" if old else "ADDED", rt.plural, obj, old))

    def remove(self, plural: str, key: Key) -> Event:
        """Delete an object; KeyError when absent."""
        old = self.objects(plural).pop(key)
        self.rv += 1
        return self._record(
            Event(self.rv, "DELETED", plural, with_resource_version(old, self.rv), old)
        )

    def backup(self) -> StoreBackup:
        """The whole store as it is now (objects, resourceVersion, history), as an etcd
        snapshot holds it; objects are shared, never mutated in place."""
        return StoreBackup(
            self.rv,
            self.compacted_rv,
            tuple(self._history),
            {plural: dict(objects) for plural, objects in self._objects.items()},
        )

    def restore(self, backup: StoreBackup) -> None:
        """Go back to `backup`, as an etcd restored from that snapshot (without
        `--bump-revision` or `--mark-compacted`): resourceVersions continue from the
        backup's, and history back to its compaction is served again."""
        self.rv, self.compacted_rv = backup.rv, backup.compacted_rv
        self._history = deque(backup.history)
        self._objects = {plural: dict(objects) for plural, objects in backup.objects.items()}

    def compact(self) -> None:
        """Drop all history: only watches from the current resourceVersion remain possible."""
        self._history.clear()
        self.compacted_rv = self.rv

    def _record(self, event: Event) -> Event:
        self._history.append(event)
        while len(self._history) > self._history_limit:
            self.compacted_rv = self._history.popleft().rv
        return event

    # -- paged lists --------------------------------------------------------------------

    def list_page(
        self,
        plural: str,
        flt: ObjectFilter,
        *,
        limit: int | None,
        token: str | None,
        exact_rv: int | None = None,
    ) -> Page:
        """One page of a list, consistent with the first page's resourceVersion.

        `exact_rv` serves `resourceVersionMatch=Exact`; a continue token carries its
        own resourceVersion (or -1 after a 410: an inconsistent, current-state list).
        """
        scope = f"{plural}/{flt.namespace or ''}"
        start: Key | None = None
        rv = self.rv if exact_rv is None else exact_rv
        if token:
            rv, start = _decode_continue(token, scope)
            if rv == -1:
                rv = self.rv
            elif rv < self.compacted_rv:
                err = expired(_CONTINUE_TOO_OLD)
                err.metadata = {"continue": _encode_continue(-1, start, scope)}
                raise err
        state = self.objects(plural) if rv == self.rv else self.state_at(plural, rv)
        selected = [state[k] for k in sorted(state) if (start is None or k > start)]
        selected = [obj for obj in selected if flt.matches(obj)]
        if not limit or len(selected) <= limit:
            return Page(selected, rv, None, None)
        page = selected[:limit]
        remaining = len(selected) - limit if flt.is_trivial else None
        return Page(page, rv, _encode_continue(rv, object_key(page[-1]), scope), remaining)


def too_large_resource_version(requested: int, current: int) -> ApiError:
    """504 the way the apiserver answers a resourceVersion from the future."""
    return ApiError(
        504,
        "Timeout",
        f"Too large resource version: {requested}, current: {current}",
        details={
            "causes": [
                {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
            ],
            "retryAfterSeconds": 1,
        },
    )


def _stamp(obj: Obj, old: Obj | None, plural: str, key: Key, rv: int) -> None:
    """Server-owned metadata: uid and creationTimestamp persist, generation tracks spec."""
    meta = obj["metadata"]
    meta.pop("resourceVersion", None)
    if old is None:
        meta.setdefault("uid", str(uuid.uuid5(_UID_NAMESPACE, f"{plural}/{key[0]}/{key[1]}/{rv}")))
        meta.setdefault("creationTimestamp", _now())
        meta["generation"] = 1
        return
    old_meta = old["metadata"]
    meta["uid"] = old_meta["uid"]
    meta["creationTimestamp"] = old_meta["creationTimestamp"]
    changed = _spec_part(obj) != _spec_part(old)
    meta["generation"] = int(old_meta.get("generation", 1)) + (1 if changed else 0)


def _spec_part(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _without_rv(obj: Obj) -> Obj:
    meta = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
    return {**obj, "metadata": meta}


def _namespace_defaults(obj: Obj) -> None:
    name = obj["metadata"]["name"]
    labels = obj["metadata"].setdefault("labels", {})
    labels.setdefault("kubernetes.io/metadata.name", name)
    obj.setdefault("spec", {"finalizers": ["kubernetes"]})
    obj.setdefault("status", {"phase": "Active"})


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _encode_continue(rv: int, start: Key | None, scope: str) -> str:
    body = {"v": "meta.k8s.io/v1", "rv": rv, "start": list(start or ("", "")), "scope": scope}
    raw = json.dumps(body, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_continue(token: str, scope: str) -> tuple[int, Key]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body = json.loads(raw)
        rv, (ns, name), token_scope = int(body["rv"]), body["start"], body["scope"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion"
        ) from None
    if token_scope != scope:
        raise bad_request("continue key is not prefixed with the expected prefix")
    return rv, (str(ns), str(name))


def deep_copy(obj: Obj) -> Obj:
    """A copy a test may mutate freely."""
    return copy.deepcopy(obj)

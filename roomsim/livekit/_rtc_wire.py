"""The attribute event's ``FfiEvent``, joined from cached serialized fragments and parsed once.

Through protobuf's Python API (upb) every field set or map entry added costs a Python-to-C
call and a wrapper object, 1-3 us each on the development machine, while parsing a whole
serialized ``FfiEvent`` costs about 1.2 us (docs/performance.md, fifth session).  The attribute
event carries one entry per attribute and per changed key (client §2), so for it the facade
joins serialized pieces and lets protobuf parse them: the SDK gets the same message, built by
protobuf's own parser.  (The events of two strings, mute, metadata and name, cost about the
same either way, so they keep their field-by-field fillers.)

Each fragment is a whole ``FfiEvent`` of its own, built through protobuf's API and serialized
by protobuf the first time it is needed (partially: a fragment alone lacks the handle proto2
requires, which the joined whole has), then cached: the room handle, the participant's
identity, and one per attribute entry.  Protobuf parses concatenated messages as their merge (a
message field met twice is merged, a repeated field appends, in order; protobuf's "Encoding"
page, "Last One Wins"), so nothing is encoded by hand, measured or nested per event.

Every field the filler sets is in a fragment (proto2 presence), and
``tests/interop/test_facade_wire.py`` compares the result with the field-by-field filler of
:mod:`roomsim.livekit._rtc_events`.  A string protobuf refuses (a lone surrogate) raises what
its setter raises; the caller falls back to the filler, which raises the same.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Final

from livekit.rtc._proto import ffi_pb2 as _ff

__all__ = ["attributes_changed"]

#: how many fragments each cache keeps (handles, identities, attribute entries: they repeat)
_CACHED: Final = 1024
#: an entry (key and value, in characters) longer than this is serialized each time, not
#: kept: the caches stay small (a value may be ``max_attributes_size`` long)
_SMALL: Final = 256

_new_event: Final = _ff.FfiEvent


@functools.lru_cache(maxsize=_CACHED)
def _handle_fragment(room_handle: int) -> bytes:
    event = _new_event()
    event.room_event.room_handle = room_handle
    return event.SerializePartialToString()


@functools.lru_cache(maxsize=_CACHED)
def _identity_fragment(identity: str) -> bytes:
    event = _new_event()
    event.room_event.participant_attributes_changed.participant_identity = identity
    return event.SerializePartialToString()


def _current_fragment(k: str, v: str) -> bytes:
    event = _new_event()
    event.room_event.participant_attributes_changed.attributes.add(key=k, value=v)
    return event.SerializePartialToString()


def _changed_fragment(k: str, v: str) -> bytes:
    event = _new_event()
    event.room_event.participant_attributes_changed.changed_attributes.add(key=k, value=v)
    return event.SerializePartialToString()


#: (key, value) -> its fragment, one cache per map; an entry past ``_SMALL`` is not kept, and a
#: cache that reaches ``_CACHED`` entries starts again (bounded: at most ~0.5 MiB each)
_current_cache: dict[tuple[str, str], bytes] = {}
_changed_cache: dict[tuple[str, str], bytes] = {}


def _fill(
    found: list[bytes | None],
    entries: Mapping[str, str],
    cache: dict[tuple[str, str], bytes],
    make: Callable[[str, str], bytes],
) -> list[bytes]:
    """``found`` (each entry's cached fragment or None) with the missing fragments made, and
    kept if short."""
    for i, (k, v) in enumerate(entries.items()):
        if found[i] is None:
            found[i] = piece = make(k, v)
            if len(k) + len(v) <= _SMALL:
                if len(cache) >= _CACHED:
                    cache.clear()
                cache[k, v] = piece
    return found  # type: ignore[return-value]


_parse: Final = _ff.FfiEvent.FromString


def attributes_changed(
    room_handle: int, identity: str, current: Mapping[str, str], changed: Mapping[str, str]
) -> _ff.FfiEvent:
    """The ``FfiEvent`` of ``participant_attributes_changed`` for the ``RoomEvent`` of
    ``room_handle``: the whole current map, then the changed keys, each in its order."""
    # each entry's fragment looked up in one C-level pass per map; the missing ones made
    now: list[Any] = list(map(_current_cache.get, current.items()))
    if None in now:
        now = _fill(now, current, _current_cache, _current_fragment)
    diff: list[Any] = list(map(_changed_cache.get, changed.items()))
    if None in diff:
        diff = _fill(diff, changed, _changed_cache, _changed_fragment)
    return _parse(
        b"".join([_handle_fragment(room_handle), _identity_fragment(identity), *now, *diff])
    )

"""The attribute event's ``FfiEvent``, joined from cached wire-format fragments and parsed once.

Through protobuf's Python API (upb) every field set or map entry added costs a Python-to-C
call and a wrapper object, 1-3 us each on the development machine, while parsing a whole
serialized ``FfiEvent`` costs about 1.2 us (docs/performance.md, fifth session).  The attribute
event carries one entry per attribute and per changed key (client §2), so for it the facade
writes the bytes the Rust core would serialize and lets protobuf parse them: the SDK gets the
same message, built by protobuf's own parser.  (The events of two strings, mute, metadata and
name, cost about the same either way, so they keep their field-by-field fillers.)

The bytes are joined from fragments, each a whole ``FfiEvent`` of its own, cached: the room
handle, the participant's identity, and one per attribute entry.  Protobuf parses concatenated
messages as their merge (a message field met twice is merged, a repeated field appends, in
order; protobuf's "Encoding" page, "Last One Wins"), so nothing is measured or nested per
event.  The fragments use the wire format's stable pieces only (a key, a varint, a
length-delimited field), and every field number and type is read from the SDK's own
descriptors when the module loads: a renumbered field is followed, a field whose type changed
is refused at import rather than encoded wrongly.

Every field the filler sets is written (proto2 presence), and
``tests/interop/test_facade_wire.py`` compares the result with the field-by-field filler of
:mod:`roomsim.livekit._rtc_events`.  A string that is not valid UTF-8 (a lone surrogate)
raises ``UnicodeEncodeError``: the caller falls back to the filler, whose setter raises what
protobuf raises.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final

from google.protobuf.descriptor import FieldDescriptor
from livekit.rtc._proto import ffi_pb2 as _ff
from livekit.rtc._proto import room_pb2 as _fr

from roomsim.errors import InternalError

__all__ = ["attributes_changed"]

#: the wire types the fragments use
_VARINT: Final = 0
_LEN: Final = 2
_WIRE_TYPES: Final[dict[int, int]] = {
    FieldDescriptor.TYPE_STRING: _LEN,
    FieldDescriptor.TYPE_MESSAGE: _LEN,
    FieldDescriptor.TYPE_UINT64: _VARINT,
}


def varint(n: int) -> bytes:
    """``n`` (>= 0) as a base-128 varint."""
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(descriptor: Any, name: str, *path: str) -> bytes:
    """The key (field number and wire type) of field ``name`` of ``descriptor``'s message, or of
    the field at ``path`` inside it (each step a message field)."""
    field = descriptor.fields_by_name[name]
    for step in path:
        field = field.message_type.fields_by_name[step]
    wire = _WIRE_TYPES.get(field.type)
    if wire is None:
        raise InternalError(f"roomsim.livekit cannot write {field.full_name} (type {field.type})")
    return varint(field.number << 3 | wire)


def _field(key: bytes, body: bytes) -> bytes:
    return key + varint(len(body)) + body


_EVENT: Final = _fr.RoomEvent.DESCRIPTOR
_ROOM_EVENT: Final = _key(_ff.FfiEvent.DESCRIPTOR, "room_event")
_ROOM_HANDLE: Final = _key(_EVENT, "room_handle")
_ATTRS: Final = "participant_attributes_changed"
_ATTRS_KEY: Final = _key(_EVENT, _ATTRS)
_ATTRS_IDENTITY: Final = _key(_EVENT, _ATTRS, "participant_identity")
_ATTRS_ALL: Final = _key(_EVENT, _ATTRS, "attributes")
_ATTRS_CHANGED: Final = _key(_EVENT, _ATTRS, "changed_attributes")
_ENTRY_KEY: Final = _key(_EVENT, _ATTRS, "attributes", "key")
_ENTRY_VALUE: Final = _key(_EVENT, _ATTRS, "attributes", "value")
if _key(_EVENT, _ATTRS, "changed_attributes", "value") != _ENTRY_VALUE:
    raise InternalError("roomsim.livekit: the two attribute maps' entries differ")

#: how many fragments each cache keeps (handles, identities, attribute entries: they repeat)
_CACHED: Final = 1024


def _fragment(key: bytes, body: bytes) -> bytes:
    """An ``FfiEvent`` whose ``participant_attributes_changed`` has field ``key`` = ``body``."""
    return _field(_ROOM_EVENT, _field(_ATTRS_KEY, _field(key, body)))


@functools.lru_cache(maxsize=_CACHED)
def _handle_fragment(room_handle: int) -> bytes:
    return _field(_ROOM_EVENT, _ROOM_HANDLE + varint(room_handle))


@functools.lru_cache(maxsize=_CACHED)
def _identity_fragment(identity: str) -> bytes:
    return _fragment(_ATTRS_IDENTITY, identity.encode())


@functools.lru_cache(maxsize=_CACHED)
def _current_fragment(k: str, v: str) -> bytes:
    return _fragment(_ATTRS_ALL, _field(_ENTRY_KEY, k.encode()) + _field(_ENTRY_VALUE, v.encode()))


@functools.lru_cache(maxsize=_CACHED)
def _changed_fragment(k: str, v: str) -> bytes:
    entry = _field(_ENTRY_KEY, k.encode()) + _field(_ENTRY_VALUE, v.encode())
    return _fragment(_ATTRS_CHANGED, entry)


_parse: Final = _ff.FfiEvent.FromString


def attributes_changed(
    room_handle: int, identity: str, current: Mapping[str, str], changed: Mapping[str, str]
) -> _ff.FfiEvent:
    """The ``FfiEvent`` of ``participant_attributes_changed`` for the ``RoomEvent`` of
    ``room_handle``: the whole current map, then the changed keys, each in its order."""
    return _parse(
        b"".join(
            [
                _handle_fragment(room_handle),
                _identity_fragment(identity),
                *map(_current_fragment, current, current.values()),
                *map(_changed_fragment, changed, changed.values()),
            ]
        )
    )

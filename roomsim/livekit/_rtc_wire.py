"""The frequent events' ``FfiEvent``, written as protobuf wire bytes and parsed in one call.

Through protobuf's Python API (upb) every field set or map entry added costs a Python-to-C
call and a wrapper object, 1-3 us each on the development machine, while parsing a whole
serialized ``FfiEvent`` costs about 1.2 us (docs/performance.md, fifth session).  So for the
events an update verb sends, the facade writes the bytes the Rust core would serialize and lets
protobuf parse them: the SDK gets the same message, built by protobuf's own parser.  The
writers use the wire format's stable pieces only (a key, a varint, a length-delimited field;
protobuf's "Encoding" page), and every field number and type is read from the SDK's own
descriptors when the module loads: a renumbered field is followed, a field whose type changed
is refused at import rather than encoded wrongly.

Each writer returns the ``FfiEvent`` whose ``RoomEvent`` of the given room handle carries the
event as its one ``message`` field.  Every field is written, empty strings and zero enums
included, as the field-by-field fillers of :mod:`roomsim.livekit._rtc_events` set them (proto2
presence), and ``tests/interop/test_facade_wire.py`` compares each writer with its filler.  A
string that is not valid UTF-8 (a lone surrogate) raises ``UnicodeEncodeError``: the caller
falls back to the filler, whose setter raises what protobuf raises.

The attribute event, whose size grows with the participant's attributes, is joined from
cached fragments instead: protobuf parses concatenated messages as their merge (a message
field met twice is merged, a repeated field appends, in order; its "Encoding" page, "Last One
Wins" and packed/repeated fields), so a fragment per entry is a whole ``FfiEvent`` of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any, Final

from google.protobuf.descriptor import FieldDescriptor
from livekit.rtc._proto import ffi_pb2 as _ff
from livekit.rtc._proto import room_pb2 as _fr

from roomsim.errors import InternalError

__all__ = [
    "attributes_changed",
    "connection_quality_changed",
    "speakers_changed",
    "two_strings",
]

#: the wire types the writers use
_VARINT: Final = 0
_LEN: Final = 2
_WIRE_TYPES: Final[dict[int, int]] = {
    FieldDescriptor.TYPE_STRING: _LEN,
    FieldDescriptor.TYPE_MESSAGE: _LEN,
    FieldDescriptor.TYPE_UINT64: _VARINT,
    FieldDescriptor.TYPE_ENUM: _VARINT,
}


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


#: the varints of 0..127 (every short length and handle), one byte each
_SMALL: Final[tuple[bytes, ...]] = tuple(bytes((i,)) for i in range(0x80))


def varint(n: int) -> bytes:
    """``n`` (>= 0) as a base-128 varint."""
    return _SMALL[n] if n < 0x80 else _varint(n)


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


_EVENT: Final = _fr.RoomEvent.DESCRIPTOR
_ROOM_EVENT: Final = _key(_ff.FfiEvent.DESCRIPTOR, "room_event")
_ROOM_HANDLE: Final = _key(_EVENT, "room_handle")

#: RoomEvent fields of two strings: (its key, the first string's key, the second's)
TwoStrings = tuple[bytes, bytes, bytes]


def _two(field: str, first: str, second: str) -> TwoStrings:
    return (_key(_EVENT, field), _key(_EVENT, field, first), _key(_EVENT, field, second))


TRACK_MUTED: Final = _two("track_muted", "participant_identity", "track_sid")
TRACK_UNMUTED: Final = _two("track_unmuted", "participant_identity", "track_sid")
METADATA_CHANGED: Final = _two("participant_metadata_changed", "participant_identity", "metadata")
NAME_CHANGED: Final = _two("participant_name_changed", "participant_identity", "name")

_ATTRS: Final = "participant_attributes_changed"
_ATTRS_KEY: Final = _key(_EVENT, _ATTRS)
_ATTRS_IDENTITY: Final = _key(_EVENT, _ATTRS, "participant_identity")
_ATTRS_ALL: Final = _key(_EVENT, _ATTRS, "attributes")
_ATTRS_CHANGED: Final = _key(_EVENT, _ATTRS, "changed_attributes")
_ENTRY_KEY: Final = _key(_EVENT, _ATTRS, "attributes", "key")
_ENTRY_VALUE: Final = _key(_EVENT, _ATTRS, "attributes", "value")
if _key(_EVENT, _ATTRS, "changed_attributes", "value") != _ENTRY_VALUE:
    raise InternalError("roomsim.livekit: the two attribute maps' entries differ")

_SPEAKERS: Final = _key(_EVENT, "active_speakers_changed")
_SPEAKER: Final = _key(_EVENT, "active_speakers_changed", "participant_identities")

_QUALITY: Final = "connection_quality_changed"
_QUALITY_KEY: Final = _key(_EVENT, _QUALITY)
_QUALITY_IDENTITY: Final = _key(_EVENT, _QUALITY, "participant_identity")
_QUALITY_VALUE: Final = _key(_EVENT, _QUALITY, "quality")


def _field(key: bytes, body: bytes) -> bytes:
    n = len(body)
    return key + (_SMALL[n] if n < 0x80 else _varint(n)) + body


#: how many distinct fields each cache keeps (identities, attribute entries: they repeat)
_CACHED: Final = 1024


@functools.lru_cache(maxsize=_CACHED)
def _string(key: bytes, s: str) -> bytes:
    return _field(key, s.encode())


_parse: Final = _ff.FfiEvent.FromString


@functools.lru_cache(maxsize=_CACHED)
def _handle(room_handle: int) -> bytes:
    return _ROOM_HANDLE + varint(room_handle)


def _event(room_handle: int, key: bytes, body: bytes) -> _ff.FfiEvent:
    """The ``FfiEvent`` whose ``RoomEvent`` of ``room_handle`` has field ``key`` = ``body``."""
    return _parse(_field(_ROOM_EVENT, _handle(room_handle) + _field(key, body)))


def _attributes_fragment(key: bytes, body: bytes) -> bytes:
    """An ``FfiEvent`` whose ``RoomEvent`` has only field ``key`` = ``body`` of its
    ``participant_attributes_changed``."""
    return _field(_ROOM_EVENT, _field(_ATTRS_KEY, _field(key, body)))


@functools.lru_cache(maxsize=_CACHED)
def _current_fragment(k: str, v: str) -> bytes:
    entry = _field(_ENTRY_KEY, k.encode()) + _field(_ENTRY_VALUE, v.encode())
    return _attributes_fragment(_ATTRS_ALL, entry)


@functools.lru_cache(maxsize=_CACHED)
def _changed_fragment(k: str, v: str) -> bytes:
    entry = _field(_ENTRY_KEY, k.encode()) + _field(_ENTRY_VALUE, v.encode())
    return _attributes_fragment(_ATTRS_CHANGED, entry)


@functools.lru_cache(maxsize=_CACHED)
def _identity_fragment(identity: str) -> bytes:
    return _attributes_fragment(_ATTRS_IDENTITY, identity.encode())


@functools.lru_cache(maxsize=_CACHED)
def _handle_fragment(room_handle: int) -> bytes:
    return _field(_ROOM_EVENT, _handle(room_handle))


def two_strings(keys: TwoStrings, room_handle: int, identity: str, value: str) -> _ff.FfiEvent:
    """A ``RoomEvent`` field of the participant's identity and one more string (mute,
    metadata, name)."""
    v = value.encode()
    n = len(v)
    body = _string(keys[1], identity) + keys[2] + (_SMALL[n] if n < 0x80 else _varint(n)) + v
    n = len(body)
    inner = _handle(room_handle) + keys[0] + (_SMALL[n] if n < 0x80 else _varint(n)) + body
    n = len(inner)
    return _parse(_ROOM_EVENT + (_SMALL[n] if n < 0x80 else _varint(n)) + inner)


def attributes_changed(
    room_handle: int, identity: str, current: Mapping[str, str], changed: Mapping[str, str]
) -> _ff.FfiEvent:
    """``participant_attributes_changed``: the whole current map, then the changed keys.

    Protobuf parses concatenated messages as their merge (a message field met twice is
    merged, a repeated field appends), so the event is the fragments of its handle, identity
    and entries joined, each cached whole: no length is computed per event."""
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


def speakers_changed(room_handle: int, identities: Iterable[str]) -> _ff.FfiEvent:
    """``active_speakers_changed`` (present, and empty when nobody speaks)."""
    return _event(room_handle, _SPEAKERS, b"".join([_string(_SPEAKER, i) for i in identities]))


def connection_quality_changed(room_handle: int, identity: str, quality: int) -> _ff.FfiEvent:
    """``connection_quality_changed`` (``quality`` the FFI enum's number)."""
    body = _string(_QUALITY_IDENTITY, identity) + _QUALITY_VALUE + varint(quality)
    return _event(room_handle, _QUALITY_KEY, body)

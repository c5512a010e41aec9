"""Scenario files: a room's history as JSON Lines, to dump, replay, edit and check.

One format serves dumps and hand-written scenarios (``docs/reference/scenario-format.md``)::

    {"roomsim": 1, "room": "standup", "config": {}, "events_of": ["bob"]}
    {"mutation": "Connect", "identity": "alice"}
    {"mutation": "Connect", "identity": "bob"}
    {"to": "bob", "event": "connection_state_changed", "state": "CONNECTED"}
    {"mutation": "SetMetadata", "identity": "alice", "metadata": "hi"}

The first line is the header; then one mutation per line, exactly as ``room.log`` holds them
(clock advances and the mutations handlers made included: a replay runs no handlers).  Event
lines are optional: they say what a client named in ``events_of`` received as the result of
the mutation line above them, and :func:`check` (or ``roomsim run``) compares them with a
replay.

Values are converted by the attrs fields and type annotations of each class, so a mutation or
event class added later needs no change here: enums by name, ``Permission`` and other attrs
values as objects (fields at their default left out), mappings as objects, tuples as arrays,
bytes as a string when they are UTF-8 text and as ``{"b64": "..."}`` otherwise.

>>> import io
>>> from roomsim import Permission, Room
>>> from roomsim import scenario
>>> room = Room("standup")
>>> alice = room.connect("alice", permission=Permission(can_update_metadata=True))
>>> alice.set_attributes({"mood": "happy"})
>>> out = io.StringIO()
>>> scenario.dump(room, out)
>>> print(out.getvalue(), end="")
{"roomsim": 1, "room": "standup", "config": {}}
{"mutation": "Connect", "identity": "alice", "permission": {"can_update_metadata": true}}
{"mutation": "SetAttributes", "identity": "alice", "attributes": {"mood": "happy"}}
>>> again = scenario.replay(io.StringIO(out.getvalue()))
>>> again.snapshot() == room.snapshot()
True
"""

from __future__ import annotations

import base64
import binascii
import difflib
import enum
import json
import math
import os
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, Any, Final, Literal, Union, final

import attrs

from roomsim import mutations as M
from roomsim.client import Client
from roomsim.clock import ManualClock
from roomsim.config import RoomConfig
from roomsim.errors import IllegalState, InternalError, InvalidArgument, InvalidType, RoomsimError
from roomsim.events import EVENTS_BY_NAME, Event
from roomsim.room import Room

__all__ = [
    "VERSION",
    "Scenario",
    "Delivery",
    "Playback",
    "EventsMismatch",
    "dump",
    "load",
    "replay",
    "play",
    "check",
    "mutation_to_json",
    "mutation_from_json",
    "event_to_json",
    "event_from_json",
]

#: the format version this roomsim writes and the newest it reads
VERSION: Final = 1

#: a path, or a text file open for reading or writing
PathOrFile = str | os.PathLike[str] | IO[str]

MUTATIONS_BY_NAME: Final[Mapping[str, type[M.Mutation]]] = {
    cls.__name__: cls for cls in M.ALL_MUTATIONS
}

# keys a line uses for itself; no mutation or event field may have one of these names
_MUTATION_KEY: Final = "mutation"
_EVENT_KEY: Final = "event"
_TO_KEY: Final = "to"
_COMMENT_KEY: Final = "comment"
_HEADER_KEYS: Final = ("roomsim", "room", "config", "start", "events_of", "comment")


class _Bad(Exception):
    """A value that does not fit: ``where`` (a dotted path) and what is wrong with it."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where} {problem}" if where else problem)


# --------------------------------------------------------------------------------------------
# values <-> JSON, driven by attrs fields and type annotations


def _show(v: Any) -> str:
    kind = {
        type(None): "null",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(v), type(v).__name__)
    text = json.dumps(v, ensure_ascii=False) if kind != type(v).__name__ else repr(v)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({kind})"


def _encode(v: Any, where: str) -> Any:
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, enum.Enum):
        return v.name
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise _Bad(where, f"is {v!r}, which JSON can't hold")
        return v
    if isinstance(v, bytes | bytearray | memoryview):
        raw = bytes(v)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return {"b64": base64.b64encode(raw).decode("ascii")}
    if attrs.has(type(v)):
        return _encode_fields(v, where)
    if isinstance(v, Mapping):
        out: dict[str, Any] = {}
        for k, x in v.items():
            if isinstance(k, enum.Enum):
                key = k.name
            elif isinstance(k, str):
                key = k
            else:
                raise _Bad(where, f"has the key {k!r}; a scenario holds only str or enum keys")
            out[key] = _encode(x, f"{where}[{key!r}]")
        return out
    if isinstance(v, tuple | list):
        return [_encode(x, f"{where}[{i}]") for i, x in enumerate(v)]
    raise _Bad(where, f"holds {v!r} (type {type(v).__name__}), which has no JSON form")


def _is_default(obj: Any, a: attrs.Attribute[Any], v: Any) -> bool:
    d = a.default
    if d is attrs.NOTHING:
        return False
    if isinstance(d, attrs.Factory):  # type: ignore[arg-type]
        factory: Any = d
        d = factory.factory(obj) if factory.takes_self else factory.factory()
    if isinstance(v, Mapping) and isinstance(d, Mapping):
        return dict(v) == dict(d)
    return type(v) is type(d) and bool(v == d)


def _encode_fields(obj: Any, where: str) -> dict[str, Any]:
    """The init fields of an attrs value that differ from their defaults, in field order."""
    out: dict[str, Any] = {}
    for a in attrs.fields(type(obj)):
        if not a.init:
            continue
        v = getattr(obj, a.name)
        if _is_default(obj, a, v):
            continue
        key = a.alias or a.name
        out[key] = _encode(v, f"{where}.{key}")
    return out


_hints_cache: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _hints_cache.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _hints_cache[cls] = hints
    return hints


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union or origin is types.UnionType:
        return " or ".join(_describe(a) for a in args)
    if tp is type(None):
        return "null"
    if origin is tuple:
        return "an array"
    if origin in (dict, Mapping, typing.Mapping):
        return "an object"
    if origin in (list, Sequence, typing.Sequence):
        return "an array"
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return f"a {tp.__name__} name"
        if tp is bool:
            return "a boolean"
        if tp in (int, float):
            return "a number"
        if tp is str:
            return "a string"
        if tp is bytes:
            return 'a string or {"b64": ...}'
        if attrs.has(tp):
            return f"a {tp.__name__} object"
        return tp.__name__
    return str(tp)


def _plain(v: Any) -> Any:
    """A JSON value for a field annotated ``Any``: arrays become tuples."""
    if isinstance(v, list):
        return tuple(_plain(x) for x in v)
    if isinstance(v, dict):
        return types.MappingProxyType({k: _plain(x) for k, x in v.items()})
    return v


def _decode(v: Any, tp: Any, where: str) -> Any:
    if tp is Any or tp is object:
        return _plain(v)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union or origin is types.UnionType:
        if v is None:
            if type(None) in args:
                return None
            raise _Bad(where, f"must be {_describe(tp)}, got null")
        arms = [a for a in args if a is not type(None)]
        if len(arms) == 1:
            return _decode(v, arms[0], where)
        for arm in arms:
            try:
                return _decode(v, arm, where)
            except _Bad:
                continue
        raise _Bad(where, f"must be {_describe(tp)}, got {_show(v)}")
    if tp is type(None):
        if v is None:
            return None
        raise _Bad(where, f"must be null, got {_show(v)}")
    if origin is Literal:
        if v in args and all(type(v) is type(a) for a in args if a == v):
            return v
        raise _Bad(where, f"must be one of {', '.join(map(repr, args))}, got {_show(v)}")
    if origin is tuple:
        if not isinstance(v, list):
            raise _Bad(where, f"must be an array, got {_show(v)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(x, args[0], f"{where}[{i}]") for i, x in enumerate(v))
        if not args:
            return tuple(_plain(x) for x in v)
        if len(v) != len(args):
            raise _Bad(where, f"must be an array of {len(args)} items, got {_show(v)}")
        return tuple(
            _decode(x, a, f"{where}[{i}]") for i, (x, a) in enumerate(zip(v, args, strict=True))
        )
    if origin in (list, Sequence, typing.Sequence):
        if not isinstance(v, list):
            raise _Bad(where, f"must be an array, got {_show(v)}")
        item = args[0] if args else Any
        items = [_decode(x, item, f"{where}[{i}]") for i, x in enumerate(v)]
        return items if origin is list else tuple(items)
    if origin in (dict, Mapping, typing.Mapping):
        if not isinstance(v, dict):
            raise _Bad(where, f"must be an object, got {_show(v)}")
        kt, vt = args if len(args) == 2 else (str, Any)
        out = {
            _decode(k, kt, f"{where} key"): _decode(x, vt, f"{where}[{k!r}]") for k, x in v.items()
        }
        return out if origin is dict else types.MappingProxyType(out)
    if isinstance(tp, type):
        return _decode_type(v, tp, where)
    return v  # an annotation this module does not know: taken as it is


def _decode_type(v: Any, tp: type, where: str) -> Any:
    if issubclass(tp, enum.Enum):
        if isinstance(v, str) and v in tp.__members__:
            return tp[v]
        names = ", ".join(tp.__members__)
        raise _Bad(where, f"must be a {tp.__name__} name ({names}), got {_show(v)}")
    if tp is bool:
        if type(v) is bool:
            return v
    elif tp is int:
        if type(v) is int:
            return v
    elif tp is float:
        if type(v) in (int, float):
            if not math.isfinite(v):
                raise _Bad(where, f"must be a finite number, got {v!r}")
            return float(v)
    elif tp is str:
        if type(v) is str:
            return v
    elif tp is bytes:
        if type(v) is str:
            return v.encode("utf-8")
        if isinstance(v, dict) and list(v) == ["b64"] and type(v["b64"]) is str:
            try:
                return base64.b64decode(v["b64"], validate=True)
            except (binascii.Error, ValueError):
                raise _Bad(where, f"holds invalid base64 {v['b64']!r}") from None
    elif attrs.has(tp):
        if isinstance(v, dict):
            return _build(tp, v, where, ())
        raise _Bad(where, f"must be {_describe(tp)}, got {_show(v)}")
    else:
        if isinstance(v, tp):
            return v
    raise _Bad(where, f"must be {_describe(tp)}, got {_show(v)}")


def _build(cls: type, obj: Mapping[str, Any], where: str, skip: Sequence[str]) -> Any:
    """An attrs value from a JSON object, field by field; refuses unknown and missing fields."""
    hints = _hints(cls)
    fields = {(a.alias or a.name): a for a in attrs.fields(cls) if a.init}
    kwargs: dict[str, Any] = {}
    for key, raw in obj.items():
        if key in skip:
            continue
        a = fields.get(key)
        if a is None:
            known = ", ".join(fields) or "none"
            raise _Bad(where, f"has no field {key!r} (its fields: {known})")
        kwargs[key] = _decode(raw, hints.get(a.name, Any), f"{where}.{key}")
    missing = [k for k, a in fields.items() if a.default is attrs.NOTHING and k not in kwargs]
    if missing:
        raise _Bad(where, f"lacks the field(s) {', '.join(map(repr, missing))}")
    try:
        return cls(**kwargs)
    except (RoomsimError, TypeError, ValueError) as e:
        raise _Bad(where, f"is refused: {e}") from None


def _check_reserved(cls: type, reserved: Iterable[str]) -> None:
    for a in attrs.fields(cls):
        if (a.alias or a.name) in reserved:
            raise InternalError(
                f"{cls.__name__} has a field named {a.name!r}, which a scenario line uses for "
                "itself; rename the field or extend roomsim.scenario"
            )


def mutation_to_json(m: M.Mutation) -> dict[str, Any]:
    """A mutation as a JSON object: ``{"mutation": class name, field: value, ...}``.

    Fields at their default are left out.

    >>> from roomsim import mutations as M
    >>> mutation_to_json(M.SetMetadata(identity="alice", metadata="hi"))
    {'mutation': 'SetMetadata', 'identity': 'alice', 'metadata': 'hi'}
    """
    cls = type(m)
    if MUTATIONS_BY_NAME.get(cls.__name__) is not cls:
        raise InvalidType(
            f"mutation_to_json() takes a roomsim mutation (roomsim.mutations), got {m!r} "
            f"(type {cls.__name__})"
        )
    _check_reserved(cls, (_MUTATION_KEY, _EVENT_KEY, _TO_KEY))
    try:
        return {_MUTATION_KEY: cls.__name__, **_encode_fields(m, cls.__name__)}
    except _Bad as e:
        raise InvalidArgument(f"can't write {m!r}: {e}") from None


def mutation_from_json(d: Mapping[str, Any]) -> M.Mutation:
    """The mutation a JSON object describes; raises ``InvalidArgument`` saying what is wrong.

    >>> mutation_from_json({"mutation": "SetMetadata", "identity": "alice", "metadata": "hi"})
    SetMetadata(identity='alice', metadata='hi')
    """
    try:
        return _mutation_from_json(d)
    except _Bad as e:
        raise InvalidArgument(str(e)) from None


def _mutation_from_json(d: Any) -> M.Mutation:
    if not isinstance(d, Mapping):
        raise _Bad("", f"a mutation must be a JSON object, got {_show(d)}")
    name = d.get(_MUTATION_KEY)
    if type(name) is not str:
        raise _Bad("", f'a mutation needs "mutation": the class name, got {_show(name)}')
    cls = MUTATIONS_BY_NAME.get(name)
    if cls is None:
        raise _Bad(
            "", f"unknown mutation {name!r}; roomsim.mutations has {', '.join(MUTATIONS_BY_NAME)}"
        )
    m: M.Mutation = _build(cls, d, name, (_MUTATION_KEY,))
    return m


def event_to_json(e: Event) -> dict[str, Any]:
    """An event as a JSON object: ``{"event": its name, field: value, ...}``.

    >>> from roomsim.events import ParticipantConnected
    >>> event_to_json(ParticipantConnected(participant="bob"))
    {'event': 'participant_connected', 'participant': 'bob'}
    """
    cls = type(e)
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or EVENTS_BY_NAME.get(name) is not cls:
        raise InvalidType(
            f"event_to_json() takes a roomsim event (roomsim.events), got {e!r} "
            f"(type {cls.__name__})"
        )
    _check_reserved(cls, (_MUTATION_KEY, _EVENT_KEY, _TO_KEY))
    try:
        return {_EVENT_KEY: name, **_encode_fields(e, name)}
    except _Bad as err:
        raise InvalidArgument(f"can't write {e!r}: {err}") from None


def event_from_json(d: Mapping[str, Any]) -> Event:
    """The event a JSON object describes; raises ``InvalidArgument`` saying what is wrong.

    >>> event_from_json({"event": "participant_connected", "participant": "bob"})
    ParticipantConnected(participant='bob')
    """
    try:
        return _event_from_json(d, ())
    except _Bad as e:
        raise InvalidArgument(str(e)) from None


def _event_from_json(d: Any, skip: Sequence[str]) -> Event:
    if not isinstance(d, Mapping):
        raise _Bad("", f"an event must be a JSON object, got {_show(d)}")
    name = d.get(_EVENT_KEY)
    if type(name) is not str:
        raise _Bad("", f'an event needs "event": its name, got {_show(name)}')
    cls = EVENTS_BY_NAME.get(name)
    if cls is None:
        raise _Bad("", f"unknown event {name!r}; roomsim.events has {', '.join(EVENTS_BY_NAME)}")
    e: Event = _build(cls, d, name, (_EVENT_KEY, *skip))
    return e


# --------------------------------------------------------------------------------------------
# the scenario value


@final
@attrs.frozen(kw_only=True)
class Delivery:
    """One event a client received: as the result of mutation number ``step`` (0-based)."""

    step: int
    #: the identity of the client that received it
    recipient: str
    event: Event


@final
@attrs.frozen(kw_only=True)
class Scenario:
    """A loaded scenario file: its header, its mutations and the events it expects."""

    #: the room's name
    room: str = "room"
    config: RoomConfig = attrs.field(factory=RoomConfig)
    #: the virtual time the room's clock starts at
    start: float = 0.0
    mutations: tuple[M.Mutation, ...] = ()
    #: the identities whose events the file records; their events are checked by ``check``
    events_of: tuple[str, ...] = ()
    #: the recorded events of ``events_of``, by step, then in ``events_of`` order
    expected: tuple[Delivery, ...] = ()
    #: the line of each mutation in its file (for messages); header_line for the header
    lines: tuple[int, ...] = attrs.field(default=(), eq=False)
    header_line: int = attrs.field(default=1, eq=False)

    def head(self, n: int) -> Scenario:
        """The first ``n`` mutations and the events they caused: a point to branch from."""
        if type(n) is not int or n < 0:
            raise InvalidArgument(f"Scenario.head(n) takes a count >= 0, got {n!r}")
        return attrs.evolve(
            self,
            mutations=self.mutations[:n],
            expected=tuple(d for d in self.expected if d.step < n),
            lines=self.lines[:n],
        )

    def line(self, step: int) -> int:
        """The file line of mutation number ``step`` (for a Scenario made in Python: its
        position after a header line)."""
        return self.lines[step] if step < len(self.lines) else step + 2


def _start_of(room: Room) -> float:
    """The clock's time when ``room`` was made."""
    for name in ("created_at", "_created_at"):
        created = getattr(room, name, None)
        if isinstance(created, int | float):
            return float(created)
    # now, less every advance the log holds
    elapsed = 0.0
    for m in room.log:
        if m.path == "time":
            dt = getattr(m, "dt", 0.0)
            if type(dt) in (int, float):
                elapsed += dt
    start = room.now - elapsed
    return start if start > 0 else 0.0


def _header_json(sc: Scenario) -> dict[str, Any]:
    header: dict[str, Any] = {"roomsim": VERSION, "room": sc.room}
    header["config"] = _encode_fields(sc.config, "config")
    if sc.start:
        header["start"] = sc.start
    if sc.events_of:
        header["events_of"] = list(sc.events_of)
    return header


def _line(obj: Mapping[str, Any]) -> str:
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # a lone surrogate can't be UTF-8 text: escape the line (JSON reads it back the same)
        text = json.dumps(obj, allow_nan=False)
    return text + "\n"


def _lines_of(sc: Scenario) -> Iterator[str]:
    yield _line(_header_json(sc))
    expected: dict[int, list[Delivery]] = {}
    for d in sc.expected:
        expected.setdefault(d.step, []).append(d)
    for i, m in enumerate(sc.mutations):
        yield _line(mutation_to_json(m))
        for d in expected.get(i, ()):
            yield _line({_TO_KEY: d.recipient, **event_to_json(d.event)})


@contextmanager
def _writer(target: PathOrFile) -> Iterator[IO[str]]:
    if isinstance(target, str | os.PathLike):
        with open(target, "w", encoding="utf-8", newline="\n") as f:
            yield f
    elif hasattr(target, "write"):
        yield target
    else:
        raise InvalidType(
            f"expected a path or a text file open for writing, got {target!r} "
            f"(type {type(target).__name__})"
        )


def dump(room: Room, target: PathOrFile, *, events_of: Iterable[str] = ()) -> None:
    """Write ``room``'s history to ``target`` (a path or a text file) as a scenario.

    ``events_of`` names clients (by identity) whose events are written too, each after the
    mutation that caused it, so that ``check``/``roomsim run`` can compare a replay with them.
    A room made with ``keep_log=False`` has no history to write (``IllegalState``).
    """
    if not isinstance(room, Room):
        raise InvalidType(f"dump() takes a Room, got {room!r} (type {type(room).__name__})")
    if isinstance(events_of, str) or not isinstance(events_of, Iterable):
        raise InvalidType(
            f"dump(events_of=...) takes identities, e.g. ('alice',), got {events_of!r} "
            f"(type {type(events_of).__name__})"
        )
    watched = tuple(dict.fromkeys(events_of))
    for identity in watched:
        if not isinstance(identity, str):
            raise InvalidType(
                f"dump(events_of=...) holds {identity!r} (type {type(identity).__name__}); "
                "pass identities (str)"
            )
    if not room._keep_log:
        raise IllegalState(
            f"can't dump room {room.name!r}: it was made with keep_log=False and keeps no "
            "mutation log; make it with Room(..., keep_log=True) (the default) to dump it"
        )
    sc = Scenario(
        room=room.name,
        config=room.config,
        start=_start_of(room),
        mutations=tuple(room.log),
    )
    if watched:
        sc = _with_events(room, sc, watched)
    try:
        text = "".join(_lines_of(sc))
    except _Bad as e:
        raise InvalidArgument(f"can't dump room {room.name!r}: {e}") from None
    with _writer(target) as f:
        f.write(text)


def _with_events(room: Room, sc: Scenario, watched: tuple[str, ...]) -> Scenario:
    """``sc`` with the events of ``watched``, each attributed to the mutation that caused it.

    The attribution comes from a replay; the replayed streams must equal the room's own.
    """
    own: dict[str, list[Event]] = {}
    unkept: set[str] = set()  # identities with a session that keeps no history
    for c in room.snapshot().clients:
        own.setdefault(c.identity, []).extend(c.events)
        if not c.keep_events:
            unkept.add(c.identity)
    unknown = [i for i in watched if i not in own]
    if unknown:
        raise InvalidArgument(
            f"dump(events_of=...) names {', '.join(map(repr, unknown))}, who never connected to "
            f"room {room.name!r}; clients: {', '.join(map(repr, own)) or 'none'}"
        )
    sc = attrs.evolve(sc, events_of=watched)
    try:
        pb = play(sc)
    except InvalidArgument as e:
        raise InternalError(
            f"room {room.name!r} can't be replayed from its own log ({e}); this is a roomsim "
            "bug: please report it"
        ) from e
    expected = pb.watched()
    for identity in watched:
        if identity in unkept:
            continue
        replayed = [d.event for d in expected if d.recipient == identity]
        if replayed != own[identity]:
            raise InternalError(
                f"replaying room {room.name!r} from its log does not give {identity!r} the "
                "events it received; this is a roomsim bug: please report it"
            )
    return attrs.evolve(sc, expected=expected)


# --------------------------------------------------------------------------------------------
# reading


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Bad("", f"has the key {k!r} twice")
        out[k] = v
    return out


def _no_constant(name: str) -> Any:
    raise _Bad("", f"holds {name}, which is not JSON; numbers must be finite")


@contextmanager
def _reader(source: PathOrFile) -> Iterator[Iterable[str | bytes]]:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            yield f
    elif hasattr(source, "read"):
        yield source
    else:
        raise InvalidType(
            f"expected a path or a text file open for reading, got {source!r} "
            f"(type {type(source).__name__})"
        )


def _header(obj: dict[str, Any], n: int) -> Scenario:
    if "roomsim" not in obj:
        raise _Bad(
            "",
            "is not a header: a scenario starts with a header line such as "
            '{"roomsim": 1, "room": "standup", "config": {}}',
        )
    version = obj["roomsim"]
    if type(version) is not int or version < 1:
        raise _Bad("", f'"roomsim" must be the format version (1), got {_show(version)}')
    if version > VERSION:
        raise _Bad(
            "",
            f"the file is in scenario format version {version}; this roomsim reads versions up "
            f"to {VERSION}: upgrade roomsim to read it",
        )
    for key in obj:
        if key not in _HEADER_KEYS:
            raise _Bad("header", f"has the unknown key {key!r} (known: {', '.join(_HEADER_KEYS)})")
    room = obj.get("room", "room")
    if type(room) is not str or not room:
        raise _Bad('header "room"', f"must be a non-empty string, got {_show(room)}")
    config = obj.get("config", {})
    if not isinstance(config, dict):
        raise _Bad(
            'header "config"', f"must be an object of RoomConfig fields, got {_show(config)}"
        )
    start = _decode(obj.get("start", 0.0), float, 'header "start"')
    if start < 0:
        raise _Bad('header "start"', f"must be >= 0, got {start!r}")
    events_of = _decode(obj.get("events_of", []), tuple[str, ...], 'header "events_of"')
    if len(set(events_of)) != len(events_of):
        raise _Bad('header "events_of"', f"names an identity twice: {list(events_of)!r}")
    return Scenario(
        room=room,
        config=_build(RoomConfig, config, "config", ()),
        start=start,
        events_of=events_of,
        header_line=n,
    )


def load(source: PathOrFile) -> Scenario:
    """Read a scenario file (a path or a text file).

    A malformed file, or one written by a newer roomsim, is refused with ``InvalidArgument``
    naming the line and what is wrong with it.
    """
    with _reader(source) as f:
        return _parse(f)


def _parse(lines: Iterable[str | bytes]) -> Scenario:
    sc: Scenario | None = None
    mutations: list[M.Mutation] = []
    numbers: list[int] = []
    expected: list[Delivery] = []
    n = 0
    for n, raw in enumerate(lines, 1):
        try:
            if isinstance(raw, bytes):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise _Bad("", f"is not UTF-8 text ({e.reason} at byte {e.start})") from None
            else:
                text = raw
            if not text.strip():
                continue
            try:
                obj = json.loads(
                    text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant
                )
            except json.JSONDecodeError as e:
                raise _Bad("", f"is not valid JSON: {e.msg} (column {e.colno})") from None
            if not isinstance(obj, dict):
                raise _Bad("", f"must be a JSON object, got {_show(obj)}")
            if sc is None:
                sc = _header(obj, n)
                continue
            if "roomsim" in obj:
                raise _Bad("", f"is a second header; the header is line {sc.header_line} only")
            if _MUTATION_KEY in obj:
                mutations.append(_mutation_from_json(obj))
                numbers.append(n)
            elif _EVENT_KEY in obj:
                expected.append(_expected(obj, sc, len(mutations)))
            elif list(obj) == [_COMMENT_KEY]:
                continue
            else:
                raise _Bad(
                    "",
                    'holds neither a mutation ({"mutation": ...}), an event '
                    '({"to": ..., "event": ...}) nor a comment ({"comment": ...}); '
                    f"its keys: {', '.join(map(repr, obj))}",
                )
        except _Bad as e:
            raise InvalidArgument(f"line {n}: {e}") from None
    if sc is None:
        raise InvalidArgument(
            f"line {n + 1}: the file ends before its header; a scenario starts with a header "
            'line such as {"roomsim": 1, "room": "standup", "config": {}}'
        )
    order = {identity: i for i, identity in enumerate(sc.events_of)}
    expected.sort(key=lambda d: (d.step, order[d.recipient]))
    return attrs.evolve(
        sc, mutations=tuple(mutations), lines=tuple(numbers), expected=tuple(expected)
    )


def _expected(obj: dict[str, Any], sc: Scenario, count: int) -> Delivery:
    to = obj.get(_TO_KEY)
    if type(to) is not str:
        raise _Bad("", f'an event line needs "to": the identity that received it, got {_show(to)}')
    if to not in sc.events_of:
        raise _Bad(
            "",
            f"records an event of {to!r}, but the header's events_of does not name {to!r}; "
            f'add it: "events_of": {json.dumps([*sc.events_of, to], ensure_ascii=False)}',
        )
    if count == 0:
        raise _Bad("", "is an event before any mutation; an event follows the mutation causing it")
    return Delivery(step=count - 1, recipient=to, event=_event_from_json(obj, (_TO_KEY,)))


# --------------------------------------------------------------------------------------------
# replaying


def _scenario(source: Scenario | PathOrFile) -> Scenario:
    return source if isinstance(source, Scenario) else load(source)


def _new_room(sc: Scenario) -> Room:
    try:
        return Room(sc.room, config=sc.config, clock=ManualClock(sc.start))
    except RoomsimError as e:
        raise InvalidArgument(f"line {sc.header_line}: the room can't be made: {e}") from None


def _apply(room: Room, sc: Scenario, step: int) -> Any:
    m = sc.mutations[step]
    try:
        return room.apply(m)
    except RoomsimError as e:
        raise InvalidArgument(
            f"line {sc.line(step)}: {type(m).__name__} is refused on replay "
            f"({type(e).__name__}: {e}); a recorded mutation never fails, so the file was "
            "edited or belongs to another roomsim version"
        ) from None


def replay(source: Scenario | PathOrFile) -> Room:
    """A new room with the scenario's history applied; its clients are in ``room.clients``.

    No handlers run: the mutations handlers made are in the file.  The room's snapshot equals
    the recorded room's, except for what the recording test read (``next_event()``,
    ``drain()``) and the handlers it registered.
    """
    sc = _scenario(source)
    room = _new_room(sc)
    for step in range(len(sc.mutations)):
        _apply(room, sc, step)
    return room


class EventsMismatch(AssertionError):
    """The replayed events differ from the ones the scenario recorded; ``diff`` shows how."""

    def __init__(self, diff: Sequence[str]) -> None:
        self.diff: tuple[str, ...] = tuple(diff)
        super().__init__("the replayed events differ from the recorded ones:\n" + "\n".join(diff))


@final
@attrs.frozen(kw_only=True, eq=False)
class Playback:
    """A replay watched client by client: every event, with the mutation that caused it."""

    scenario: Scenario
    #: the room after the last mutation; its clients have been read
    room: Room
    #: every event every client received, by step, then by client in connection order
    deliveries: tuple[Delivery, ...]
    #: the room's virtual time after each step
    times: tuple[float, ...]

    def watched(self) -> tuple[Delivery, ...]:
        """The deliveries to the scenario's ``events_of``, ordered as ``Scenario.expected``."""
        order = {identity: i for i, identity in enumerate(self.scenario.events_of)}
        got = [d for d in self.deliveries if d.recipient in order]
        got.sort(key=lambda d: (d.step, order[d.recipient]))
        return tuple(got)

    def differences(self) -> tuple[str, ...]:
        """A unified diff of the recorded events against the replayed ones; () if they match."""
        sc = self.scenario
        got = self.watched()
        if got == sc.expected:
            return ()
        return tuple(
            difflib.unified_diff(
                [self._format(d) for d in sc.expected],
                [self._format(d) for d in got],
                "recorded",
                "replayed",
                lineterm="",
            )
        )

    def _format(self, d: Delivery) -> str:
        from roomsim._format import format_value

        e = d.event
        fields = " ".join(
            f"{a.name}={format_value(getattr(e, a.name))}" for a in attrs.fields(type(e))
        )
        head = f"line {self.scenario.line(d.step)} {type(self.scenario.mutations[d.step]).__name__}"
        return f"{head}: {d.recipient} {e.name} {fields}".rstrip()


class _Watcher:
    """Reads each client's new events after every step, in connection order."""

    def __init__(self, room: Room) -> None:
        self._room = room
        self._clients: list[Client] = []
        self._known: set[int] = set()
        self._seen: dict[int, int] = {}
        self._kept: dict[int, bool] = {}

    def _add(self, c: Client) -> None:
        if id(c) not in self._known:
            self._known.add(id(c))
            self._clients.append(c)
            self._seen[id(c)] = 0
            try:
                c.events  # noqa: B018 (a client with keep_events=False refuses this)
                self._kept[id(c)] = True
            except IllegalState:
                self._kept[id(c)] = False

    def collect(self, step: int, result: Any, out: list[Delivery]) -> None:
        if isinstance(result, Client):
            self._add(result)
        for c in self._room.clients.values():
            self._add(c)
        current = self._room.clients
        keep: list[Client] = []
        for c in self._clients:
            key = id(c)
            if self._kept[key]:
                evs = c.events
                new: Sequence[Event] = evs[self._seen[key] :]
                self._seen[key] = len(evs)
            else:
                new = c.drain()
            out.extend(Delivery(step=step, recipient=c.identity, event=e) for e in new)
            if current.get(c.identity) is c:
                keep.append(c)
            else:  # the session ended and its last events are read: nothing more will come
                self._known.discard(key)
        self._clients = keep


def play(
    source: Scenario | PathOrFile, *, on_event: Callable[[float, str, Event], None] | None = None
) -> Playback:
    """Replay a scenario reading every client after each mutation.

    ``on_event(time, recipient, event)`` is called for each event as the replay goes.  A
    mutation the room refuses stops the replay with ``InvalidArgument`` naming its line.
    """
    sc = _scenario(source)
    room = _new_room(sc)
    watcher = _Watcher(room)
    deliveries: list[Delivery] = []
    times: list[float] = []
    for step in range(len(sc.mutations)):
        result = _apply(room, sc, step)
        start = len(deliveries)
        watcher.collect(step, result, deliveries)
        times.append(room.now)
        if on_event is not None:
            for d in deliveries[start:]:
                on_event(room.now, d.recipient, d.event)
    return Playback(scenario=sc, room=room, deliveries=tuple(deliveries), times=tuple(times))


def check(source: Scenario | PathOrFile) -> Playback:
    """Replay a scenario and check the events it records; ``EventsMismatch`` if they differ."""
    pb = play(source)
    diff = pb.differences()
    if diff:
        raise EventsMismatch(diff)
    return pb

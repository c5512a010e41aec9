"""Values to JSON and back, driven by each class's attrs fields and annotations."""

from __future__ import annotations

import base64
import binascii
import enum
import json
import math
import os
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, Final, Literal, Union

import attrs

from roomsim import mutations as M
from roomsim.errors import InternalError, InvalidArgument, InvalidType, RoomsimError
from roomsim.events import EVENTS_BY_NAME, Event

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


def _utf8(v: str, where: str) -> str:
    """A JSON string that is valid UTF-8 (JSON's \\ud800 escapes can make lone surrogates)."""
    if not v.isascii():
        try:
            v.encode("utf-8")
        except UnicodeEncodeError as e:
            raise _Bad(
                where, f"holds a lone surrogate at index {e.start}; use UTF-8 text"
            ) from None
    return v


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
            try:
                f = float(v)
            except OverflowError:
                raise _Bad(where, f"is too large a number, got {_show(v)}") from None
            if not math.isfinite(f):
                raise _Bad(where, f"must be a finite number, got {_show(v)}")
            return f
    elif tp is str:
        if type(v) is str:
            return _utf8(v, where)
    elif tp is bytes:
        if type(v) is str:
            return _utf8(v, where).encode("utf-8")
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

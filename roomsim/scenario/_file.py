"""The scenario value, and scenario files: ``dump`` a room's log, ``load`` a file."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any, final

import attrs

from roomsim import mutations as M
from roomsim.config import RoomConfig
from roomsim.errors import InvalidArgument, InvalidType
from roomsim.events import Event
from roomsim.room import Room
from roomsim.scenario._codec import (
    _COMMENT_KEY,
    _EVENT_KEY,
    _HEADER_KEYS,
    _MUTATION_KEY,
    _TO_KEY,
    VERSION,
    PathOrFile,
    _Bad,
    _build,
    _decode,
    _encode_fields,
    _event_from_json,
    _mutation_from_json,
    _show,
    event_to_json,
    mutation_to_json,
)

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
    for name in ("created_at",):
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


#: digits of the longest integer a scenario line may hold (far beyond any int64 or uint64)
_MAX_DIGITS = 40


def _int(text: str) -> int:
    """Integers in JSON, refused past ``_MAX_DIGITS`` digits (Python's own limit is 4300)."""
    if len(text.lstrip("-")) > _MAX_DIGITS:
        raise _Bad("", f"holds a {len(text)}-digit number; numbers in scenarios are far shorter")
    return int(text)


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
                    text,
                    object_pairs_hook=_no_duplicates,
                    parse_constant=_no_constant,
                    parse_int=_int,
                )
            except json.JSONDecodeError as e:
                raise _Bad("", f"is not valid JSON: {e.msg} (column {e.colno})") from None
            except RecursionError:
                raise _Bad("", "nests JSON too deeply for a scenario line") from None
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
        except (OverflowError, RecursionError, ValueError) as e:
            # a number or a structure the values can't hold (InvalidArgument is a ValueError
            # too, and already names its line)
            if isinstance(e, InvalidArgument):
                raise
            raise InvalidArgument(
                f"line {n}: holds a value roomsim can't represent ({type(e).__name__}: "
                f"{_show(str(e))})"
            ) from None
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

"""Fuzzing (design §1 Atomic, §4 Errors): arbitrary, also ill-typed, mutations of every class
in ``roomsim.mutations.ALL_MUTATIONS`` thrown at rooms in random states.

Each one either applies, with ``check_invariants`` passing, or raises a ``RoomsimError`` (never
``HandlerError``: the handlers here don't raise) with ``room.snapshot()`` unchanged.  Any other
exception fails the test.

The values include hostile ones (a mapping that changes between reads, one whose reads raise;
values whose ``repr`` raises are in test_escapes.py, as Hypothesis itself reprs drawn values),
tiny and huge numbers (5e-324, 1e308, 10**400); handlers that raise hostile exceptions and
scenario lines with deep JSON and huge numbers have tests of their own below.  Run at 5,000
examples with ``--hypothesis-profile=soak``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs
from hypothesis import given, note
from hypothesis import strategies as st

from roomsim import (
    Client,
    ConnectionQuality,
    HandlerError,
    KindDetail,
    ParticipantKind,
    Permission,
    Room,
    RoomConfig,
    RoomsimError,
    StreamState,
    TrackKind,
    TrackSource,
)
from roomsim import mutations as M
from roomsim.events import Event
from roomsim.testing import check_invariants
from tests.property._actions import IDENTITIES, mutation, permissions


class _Flip(Mapping[str, str]):
    """A hostile mapping: each ``items()`` (or iteration) gives another value (issue 25's
    check-then-use: validated with one value, committed with another)."""

    def __init__(self) -> None:
        self.calls = 0

    def _now(self) -> dict[str, str]:
        self.calls += 1
        return {"k": "v" if self.calls % 2 else "\ud800"}

    def __getitem__(self, key: str) -> str:
        return self._now()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __len__(self) -> int:
        return 1


class _Broken(Mapping[str, str]):
    """A hostile mapping whose every read raises."""

    def __getitem__(self, key: str) -> str:
        raise ValueError("no reading me")

    def __iter__(self) -> Iterator[str]:
        raise ValueError("no iterating me")

    def __len__(self) -> int:
        raise ValueError("no measuring me")


def _safe(value: object) -> str:
    try:
        return repr(value)
    except Exception:  # a tuple holding a _BadRepr
        return "<a value whose repr raises>"


# values of the wrong type (or shape) for any field; a few are right for some fields
JUNK: tuple[Any, ...] = (
    b"alice",
    b"",
    0,
    1,
    -1,
    True,
    None,
    math.nan,
    math.inf,
    -math.inf,
    -0.5,
    2.5,
    10**30,
    [],
    {},
    [1],
    ["alice"],
    ("TR_1", 2),
    {"k": 1},
    {1: "v"},
    {"alice": [1.0]},
    "",
    "x" * 600,
    "é" * 300,
    "\x00",
    object(),
    TrackKind.AUDIO,
    TrackSource.CAMERA,
    ParticipantKind.AGENT,
    StreamState.UNKNOWN,
    ConnectionQuality.UNKNOWN,
    KindDetail.FORWARDED,
    Permission(hidden=True),
    frozenset({"alice"}),
    # tiny and huge numbers
    5e-324,
    -0.0,
    1e-300,
    1e12,
    1e308,
    10**400,
    -(10**400),
    # hostile values
    _Flip(),
    _Broken(),
    MappingProxyType({"k": "v"}),
)


def _hashable(v: Any) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def _pick(values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """One of ``values``, drawn by index: Hypothesis puts a strategy's repr in its notes (a
    filter's retries, errors), and sampled_from's repr would call the hostile values' repr."""
    return st.integers(0, len(values) - 1).map(values.__getitem__)


junk = _pick(JUNK)
#: junk that can be a mapping key
junk_keys = _pick(tuple(v for v in JUNK if _hashable(v)))
texts = st.one_of(
    st.sampled_from(["", "x", "é", "€€", "😀", "name"]),
    st.text(max_size=6),
)


def _identities(room: Room) -> st.SearchStrategy[str]:
    present = list(room.participants)
    departed = [p.identity for p in room.departed]
    return st.sampled_from([*present, *departed, *IDENTITIES, "ghost", ""])


def _sids(room: Room) -> st.SearchStrategy[str]:
    sids = [s for p in room.participants.values() for s in p.track_publications]
    return st.sampled_from([*sids, "TR_1", "TR_2", "TR_99", "", "PA_1"])


#: well-typed values for the fields that do not depend on the room
_STATIC: dict[str, st.SearchStrategy[Any]] = {
    "name": texts,
    "metadata": texts,
    "topic": st.one_of(st.none(), texts),
    "attributes": st.dictionaries(texts, texts, max_size=3),
    "source": st.sampled_from(TrackSource),
    "state": st.sampled_from(StreamState),
    "quality": st.sampled_from(ConnectionQuality),
    # tiny and huge steps too: virtual time ends at 1e12 s, and an advance past it is refused
    "dt": st.one_of(st.floats(0.0, 30.0), st.sampled_from([5e-324, 1e-9, 1e12, 1e308])),
    "data": st.binary(max_size=8),
    "kind_details": st.lists(st.sampled_from(KindDetail), max_size=2).map(tuple),
    "auto_subscribe": st.one_of(st.none(), st.booleans()),
}
_PARTICIPANT_KINDS = st.sampled_from(ParticipantKind)
_TRACK_KINDS = st.sampled_from(TrackKind)
_OPTIONAL_PERMISSIONS = st.one_of(st.none(), permissions)
_LEVELS = st.floats(0.0, 1.0)


def _valid(name: str, cls: type[M.Mutation], room: Room) -> st.SearchStrategy[Any]:
    """A value of the right type (not necessarily right for the state) for a field."""
    strategy: st.SearchStrategy[Any]
    if name in _STATIC:
        strategy = _STATIC[name]
        if cls is M.UpdateParticipant and name in ("name", "metadata", "attributes"):
            return st.one_of(st.none(), strategy)
        return strategy
    if name == "kind":
        return _PARTICIPANT_KINDS if cls is M.Connect else _TRACK_KINDS
    if name == "permission":
        return permissions if cls is M.Connect else _OPTIONAL_PERMISSIONS
    if name in ("identity", "publisher"):
        return _identities(room)
    if name == "sender":
        return st.one_of(st.none(), _identities(room))
    if name == "track_sid":
        return _sids(room)
    if name == "track_sids":
        return st.lists(_sids(room), max_size=3).map(tuple)
    if name == "destination_identities":
        return st.lists(_identities(room), max_size=3).map(tuple)
    if name == "levels":
        return st.dictionaries(_identities(room), _LEVELS, max_size=3)
    if name == "allowed":
        sids = st.lists(_sids(room), max_size=2).map(tuple)
        return st.dictionaries(_identities(room), st.one_of(st.none(), sids), max_size=2)
    # every remaining field is a flag
    return st.booleans()


_JUNK_MAPS = st.dictionaries(st.one_of(texts, junk_keys), junk, max_size=2)
_JUNK_TUPLES = st.lists(junk, max_size=2).map(tuple)


def _value(draw: st.DrawFn, name: str, cls: type[M.Mutation], room: Room) -> Any:
    """Mostly a well-typed value; sometimes junk; sometimes a container of junk."""
    roll = draw(st.integers(0, 5))
    if roll < 3:
        return draw(_valid(name, cls, room))
    return draw((junk, _JUNK_MAPS, _JUNK_TUPLES)[roll - 3])


@st.composite
def arbitrary_mutations(draw: st.DrawFn, room: Room) -> M.Mutation:
    cls = draw(st.sampled_from(M.ALL_MUTATIONS))
    kwargs = {
        a.alias or a.name: _value(draw, a.name, cls, room)
        for a in attrs.fields(cls)
        if draw(st.integers(0, 9)) > 0 or a.default is attrs.NOTHING
    }
    m: M.Mutation = cls(**kwargs)
    return m


CONFIGS = st.sampled_from(
    [
        RoomConfig(),
        RoomConfig(
            max_participants=3,
            max_identity_length=8,
            max_name_length=8,
            max_metadata_size=8,
            max_attributes_size=8,
        ),
        RoomConfig(enable_remote_unmute=True, speaker_interval=0.0, quality_interval=0.0),
        RoomConfig(auto_subscribe=False, departure_timeout=0.0, join_timeout=1.0),
    ]
)


def _listen(client: Client, seen: list[Event]) -> None:
    client.on("participant_connected", seen.append)
    client.on("track_subscribed", seen.append)
    client.on("participant_attributes_changed", seen.append)


def random_room(data: st.DataObject) -> Room:
    """A room in a random state: random history (tests/property/_actions.py), some clients
    with (quiet) handlers, time passed, sometimes closed."""
    draw = data.draw
    room = Room("fuzz", config=draw(CONFIGS), keep_log=draw(st.booleans()))
    seen: list[Event] = []
    for _ in range(draw(st.integers(0, 10))):
        roll = draw(st.integers(0, 19))
        try:
            if roll == 0:
                room.advance(draw(st.sampled_from([0.0, 0.4, 5.0, 30.0, 70.0])))
            elif roll == 1 and room.clients:
                _listen(draw(st.sampled_from(list(room.clients.values()))), seen)
            else:
                room.apply(mutation(data, room))
        except RoomsimError:
            pass
    if not room.closed and draw(st.integers(0, 9)) == 0:
        room.delete()
    return room


def _apply_checked(room: Room, m: M.Mutation) -> None:
    before = room.snapshot()
    try:
        room.apply(m)
    except HandlerError:
        raise
    except RoomsimError:
        refused = True
    else:
        refused = False
    if refused:
        assert room.snapshot() == before, f"{m!r} was refused but changed the room"
    else:
        check_invariants(room)


@given(st.data())
def test_arbitrary_mutations_apply_cleanly_or_change_nothing(data: st.DataObject) -> None:
    room = random_room(data)
    for _ in range(data.draw(st.integers(1, 6))):
        m = data.draw(arbitrary_mutations(room), label="mutation")
        _apply_checked(room, m)


#: client verbs and the positional and keyword arguments they take
VERBS: Mapping[str, Callable[[Room], st.SearchStrategy[tuple[tuple[Any, ...], dict[str, Any]]]]] = {
    "activate": lambda r: st.just(((), {})),
    "disconnect": lambda r: st.just(((), {})),
    "set_name": lambda r: st.tuples(st.tuples(st.one_of(texts, junk)), st.just({})),
    "set_metadata": lambda r: st.tuples(st.tuples(st.one_of(texts, junk)), st.just({})),
    "set_attributes": lambda r: st.tuples(
        st.tuples(st.one_of(st.dictionaries(texts, st.one_of(texts, junk), max_size=2), junk)),
        st.just({}),
    ),
    "publish_track": lambda r: st.tuples(
        st.tuples(st.one_of(st.sampled_from(TrackKind), junk), st.sampled_from(TrackSource)),
        st.fixed_dictionaries({}, optional={"name": st.one_of(texts, junk), "muted": junk}),
    ),
    "unpublish_track": lambda r: st.tuples(st.tuples(st.one_of(_sids(r), junk)), st.just({})),
    "set_track_muted": lambda r: st.tuples(
        st.tuples(st.one_of(_sids(r), junk), st.one_of(st.booleans(), junk)), st.just({})
    ),
    "set_subscribed": lambda r: st.tuples(
        st.tuples(_identities(r), st.one_of(_sids(r), junk), st.one_of(st.booleans(), junk)),
        st.just({}),
    ),
    "set_track_subscription_permissions": lambda r: st.tuples(
        st.just(()),
        st.fixed_dictionaries(
            {"all_participants": st.one_of(st.booleans(), junk)},
            optional={
                "allowed": st.one_of(
                    st.dictionaries(
                        st.one_of(_identities(r), junk_keys),
                        st.one_of(st.none(), st.lists(_sids(r), max_size=2), junk),
                        max_size=2,
                    ),
                    junk,
                )
            },
        ),
    ),
    "send_data": lambda r: st.tuples(
        st.tuples(st.one_of(st.binary(max_size=4), texts, junk)),
        st.fixed_dictionaries(
            {},
            optional={
                "topic": st.one_of(st.none(), texts, junk),
                "reliable": st.one_of(st.booleans(), junk),
                "destination_identities": st.one_of(
                    st.lists(st.one_of(_identities(r), junk), max_size=2), junk
                ),
            },
        ),
    ),
}


@given(st.data())
def test_arbitrary_client_verbs_apply_cleanly_or_change_nothing(data: st.DataObject) -> None:
    room = random_room(data)
    everyone = [*room.clients.values()]
    if not everyone:
        everyone = [room.connect("solo")] if not room.closed else []
    for _ in range(data.draw(st.integers(1, 8))):
        if not everyone:
            return
        client = data.draw(st.sampled_from(everyone), label="client")
        verb = data.draw(st.sampled_from(sorted(VERBS)), label="verb")
        args, kwargs = data.draw(VERBS[verb](room), label="arguments")
        note(f"{client.identity}.{verb}(*{_safe(args)}, **{_safe(kwargs)})")
        before = room.snapshot()
        try:
            getattr(client, verb)(*args, **kwargs)
        except HandlerError:
            raise
        except RoomsimError:
            refused = True
        else:
            refused = False
        if refused:
            assert room.snapshot() == before, f"{verb} was refused but changed the room"
        else:
            check_invariants(room)


class _Unprintable(Exception):
    """A hostile exception: its ``str`` and ``repr`` raise."""

    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class _Skip(BaseException):
    """A ``BaseException`` that is not ``KeyboardInterrupt``/``SystemExit`` (as pytest.skip)."""


#: what a hostile handler raises
HOSTILE_EXCEPTIONS: tuple[Callable[[], BaseException], ...] = (
    lambda: ValueError("plain"),
    _Unprintable,
    _Skip,
    lambda: RecursionError("deep"),
    lambda: MemoryError(),
    lambda: HandlerError([]),
)


@given(st.data())
def test_hostile_handler_exceptions_are_reported_and_every_handler_runs(
    data: st.DataObject,
) -> None:
    room = random_room(data)
    if room.closed:
        return
    raising = data.draw(st.sampled_from(HOSTILE_EXCEPTIONS), label="exception")
    ran: list[str] = []

    def hostile(e: Event) -> None:
        ran.append("hostile")
        raise raising()

    for c in room.clients.values():
        c.on("room_metadata_changed", hostile)
        c.on("room_metadata_changed", lambda e: ran.append("quiet"))
    listeners = len(room.clients)
    failures = -1
    message = ""
    try:
        room.update_room_metadata("y" if room.metadata == "x" else "x")
    except HandlerError as err:
        failures, message = len(err.failures), str(err)  # str() survives a hostile exception
    raised = listeners if room.config.handler_errors == "raise" else 0  # "log": logged
    assert failures == (raised or -1)
    assert bool(message) == bool(raised)
    assert ran.count("quiet") == listeners
    check_invariants(room)


_GOOD_LINES = (
    '{"mutation": "Connect", "identity": "a", "metadata": VALUE}',
    '{"mutation": "Advance", "dt": VALUE}',
    '{"mutation": "SetAttributes", "identity": "a", "attributes": VALUE}',
    '{"mutation": "UpdateRoomMetadata", "metadata": VALUE}',
)
#: JSON text a hostile scenario file puts where a value belongs
_HOSTILE_JSON = st.one_of(
    st.integers(1, 100_000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 100_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.integers(300, 6_000).map(lambda n: "9" * n),
    st.sampled_from(["1e400", "-1e400", "1e-400", "5e-324", "NaN", "Infinity", "-0.0"]),
    st.sampled_from(['"\\ud800"', '"a\\udfffb"', '"\\u0000"', '{"\\ud800": "v"}', "null"]),
)


@given(st.sampled_from(_GOOD_LINES), _HOSTILE_JSON)
def test_hostile_scenario_lines_load_or_are_refused(line: str, value: str) -> None:
    """Deep JSON, huge and tiny numbers and lone surrogates in a scenario file are refused
    with a ``RoomsimError`` naming the line, or load and replay (never another exception)."""
    import io

    from roomsim import scenario

    text = '{"roomsim": 1, "room": "r", "config": {}}\n' + line.replace("VALUE", value) + "\n"
    message = "line"
    try:
        scenario.replay(io.StringIO(text))
    except RoomsimError as e:
        message = str(e)
    assert "line" in message, message

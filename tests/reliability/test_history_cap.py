"""A client's kept history is bounded by ``RoomConfig.keep_events`` (issue 25: memory bounded
by design), whether the client is read lazily or through handlers, and forks and snapshots
carry the bounded history."""

from __future__ import annotations

import io

import pytest

from roomsim import Permission, Room, RoomConfig, scenario
from roomsim.config import history_limit
from roomsim.errors import InvalidArgument, InvalidType
from roomsim.events import ParticipantAttributesChanged

_GRANT = Permission(can_update_metadata=True)


def _updates(room: Room, n: int) -> None:
    a = room.clients["a"]
    for i in range(n):
        a.set_attributes({"k": str(i)})


@pytest.mark.parametrize("handlers", [False, True])
def test_the_history_keeps_the_newest_events_up_to_the_cap(handlers: bool) -> None:
    room = Room("r", config=RoomConfig(keep_events=100))
    room.connect("a", permission=_GRANT, keep_events=False)
    b = room.connect("b")
    seen: list[object] = []
    if handlers:
        b.on(ParticipantAttributesChanged, seen.append)
    _updates(room, 1_000)
    events = list(b.events)
    assert 100 <= len(events) < history_limit(100)
    last = events[-1]
    assert isinstance(last, ParticipantAttributesChanged)
    assert last.changed_attributes == {"k": "999"}
    # the kept ones are the newest, in order
    values = [int(e.changed_attributes["k"]) for e in events[-100:]]  # type: ignore[attr-defined]
    assert values == list(range(900, 1_000))
    assert len(seen) == (1_000 if handlers else 0)  # handlers still see every event


def test_next_event_resumes_at_the_oldest_event_kept() -> None:
    room = Room("r", config=RoomConfig(keep_events=100))
    room.connect("a", permission=_GRANT, keep_events=False)
    b = room.connect("b")
    _updates(room, 1_000)
    first = b.next_event()
    assert isinstance(first, ParticipantAttributesChanged)
    assert first == b.events[0]
    rest = b.drain()
    assert rest == tuple(b.events[1:])
    assert b.next_event() is None


def test_zero_keeps_every_event_and_false_keeps_every_unread_event() -> None:
    room = Room("r", config=RoomConfig(keep_events=0))
    room.connect("a", permission=_GRANT, keep_events=False)
    b = room.connect("b")
    c = room.connect("c", keep_events=False)
    _updates(room, 500)
    assert sum(isinstance(e, ParticipantAttributesChanged) for e in b.events) == 500
    assert sum(isinstance(e, ParticipantAttributesChanged) for e in c.drain()) == 500


def test_the_default_cap_bounds_a_long_run() -> None:
    assert RoomConfig().keep_events == 10_000
    room = Room("r", keep_log=False)
    room.connect("a", permission=_GRANT, keep_events=False)
    b = room.connect("b")
    _updates(room, 13_000)
    assert 10_000 <= len(b.events) < history_limit(10_000)


def test_a_fork_keeps_the_bounded_history() -> None:
    room = Room("r", config=RoomConfig(keep_events=50))
    room.connect("a", permission=_GRANT, keep_events=False)
    b = room.connect("b")
    _updates(room, 300)
    b.next_event()
    fork = Room.from_snapshot(room.snapshot())
    fb = fork.clients["b"]
    assert list(fb.events) == list(b.events)
    assert fb.drain() == b.drain()
    _updates(fork, 300)
    assert 50 <= len(fb.events) < history_limit(50)


@pytest.mark.parametrize(
    ("value", "error"), [(-1, InvalidArgument), (2**40, InvalidArgument), (1.5, InvalidType)]
)
def test_the_cap_is_a_count(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="keep_events"):
        RoomConfig(keep_events=value)  # type: ignore[arg-type]


def test_a_room_whose_histories_were_capped_dumps_and_replays() -> None:
    room = Room("r", config=RoomConfig(keep_events=70))
    room.connect("a", permission=_GRANT)
    b = room.connect("b")
    _updates(room, 150)
    b.disconnect()
    b2 = room.connect("b")
    _updates(room, 150)
    assert b.events_dropped > 0 and b2.events_dropped > 0
    assert b.events_dropped + len(b.events) == 152  # a connected, 150 updates, disconnected
    buf = io.StringIO()
    scenario.dump(room, buf, events_of=["a", "b"])
    buf.seek(0)
    played = scenario.check(buf)
    received = [d.event for d in played.deliveries if d.recipient == "b"]
    assert received[-len(b2.events) :] == list(b2.events)

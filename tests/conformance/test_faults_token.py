"""Conformance transcripts: the server's scheduled token refresh (faults §7, §10).

LiveKit's ``rtcSessionWorker`` refreshes a session's token every 5 minutes
(``tokenRefreshInterval``); the Python SDK emits ``token_refreshed``, JS has no public event.
roomsim sends them when ``RoomConfig(token_refresh_interval=...)`` is set (300 is LiveKit's
value; 0, the default, keeps transcripts free of them), timed from the session's join.
"""

from __future__ import annotations

import io

import pytest

from roomsim import InvalidArgument, Room, RoomConfig, scenario
from roomsim import events as E

LIVEKIT = RoomConfig(token_refresh_interval=300.0)


def _tokens(events: tuple[E.Event, ...]) -> int:
    return sum(isinstance(e, E.TokenRefreshed) for e in events)


def test_python_gets_token_refreshed_every_interval_from_its_join() -> None:
    """faults §7: every 5 min from the start of the signal session; nobody else hears of it;
    no webhook."""
    room = Room("r", config=LIVEKIT)
    alice = room.connect("alice")
    room.advance(100.0)
    bob = room.connect("bob")
    alice.drain()
    bob.drain()
    hooks = len(room.webhooks)
    room.advance(199.9)
    assert _tokens(alice.drain()) == 0
    room.advance(0.1)
    assert _tokens(alice.drain()) == 1
    assert _tokens(bob.drain()) == 0
    room.advance(100.0)
    assert _tokens(bob.drain()) == 1
    room.advance(600.0)
    assert _tokens(alice.drain()) == 2
    assert len(room.webhooks) == hooks


def test_js_has_no_token_event() -> None:
    """faults §7: JS's SignalClient only updates the engine's token."""
    room = Room("r", config=LIVEKIT)
    js = room.connect("js", sdk="js")
    room.advance(900.0)
    assert _tokens(js.drain()) == 0


def test_a_client_that_is_cut_off_misses_the_refresh() -> None:
    """faults §7 with §2.4: the refresh goes out on the signal, which is down; the resume
    brings its own refresh."""
    room = Room("r", config=LIVEKIT)
    alice = room.connect("alice")
    room.advance(290.0)
    room.interrupt("alice", resume_after=15.0)
    alice.drain()
    room.advance(15.0)
    assert _tokens(alice.drain()) == 1  # the resume's, not the scheduled one at 300 s


def test_off_by_default_and_refused_when_negative() -> None:
    """The default keeps transcripts as they were; a negative interval is refused."""
    room = Room("r")
    alice = room.connect("alice")
    room.advance(900.0)
    assert _tokens(alice.drain()) == 0
    with pytest.raises(InvalidArgument, match="token_refresh_interval"):
        RoomConfig(token_refresh_interval=-1.0)


def test_scheduled_refreshes_fork_and_replay() -> None:
    """faults §10: the schedule is the room's timers: a fork and a replay give the same
    events."""
    room = Room("r", config=LIVEKIT)
    room.connect("alice")
    room.advance(250.0)
    fork = Room.from_snapshot(room.snapshot())
    room.clients["alice"].drain()
    fork.clients["alice"].drain()
    room.advance(100.0)
    fork.advance(100.0)
    got = room.clients["alice"].drain()
    assert _tokens(got) == 1
    assert fork.clients["alice"].drain() == got
    out = io.StringIO()
    scenario.dump(room, out, events_of=("alice",))
    scenario.check(io.StringIO(out.getvalue()))

"""Conformance transcripts: the server's scheduled token refresh (faults §7, §10).

LiveKit's ``rtcSessionWorker`` refreshes a session's token every 5 minutes
(``tokenRefreshInterval``); the Python SDK emits ``token_refreshed``, JS has no public event.
roomsim sends them when ``RoomConfig(token_refresh_interval=...)`` is set (300 is LiveKit's
value; 0, the default, keeps transcripts free of them): one at once when the session starts,
then every interval from its join or its last resume, and one after each change of the
participant's own claims (name, metadata, attributes, permission).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest

from roomsim import (
    ConnectionState,
    InterruptKind,
    InvalidArgument,
    Permission,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
    scenario,
)
from roomsim import events as E

LIVEKIT = RoomConfig(token_refresh_interval=300.0)


def _tokens(events: Sequence[E.Event]) -> int:
    return sum(isinstance(e, E.TokenRefreshed) for e in events)


GRANT = Permission(can_update_metadata=True)


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


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_the_first_refresh_comes_when_the_session_starts(sdk: str) -> None:
    """faults §7: ``rtcSessionWorker`` refreshes the token first thing, before the media
    connects; livekit.rtc emits it once ``connect()`` returns, ahead of what the activation
    brings; JS has no public event.  A held (JOINED) session gets it too."""
    room = Room("r", config=LIVEKIT)
    bob = room.connect("bob")
    bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    alice = room.connect("alice", sdk=sdk)
    first = alice.drain()
    carol = room.connect("carol", sdk=sdk, active=False)
    if sdk == "python":
        assert first[0] == E.TokenRefreshed()
        assert [e.name for e in first[1:]] == ["connection_quality_changed", "track_subscribed"]
        assert carol.drain() == (E.TokenRefreshed(),)
    else:
        assert _tokens(first) == 0
        assert carol.drain() == ()
    assert _tokens(bob.drain()) == 1  # its own join's, nobody else's


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_a_resume_restarts_the_schedule(sdk: str) -> None:
    """faults §7: the ticker starts with each signal session, so after a resume the next
    refresh is an interval after the resume, not after the join; the resume brings its own."""
    room = Room("r", config=LIVEKIT)
    alice = room.connect("alice", sdk=sdk)
    room.advance(100.0)
    alice.drain()
    room.interrupt("alice", kind=InterruptKind.NETWORK, resume_after=10.0)
    room.advance(10.0)
    resumed = alice.drain()
    assert _tokens(resumed) == (1 if sdk == "python" else 0)
    room.advance(299.9)  # past join + 300: nothing
    assert alice.drain() == ()
    room.advance(0.1)  # resume + 300
    assert alice.drain() == ((E.TokenRefreshed(),) if sdk == "python" else ())
    room.advance(300.0)
    assert _tokens(alice.drain()) == (1 if sdk == "python" else 0)


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_a_change_of_its_own_claims_brings_a_refresh(sdk: str) -> None:
    """faults §7: ``OnClaimsChanged`` fires after each setter's participant update: name,
    metadata and permission only when they change, attributes on any non-empty update
    (``SetAttributes`` does not compare); only the participant itself is sent a token."""
    room = Room("r", config=LIVEKIT)
    alice = room.connect("alice", sdk=sdk, permission=GRANT)
    bob = room.connect("bob")
    alice.drain()
    bob.drain()
    token = (E.TokenRefreshed(),) if sdk == "python" else ()
    alice.set_metadata("m")
    assert alice.drain() == (
        E.ParticipantMetadataChanged(participant="alice", old_metadata="", new_metadata="m"),
        *token,
    )
    alice.set_metadata("m")  # the same value: no update, no token
    alice.set_name("")  # an empty name is no update
    assert alice.drain() == ()
    alice.set_attributes({"k": "v"})
    alice.set_attributes({"k": "v"})  # unchanged, but non-empty: SetAttributes refreshes
    assert alice.drain() == (
        E.ParticipantAttributesChanged(participant="alice", changed_attributes={"k": "v"}),
        *token,
        *token,
    )
    assert _tokens(bob.drain()) == 0


def test_update_participant_refreshes_after_each_change() -> None:
    """faults §7: ``UpdateParticipant`` runs SetName, SetMetadata, SetAttributes, then
    SetPermission, each sending its update and then a token (roomsim's zero latency keeps
    that order, design §6 deviation 1)."""
    room = Room("r", config=LIVEKIT)
    alice = room.connect("alice", permission=GRANT)
    alice.drain()
    room.update_participant(
        "alice", name="A", metadata="m", attributes={"k": "v"}, permission=Permission()
    )
    assert [e.name for e in alice.drain()] == [
        "participant_name_changed",
        "token_refreshed",
        "participant_metadata_changed",
        "token_refreshed",
        "participant_attributes_changed",
        "token_refreshed",
        "participant_permissions_changed",
        "token_refreshed",
    ]
    room.update_participant("alice", name="A", metadata="m", permission=Permission())
    assert alice.drain() == ()  # nothing changed, nothing sent


def test_a_claims_refresh_while_cut_off_is_missed() -> None:
    """faults §7 with §2.4: the refresh goes out on the signal, which is down; the update
    itself is replayed at the resume, followed by the resume's own token."""
    room = Room("r", config=LIVEKIT)
    alice = room.connect("alice")
    alice.drain()
    room.interrupt("alice", resume_after=2.0)
    room.update_participant("alice", metadata="m")
    room.advance(2.0)
    assert [e.name for e in alice.drain() if e.name != "connection_quality_changed"] == [
        "connection_state_changed",
        "reconnecting",
        "participant_metadata_changed",
        "token_refreshed",
        "connection_state_changed",
        "reconnected",
    ]


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_a_full_reconnect_brings_one_refresh(sdk: str) -> None:
    """faults §3.3, §7: the new session's start refresh is the one ``token_refreshed`` of the
    full reconnect (after the JoinResponse's participants, before the republish); its schedule
    runs from the new join."""
    room = Room("r", config=LIVEKIT)
    alice = room.connect("alice", sdk=sdk)
    room.advance(200.0)
    alice.drain()
    room.reconnect("alice")
    got = alice.drain()
    assert _tokens(got) == (1 if sdk == "python" else 0)
    assert got[-1] == E.Reconnected()
    assert got[-2] == E.ConnectionStateChanged(state=ConnectionState.CONNECTED)
    room.advance(299.9)
    assert alice.drain() == ()
    room.advance(0.1)
    assert _tokens(alice.drain()) == (1 if sdk == "python" else 0)


def test_the_faithful_refreshes_replay_from_a_scenario_file() -> None:
    """faults §10: start, claims and resumed-schedule refreshes replay as recorded."""
    room = Room("r", config=LIVEKIT)
    alice = room.connect("alice", permission=GRANT)
    alice.set_name("A")
    room.interrupt("alice", resume_after=1.0)
    room.advance(400.0)
    out = io.StringIO()
    scenario.dump(room, out, events_of=("alice",))
    scenario.check(io.StringIO(out.getvalue()))
    assert _tokens(alice.events) == 4  # start, name, resume, resume + 300

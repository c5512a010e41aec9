"""Conformance transcripts: a lost connection that resumes (faults §2, §10).

The Python profile: ``connection_state_changed(RECONNECTING)``, ``reconnecting``, what the
resume's snapshot brings, ``token_refreshed``, ``connection_state_changed(CONNECTED)``,
``reconnected``; the session keeps its sid and its tracks; nobody else notices.
"""

from __future__ import annotations

import pytest

from roomsim import (
    Client,
    ConnectionState,
    DataPacketKind,
    IllegalState,
    InterruptKind,
    InvalidArgument,
    Room,
    TrackKind,
    TrackSource,
    UnknownParticipant,
)
from roomsim import events as E
from roomsim import mutations as M

RECONNECTING = (
    E.ConnectionStateChanged(state=ConnectionState.RECONNECTING),
    E.Reconnecting(),
)
RECONNECTED = (
    E.TokenRefreshed(),
    E.ConnectionStateChanged(state=ConnectionState.CONNECTED),
    E.Reconnected(),
)


def _room() -> tuple[Room, Client, Client, str]:
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    sid = bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    alice.drain()
    bob.drain()
    return room, alice, bob, sid


@pytest.mark.parametrize("kind", list(InterruptKind))
def test_a_resume_keeps_the_session_and_nobody_else_notices(kind: InterruptKind) -> None:
    """faults §2.1: a resume keeps the participant sid; others receive nothing and no webhook
    is sent; faults §2.2: the Python events in order, token_refreshed right after the
    snapshot (faults §7)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    sid = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    alice.drain()
    bob.drain()
    hooks = len(room.webhooks)
    room.interrupt("alice", kind=kind)
    assert alice.drain() == RECONNECTING
    assert alice.connection_state.name == "RECONNECTING"
    assert "alice" in room.reconnecting
    room.advance(3.0)
    room.resume("alice")
    assert alice.drain() == RECONNECTED
    assert alice.connection_state is ConnectionState.CONNECTED
    assert not room.reconnecting
    assert bob.drain() == ()
    assert len(room.webhooks) == hooks
    assert alice.sid == room.participants["alice"].sid
    assert room.is_subscribed("bob", sid)
    room._check()


def test_what_happened_meanwhile_arrives_with_the_resume() -> None:
    """faults §2.2: the snapshot's changes are emitted after reconnecting and before
    token_refreshed and reconnected; signal messages are not delivered while cut (§10)."""
    room, alice, bob, _ = _room()
    room.interrupt("alice")
    alice.drain()
    room.update_room_metadata("m")
    room.connect("carol")
    assert alice.drain() == ()
    assert "carol" in bob.remote_participants
    room.resume("alice")
    assert alice.drain() == (
        E.RoomMetadataChanged(old_metadata="", new_metadata="m"),
        E.ParticipantConnected(participant="carol"),
        E.ParticipantActive(participant="carol"),
        *RECONNECTED,
    )


def test_resume_after_runs_on_the_virtual_clock() -> None:
    """faults §10: resume_after resumes at that virtual time, as resume() would."""
    room, alice, _, _ = _room()
    room.interrupt("alice", resume_after=2.5)
    alice.drain()
    room.advance(2.4)
    assert alice.drain() == ()
    room.advance(0.1)
    assert alice.drain() == RECONNECTED
    assert M.Interrupt(identity="alice", resume_after=2.5) in room.log


def test_data_to_a_signal_cut_client_still_flows() -> None:
    """faults §2.4: with only the signal down the data channels stay open: both kinds arrive
    at once."""
    room, alice, bob, _ = _room()
    room.interrupt("alice", kind=InterruptKind.SIGNAL)
    alice.drain()
    bob.send_data(b"r")
    bob.send_data(b"l", reliable=False)
    assert alice.drain() == (
        E.DataReceived(participant="bob", data=b"r", topic="", kind=DataPacketKind.RELIABLE),
        E.DataReceived(participant="bob", data=b"l", topic="", kind=DataPacketKind.LOSSY),
    )


def test_data_to_a_network_cut_client_reliable_waits_lossy_is_lost() -> None:
    """faults §2.4, §10: across a transport restart reliable data is carried to the resume,
    lossy data (maxRetransmits = 0) is lost."""
    room, alice, bob, _ = _room()
    room.interrupt("alice", kind=InterruptKind.NETWORK)
    alice.drain()
    bob.send_data(b"r")
    bob.send_data(b"l", reliable=False)
    assert alice.drain() == ()
    room.resume("alice")
    assert alice.drain() == (
        E.DataReceived(participant="bob", data=b"r", topic="", kind=DataPacketKind.RELIABLE),
        *RECONNECTED,
    )


@pytest.mark.parametrize("reliable", [True, False])
def test_data_sent_while_reconnecting_waits_for_the_resume(reliable: bool) -> None:
    """faults §2.4: the Rust core's publish_data waits for the reconnection, then sends (any
    kind)."""
    room, alice, bob, _ = _room()
    room.interrupt("alice", kind=InterruptKind.NETWORK)
    alice.send_data(b"x", reliable=reliable)
    assert bob.drain() == ()
    room.resume("alice")
    kind = DataPacketKind.RELIABLE if reliable else DataPacketKind.LOSSY
    assert bob.drain() == (E.DataReceived(participant="alice", data=b"x", topic="", kind=kind),)


def test_handlers_run_when_the_events_are_emitted() -> None:
    """design §1: handlers run as events are emitted; held events reach them at the resume."""
    room, alice, _, _ = _room()
    seen: list[str] = []
    alice.on("participant_connected", lambda e: seen.append(e.participant))
    alice.on("reconnected", lambda e: seen.append("reconnected"))
    room.interrupt("alice")
    room.connect("carol")
    assert seen == []
    room.resume("alice")
    assert seen == ["carol", "reconnected"]


def test_interrupt_and_resume_refusals_change_nothing() -> None:
    """A refused control raises a typed error and changes nothing (design §1)."""
    room, _, _, _ = _room()
    held = room.connect("held", active=False)
    before = room.snapshot()
    with pytest.raises(UnknownParticipant):
        room.interrupt("nobody")
    with pytest.raises(IllegalState, match="connected; interrupt"):
        room.resume("alice")
    with pytest.raises(IllegalState, match="SIGNAL_CLOSE"):
        room.interrupt("held")
    with pytest.raises(InvalidArgument, match="give-up"):
        room.interrupt("alice", resume_after=50.0)
    assert room.snapshot() == before
    room.interrupt("alice")
    with pytest.raises(IllegalState, match="reconnecting since"):
        room.interrupt("alice")
    assert held.state.name == "JOINED"

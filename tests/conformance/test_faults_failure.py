"""Conformance transcripts: a client that does not come back (faults §4, §10)."""

from __future__ import annotations

import pytest

from roomsim import (
    ClientDisconnected,
    ConnectionState,
    DisconnectReason,
    IllegalState,
    InterruptKind,
    Room,
    TrackKind,
    TrackSource,
)
from roomsim import events as E

GAVE_UP = (
    E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
    E.Disconnected(reason=DisconnectReason.UNKNOWN_REASON),
)
TIMEOUT = DisconnectReason.CONNECTION_TIMEOUT


def _news(events: tuple[E.Event, ...]) -> tuple[E.Event, ...]:
    """The events but the periodic connection-quality updates (server §8)."""
    return tuple(e for e in events if not isinstance(e, E.ConnectionQualityChanged))


def test_network_cut_server_closes_at_20_s_client_gives_up_at_44_3_s() -> None:
    """faults §4.1: ICE disconnected (10 s) + failed (5 s) + the 5 s cleanup timer: the server
    closes the session with CONNECTION_TIMEOUT at +20 s, others see it leave, participant_left
    and track_unpublished webhooks; faults §4.2: the Python client gives up after its 10
    attempts (nominal 44.3 s) with the reason that started the episode, UNKNOWN_REASON."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    sid = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    alice.drain()
    bob.drain()
    room.interrupt("alice", kind=InterruptKind.NETWORK)
    room.advance(19.9)
    assert _news(bob.drain()) == ()
    room.advance(0.1)
    assert _news(bob.drain()) == (
        E.TrackUnsubscribed(participant="alice", track_sid=sid),
        E.TrackUnpublished(participant="alice", track_sid=sid),
        E.ActiveSpeakersChanged(speakers=()),  # the last unsubscription (client §16.6)
        E.ParticipantDisconnected(participant="alice", reason=TIMEOUT),
    )
    assert [(w.event, w.participant_identity) for w in room.webhooks[-2:]] == [
        ("track_unpublished", "alice"),
        ("participant_left", "alice"),
    ]
    assert room.departed[-1].disconnect_reason is TIMEOUT
    # the client missed the server's leave: it is still reconnecting, and can't act
    assert alice.drain()[-1] == E.Reconnecting()
    assert alice.connection_state is ConnectionState.RECONNECTING
    with pytest.raises(ClientDisconnected):
        alice.set_metadata("x")
    room.advance(24.2)
    assert alice.drain() == ()
    room.advance(0.1)
    assert alice.drain() == GAVE_UP
    assert alice.disconnect_reason is DisconnectReason.UNKNOWN_REASON
    assert dict(alice.remote_participants) == {}
    room._check()


def test_signal_cut_nobody_notices_until_the_client_gives_up() -> None:
    """faults §2.1: a WebSocket drop after ICE connected starts no server timer; faults §4.2:
    the client gives up at 44.3 s and closes its peer connection, whose failure the server's
    5 s cleanup turns into CONNECTION_TIMEOUT (inferred, faults §4.1)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    alice.drain()
    bob.drain()
    room.interrupt("alice", kind=InterruptKind.SIGNAL)
    room.advance(44.0)
    assert _news(bob.drain()) == ()
    room.advance(0.3)
    assert alice.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.RECONNECTING),
        E.Reconnecting(),
        *GAVE_UP,
    )
    assert "alice" in room.participants and "alice" not in room.clients
    with pytest.raises(IllegalState, match="gave up"):
        room.resume("alice")
    room.advance(5.0)
    assert _news(bob.drain()) == (E.ParticipantDisconnected(participant="alice", reason=TIMEOUT),)
    room._check()


def test_removed_while_cut_the_client_hears_nothing_and_gives_up() -> None:
    """faults §4.3: a Leave sent while the signal is down is lost; roomsim's client then
    gives up (LiveKit's would join again, which roomsim does not simulate: faults §10)."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob")
    alice.drain()
    room.interrupt("alice")
    alice.drain()
    room.remove_participant("alice")
    assert alice.drain() == ()
    assert alice.connection_state is ConnectionState.RECONNECTING
    room.advance(44.3)
    assert alice.drain() == GAVE_UP


def test_a_reconnecting_client_that_leaves_leaves_at_once() -> None:
    """A local disconnect() while reconnecting ends the session (CLIENT_INITIATED) and the
    client closes, as it does connected (client §10)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    bob.drain()
    room.interrupt("alice")
    alice.drain()
    alice.disconnect()
    assert alice.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=DisconnectReason.CLIENT_INITIATED),
    )
    assert bob.drain() == (
        E.ParticipantDisconnected(participant="alice", reason=DisconnectReason.CLIENT_INITIATED),
    )
    room.advance(60.0)
    assert alice.drain() == ()
    room._check()


@pytest.mark.parametrize("kind", list(InterruptKind))
def test_a_second_cut_is_timed_from_its_own_start(kind: InterruptKind) -> None:
    """faults §4.1, §4.2: the give-up and the server's timeout run from each cut; the timers
    of an earlier cut of the same session, resumed since, do nothing to a later one."""
    room = Room("r")
    alice = room.connect("alice")
    room.interrupt("alice", kind=kind, resume_after=0.0)
    room.advance(30.0)
    room.interrupt("alice", kind=kind, resume_after=19.9)
    room.advance(19.0)  # past the first cut's give-up (44.3) and timeout (20.0)
    assert room.reconnecting == ("alice",)
    room.advance(0.9)
    assert alice.drain()[-1] == E.Reconnected()
    assert alice.connection_state is ConnectionState.CONNECTED
    assert room.participants["alice"].sid == alice.sid

"""Conformance transcripts: resume, failure and shutdown as client-sdk-js reports them
(faults §2.3, §2.4, §4.2, §4.3, §6, §7, §10).

JS differs from Python in four places: a lost signal alone is ``signal_reconnecting`` (state
``SIGNAL_RECONNECTING``), ``reconnecting`` only when the peer connection is down too; the
events the resume brings are buffered and emitted after ``reconnected``; there is no public
token event; and the client gives up after 44.0 s, its sends waiting at most 15 s.
"""

from __future__ import annotations

import pytest

from roomsim import (
    Client,
    ConnectionState,
    DataPacketKind,
    DisconnectReason,
    InterruptKind,
    InvalidArgument,
    Room,
    TrackKind,
    TrackSource,
)
from roomsim import events as E

SIGNAL_CUT = (
    E.ConnectionStateChanged(state=ConnectionState.SIGNAL_RECONNECTING),
    E.SignalReconnecting(),
)
NETWORK_CUT = (
    *SIGNAL_CUT,
    E.ConnectionStateChanged(state=ConnectionState.RECONNECTING),
    E.Reconnecting(),
)
RECONNECTED = (
    E.ConnectionStateChanged(state=ConnectionState.CONNECTED),
    E.Reconnected(),
)
GAVE_UP = (
    E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
    E.Disconnected(reason=DisconnectReason.UNKNOWN_REASON),
)


def _news(events: tuple[E.Event, ...]) -> tuple[E.Event, ...]:
    """The events but the periodic connection-quality updates (server §8)."""
    return tuple(e for e in events if not isinstance(e, E.ConnectionQualityChanged))


def _room() -> tuple[Room, Client, Client]:
    room = Room("r")
    alice = room.connect("alice", sdk="js")
    bob = room.connect("bob", sdk="js")
    alice.drain()
    bob.drain()
    return room, alice, bob


@pytest.mark.parametrize(
    ("kind", "cut", "state"),
    [
        (InterruptKind.SIGNAL, SIGNAL_CUT, ConnectionState.SIGNAL_RECONNECTING),
        (InterruptKind.NETWORK, NETWORK_CUT, ConnectionState.RECONNECTING),
    ],
)
def test_a_js_resume_signal_reconnecting_then_reconnected_no_token_event(
    kind: InterruptKind, cut: tuple[E.Event, ...], state: ConnectionState
) -> None:
    """faults §2.3: JS emits connectionStateChanged('signalReconnecting') and
    signalReconnecting for the lost signal, then, if the peer connection is down too (the
    engine's Offline), connectionStateChanged('reconnecting') and reconnecting; on the resume
    connectionStateChanged('connected') and reconnected; faults §7: no public RoomEvent for
    the refreshed token; faults §2.1: same sid, nobody else notices."""
    room, alice, bob = _room()
    sid = alice.sid
    room.interrupt("alice", kind=kind)
    assert alice.drain() == cut
    assert alice.connection_state is state
    room.resume("alice")
    assert alice.drain() == RECONNECTED
    assert alice.connection_state is ConnectionState.CONNECTED
    assert alice.sid == sid == room.participants["alice"].sid
    assert _news(bob.drain()) == ()
    room._check()


def test_js_buffers_what_the_resume_brings_until_after_reconnected() -> None:
    """faults §2.3: the snapshot's participant, track and room events are buffered
    (emitWhenConnected) and emitted after reconnected, in arrival order."""
    room, alice, _ = _room()
    room.interrupt("alice", kind=InterruptKind.NETWORK)
    alice.drain()
    room.update_room_metadata("m")
    carol = room.connect("carol")
    track = carol.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    assert alice.drain() == ()
    room.resume("alice")
    got = _news(alice.drain())
    assert got[:2] == RECONNECTED
    assert got[2:5] == (
        E.RoomMetadataChanged(old_metadata="", new_metadata="m"),
        E.ParticipantConnected(participant="carol"),
        E.ParticipantActive(participant="carol"),
    )
    assert E.TrackPublished(participant="carol", track_sid=track) in got[5:]
    assert E.TokenRefreshed() not in got
    room._check()


def test_a_python_and_a_js_client_report_the_same_resume_differently() -> None:
    """faults §2.2 against §2.3: the same cut, one room, each client in its SDK's order."""
    room = Room("r")
    py = room.connect("py")
    js = room.connect("js", sdk="js")
    room.connect("bob")
    py.drain()
    js.drain()
    room.interrupt("py", kind=InterruptKind.SIGNAL)
    room.interrupt("js", kind=InterruptKind.SIGNAL)
    room.connect("carol")
    room.resume("py")
    room.resume("js")
    assert [e.name for e in _news(py.drain())] == [
        "connection_state_changed",
        "reconnecting",
        "participant_connected",
        "participant_active",
        "token_refreshed",
        "connection_state_changed",
        "reconnected",
    ]
    assert [e.name for e in _news(js.drain())] == [
        "connection_state_changed",
        "signal_reconnecting",
        "connection_state_changed",
        "reconnected",
        "participant_connected",
        "participant_active",
    ]


def test_a_js_client_sends_on_a_signal_cut_and_waits_on_a_network_cut() -> None:
    """faults §2.4: with only the signal down JS's data channels stay open, so its sends flow;
    on a NETWORK cut sendDataPacket waits for the transport (ensureDataTransportConnected)
    and sends when it is back."""
    room, alice, bob = _room()
    room.interrupt("alice", kind=InterruptKind.SIGNAL)
    alice.send_data(b"now")
    assert bob.drain() == (
        E.DataReceived(participant="alice", data=b"now", topic=None, kind=DataPacketKind.RELIABLE),
    )
    room.resume("alice")
    room.interrupt("alice", kind=InterruptKind.NETWORK)
    alice.send_data(b"later")
    assert bob.drain() == ()
    room.advance(5.0)
    room.resume("alice")
    assert _news(bob.drain()) == (
        E.DataReceived(
            participant="alice", data=b"later", topic=None, kind=DataPacketKind.RELIABLE
        ),
    )


def test_a_js_send_that_waited_more_than_15_s_is_dropped() -> None:
    """faults §2.4: ensureDataTransportConnected gives up after 15 s (peerConnectionTimeout);
    the packet is never sent, though the client resumes later."""
    room, alice, bob = _room()
    room.interrupt("alice", kind=InterruptKind.NETWORK)
    alice.send_data(b"stale")
    room.advance(10.0)
    alice.send_data(b"fresh")
    room.advance(6.0)
    room.resume("alice")
    assert [e.data for e in _news(bob.drain()) if isinstance(e, E.DataReceived)] == [b"fresh"]


def test_a_js_client_gives_up_after_44_s() -> None:
    """faults §4.2: JS's DefaultReconnectPolicy waits 0, 0.3, 1.2, 2.7, 4.8, then 7 s x5
    (44.0 s nominal) and gives up: connectionStateChanged('disconnected'), then
    disconnected with no reason (UNKNOWN_REASON)."""
    room, alice, _ = _room()
    room.interrupt("alice", kind=InterruptKind.SIGNAL)
    alice.drain()
    room.advance(43.9)
    assert _news(alice.drain()) == ()
    room.advance(0.1)
    assert _news(alice.drain()) == GAVE_UP
    assert alice.connection_state is ConnectionState.DISCONNECTED


def test_a_js_client_cut_by_the_network_sees_the_server_time_out_nothing() -> None:
    """faults §4.1: the server closes the session at +20 s (CONNECTION_TIMEOUT), which the
    cut client can't hear (§4.3); others see it leave; the client gives up at 44.0 s."""
    room, alice, bob = _room()
    room.interrupt("alice", kind=InterruptKind.NETWORK)
    alice.drain()
    room.advance(20.0)
    assert _news(bob.drain()) == (
        E.ParticipantDisconnected(participant="alice", reason=DisconnectReason.CONNECTION_TIMEOUT),
    )
    assert _news(alice.drain()) == ()
    room.advance(24.0)
    assert _news(alice.drain()) == GAVE_UP


def test_a_js_resume_after_past_its_give_up_is_refused() -> None:
    """faults §4.2: a resume later than the JS client's 44.0 s give-up can't happen."""
    room, _, _ = _room()
    with pytest.raises(InvalidArgument, match="44 s"):
        room.interrupt("alice", resume_after=44.0)
    assert not room.reconnecting


def test_a_server_shutdown_reaches_js_clients_with_server_shutdown() -> None:
    """faults §6 with §4.3: Leave{DISCONNECT, SERVER_SHUTDOWN}: JS's handleDisconnect ends
    with connectionStateChanged('disconnected') and disconnected(SERVER_SHUTDOWN); webhooks
    as for Python, room_finished last."""
    room, alice, bob = _room()
    room.shutdown()
    for client in (alice, bob):
        assert client.drain()[-2:] == (
            E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
            E.Disconnected(reason=DisconnectReason.SERVER_SHUTDOWN),
        )
    assert room.webhooks[-1].event == "room_finished"

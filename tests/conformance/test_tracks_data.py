"""Transcripts: data packets.

Spec: server §3 (hidden senders have their sid and identity blanked; data without
``can_publish_data`` is dropped), client §1c (Python ``data_received`` carries
``DataPacket(data, kind, participant|None, topic)``), §12 (a hidden sender arrives as None),
design §2/§4 (``room.send_data`` sends as the server, ``participant=None``; unknown
destinations are filtered silently; the sender does not receive its own packet).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from roomsim import (
    ClientDisconnected,
    DataPacketKind,
    InvalidType,
    Permission,
    Room,
    UnknownParticipant,
)
from roomsim import events as ev
from roomsim import mutations as M

RELIABLE, LOSSY = DataPacketKind.RELIABLE, DataPacketKind.LOSSY


def _data(
    sender: str | None, data: bytes, topic: str | None = "", kind: DataPacketKind = RELIABLE
) -> ev.DataReceived:
    """A python client's ``data_received``: no topic reads ``""`` (client §16.8)."""
    return ev.DataReceived(participant=sender, data=data, topic=topic, kind=kind)


def _setup() -> Room:
    room = Room("r")
    for who in ("alice", "bob", "carol"):
        room.connect(who)
    for c in room.clients.values():
        c.drain()
    return room


def test_broadcast_reaches_everyone_but_the_sender() -> None:
    """Client §1c: ``data_received`` with the sender, data, topic and kind (reliable by
    default); design §2: the sender does not receive its own packet."""
    room = _setup()
    alice, bob, carol = (room.clients[i] for i in ("alice", "bob", "carol"))
    alice.send_data(b"hi", topic="chat")
    assert alice.drain() == ()
    assert bob.drain() == (_data("alice", b"hi", "chat"),)
    assert carol.drain() == (_data("alice", b"hi", "chat"),)


def test_str_payload_is_utf8_and_lossy_kind() -> None:
    """design §2 (``send_data`` takes bytes or str), client §1c (``kind``)."""
    room = _setup()
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.send_data("héllo", reliable=False)
    assert bob.drain() == (_data("alice", "héllo".encode(), "", LOSSY),)


def test_destinations_filter_receivers() -> None:
    """design §2: ``destination_identities`` limits who receives the packet."""
    room = _setup()
    alice, bob, carol = (room.clients[i] for i in ("alice", "bob", "carol"))
    alice.send_data(b"psst", topic="dm", destination_identities=("bob",))
    assert bob.drain() == (_data("alice", b"psst", "dm"),)
    assert carol.drain() == ()
    assert alice.drain() == ()


def test_unknown_destinations_are_dropped_silently() -> None:
    """design §4: data to unknown identities is dropped, no error; known ones still get
    it; naming only unknown identities reaches nobody."""
    room = _setup()
    alice, bob, carol = (room.clients[i] for i in ("alice", "bob", "carol"))
    alice.send_data(b"x", destination_identities=["nobody", "bob"])
    assert bob.drain() == (_data("alice", b"x"),)
    assert carol.drain() == ()
    alice.send_data(b"y", destination_identities=("nobody",))
    room.send_data(b"z", destination_identities=("ghost",))
    for c in room.clients.values():
        assert c.drain() == ()


def test_sender_naming_itself_as_destination_gets_nothing() -> None:
    """design §2: the sender never receives its own packet."""
    room = _setup()
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.send_data(b"me", destination_identities=("alice", "bob"))
    assert alice.drain() == ()
    assert bob.drain() == (_data("alice", b"me"),)


def test_server_data_has_no_sender() -> None:
    """design §2 (``room.send_data``: sender None), client §1c (``participant`` None)."""
    room = _setup()
    room.send_data(b"notice", topic="sys")
    for c in room.clients.values():
        assert c.drain() == (_data(None, b"notice", "sys"),)
    room.send_data("only carol", reliable=False, destination_identities=["carol"])
    assert room.clients["carol"].drain() == (_data(None, b"only carol", "", LOSSY),)
    assert room.clients["alice"].drain() == ()


def test_hidden_sender_arrives_anonymous_and_hidden_receiver_receives() -> None:
    """Server §3 (hidden: data packets have the sender identity blanked) and client §12
    (``participant`` is None); hidden participants still receive everyone else's data."""
    room = _setup()
    ghost = room.connect("ghost", permission=Permission(hidden=True))
    ghost.drain()
    ghost.send_data(b"boo", topic="t")
    assert ghost.drain() == ()
    for who in ("alice", "bob", "carol"):
        assert room.clients[who].drain() == (_data(None, b"boo", "t"),)
    room.clients["alice"].send_data(b"hey")
    assert ghost.drain() == (_data("alice", b"hey"),)


def test_data_without_can_publish_data_is_dropped() -> None:
    """Server §3 effect 3 and design §4: dropped silently, no error."""
    room = Room("r")
    quiet = room.connect("quiet", permission=Permission(can_publish=False))
    bob = room.connect("bob")
    quiet.send_data(b"lost")
    assert bob.drain() == ()
    talker = room.connect("talker", permission=Permission(can_publish=False, can_publish_data=True))
    bob.drain()
    talker.send_data(b"ok")
    assert bob.drain() == (_data("talker", b"ok"),)


def test_data_errors_change_nothing() -> None:
    """design §4: wrong types are refused (``InvalidType``); a sender that left is refused
    (``ClientDisconnected``); nothing changes."""
    room = _setup()
    alice = room.clients["alice"]
    calls: list[Callable[[], object]] = [
        lambda: alice.send_data(123),  # type: ignore[arg-type]
        lambda: alice.send_data(b"x", topic=5),  # type: ignore[arg-type]
        lambda: alice.send_data(b"x", reliable="yes"),  # type: ignore[arg-type]
        lambda: alice.send_data(b"x", destination_identities=(1,)),  # type: ignore[arg-type]
        lambda: room.send_data(bytearray(b"x")),  # type: ignore[arg-type]
    ]
    for call in calls:
        before = room.snapshot()
        with pytest.raises(InvalidType) as info:
            call()
        assert info.value.code == "invalid_argument"
        assert room.snapshot() == before

    old = room.clients["carol"]
    old.disconnect()
    before = room.snapshot()
    with pytest.raises(ClientDisconnected) as gone:
        old.send_data(b"late")
    assert gone.value.code == "DISCONNECTED"
    assert room.snapshot() == before


def test_data_from_unknown_sender_mutation_is_refused() -> None:
    """design §4: an unknown identity named in a mutation is refused."""
    room = _setup()
    before = room.snapshot()
    with pytest.raises(UnknownParticipant):
        room.apply(
            M.SendData(
                sender="nobody", data=b"x", topic=None, reliable=True, destination_identities=()
            )
        )
    assert room.snapshot() == before

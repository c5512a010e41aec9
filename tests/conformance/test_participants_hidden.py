"""Conformance transcripts: hidden participants (server §3 Hidden, client §12)."""

from __future__ import annotations

import pytest

from roomsim import ConnectionState, DisconnectReason, Permission, Room, RoomConfig, RoomFull
from roomsim import events as E

HIDDEN = Permission(hidden=True)


def test_others_never_see_a_hidden_join_or_leave() -> None:
    """server §3 Hidden: left out of JoinResponse and of every ParticipantUpdate."""
    room = Room("r")
    alice = room.connect("alice")
    ghost = room.connect("ghost", permission=HIDDEN)
    assert alice.drain() == ()
    assert "ghost" not in alice.remote_participants
    assert "ghost" in room.participants  # the server knows it
    ghost.disconnect()
    assert alice.drain() == ()
    assert room.departed[-1].identity == "ghost"
    assert room.departed[-1].disconnect_reason is DisconnectReason.CLIENT_INITIATED


def test_later_joiners_do_not_see_a_hidden_participant() -> None:
    """server §3 Hidden: GetOtherParticipantInfo leaves them out of the JoinResponse."""
    room = Room("r")
    room.connect("ghost", permission=HIDDEN)
    bob = room.connect("bob")
    assert bob.drain() == ()
    assert list(bob.remote_participants) == []


def test_a_hidden_participant_sees_everyone() -> None:
    """server §3 Hidden: they still receive everyone else's updates."""
    room = Room("r")
    room.connect("alice")
    ghost = room.connect("ghost", permission=HIDDEN)
    assert list(ghost.remote_participants) == ["alice"]
    bob = room.connect("bob")
    room.update_participant("alice", metadata="m")
    bob.disconnect()
    assert ghost.drain() == (
        E.ParticipantConnected(participant="bob"),
        E.ParticipantActive(participant="bob"),
        E.ParticipantMetadataChanged(participant="alice", old_metadata="", new_metadata="m"),
        E.ParticipantDisconnected(participant="bob", reason=DisconnectReason.CLIENT_INITIATED),
    )
    assert list(ghost.remote_participants) == ["alice"]


def test_a_hidden_participants_own_updates_reach_only_itself() -> None:
    """server §3 Hidden: its updates go at most to itself (broadcastParticipantState)."""
    room = Room("r")
    alice = room.connect("alice")
    ghost = room.connect("ghost", permission=Permission(hidden=True, can_update_metadata=True))
    ghost.set_name("G")
    ghost.set_metadata("m")
    ghost.set_attributes({"k": "v"})
    room.update_participant("ghost", attributes={"k": ""})
    assert alice.drain() == ()
    assert ghost.drain() == (
        E.ParticipantNameChanged(participant="ghost", old_name="", new_name="G"),
        E.ParticipantMetadataChanged(participant="ghost", old_metadata="", new_metadata="m"),
        E.ParticipantAttributesChanged(participant="ghost", changed_attributes={"k": "v"}),
        E.ParticipantAttributesChanged(participant="ghost", changed_attributes={"k": ""}),
    )


def test_a_removed_hidden_participant_is_told_but_nobody_else() -> None:
    """server §3 Hidden + §11: the subject gets its own leave; others nothing."""
    room = Room("r")
    alice = room.connect("alice")
    ghost = room.connect("ghost", permission=HIDDEN)
    room.remove_participant("ghost")
    assert alice.drain() == ()
    assert ghost.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=DisconnectReason.PARTICIPANT_REMOVED),
    )


def test_hidden_participants_count_toward_max_participants() -> None:
    """server §3 Hidden: hidden participants are counted in num_participants and the limit."""
    room = Room("r", config=RoomConfig(max_participants=1))
    room.connect("ghost", permission=HIDDEN)
    before = room.snapshot()
    with pytest.raises(RoomFull) as exc:
        room.connect("alice")
    assert exc.value.code == "JOIN_FAILURE"
    assert room.snapshot() == before
    with pytest.raises(RoomFull):
        room.connect("ghost2", permission=HIDDEN)


def test_a_hidden_duplicate_is_invisible_to_others() -> None:
    """server §4 Duplicate identity + §3 Hidden: the replaced hidden session and its
    replacement are both invisible to others; the old client is told."""
    room = Room("r")
    alice = room.connect("alice")
    old = room.connect("ghost", permission=HIDDEN)
    new = room.connect("ghost", permission=HIDDEN)
    assert alice.drain() == ()
    assert old.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=DisconnectReason.DUPLICATE_IDENTITY),
    )
    assert new.drain() == ()
    assert new.sid != old.sid

"""Conformance transcripts: participant name and metadata, room metadata
(server §1, §2; client §3, §4; design §2, §3)."""

from __future__ import annotations

import pytest

from roomsim import (
    Client,
    InvalidType,
    LimitExceeded,
    Permission,
    PermissionDenied,
    Room,
    RoomConfig,
    UnknownParticipant,
)
from roomsim import events as E

GRANT = Permission(can_update_metadata=True)


def _pair(config: RoomConfig | None = None) -> tuple[Room, Client, Client]:
    room = Room("r", config=config)
    # token claims only with the default limits (the limit tests set small ones)
    if config is None:
        alice = room.connect("alice", name="Alice", metadata="m0", permission=GRANT)
    else:
        alice = room.connect("alice", permission=GRANT)
    bob = room.connect("bob")
    alice.drain()
    return room, alice, bob


# ------------------------------------------------------------------------------------------------
# name and metadata


def test_set_metadata_carries_old_and_new_to_everyone() -> None:
    """client §3: participant_metadata_changed(participant, old, new), local and remote."""
    room, alice, bob = _pair()
    alice.set_metadata("m1")
    expected = (
        E.ParticipantMetadataChanged(participant="alice", old_metadata="m0", new_metadata="m1"),
    )
    assert alice.drain() == expected
    assert bob.drain() == expected
    assert room.participants["alice"].metadata == "m1"
    assert bob.remote_participants["alice"].metadata == "m1"
    assert alice.local_participant.metadata == "m1"


def test_set_name_carries_old_and_new_to_everyone() -> None:
    """client §3: participant_name_changed(participant, old, new), local and remote."""
    room, alice, bob = _pair()
    alice.set_name("Al")
    expected = (E.ParticipantNameChanged(participant="alice", old_name="Alice", new_name="Al"),)
    assert alice.drain() == expected
    assert bob.drain() == expected
    assert room.participants["alice"].name == "Al"
    assert bob.remote_participants["alice"].name == "Al"


def test_empty_string_means_unchanged() -> None:
    """server §2: name/metadata apply only if != ""; they cannot be cleared."""
    room, alice, bob = _pair()
    alice.set_name("")
    alice.set_metadata("")
    room.update_participant("alice", name="", metadata="")
    assert alice.drain() == ()
    assert bob.drain() == ()
    assert (room.participants["alice"].name, room.participants["alice"].metadata) == (
        "Alice",
        "m0",
    )


def test_equal_value_changes_nothing() -> None:
    """server §2: SetName/SetMetadata compare first; client §3: events only on a change."""
    room, alice, bob = _pair()
    alice.set_name("Alice")
    alice.set_metadata("m0")
    room.update_participant("alice", name="Alice", metadata="m0")
    assert alice.drain() == ()
    assert bob.drain() == ()


def test_one_update_participant_orders_name_metadata_attributes_permission() -> None:
    """server §1 Apply order; client §4.4 a-d: name, metadata, attributes, permission."""
    room, alice, bob = _pair()
    old = room.participants["bob"].permission
    new = Permission(can_publish=False)
    snap = room.update_participant(
        "bob", permission=new, attributes={"k": "v"}, metadata="bm", name="Bob"
    )
    expected = (
        E.ParticipantNameChanged(participant="bob", old_name="", new_name="Bob"),
        E.ParticipantMetadataChanged(participant="bob", old_metadata="", new_metadata="bm"),
        E.ParticipantAttributesChanged(participant="bob", changed_attributes={"k": "v"}),
        E.ParticipantPermissionsChanged(participant="bob", old_permissions=old, permissions=new),
    )
    assert alice.drain() == expected
    assert bob.drain() == expected
    assert (snap.name, snap.metadata, dict(snap.attributes), snap.permission) == (
        "Bob",
        "bm",
        {"k": "v"},
        new,
    )
    assert snap == room.participants["bob"]


def test_update_participant_skips_the_parts_that_do_not_change() -> None:
    """server §2: each setter compares first; only real changes produce events."""
    room, _alice, bob = _pair()
    room.update_participant("alice", name="Alice", metadata="m1", attributes={"a": ""})
    assert bob.drain() == (
        E.ParticipantMetadataChanged(participant="alice", old_metadata="m0", new_metadata="m1"),
    )


def test_update_participant_with_nothing_returns_the_snapshot() -> None:
    """design §2: update_participant returns the updated snapshot; no change, no event."""
    room, alice, bob = _pair()
    assert room.update_participant("alice") == room.participants["alice"]
    assert alice.drain() == ()
    assert bob.drain() == ()


@pytest.mark.parametrize("verb", ["set_name", "set_metadata"])
def test_client_path_needs_can_update_metadata(verb: str) -> None:
    """server §2 Who may update: one grant covers name, metadata and attributes."""
    room, alice, bob = _pair()
    before = room.snapshot()
    with pytest.raises(PermissionDenied) as exc:
        getattr(bob, verb)("x")
    assert exc.value.code == "NOT_ALLOWED"
    assert room.snapshot() == before
    room.update_participant("bob", name="x", metadata="y")  # the server API needs no grant
    assert [e.name for e in alice.drain()] == [
        "participant_name_changed",
        "participant_metadata_changed",
    ]


def test_name_limit_client_and_server() -> None:
    """server §1 Limits: max_participant_name_length in UTF-8 bytes, inclusive; client
    LIMIT_EXCEEDED, server invalid_argument; nothing applied."""
    room, alice, _bob = _pair(RoomConfig(max_name_length=4))
    alice.set_name("a€")  # 4 bytes: at the limit
    assert room.participants["alice"].name == "a€"
    before = room.snapshot()
    with pytest.raises(LimitExceeded) as exc:
        alice.set_name("ab€")  # 5 bytes, 3 characters
    assert exc.value.code == "LIMIT_EXCEEDED"
    assert room.snapshot() == before
    with pytest.raises(LimitExceeded) as exc:
        room.update_participant("bob", name="ab€")
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before


def test_metadata_limit_client_and_server() -> None:
    """server §1 Limits: max_metadata_size in UTF-8 bytes, inclusive."""
    room, alice, bob = _pair(RoomConfig(max_metadata_size=6))
    alice.set_metadata("ééé")  # 6 bytes: at the limit
    room.update_participant("bob", metadata="123456")
    bob.drain()
    before = room.snapshot()
    with pytest.raises(LimitExceeded) as exc:
        alice.set_metadata("abcdé.")  # 7 bytes, 6 characters
    assert exc.value.code == "LIMIT_EXCEEDED"
    assert room.snapshot() == before
    with pytest.raises(LimitExceeded) as exc:
        room.update_participant("bob", metadata="1234567")
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before
    assert bob.drain() == ()


def test_server_update_first_failure_wins_and_nothing_is_applied() -> None:
    """server §1: checks name, metadata, attributes; the first failure wins, nothing applied."""
    room, alice, _bob = _pair(RoomConfig(max_metadata_size=4))
    before = room.snapshot()
    with pytest.raises(LimitExceeded) as exc:
        room.update_participant("bob", name="Bob", metadata="too long", attributes={"k": "v"})
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before
    assert alice.drain() == ()


def test_server_limits_are_checked_before_the_lookup() -> None:
    """server §1: limits before auth and lookup; then not_found for an unknown participant."""
    room, _, _ = _pair(RoomConfig(max_name_length=3))
    before = room.snapshot()
    with pytest.raises(LimitExceeded) as exc0:
        room.update_participant("ghost", name="abcd")
    assert exc0.value.code == "invalid_argument"
    with pytest.raises(UnknownParticipant) as exc:
        room.update_participant("ghost", name="abc")
    assert exc.value.code == "not_found"
    assert room.snapshot() == before


@pytest.mark.parametrize("kwargs", [{"name": 1}, {"metadata": b"x"}, {"permission": "admin"}])
def test_update_participant_wrong_types(kwargs: dict[str, object]) -> None:
    """design §4: wrong types -> InvalidType, atomically."""
    room, _, _ = _pair()
    before = room.snapshot()
    with pytest.raises(InvalidType) as exc:
        room.update_participant("bob", **kwargs)  # type: ignore[arg-type]
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before


@pytest.mark.parametrize(("verb", "value"), [("set_name", 1), ("set_metadata", None)])
def test_client_setters_wrong_types(verb: str, value: object) -> None:
    """design §4: wrong types -> InvalidType, atomically."""
    room, alice, _ = _pair()
    before = room.snapshot()
    with pytest.raises(InvalidType) as exc:
        getattr(alice, verb)(value)
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before


# ------------------------------------------------------------------------------------------------
# room metadata


def test_room_metadata_goes_to_every_client_with_old_and_new() -> None:
    """server §2 Room metadata; client §3: room_metadata_changed(old, new)."""
    room, alice, bob = _pair()
    hidden = room.connect("ghost", permission=Permission(hidden=True))
    room.update_room_metadata("r1")
    room.update_room_metadata("r2")
    expected = (
        E.RoomMetadataChanged(old_metadata="", new_metadata="r1"),
        E.RoomMetadataChanged(old_metadata="r1", new_metadata="r2"),
    )
    assert alice.drain() == expected
    assert bob.drain() == expected
    assert hidden.drain() == expected
    assert room.metadata == "r2"
    assert alice.room_metadata == "r2"


def test_equal_room_metadata_changes_nothing() -> None:
    """server §2: RoomUpdate is sent only if the Room proto changed; client §3."""
    room, alice, bob = _pair()
    room.update_room_metadata("r1")
    alice.drain()
    bob.drain()
    room.update_room_metadata("r1")
    assert alice.drain() == ()
    assert bob.drain() == ()


def test_late_joiner_sees_room_metadata_as_state() -> None:
    """client §13: the room's state at join is state, not events."""
    room, _, _ = _pair()
    room.update_room_metadata("r1")
    carol = room.connect("carol")
    assert carol.room_metadata == "r1"
    assert carol.drain() == ()


def test_room_metadata_limit() -> None:
    """server §1 Limits: max_metadata_size also bounds room metadata; server API code."""
    room, _alice, _ = _pair(RoomConfig(max_metadata_size=4))
    room.update_room_metadata("a€")  # 4 bytes
    before = room.snapshot()
    with pytest.raises(LimitExceeded) as exc:
        room.update_room_metadata("ab€")
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before
    with pytest.raises(InvalidType):
        room.update_room_metadata(None)  # type: ignore[arg-type]
    assert room.snapshot() == before


def test_room_metadata_can_be_cleared() -> None:
    """server §2: UpdateRoomMetadata sets the value as given (unlike participant metadata,
    "" is a value); client §3: an event when it differs."""
    room, alice, _ = _pair()
    room.update_room_metadata("r1")
    room.update_room_metadata("")
    assert alice.drain() == (
        E.RoomMetadataChanged(old_metadata="", new_metadata="r1"),
        E.RoomMetadataChanged(old_metadata="r1", new_metadata=""),
    )
    assert room.metadata == ""

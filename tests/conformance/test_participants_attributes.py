"""Conformance transcripts: participant attributes (server §1, client §2; design §2-§4)."""

from __future__ import annotations

from collections.abc import Mapping

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
    claims = {"role": "host", "team": "a"} if config is None else {}
    alice = room.connect("alice", permission=GRANT, attributes=claims)
    bob = room.connect("bob")
    alice.drain()
    return room, alice, bob


def _changed(identity: str, changed: Mapping[str, str]) -> E.ParticipantAttributesChanged:
    return E.ParticipantAttributesChanged(participant=identity, changed_attributes=changed)


def test_update_merges_and_empty_value_deletes() -> None:
    """server §1 Merge semantics; client §2: a removed key is reported as ""."""
    room, alice, bob = _pair()
    alice.set_attributes({"mood": "happy", "role": ""})
    expected = (_changed("alice", {"mood": "happy", "role": ""}),)
    assert bob.drain() == expected
    assert alice.drain() == expected  # the local participant gets it too (client §2)
    assert dict(room.participants["alice"].attributes) == {"team": "a", "mood": "happy"}
    assert dict(bob.remote_participants["alice"].attributes) == {"team": "a", "mood": "happy"}
    assert dict(alice.local_participant.attributes) == {"team": "a", "mood": "happy"}


def test_changed_attributes_holds_only_the_diff() -> None:
    """client §2: the diff holds only the keys whose value changed."""
    room, alice, bob = _pair()
    alice.set_attributes({"team": "a", "role": "guest", "new": "1"})
    assert bob.drain() == (_changed("alice", {"role": "guest", "new": "1"}),)
    assert dict(room.participants["alice"].attributes) == {
        "role": "guest",
        "team": "a",
        "new": "1",
    }


def test_empty_update_does_nothing() -> None:
    """server §1: an empty map returns early and sends no event."""
    room, alice, bob = _pair()
    before = room.participants["alice"]
    alice.set_attributes({})
    room.update_participant("alice", attributes={})
    assert alice.drain() == ()
    assert bob.drain() == ()
    assert room.participants["alice"] == before


def test_update_that_changes_nothing_emits_nothing() -> None:
    """client §2 / server §1 When nothing changes: equal values or deleting an absent key
    produce a wire message but no client event."""
    room, alice, bob = _pair()
    alice.set_attributes({"role": "host"})
    alice.set_attributes({"missing": ""})
    room.update_participant("alice", attributes={"team": "a", "nope": ""})
    assert alice.drain() == ()
    assert bob.drain() == ()
    assert dict(room.participants["alice"].attributes) == {"role": "host", "team": "a"}


def test_attribute_events_follow_each_update_in_order() -> None:
    """client §2: one event per update whose diff is non-empty, in order."""
    _, alice, bob = _pair()
    alice.set_attributes({"k": "1"})
    alice.set_attributes({"k": "1"})
    alice.set_attributes({"k": "2"})
    alice.set_attributes({"k": ""})
    assert bob.drain() == (
        _changed("alice", {"k": "1"}),
        _changed("alice", {"k": "2"}),
        _changed("alice", {"k": ""}),
    )


def test_client_path_needs_can_update_metadata() -> None:
    """server §2 Who may update: canUpdateOwnMetadata defaults to false -> NOT_ALLOWED."""
    room, alice, bob = _pair()
    before = room.snapshot()
    with pytest.raises(PermissionDenied) as exc:
        bob.set_attributes({"role": "x"})
    assert exc.value.code == "NOT_ALLOWED"
    assert room.snapshot() == before
    assert alice.drain() == ()
    assert bob.drain() == ()


def test_server_api_needs_no_grant() -> None:
    """server §2 Who may update: the server API does not consult the participant's grant."""
    room, alice, bob = _pair()
    snap = room.update_participant("bob", attributes={"role": "guest"})
    assert dict(snap.attributes) == {"role": "guest"}
    assert alice.drain() == (_changed("bob", {"role": "guest"}),)
    assert bob.drain() == (_changed("bob", {"role": "guest"}),)
    room.update_participant("bob", attributes={"role": ""})
    assert bob.drain() == (_changed("bob", {"role": ""}),)
    assert dict(room.participants["bob"].attributes) == {}


def test_client_limit_is_utf8_bytes_inclusive_on_the_payload() -> None:
    """server §1 Limits: sum of len(key)+len(value) in bytes, inclusive; client code
    LIMIT_EXCEEDED; nothing applied."""
    room, alice, bob = _pair(RoomConfig(max_attributes_size=10))
    alice.set_attributes({"k": "123456789"})  # 1 + 9 = 10 bytes: at the limit
    assert bob.drain() == (_changed("alice", {"k": "123456789"}),)
    before = room.snapshot()
    for update in ({"k": "1234567890"}, {"k": "ééééé"}):  # 11 bytes (6 characters for é)
        with pytest.raises(LimitExceeded) as exc:
            alice.set_attributes(update)
        assert exc.value.code == "LIMIT_EXCEEDED"
        assert room.snapshot() == before


def test_limit_is_measured_on_the_update_not_the_merged_map() -> None:
    """server §1 Limits: only the payload is checked, so the stored map may grow past it."""
    room, alice, bob = _pair(RoomConfig(max_attributes_size=10))
    alice.set_attributes({"x": "12345678"})
    alice.set_attributes({"y": "12345678"})
    stored = room.participants["alice"].attributes
    assert sum(len(k) + len(v) for k, v in stored.items()) > 10
    assert bob.drain() == (
        _changed("alice", {"x": "12345678"}),
        _changed("alice", {"y": "12345678"}),
    )


def test_a_deletion_counts_toward_the_payload_size() -> None:
    """server §1 Limits: the payload is measured as sent, deletions included."""
    room, alice, _ = _pair(RoomConfig(max_attributes_size=10))
    before = room.snapshot()
    with pytest.raises(LimitExceeded) as exc:
        alice.set_attributes({"role": "", "team": "", "xyz": ""})  # 11 bytes of keys
    assert exc.value.code == "LIMIT_EXCEEDED"
    assert room.snapshot() == before


def test_server_limit_code_is_invalid_argument() -> None:
    """server §1 Error when a limit is exceeded: the server API gives invalid_argument."""
    room, _alice, _bob = _pair(RoomConfig(max_attributes_size=10))
    room.update_participant("bob", attributes={"k": "123456789"})
    before = room.snapshot()
    with pytest.raises(LimitExceeded) as exc:
        room.update_participant("bob", attributes={"k": "1234567890"})
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before


def test_server_limit_is_checked_before_the_lookup() -> None:
    """server §1: the API checks the limits before auth and before the participant lookup."""
    room, _, _ = _pair(RoomConfig(max_attributes_size=10))
    before = room.snapshot()
    with pytest.raises(LimitExceeded) as exc:
        room.update_participant("ghost", attributes={"k": "1234567890"})
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before
    with pytest.raises(UnknownParticipant) as exc2:
        room.update_participant("ghost", attributes={"k": "v"})
    assert exc2.value.code == "not_found"
    assert room.snapshot() == before


@pytest.mark.parametrize("update", [{"k": 1}, {1: "v"}, {"k": None}, ["k"], "k=v"])
def test_attributes_of_the_wrong_type(update: object) -> None:
    """design §4: wrong types -> InvalidType, on both paths, atomically."""
    room, alice, _ = _pair()
    before = room.snapshot()
    with pytest.raises(InvalidType) as exc:
        alice.set_attributes(update)  # type: ignore[arg-type]
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before
    with pytest.raises(InvalidType) as exc:
        room.update_participant("alice", attributes=update)  # type: ignore[arg-type]
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before


def test_late_joiner_sees_current_attributes_as_state() -> None:
    """client §13: a late joiner sees the merged attributes, with no events."""
    room, alice, _ = _pair()
    alice.set_attributes({"role": "", "mood": "ok"})
    carol = room.connect("carol")
    assert carol.drain() == ()
    assert dict(carol.remote_participants["alice"].attributes) == {"team": "a", "mood": "ok"}

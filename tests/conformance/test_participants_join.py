"""Conformance transcripts: joining a room (server §4, client §4.5, §13; design §2)."""

from __future__ import annotations

import pytest

from roomsim import (
    DisconnectReason,
    InvalidArgument,
    InvalidType,
    LimitExceeded,
    ParticipantKind,
    ParticipantState,
    Permission,
    Room,
    RoomConfig,
    RoomFull,
)
from roomsim import events as E

# ------------------------------------------------------------------------------------------------
# who sees what at a join


def test_later_join_is_connected_then_active_for_every_earlier_client() -> None:
    """client §4.5: a new participant -> participant_connected, then participant_active."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    carol = room.connect("carol")
    assert alice.drain() == (
        E.ParticipantConnected(participant="bob"),
        E.ParticipantActive(participant="bob"),
        E.ParticipantConnected(participant="carol"),
        E.ParticipantActive(participant="carol"),
    )
    assert bob.drain() == (
        E.ParticipantConnected(participant="carol"),
        E.ParticipantActive(participant="carol"),
    )
    assert carol.drain() == ()


def test_participants_already_present_are_state_only() -> None:
    """client §13: those in the JoinResponse are state, never events."""
    room = Room("r")
    room.connect("alice", name="Alice")
    room.connect("bob")
    carol = room.connect("carol")
    assert carol.drain() == ()
    assert list(carol.remote_participants) == ["alice", "bob"]
    assert carol.remote_participants["alice"].name == "Alice"
    assert carol.remote_participants["alice"].state is ParticipantState.ACTIVE
    assert carol.local_participant.identity == "carol"
    assert "carol" not in carol.remote_participants


def test_sids_are_sequential_and_participants_iterate_in_join_order() -> None:
    """design §1 Deterministic: sids PA_1, PA_2, ...; join order."""
    room = Room("r")
    clients = [room.connect(i) for i in ("zed", "amy", "mo")]
    assert [c.sid for c in clients] == ["PA_1", "PA_2", "PA_3"]
    assert list(room.participants) == ["zed", "amy", "mo"]
    assert [room.participants[i].sid for i in room.participants] == ["PA_1", "PA_2", "PA_3"]


def test_held_join_connected_at_connect_active_at_activate() -> None:
    """design §2 held join; server §4 states JOINED -> ACTIVE; a second activate() is a no-op."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol", active=False)
    assert alice.drain() == (E.ParticipantConnected(participant="carol"),)
    assert room.participants["carol"].state is ParticipantState.JOINED
    assert alice.remote_participants["carol"].state is ParticipantState.JOINED
    carol.activate()
    assert alice.drain() == (E.ParticipantActive(participant="carol"),)
    activated = room.participants["carol"]
    assert activated.state is ParticipantState.ACTIVE
    carol.activate()
    assert alice.drain() == ()
    assert carol.drain() == ()


def test_token_claims_need_no_grant() -> None:
    """design §2: connect() arguments are token claims; attributes= needs no grant (server §1)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect(
        "bob", name="Bob", metadata='{"x": 1}', attributes={"role": "host", "team": "a"}
    )
    assert not room.participants["bob"].permission.can_update_metadata
    server = room.participants["bob"]
    assert (server.name, server.metadata) == ("Bob", '{"x": 1}')
    assert dict(server.attributes) == {"role": "host", "team": "a"}
    seen = alice.remote_participants["bob"]
    assert (seen.name, seen.metadata, dict(seen.attributes)) == (
        "Bob",
        '{"x": 1}',
        {"role": "host", "team": "a"},
    )
    me = bob.local_participant
    assert (me.name, me.metadata, dict(me.attributes)) == (
        "Bob",
        '{"x": 1}',
        {"role": "host", "team": "a"},
    )
    # the claims are the initial state: no change events (client §4.5)
    assert alice.drain() == (
        E.ParticipantConnected(participant="bob"),
        E.ParticipantActive(participant="bob"),
    )
    assert bob.drain() == ()


def test_kind_is_a_claim() -> None:
    """client §12: kind is part of ParticipantInfo."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("agent", kind=ParticipantKind.AGENT)
    assert alice.remote_participants["agent"].kind is ParticipantKind.AGENT
    assert room.participants["alice"].kind is ParticipantKind.STANDARD


# ------------------------------------------------------------------------------------------------
# max_participants


def test_room_full_refuses_the_join_and_changes_nothing() -> None:
    """server §4 max_participants: ErrMaxParticipantsExceeded -> JOIN_FAILURE; atomic."""
    room = Room("r", config=RoomConfig(max_participants=2))
    alice = room.connect("alice")
    room.connect("bob")
    alice.drain()
    before = room.snapshot()
    with pytest.raises(RoomFull) as exc:
        room.connect("carol")
    assert exc.value.code == "JOIN_FAILURE"
    assert room.snapshot() == before
    assert "carol" not in room.participants
    assert alice.drain() == ()


def test_hidden_participants_count_toward_max_participants() -> None:
    """server §3 Hidden: hidden participants are counted, and count toward max_participants."""
    room = Room("r", config=RoomConfig(max_participants=2))
    room.connect("alice")
    room.connect("ghost", permission=Permission(hidden=True))
    before = room.snapshot()
    with pytest.raises(RoomFull) as exc:
        room.connect("bob")
    assert exc.value.code == "JOIN_FAILURE"
    assert room.snapshot() == before


@pytest.mark.parametrize(
    ("kind", "permission"),
    [
        (ParticipantKind.AGENT, Permission()),
        (ParticipantKind.EGRESS, Permission()),
        (ParticipantKind.STANDARD, Permission(agent=True)),
        (ParticipantKind.STANDARD, Permission(recorder=True)),
    ],
    ids=["kind-agent", "kind-egress", "agent-grant", "recorder-grant"],
)
def test_dependent_participants_are_exempt_and_not_counted(
    kind: ParticipantKind, permission: Permission
) -> None:
    """server §4 max_participants: agents and egress/recorders are neither counted nor limited."""
    room = Room("r", config=RoomConfig(max_participants=1))
    room.connect("dep1", kind=kind, permission=permission)  # not counted
    room.connect("alice")  # the one slot
    room.connect("dep2", kind=kind, permission=permission)  # exempt although full
    assert list(room.participants) == ["dep1", "alice", "dep2"]
    before = room.snapshot()
    with pytest.raises(RoomFull) as exc:
        room.connect("bob")
    assert exc.value.code == "JOIN_FAILURE"
    assert room.snapshot() == before


def test_max_participants_zero_is_unlimited() -> None:
    """server §1/§4: a limit of 0 means unlimited."""
    room = Room("r", config=RoomConfig(max_participants=0))
    for i in range(50):
        room.connect(f"p{i}")
    assert len(room.participants) == 50


def test_a_leave_frees_a_slot() -> None:
    """server §4 max_participants counts the participants in the room now."""
    room = Room("r", config=RoomConfig(max_participants=1))
    alice = room.connect("alice")
    with pytest.raises(RoomFull):
        room.connect("bob")
    alice.disconnect()
    room.connect("bob")
    assert list(room.participants) == ["bob"]


def test_duplicate_identity_in_a_full_room_replaces_the_session() -> None:
    """server §4 Duplicate identity: the old session is removed first, so the join fits."""
    room = Room("r", config=RoomConfig(max_participants=2))
    alice = room.connect("alice")
    old = room.connect("bob")
    alice.drain()
    new = room.connect("bob")
    assert new.sid != old.sid
    assert list(room.participants) == ["alice", "bob"]
    assert alice.drain()[0] == E.ParticipantDisconnected(
        participant="bob",
        reason=DisconnectReason.UNKNOWN_REASON,  # client §16.4
    )


# ------------------------------------------------------------------------------------------------
# identity and claim validation (server §4 Connect validation; design §4)


@pytest.mark.parametrize("identity", [123, None, b"bob", ["bob"]])
def test_identity_of_the_wrong_type_is_invalid_type(identity: object) -> None:
    """design §4: a value of the wrong Python type -> InvalidType."""
    room = Room("r")
    room.connect("alice")
    before = room.snapshot()
    with pytest.raises(InvalidType) as exc:
        room.connect(identity)  # type: ignore[arg-type]
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before


def test_empty_identity_is_invalid_argument() -> None:
    """server §4 Connect validation: a non-empty identity, otherwise 400."""
    room = Room("r")
    room.connect("alice")
    before = room.snapshot()
    with pytest.raises(InvalidArgument) as exc:
        room.connect("")
    assert type(exc.value) is InvalidArgument
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before


def test_identity_length_is_utf8_bytes_and_inclusive() -> None:
    """server §1 limits: max_participant_identity_length, Go len() = UTF-8 bytes, inclusive."""
    room = Room("r")
    room.connect("a" * 256)
    room.connect("é" * 128)  # 128 characters, 256 bytes: at the limit
    before = room.snapshot()
    for identity in ("a" * 257, "é" * 128 + "a"):  # 257 bytes
        with pytest.raises(LimitExceeded) as exc:
            room.connect(identity)
        assert exc.value.code == "invalid_argument"
        assert room.snapshot() == before


def test_identity_length_follows_the_config() -> None:
    """server §1 limits: the configured limit, in bytes; 0 means unlimited."""
    room = Room("r", config=RoomConfig(max_identity_length=4))
    room.connect("a€")  # 1 + 3 bytes
    before = room.snapshot()
    with pytest.raises(LimitExceeded) as exc:
        room.connect("ab€")  # 5 bytes, 3 characters
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before
    unlimited = Room("u", config=RoomConfig(max_identity_length=0))
    unlimited.connect("x" * 10_000)


def test_token_claims_over_the_limits_refuse_the_join() -> None:
    """server §1: StartSession checks the token's name, metadata and attributes; atomic."""
    cfg = RoomConfig(max_name_length=4, max_metadata_size=4, max_attributes_size=4)
    room = Room("r", config=cfg)
    room.connect("alice", name="abcd", metadata="abcd", attributes={"ab": "cd"})
    before = room.snapshot()
    for kwargs in ({"name": "abcde"}, {"metadata": "abcde"}, {"attributes": {"ab": "cde"}}):
        with pytest.raises(LimitExceeded) as exc:
            room.connect("bob", **kwargs)
        assert exc.value.code == "invalid_argument"
        assert room.snapshot() == before


def test_refused_rejoin_leaves_the_old_session_in_place() -> None:
    """design §2: a refused join raises and changes nothing, even for a present identity."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    alice.drain()
    before = room.snapshot()
    with pytest.raises(LimitExceeded) as exc:
        room.connect("bob", name="x" * 257)
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before
    assert room.clients["bob"] is bob
    room.update_participant("bob", name="Bob")
    assert alice.drain() == (
        E.ParticipantNameChanged(participant="bob", old_name="", new_name="Bob"),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": 1},
        {"metadata": None},
        {"attributes": {"k": 1}},
        {"attributes": {1: "v"}},
        {"attributes": ["k"]},
        {"kind": "agent"},
        {"permission": {"hidden": True}},
        {"active": 1},
    ],
)
def test_claims_of_the_wrong_type_are_invalid_type(kwargs: dict[str, object]) -> None:
    """design §4: wrong Python types are refused with InvalidType, atomically."""
    room = Room("r")
    room.connect("alice")
    before = room.snapshot()
    with pytest.raises(InvalidType) as exc:
        room.connect("bob", **kwargs)  # type: ignore[arg-type]
    assert exc.value.code == "invalid_argument"
    assert room.snapshot() == before

"""Conformance: every participant error path is exact in class and code, and atomic
(design §1 Atomic, §4 Errors; server §1 Limits / Error when a limit is exceeded / Other
API errors, §2 Who may update, §4 Connect validation and max_participants)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from roomsim import (
    Client,
    ClientDisconnected,
    IllegalState,
    InvalidArgument,
    InvalidType,
    LimitExceeded,
    Permission,
    PermissionDenied,
    Room,
    RoomConfig,
    RoomFull,
    RoomsimError,
    UnknownParticipant,
)

# every limit is 8 bytes; the room is full (alice and bob), carol has left
CONFIG = RoomConfig(
    max_participants=2,
    max_identity_length=8,
    max_name_length=8,
    max_metadata_size=8,
    max_attributes_size=8,
)


@dataclass
class World:
    room: Room
    alice: Client  # can_update_metadata
    bob: Client  # no grant
    carol: Client  # disconnected


def _world() -> World:
    room = Room("r", config=CONFIG)
    carol = room.connect("carol")
    carol.disconnect()
    alice = room.connect("alice", permission=Permission(can_update_metadata=True))
    bob = room.connect("bob", attributes={"k": "v"})
    return World(room, alice, bob, carol)


X9 = "x" * 9
E9 = "é" * 4 + "x"  # 5 characters, 9 bytes

CASES: list[tuple[str, Callable[[World], object], type[RoomsimError], str]] = [
    # connect: validation (400) comes before the room-full check (server §4)
    ("connect-empty-identity", lambda w: w.room.connect(""), InvalidArgument, "invalid_argument"),
    (
        "connect-int-identity",
        lambda w: w.room.connect(7),  # type: ignore[arg-type]
        InvalidType,
        "invalid_argument",
    ),
    ("connect-long-identity", lambda w: w.room.connect(E9), LimitExceeded, "invalid_argument"),
    (
        "connect-long-name",
        lambda w: w.room.connect("d", name=E9),
        LimitExceeded,
        "invalid_argument",
    ),
    (
        "connect-big-metadata",
        lambda w: w.room.connect("d", metadata=X9),
        LimitExceeded,
        "invalid_argument",
    ),
    (
        "connect-big-attributes",
        lambda w: w.room.connect("d", attributes={"k": "x" * 8}),
        LimitExceeded,
        "invalid_argument",
    ),
    ("connect-full", lambda w: w.room.connect("dave"), RoomFull, "JOIN_FAILURE"),
    (
        "connect-hidden-full",
        lambda w: w.room.connect("g", permission=Permission(hidden=True)),
        RoomFull,
        "JOIN_FAILURE",
    ),
    # client self-updates (server §1 client path, §2 Who may update)
    ("set-name-long", lambda w: w.alice.set_name(E9), LimitExceeded, "LIMIT_EXCEEDED"),
    ("set-metadata-big", lambda w: w.alice.set_metadata(X9), LimitExceeded, "LIMIT_EXCEEDED"),
    (
        "set-attributes-big",
        lambda w: w.alice.set_attributes({"k": "é" * 4}),
        LimitExceeded,
        "LIMIT_EXCEEDED",
    ),
    (
        "set-attributes-type",
        lambda w: w.alice.set_attributes({"k": 1}),  # type: ignore[dict-item]
        InvalidType,
        "invalid_argument",
    ),
    ("set-name-no-grant", lambda w: w.bob.set_name("b"), PermissionDenied, "NOT_ALLOWED"),
    ("set-metadata-no-grant", lambda w: w.bob.set_metadata("b"), PermissionDenied, "NOT_ALLOWED"),
    (
        "set-attributes-no-grant",
        lambda w: w.bob.set_attributes({"k": ""}),
        PermissionDenied,
        "NOT_ALLOWED",
    ),
    # server API (server §1: limits before the lookup, invalid_argument; not_found)
    (
        "update-name-long",
        lambda w: w.room.update_participant("bob", name=E9),
        LimitExceeded,
        "invalid_argument",
    ),
    (
        "update-metadata-big",
        lambda w: w.room.update_participant("bob", metadata=X9),
        LimitExceeded,
        "invalid_argument",
    ),
    (
        "update-attributes-big",
        lambda w: w.room.update_participant("bob", attributes={"kk": "x" * 7}),
        LimitExceeded,
        "invalid_argument",
    ),
    (
        "update-limit-before-lookup",
        lambda w: w.room.update_participant("nobody", name=X9),
        LimitExceeded,
        "invalid_argument",
    ),
    (
        "update-unknown",
        lambda w: w.room.update_participant("nobody", name="n"),
        UnknownParticipant,
        "not_found",
    ),
    (
        "update-departed",
        lambda w: w.room.update_participant("carol", name="n"),
        UnknownParticipant,
        "not_found",
    ),
    (
        "update-empty-identity",
        lambda w: w.room.update_participant("", name="n"),
        InvalidArgument,
        "invalid_argument",
    ),
    (
        "update-toggle-hidden",
        lambda w: w.room.update_participant("bob", name="B", permission=Permission(hidden=True)),
        IllegalState,
        "failed_precondition",
    ),
    (
        "update-permission-type",
        lambda w: w.room.update_participant("bob", permission=True),  # type: ignore[arg-type]
        InvalidType,
        "invalid_argument",
    ),
    (
        "remove-unknown",
        lambda w: w.room.remove_participant("nobody"),
        UnknownParticipant,
        "not_found",
    ),
    (
        "remove-departed",
        lambda w: w.room.remove_participant("carol"),
        UnknownParticipant,
        "not_found",
    ),
    (
        "room-metadata-big",
        lambda w: w.room.update_room_metadata(E9),
        LimitExceeded,
        "invalid_argument",
    ),
    (
        "room-metadata-type",
        lambda w: w.room.update_room_metadata(1),  # type: ignore[arg-type]
        InvalidType,
        "invalid_argument",
    ),
    # a client whose session ended (design §2)
    ("gone-set-name", lambda w: w.carol.set_name("c"), ClientDisconnected, "DISCONNECTED"),
    ("gone-disconnect", lambda w: w.carol.disconnect(), ClientDisconnected, "DISCONNECTED"),
    ("gone-activate", lambda w: w.carol.activate(), ClientDisconnected, "DISCONNECTED"),
]


@pytest.mark.parametrize(
    ("action", "error", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_error_is_exact_and_atomic(
    action: Callable[[World], object], error: type[RoomsimError], code: str
) -> None:
    """design §1 Atomic: room.snapshot() before == after; design §4: the class and code."""
    w = _world()
    before = w.room.snapshot()
    with pytest.raises(error) as exc:
        action(w)
    assert type(exc.value) is error
    assert exc.value.code == code
    assert str(exc.value)  # a message saying what was refused
    assert w.room.snapshot() == before
    # the room stays usable, and nobody saw anything of the refused mutation
    w.room.update_room_metadata("ok")
    assert [e.name for e in w.alice.drain()][-1] == "room_metadata_changed"
    assert w.room.metadata == "ok"


def test_error_classes_have_the_documented_bases() -> None:
    """design §4 table: the bases let users catch errors as Python builtins."""
    assert issubclass(InvalidArgument, ValueError)
    assert issubclass(InvalidType, InvalidArgument)
    assert issubclass(InvalidType, TypeError)
    assert issubclass(LimitExceeded, InvalidArgument)
    assert issubclass(UnknownParticipant, LookupError)
    assert issubclass(PermissionDenied, PermissionError)
    assert issubclass(RoomFull, IllegalState)
    assert issubclass(RoomFull, RuntimeError)
    assert issubclass(ClientDisconnected, IllegalState)

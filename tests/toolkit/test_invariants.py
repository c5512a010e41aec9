"""``check_invariants``: silent on a healthy room; a breach raises InternalError explaining it."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from roomsim import InternalError, Room, TrackKind, TrackSource
from roomsim._records import evolve
from roomsim.testing import check_invariants


def _room() -> Room:
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob")
    alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    return room


def test_a_healthy_room_passes() -> None:
    check_invariants(_room())


def test_a_breach_names_the_invariant_and_the_values() -> None:
    room = _room()
    rec = room._server.records["bob"]
    room._server.records["bob"] = evolve(
        rec, sid=room._server.records["alice"].sid
    )  # corrupt on purpose
    with pytest.raises(InternalError) as info:
        check_invariants(room)
    assert "two sessions share a sid" in str(info.value)
    assert "sid='PA_1'" in str(info.value)
    assert "roomsim bug" in str(info.value)


def test_a_stale_client_view_is_explained() -> None:
    room = _room()
    bob = room.clients["bob"]
    bob.drain()
    rec = room._server.records["alice"]
    # the server's truth changes without a fact: alice's view of herself now differs
    room._server.records["alice"] = evolve(rec, name="Mallory")
    with pytest.raises(InternalError, match="a client's own record differs from the server's"):
        check_invariants(room)


def test_a_track_index_breach_is_explained() -> None:
    room = _room()
    room._server.records["alice"] = evolve(
        room._server.records["alice"], tracks=MappingProxyType({})
    )
    with pytest.raises(InternalError, match="publisher index disagrees"):
        check_invariants(room)

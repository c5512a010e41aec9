"""The testing how-to's first tests: the ``room`` fixture, ``expect``, and the marker."""

# --8<-- [start:imports]
from __future__ import annotations

import pytest

from roomsim import Permission, Room, RoomFull, events
from roomsim.testing import expect

# --8<-- [end:imports]


# --8<-- [start:fixture]
def test_a_raised_hand_reaches_the_host(room: Room) -> None:
    host = room.connect("host")
    guest = room.connect("guest", permission=Permission(can_update_metadata=True))
    guest.set_attributes({"hand": "raised"})
    seen = expect(host).skip_to(events.ParticipantAttributesChanged, participant="guest")
    assert seen.changed_attributes == {"hand": "raised"}
    assert host.remote_participants["guest"].attributes["hand"] == "raised"
    expect(host).no_more()


# --8<-- [end:fixture]


# --8<-- [start:marker]
@pytest.mark.roomsim(max_participants=1, enable_remote_unmute=True)
def test_a_full_room(room: Room) -> None:
    room.connect("alice")
    with pytest.raises(RoomFull):
        room.connect("bob")


# --8<-- [end:marker]

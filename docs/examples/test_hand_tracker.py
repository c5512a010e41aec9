"""The tutorial's first app test: a hand-raise tracker, tested with the ``room`` fixture."""

from __future__ import annotations

from roomsim import Client, Permission, Room, events


# --8<-- [start:app]
class HandTracker:
    """Who has a raised hand, as seen by one client."""

    def __init__(self, client: Client) -> None:
        self.raised: set[str] = set()
        client.on("participant_attributes_changed", self.on_attributes)
        client.on("participant_disconnected", self.on_left)

    def on_attributes(self, event: events.ParticipantAttributesChanged) -> None:
        hand = event.changed_attributes.get("hand")
        if hand == "raised":
            self.raised.add(event.participant)
        elif hand is not None:
            self.raised.discard(event.participant)

    def on_left(self, event: events.ParticipantDisconnected) -> None:
        self.raised.discard(event.participant)


# --8<-- [end:app]


# --8<-- [start:test]
def test_hands(room: Room) -> None:
    agent = room.connect("agent")
    tracker = HandTracker(agent)
    carol = room.connect("carol", permission=Permission(can_update_metadata=True))
    carol.set_attributes({"hand": "raised"})
    assert tracker.raised == {"carol"}
    carol.set_attributes({"hand": ""})  # "" deletes the key: the diff says ""
    assert tracker.raised == set()
    carol.set_attributes({"hand": "raised"})
    carol.disconnect()
    assert tracker.raised == set()


# --8<-- [end:test]

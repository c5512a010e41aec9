"""The property-testing tutorial's app, its example test, and its state machine."""

# --8<-- [start:imports]
from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from roomsim import Client, Permission, Room, events
from roomsim.stateful import RoomStateMachine

# --8<-- [end:imports]


# --8<-- [start:app]
class HandQueue:
    """The host's queue of raised hands, in the order they were raised."""

    def __init__(self, client: Client) -> None:
        self.client = client
        # participants already in the room arrive as state, not events
        self.queue = [
            identity
            for identity, p in client.remote_participants.items()
            if p.attributes.get("hand") == "raised"
        ]
        client.on("participant_connected", self.on_joined)
        client.on("participant_attributes_changed", self.on_attributes)
        client.on("participant_disconnected", self.on_left)

    def on_joined(self, event: events.ParticipantConnected) -> None:
        joined = self.client.remote_participants[event.participant]
        if joined.attributes.get("hand") == "raised":
            self.queue.append(event.participant)

    def on_attributes(self, event: events.ParticipantAttributesChanged) -> None:
        hand = event.changed_attributes.get("hand")
        who = event.participant
        if who == self.client.identity:
            return  # our own attributes change too: the host is not in its own queue
        if hand == "raised" and who not in self.queue:
            self.queue.append(who)
        elif hand is not None and hand != "raised" and who in self.queue:
            self.queue.remove(who)

    def on_left(self, event: events.ParticipantDisconnected) -> None:
        if event.participant in self.queue:
            self.queue.remove(event.participant)


# --8<-- [end:app]


# --8<-- [start:example]
GRANT = Permission(can_update_metadata=True)  # needed to set one's own attributes


def test_hands_are_queued_in_order(room: Room) -> None:
    host = room.connect("host")
    app = HandQueue(host)
    ann = room.connect("ann", permission=GRANT)
    bob = room.connect("bob", permission=GRANT)
    bob.set_attributes({"hand": "raised"})
    ann.set_attributes({"hand": "raised"})
    assert app.queue == ["bob", "ann"]
    bob.set_attributes({"hand": ""})  # lowered: the key is deleted
    assert app.queue == ["ann"]
    ann.disconnect()
    assert app.queue == []


# --8<-- [end:example]


# --8<-- [start:machine]
class HandQueueMachine(RoomStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.apps: list[HandQueue] = []

    def on_connect(self, client: Client) -> None:
        self.apps.append(HandQueue(client))

    @precondition(lambda self: len(self.room.participants) > 0)
    @rule(data=st.data())
    def raise_or_lower_a_hand(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(list(self.room.participants)))
        hand = data.draw(st.sampled_from(["raised", ""]))
        self.room.update_participant(who, attributes={"hand": hand})

    @invariant()
    def the_queue_holds_exactly_the_raised_hands(self) -> None:
        for app in self.apps:
            if self.room.clients.get(app.client.identity) is not app.client:
                continue  # that session ended
            raised = {
                identity
                for identity, p in app.client.remote_participants.items()
                if p.attributes.get("hand") == "raised"
            }
            assert set(app.queue) == raised and len(app.queue) == len(raised)


TestHandQueue = HandQueueMachine.TestCase
TestHandQueue.settings = settings(max_examples=20, stateful_step_count=15, deadline=None)
# --8<-- [end:machine]

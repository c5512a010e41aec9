"""The testing how-to's state machine: an app's copy of the room checked after every step."""

# --8<-- [start:imports]
from __future__ import annotations

from hypothesis import settings
from hypothesis.stateful import invariant

from roomsim import Client, events
from roomsim.stateful import RoomStateMachine

# --8<-- [end:imports]


# --8<-- [start:app]
class Mirror:
    """One client's copy of the other participants' attributes, kept from its events."""

    def __init__(self, client: Client) -> None:
        self.client = client
        # participants already in the room are state, not events
        self.attributes = {
            identity: dict(p.attributes) for identity, p in client.remote_participants.items()
        }
        client.on("participant_connected", self.joined)
        client.on("participant_disconnected", self.left)
        client.on("participant_attributes_changed", self.changed)

    def joined(self, event: events.ParticipantConnected) -> None:
        joined = self.client.remote_participants[event.participant]
        self.attributes[event.participant] = dict(joined.attributes)

    def left(self, event: events.ParticipantDisconnected) -> None:
        del self.attributes[event.participant]

    def changed(self, event: events.ParticipantAttributesChanged) -> None:
        if event.participant == self.client.identity:
            return
        for key, value in event.changed_attributes.items():
            if value == "":
                self.attributes[event.participant].pop(key, None)  # a deleted key arrives as ""
            else:
                self.attributes[event.participant][key] = value


# --8<-- [end:app]


# --8<-- [start:machine]
class MirrorMachine(RoomStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.mirrors: list[Mirror] = []

    def on_connect(self, client: Client) -> None:
        self.mirrors.append(Mirror(client))

    @invariant()
    def every_live_mirror_agrees_with_its_client(self) -> None:
        for m in self.mirrors:
            if self.room.clients.get(m.client.identity) is m.client:
                known = {i: dict(p.attributes) for i, p in m.client.remote_participants.items()}
                assert m.attributes == known


TestMirror = MirrorMachine.TestCase
TestMirror.settings = settings(max_examples=10, stateful_step_count=15, deadline=None)
# --8<-- [end:machine]

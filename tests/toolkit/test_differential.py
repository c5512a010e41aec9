"""The differential test (STYLE: fakeredis' hypothesis tests): roomsim against a reference model.

``tests.toolkit._reference.ReferenceRoom`` is a naive, eager model of the participant and track
semantics: after every step of every mutation it brings every client up to date by diffing
what the client knows against the truth.  ``DifferentialMachine`` applies each drawn mutation
to both, and compares

- the outcome: the same result, or the same error class;
- the server's truth (``room.participants``, ``room.departed``, the webhooks) after each step;
- one client's events (all of them, or via ``next_event()``/``drain()``) and its snapshots
  (``local_participant``, ``remote_participants``, connection state, room metadata), read at
  random points: roomsim's clients are lazy, so this also checks that reading late, early or
  never gives the same stream (design §1);
- events seen by handlers, for clients made eager at random points;
- every client, at the end.

Connection quality and speakers are outside the model (``UNMODELLED_EVENTS``), and so are
timers and room deletion (the machine draws only ``MODELLED`` families).
"""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from roomsim import Client, ParticipantSnapshot, Room, RoomConfig, RoomsimError
from roomsim import mutations as M
from roomsim.events import ALL_EVENTS, Event
from roomsim.rpc import PendingCall
from roomsim.stateful import RoomStateMachine
from roomsim.strategies import Refusal
from tests.toolkit._reference import MODELLED, UNMODELLED_EVENTS, ReferenceRoom, participant_fields
from tests.toolkit._reference_rpc import call_fields


def _modelled(events: Any) -> list[Event]:
    return [e for e in events if not isinstance(e, UNMODELLED_EVENTS)]


class DifferentialMachine(RoomStateMachine):
    families = MODELLED

    def __init__(self) -> None:
        super().__init__()
        self.model = ReferenceRoom(self.config)
        # for clients that keep no history: what was taken so far
        self.taken: dict[str, list[Event]] = {}
        # for clients with handlers: what the handlers saw, and the model's count at that time
        self.heard: dict[str, tuple[int, list[Event]]] = {}
        #: roomsim's RPC calls, each compared with the model's after every step
        self.rpc_handles: list[PendingCall] = []

    # the two implementations side by side ------------------------------------------------------

    def _both(self, m: M.Mutation) -> tuple[Any, Any]:
        expected: Any
        got: Any
        try:
            expected = self.model.apply(m)
        except RoomsimError as e:
            expected = type(e)
        try:
            got = RoomStateMachine.apply(self, m)
        except RoomsimError as e:
            got = type(e)
        if isinstance(got, Client):
            got = got.sid
        if isinstance(got, PendingCall):  # an RPC call: compared as it settles (rpc_calls_agree)
            self.rpc_handles.append(got)
            got = call_fields(got)
        if isinstance(got, ParticipantSnapshot) and isinstance(expected, ParticipantSnapshot):
            got, expected = participant_fields(got), participant_fields(expected)
        assert got == expected, f"{m!r}: roomsim gave {got!r}, the model {expected!r}"
        return expected, got

    def apply(self, mutation: M.Mutation) -> Any:
        return self._both(mutation)[1]

    def refuse(self, refusal: Refusal) -> None:
        expected, _ = self._both(refusal.mutation)
        assert isinstance(expected, type) and issubclass(expected, refusal.error), (
            f"{refusal.mutation!r} must raise {refusal.error.__name__}; the model gave {expected!r}"
        )

    def check(self) -> None:
        """Server-side only after each step: reading clients here would make them all eager."""
        room, model = self.room, self.model
        assert [participant_fields(p) for p in room.participants.values()] == [
            participant_fields(p) for p in model.server_participants()
        ]
        assert [participant_fields(p) for p in room.departed] == [
            participant_fields(p) for p in model.departed
        ]
        assert room.metadata == model.metadata
        hooks = [
            (w.event, w.participant_identity, w.participant_sid, w.track.sid if w.track else None)
            for w in room.webhooks
        ]
        assert hooks == model.webhooks

    @invariant()
    def rpc_calls_agree(self) -> None:
        """Each call's outcome, each client's invocations awaiting an answer and its method
        names (rpc-and-streams §12), as the model has them."""
        for call in self.rpc_handles:
            assert call_fields(call) == self.model.rpc_call(call.request_id), call
        for c in self.room.clients.values():
            assert c.awaiting_answer == self.model.awaiting(c.sid), c
            assert c.rpc_methods == tuple(sorted(self.model.rpc_methods.get(c.sid, ()))), c

    # reading clients ---------------------------------------------------------------------------

    def _client(self, sid: str) -> Client:
        return next(c for c in self.clients if c.sid == sid)

    def compare_client(self, c: Client, how: str = "events") -> None:
        ref = self.model.clients[c.sid]
        expected = ref.events
        if c.sid in self.heard:
            start, heard = self.heard[c.sid]
            assert _modelled(heard) == expected[start:], f"handlers of {c!r}"
        if not ref.keep_events:
            got = self.taken.setdefault(c.sid, [])
            got.extend(_modelled(c.drain()))
            assert got == expected, f"events of {c!r}"
        elif how == "events":
            assert _modelled(c.events) == expected, f"events of {c!r}"
        elif how == "next_event":
            e = c.next_event()
            while e is not None and isinstance(e, UNMODELLED_EVENTS):
                e = c.next_event()
            assert e in (None, *expected), f"next event of {c!r}: {e!r}"
        else:
            c.drain()
            assert _modelled(c.events) == expected, f"events of {c!r}"
        assert participant_fields(c.local_participant) == participant_fields(
            self.model.local_participant(c.sid)
        ), f"local participant of {c!r}"
        assert [participant_fields(p) for p in c.remote_participants.values()] == [
            participant_fields(p) for p in self.model.remote_participants(c.sid)
        ], f"remote participants of {c!r}"
        assert c.disconnect_reason == ref.reason
        assert (c.connection_state.name == "DISCONNECTED") == ref.ended
        assert c.room_metadata == ref.room_metadata

    @precondition(lambda self: bool(self.clients))
    @rule(data=st.data())
    def read_a_client(self, data: st.DataObject) -> None:
        """Read one client now (lazy delivery: whenever it is read, it must agree)."""
        c = data.draw(st.sampled_from(self.clients), label="client")
        how = data.draw(st.sampled_from(["events", "next_event", "drain"]), label="read with")
        self.compare_client(c, how)

    @precondition(lambda self: any(c.sid not in self.heard for c in self.room.clients.values()))
    @rule(data=st.data())
    def listen_to_a_client(self, data: st.DataObject) -> None:
        """Give a live client handlers for every event: from now on it is delivered eagerly."""
        live = [c for c in self.room.clients.values() if c.sid not in self.heard]
        c = data.draw(st.sampled_from(live), label="client")
        self.compare_client(c)  # catch it up: its handlers hear only later events
        heard: list[Event] = []
        self.heard[c.sid] = (len(self.model.clients[c.sid].events), heard)
        for cls in ALL_EVENTS:
            c.on(cls.name, heard.append)

    def teardown(self) -> None:
        for c in self.clients:
            self.compare_client(c)


class DifferentialSmallRoom(DifferentialMachine):
    """Small limits and a participant cap, so limits and RoomFull are hit often; remote
    unmute and auto-subscribe off by default, to reach the other branches."""

    config: ClassVar[RoomConfig] = RoomConfig(
        max_participants=3,
        max_identity_length=12,
        max_name_length=8,
        max_metadata_size=16,
        max_attributes_size=16,
        enable_remote_unmute=True,
        auto_subscribe=False,
    )


_STEPS = settings(stateful_step_count=25)
TestDifferential = DifferentialMachine.TestCase
TestDifferential.settings = _STEPS
TestDifferentialSmallRoom = DifferentialSmallRoom.TestCase
TestDifferentialSmallRoom.settings = _STEPS


def test_the_model_and_roomsim_agree_on_a_script() -> None:
    """A fixed script through both, every client compared at the end (a smoke test that does
    not depend on Hypothesis finding anything)."""
    from roomsim import Permission, TrackKind, TrackSource

    room, model = Room("room"), ReferenceRoom()
    script: list[M.Mutation] = [
        M.Connect(identity="alice"),
        M.Connect(identity="bob"),
        M.Connect(identity="carol", active=False),
        M.PublishTrack(identity="alice", kind=TrackKind.AUDIO, source=TrackSource.MICROPHONE),
        M.PublishTrack(identity="alice", kind=TrackKind.VIDEO, source=TrackSource.CAMERA),
        M.SetTrackSubscriptionPermissions(
            identity="alice", all_participants=False, allowed={"bob": ("TR_2",)}
        ),
        M.Activate(identity="carol"),
        M.UpdateParticipant(
            identity="alice",
            name="A",
            permission=Permission(can_publish_sources=(TrackSource.MICROPHONE,)),
        ),
        M.Connect(identity="bob"),
        M.SendData(sender="carol", data=b"x"),
        M.Disconnect(identity="alice"),
    ]
    for m in script:
        got = room.apply(m)
        expected = model.apply(m)
        if isinstance(got, ParticipantSnapshot):
            assert participant_fields(got) == participant_fields(expected)
        else:
            assert (got.sid if isinstance(got, Client) else got) == expected
    for c in room.all_clients:
        assert _modelled(c.events) == model.clients[c.sid].events
        assert participant_fields(c.local_participant) == participant_fields(
            model.local_participant(c.sid)
        )
    assert len(model.clients) == 4


def test_one_update_subscriptions_is_reconciled_in_the_request_order() -> None:
    """Found by the differential machine (the model first used publish order): a server
    ``UpdateSubscriptions`` subscribes in the order of its ``track_sids``, as LiveKit's
    ``Room.UpdateSubscriptions`` loops over them (server §6); the publisher's
    first-subscriber notices follow the same order.  Both sides now agree."""
    from roomsim import TrackKind, TrackSource
    from roomsim.events import LocalTrackSubscribed, TrackSubscribed

    config = RoomConfig(auto_subscribe=False)
    room, model = Room("room", config=config), ReferenceRoom(config)
    script: list[M.Mutation] = [
        M.Connect(identity="alice"),
        M.PublishTrack(identity="alice", kind=TrackKind.VIDEO, source=TrackSource.CAMERA),
        M.PublishTrack(identity="alice", kind=TrackKind.AUDIO, source=TrackSource.MICROPHONE),
        M.Connect(identity="bob"),
        M.UpdateSubscriptions(identity="bob", track_sids=("TR_2", "TR_1", "TR_2"), subscribe=True),
    ]
    for m in script:
        room.apply(m)
        model.apply(m)
    bob = room.clients["bob"]
    assert _modelled(bob.events) == [
        TrackSubscribed(participant="alice", track_sid="TR_2"),
        TrackSubscribed(participant="alice", track_sid="TR_1"),
    ]
    assert _modelled(room.clients["alice"].events)[-2:] == [
        LocalTrackSubscribed(track_sid="TR_2"),
        LocalTrackSubscribed(track_sid="TR_1"),
    ]
    for c in room.all_clients:
        assert _modelled(c.events) == model.clients[c.sid].events

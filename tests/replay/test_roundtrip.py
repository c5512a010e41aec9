"""Dump, then replay: for random histories the replayed room equals the recorded one."""

from __future__ import annotations

import io
from contextlib import suppress
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from roomsim import (
    Client,
    ConnectionQuality,
    Permission,
    Room,
    RoomConfig,
    RoomsimError,
    RoomSnapshot,
    scenario,
)
from roomsim import mutations as M
from roomsim.events import Event
from tests.property._actions import mutation


def draw_mutation(data: st.DataObject, room: Room) -> M.Mutation:
    """A mutation from the shared drawer, or one of time and the media layer."""
    present = list(room.participants)
    kind = data.draw(st.integers(0, 9))
    if kind == 0:
        return M.Advance(dt=data.draw(st.sampled_from([0.1, 0.4, 1.0, 5.0, 25.0, 70.0])))
    if kind == 1 and present:
        who = data.draw(st.lists(st.sampled_from(present), max_size=2, unique=True))
        levels = data.draw(st.lists(st.sampled_from([0.0, 0.3, 0.8]), min_size=len(who)))
        return M.SetAudioLevels(levels=dict(zip(who, levels, strict=False)))
    if kind == 2 and present:
        return M.SetConnectionQuality(
            identity=data.draw(st.sampled_from(present)),
            quality=data.draw(st.sampled_from([ConnectionQuality.POOR, ConnectionQuality.GOOD])),
        )
    return mutation(data, room)


def history(data: st.DataObject, room: Room, *, handlers: bool = False) -> None:
    for _ in range(data.draw(st.integers(0, 30))):
        m = draw_mutation(data, room)
        result: Any = None
        with suppress(RoomsimError):
            result = room.apply(m)
        if handlers and isinstance(result, Client) and data.draw(st.booleans()):
            react(result)


def react(client: Client) -> None:
    """Handlers that make mutations of their own (the log records them; replay runs none)."""

    def greet(e: Event) -> None:
        client.set_attributes({"greeted": getattr(e, "participant", "")})

    def decline(e: Event) -> None:
        client.set_subscribed(getattr(e, "participant", ""), getattr(e, "track_sid", ""), False)

    client.on("participant_connected", greet)
    client.on("track_subscribed", decline)


def dumped(room: Room, **kwargs: Any) -> str:
    out = io.StringIO()
    scenario.dump(room, out, **kwargs)
    return out.getvalue()


def without_handlers(snap: RoomSnapshot) -> RoomSnapshot:
    return attrs.evolve(snap, clients=tuple(attrs.evolve(c, handlers=0) for c in snap.clients))


CONFIGS = st.sampled_from(
    [
        RoomConfig(),
        RoomConfig(quality_interval=0.0, speaker_interval=0.0),
        RoomConfig(max_participants=3, departure_timeout=2.0, join_timeout=3.0),
    ]
)


@given(data=st.data(), config=CONFIGS)
def test_dump_then_replay_gives_an_equal_snapshot(data: st.DataObject, config: RoomConfig) -> None:
    room = Room("prop", config=config)
    history(data, room)
    again = scenario.replay(io.StringIO(dumped(room)))
    assert again.snapshot() == room.snapshot()


@settings(max_examples=30)
@given(data=st.data())
def test_replay_reproduces_the_mutations_handlers_made(data: st.DataObject) -> None:
    room = Room("prop")
    history(data, room, handlers=True)
    text = dumped(room)
    again = scenario.replay(io.StringIO(text))
    assert without_handlers(again.snapshot()) == without_handlers(room.snapshot())
    assert list(again.log) == list(room.log)


@settings(max_examples=30)
@given(data=st.data())
def test_recorded_events_check_against_a_replay(data: st.DataObject) -> None:
    room = Room("prop", config=RoomConfig(quality_interval=0.0))
    history(data, room, handlers=True)
    identities = tuple(dict.fromkeys(c.identity for c in room.snapshot().clients))
    # dump checks that a replay gives each of them the events it received
    text = dumped(room, events_of=identities)
    pb = scenario.check(io.StringIO(text))
    for identity in identities:
        own = [e for c in room.snapshot().clients if c.identity == identity for e in c.events]
        assert [d.event for d in pb.deliveries if d.recipient == identity] == own


def test_a_hidden_participant_and_a_duplicate_session_replay() -> None:
    room = Room("r")
    room.connect("rec", permission=Permission(hidden=True))
    room.connect("a")
    room.connect("a")  # replaces the first session
    text = dumped(room, events_of=("a",))
    pb = scenario.check(io.StringIO(text))
    at_second_connect = [d.event.name for d in pb.deliveries if d.step == 2 and d.recipient == "a"]
    assert "disconnected" in at_second_connect
    assert scenario.replay(io.StringIO(text)).snapshot() == room.snapshot()

"""The built-in scenario behind ``roomsim demo``: a stand-up meeting, one line per event."""

from __future__ import annotations

import json
from collections.abc import Callable

from roomsim._format import format_event
from roomsim.client import Client
from roomsim.events import ALL_EVENTS, Event
from roomsim.model import ConnectionQuality, ParticipantKind, Permission, TrackKind, TrackSource
from roomsim.room import Room
from roomsim.scenario import event_to_json


def event_line(time: float, recipient: str, e: Event) -> str:
    """One event as a JSON line: ``{"time", "to", "event", fields...}``."""
    return json.dumps({"time": time, "to": recipient, **event_to_json(e)}, ensure_ascii=False)


def watch(room: Room, client: Client, emit: Callable[[str], None], as_json: bool = False) -> None:
    """Print every event ``client`` receives, as it is delivered."""
    fmt = event_line if as_json else format_event

    def handler(e: Event) -> None:
        emit(fmt(room.now, client.identity, e))

    for cls in ALL_EVENTS:
        client.on(cls.name, handler)


def run(emit: Callable[[str], None] = print, *, as_json: bool = False) -> Room:
    """The stand-up: people join, talk in attributes and metadata, publish, mute, leave, and
    the room closes once only its agent is left."""
    room = Room("standup")
    host = Permission(can_update_metadata=True)
    alice = room.connect("alice", name="Alice", attributes={"role": "host"}, permission=host)
    watch(room, alice, emit, as_json)
    # an agent: it sees everyone, but neither counts nor keeps the room open
    agent = room.connect("agent", kind=ParticipantKind.AGENT)
    watch(room, agent, emit, as_json)
    room.advance(1.5)
    bob = room.connect("bob", name="Bob", permission=host)
    watch(room, bob, emit, as_json)
    room.advance(1.0)
    alice.set_attributes({"mood": "happy", "role": ""})
    bob.set_metadata('{"status": "ready"}')
    room.update_participant("bob", name="Robert")
    room.update_room_metadata("daily stand-up")
    mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
    cam = alice.publish_track(TrackKind.VIDEO, TrackSource.CAMERA, name="cam")
    # alice talks; bob answers louder; the speaker list follows on the 400 ms ticks
    room.set_audio_levels({"alice": 0.6})
    room.advance(0.5)
    bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
    room.set_audio_levels({"bob": 0.9})
    room.advance(0.5)
    room.set_audio_levels({"bob": 0.0})
    room.set_connection_quality("bob", ConnectionQuality.POOR)
    room.advance(1.0)
    alice.set_track_muted(mic, True)
    # dave's media connection takes 3 s: others see him connect, then become active
    dave = room.connect("dave", name="Dave", active=False)
    watch(room, dave, emit, as_json)
    room.advance(3.0)
    dave.activate()
    # a recorder joins hidden: nobody sees it, it sees everyone
    rec = room.connect("recorder", permission=Permission(hidden=True, recorder=True))
    watch(room, rec, emit, as_json)
    # alice keeps her camera for bob only: a denied subscription for carol
    carol = room.connect("carol", name="Carol")
    watch(room, carol, emit, as_json)
    alice.set_track_subscription_permissions(all_participants=False, allowed={"bob": (cam,)})
    bob.send_data(b"hi all", topic="chat")
    room.update_participant("carol", permission=Permission(can_publish=False))
    # bob's laptop reconnects as a new session: the old one ends
    bob2 = room.connect("bob", name="Bob")
    watch(room, bob2, emit, as_json)
    room.remove_participant("carol")
    room.advance(10.0)
    for who in ("alice", "bob", "dave"):
        room.clients[who].disconnect()
    room.clients["recorder"].disconnect()
    # 20 s after the last person left, the room closes; the agent is told ROOM_CLOSED
    room.advance(30.0)
    return room

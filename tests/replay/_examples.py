"""The rooms behind ``examples/*.jsonl``: each file is the dump of one of these.

``ROOMSIM_REGEN_EXAMPLES=1 pytest tests/replay`` rewrites the files from these builders; review
the diff before committing it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from roomsim import (
    ParticipantKind,
    Permission,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
    scenario,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def standup() -> tuple[Room, tuple[str, ...], str]:
    room = Room("standup")
    member = Permission(can_update_metadata=True)
    alice = room.connect("alice", name="Alice", attributes={"role": "host"}, permission=member)
    bob = room.connect("bob", name="Bob", permission=member)
    room.advance(1.0)
    carol = room.connect("carol", name="Carol", permission=member)
    room.update_room_metadata("daily stand-up")
    mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
    alice.publish_track(TrackKind.VIDEO, TrackSource.CAMERA, name="cam")
    bob_mic = bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
    room.set_audio_levels({"alice": 0.7})
    room.advance(0.4)
    alice.set_track_muted(mic, True)
    room.set_audio_levels({"alice": 0.0, "bob": 0.6})
    bob.set_attributes({"status": "blocked on review"})
    room.advance(0.4)
    carol.send_data("can't stay, async update in #standup", topic="chat")
    carol.disconnect()
    bob.unpublish_track(bob_mic)
    room.set_audio_levels({"bob": 0.0})
    room.advance(0.4)
    alice.disconnect()
    bob.disconnect()
    room.advance(20.0)
    return (
        room,
        ("alice", "bob"),
        "A stand-up: three people join, talk, share a status, and leave; the room closes "
        "after its departure timeout.",
    )


def agent_call() -> tuple[Room, tuple[str, ...], str]:
    room = Room("support-call")
    caller = room.connect("caller", name="Caller", permission=Permission(can_update_metadata=True))
    caller.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
    room.advance(0.5)
    agent = room.connect(
        "agent",
        name="Support agent",
        kind=ParticipantKind.AGENT,
        attributes={"lk.agent.state": "initializing"},
        permission=Permission(agent=True, can_update_metadata=True),
    )
    agent.set_attributes({"lk.agent.state": "listening"})
    agent.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="agent-voice")
    room.set_audio_levels({"caller": 0.6})
    room.advance(1.2)
    room.set_audio_levels({"caller": 0.0})
    agent.set_attributes({"lk.agent.state": "thinking"})
    room.advance(0.4)
    agent.set_attributes({"lk.agent.state": "speaking"})
    room.set_audio_levels({"agent": 0.5})
    agent.send_data(
        "Your ticket is resolved.", topic="lk.transcription", destination_identities=("caller",)
    )
    room.advance(0.8)
    room.set_audio_levels({"agent": 0.0})
    agent.set_attributes({"lk.agent.state": "listening"})
    caller.disconnect()
    room.advance(20.0)
    return (
        room,
        ("caller", "agent"),
        "An agent call: a caller joins, an agent is dispatched, listens, thinks and answers; "
        "the caller hangs up and the room closes (the agent does not keep it open).",
    )


def town_hall() -> tuple[Room, tuple[str, ...], str]:
    room = Room("town-hall", config=RoomConfig(max_participants=100))
    host = room.connect("host", name="Host", permission=Permission(can_update_metadata=True))
    room.update_room_metadata('{"title": "Q3 town hall"}')
    host.publish_track(TrackKind.VIDEO, TrackSource.CAMERA, name="stage-cam")
    host.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="stage-mic")
    audience = Permission(can_publish=False, can_publish_data=True, can_update_metadata=True)
    v1 = room.connect("v1", name="Viewer 1", permission=audience)
    v2 = room.connect("v2", name="Viewer 2", permission=audience)
    room.connect("v3", name="Viewer 3", permission=audience)
    room.connect("recorder", permission=Permission(hidden=True, recorder=True, can_publish=False))
    v1.send_data("when is the next offsite?", topic="questions")
    v2.set_attributes({"hand": "up"})
    room.update_participant(
        "v2", permission=Permission(can_update_metadata=True), attributes={"hand": ""}
    )
    mic = v2.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
    room.mute_published_track("v2", mic, True)
    room.update_participant("v2", permission=audience)
    room.remove_participant("v3")
    room.delete()
    return (
        room,
        ("host", "v1"),
        "A town hall: a host on stage, an audience that may not publish, a hidden recorder; "
        "a viewer raises a hand, is brought on stage, muted and sent back; one is removed; "
        "the room is deleted.",
    )


BUILDERS: dict[str, Callable[[], tuple[Room, tuple[str, ...], str]]] = {
    "standup.jsonl": standup,
    "agent-call.jsonl": agent_call,
    "town-hall.jsonl": town_hall,
}


def render(name: str) -> str:
    """The text of ``examples/<name>``: the dump with a comment line after the header."""
    room, events_of, comment = BUILDERS[name]()
    out = io.StringIO()
    scenario.dump(room, out, events_of=events_of)
    header, rest = out.getvalue().split("\n", 1)
    note = json.dumps({"comment": comment}, ensure_ascii=False)
    return f"{header}\n{note}\n{rest}"

"""The built-in scenario behind ``roomsim demo``: a stand-up meeting, told action by action.

Each action (someone joins, publishes, mutes, time passes …) is printed as a heading with the
virtual time it starts at, then the events each client received because of it: client by client
in the order they joined, each client's events in the order it got them (their own time: an
action that lets time pass delivers speaker and quality updates on the server's ticks)::

    == 2.500  alice publishes her microphone
       2.500  alice    local_track_published                    track_sid='TR_1'
       2.500  bob      track_published                          participant='alice' track_sid='TR_1'

A client's events from its own ``connect()`` (the room as it found it) belong to the action
that connected it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from roomsim._format import clock_time, format_event
from roomsim.client import Client
from roomsim.events import ALL_EVENTS, Event
from roomsim.model import ConnectionQuality, ParticipantKind, Permission, TrackKind, TrackSource
from roomsim.room import Room
from roomsim.scenario import event_to_json

__all__ = ["CLIENTS", "Demo", "event_line", "run"]

#: the identities of the demo's clients, in the order they join
CLIENTS = ("alice", "agent", "bob", "dave", "recorder", "carol")


def event_line(time: float, recipient: str, e: Event, **extra: Any) -> str:
    """One event as a JSON line: ``{"time", "to", "event", fields..., extra...}``."""
    obj = {"time": clock_time(time), "to": recipient, **event_to_json(e), **extra}
    return json.dumps(obj, ensure_ascii=False)


class Demo:
    """Tells a room's story action by action (see the module docstring)."""

    def __init__(
        self,
        room: Room,
        emit: Callable[[str], None],
        *,
        as_json: bool = False,
        only: str | None = None,
    ) -> None:
        self.room = room
        self._emit = emit
        self._as_json = as_json
        self._only = only
        #: each watched identity's events during the current action: (time, event)
        self._got: dict[str, list[tuple[float, Event]]] = {}
        #: what the current action showed that is no event (an RPC's answer, a stream read)
        self._notes: list[tuple[float, str, str]] = []
        self._steps = 0

    def watch(self, client: Client) -> Client:
        """Record every event ``client`` receives, from those of its own connect on."""
        got = self._got.setdefault(client.identity, [])
        now = self.room.now
        got.extend((now, e) for e in client.events)  # what connect() delivered
        identity = client.identity

        def handler(e: Event) -> None:
            self._got[identity].append((self.room.now, e))

        for cls in ALL_EVENTS:
            client.on(cls.name, handler)
        return client

    @contextmanager
    def act(self, label: str) -> Iterator[None]:
        """One action: the block's events are printed under ``label`` when it ends."""
        for got in self._got.values():
            got.clear()
        self._notes.clear()
        start = self.room.now
        yield
        self._steps += 1
        if not self._as_json:
            self._emit(f"== {clock_time(start):.3f}  {label}")
        printed = 0
        for identity, got in self._got.items():
            if self._only is not None and identity != self._only:
                continue
            for t, e in got:
                printed += 1
                if self._as_json:
                    self._emit(event_line(t, identity, e, step=self._steps, action=label))
                else:
                    self._emit(format_event(t, identity, e))
        for t, identity, text in self._notes:
            if not self._as_json and self._only in (None, identity):
                printed += 1
                self._emit(f"{clock_time(t):>8.3f}  {identity:<8} {text}")
        if not printed and not self._as_json:
            self._emit("          (no events)")

    def note(self, identity: str, text: str) -> None:
        """Show, in the current action, something ``identity`` got that is no event (text
        output only)."""
        self._notes.append((self.room.now, identity, text))


def run(
    emit: Callable[[str], None] = print, *, as_json: bool = False, client: str | None = None
) -> Room:
    """The stand-up: people join, talk in attributes and metadata, publish, mute, leave, and
    the room closes once only its agent is left.  ``client``: print only that one's events."""
    room = Room("standup")
    demo = Demo(room, emit, as_json=as_json, only=client)
    act, watch = demo.act, demo.watch
    host = Permission(can_update_metadata=True)
    with act("alice joins, as the host"):
        alice = watch(
            room.connect("alice", name="Alice", attributes={"role": "host"}, permission=host)
        )
    with act("an agent joins: it sees everyone, but neither counts nor keeps the room open"):
        watch(room.connect("agent", kind=ParticipantKind.AGENT))
    with act("1.5 s pass"):
        room.advance(1.5)
    with act("bob joins"):
        bob = watch(room.connect("bob", name="Bob", permission=host))
    with act("1 s passes"):
        room.advance(1.0)
    with act("alice sets her attributes: mood happy, role deleted"):
        alice.set_attributes({"mood": "happy", "role": ""})
    with act("bob sets his metadata"):
        bob.set_metadata('{"status": "ready"}')
    with act("the server renames bob to Robert"):
        room.update_participant("bob", name="Robert")
    with act("the server sets the room's metadata"):
        room.update_room_metadata("daily stand-up")
    with act("alice publishes her microphone"):
        mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
    with act("alice publishes her camera"):
        cam = alice.publish_track(TrackKind.VIDEO, TrackSource.CAMERA, name="cam")
    with act("alice talks (level 0.6); 0.5 s pass: the speaker list follows on a 400 ms tick"):
        room.set_audio_levels({"alice": 0.6})
        room.advance(0.5)
    with act("bob publishes his microphone"):
        bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
    with act("bob answers louder (0.9); 0.5 s pass"):
        room.set_audio_levels({"bob": 0.9})
        room.advance(0.5)
    with act("bob goes quiet"):
        room.set_audio_levels({"bob": 0.0})
    with act("bob's connection turns poor; 1 s passes"):
        room.set_connection_quality("bob", ConnectionQuality.POOR)
        room.advance(1.0)
    with act("alice mutes her microphone"):
        alice.set_track_muted(mic, True)
    with act("dave joins; his media connection is not up yet"):
        dave = watch(room.connect("dave", name="Dave", active=False))
    with act("3 s pass"):
        room.advance(3.0)
    with act("dave's media connection is up: he becomes active"):
        dave.activate()
    with act("a recorder joins hidden: nobody sees it, it sees everyone"):
        watch(room.connect("recorder", permission=Permission(hidden=True, recorder=True)))
    with act("carol joins"):
        watch(room.connect("carol", name="Carol"))
    with act("alice keeps her camera for bob only: carol's subscription is denied"):
        alice.set_track_subscription_permissions(all_participants=False, allowed={"bob": (cam,)})
    with act("bob sends 'hi all' on the chat topic"):
        bob.send_data(b"hi all", topic="chat")
    agent = room.clients["agent"]
    agent.register_rpc_method("summary", lambda invocation: "4 people, 1 camera")
    with act("bob calls the agent's 'summary' method over RPC: no event, a return value"):
        answer = bob.perform_rpc("agent", "summary")
        demo.note("bob", f"perform_rpc('agent', 'summary') -> {answer!r}")
    readers: list[Any] = []
    alice.register_text_stream_handler("lk.transcription", lambda r, who: readers.append(r))
    with act("the agent streams a transcription in two writes; alice's stream handler reads it"):
        with agent.stream_text(topic="lk.transcription") as writer:
            writer.write("Welcome to ")
            writer.write("the stand-up.")
        demo.note("alice", f"text stream {readers[0].info.topic!r}: {readers[0].read_all()!r}")
    with act("the server takes carol's permission to publish"):
        room.update_participant("carol", permission=Permission(can_publish=False))
    with act("bob's laptop reconnects as a new session: the old one ends"):
        watch(room.connect("bob", name="Bob"))
    with act("the server removes carol"):
        room.remove_participant("carol")
    with act("10 s pass"):
        room.advance(10.0)
    for who in ("alice", "bob", "dave", "recorder"):
        with act(f"{who} leaves"):
            room.clients[who].disconnect()
    with act("30 s pass: 20 s after the last person left, the room closes; the agent is told"):
        room.advance(30.0)
    return room

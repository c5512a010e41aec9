"""Scenario files: a room's history as JSON Lines, to dump, replay, edit and check.

One format serves dumps and hand-written scenarios (``docs/reference/scenario-format.md``)::

    {"roomsim": 1, "room": "standup", "config": {}, "events_of": ["bob"]}
    {"mutation": "Connect", "identity": "alice"}
    {"mutation": "Connect", "identity": "bob"}
    {"to": "bob", "event": "connection_state_changed", "state": "CONNECTED"}
    {"mutation": "SetMetadata", "identity": "alice", "metadata": "hi"}

The first line is the header; then one mutation per line, exactly as ``room.log`` holds them
(clock advances and the mutations handlers made included: a replay runs no handlers).  Event
lines are optional: they say what a client named in ``events_of`` received as the result of
the mutation line above them, and :func:`check` (or ``roomsim run``) compares them with a
replay.

Values are converted by the attrs fields and type annotations of each class, so a mutation or
event class added later needs no change here: enums by name, ``Permission`` and other attrs
values as objects (fields at their default left out), mappings as objects, tuples as arrays,
bytes as a string when they are UTF-8 text and as ``{"b64": "..."}`` otherwise.

>>> import io
>>> from roomsim import Permission, Room
>>> from roomsim import scenario
>>> room = Room("standup")
>>> alice = room.connect("alice", permission=Permission(can_update_metadata=True))
>>> alice.set_attributes({"mood": "happy"})
>>> out = io.StringIO()
>>> scenario.dump(room, out)
>>> print(out.getvalue(), end="")
{"roomsim": 1, "room": "standup", "config": {}}
{"mutation": "Connect", "identity": "alice", "permission": {"can_update_metadata": true}}
{"mutation": "SetAttributes", "identity": "alice", "attributes": {"mood": "happy"}}
>>> again = scenario.replay(io.StringIO(out.getvalue()))
>>> again.snapshot() == room.snapshot()
True
"""

from __future__ import annotations

from roomsim._exports import publish as _publish
from roomsim.scenario._codec import (
    VERSION as VERSION,
)
from roomsim.scenario._codec import (
    event_from_json as event_from_json,
)
from roomsim.scenario._codec import (
    event_to_json as event_to_json,
)
from roomsim.scenario._codec import (
    mutation_from_json as mutation_from_json,
)
from roomsim.scenario._codec import (
    mutation_to_json as mutation_to_json,
)
from roomsim.scenario._file import Delivery as Delivery
from roomsim.scenario._file import Scenario as Scenario
from roomsim.scenario._file import load as load
from roomsim.scenario._replay import EventsMismatch as EventsMismatch
from roomsim.scenario._replay import Playback as Playback
from roomsim.scenario._replay import check as check
from roomsim.scenario._replay import dump as dump
from roomsim.scenario._replay import play as play
from roomsim.scenario._replay import replay as replay

__all__ = [
    "VERSION",
    "Scenario",
    "Delivery",
    "Playback",
    "EventsMismatch",
    "dump",
    "load",
    "replay",
    "play",
    "check",
    "mutation_to_json",
    "mutation_from_json",
    "event_to_json",
    "event_from_json",
]

_publish(globals())

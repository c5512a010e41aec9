"""A session as a picture: one lane per participant over virtual time.

>>> from roomsim import Room, TrackKind, TrackSource
>>> from roomsim.timeline import timeline_data
>>> room = Room("call")
>>> alice, bob = room.connect("alice"), room.connect("bob")
>>> mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
>>> room.advance(2.0)
>>> alice.set_track_muted(mic, True)
>>> data = timeline_data(room)
>>> [lane.identity for lane in data.lanes]
['alice', 'bob']
>>> track = data.lanes[0].tracks[0]
>>> track.name, track.published.time, [(a.time, b) for a, b in track.muted]
('mic', 0.0, [(2.0, None)])

:func:`timeline_data` reads the room's history into a :class:`TimelineData` value; :func:`timeline`
draws that value with matplotlib (the ``plot`` extra: ``pip install 'roomsim[plot]'``) and
returns the figure; :func:`save` writes it to an ``.svg``, ``.png`` or ``.pdf`` file.  This
module imports matplotlib only when it draws, so ``import roomsim`` never does.

**Where the facts come from.**  Events carry no timestamps, so :func:`timeline_data` replays
``room.log`` (every mutation, clock advances included) into a fresh room with the same name,
configuration and start time, and gives every client of the replay a handler for every event
that stamps it with the replay's ``room.now``; a timer that fires inside an ``Advance`` (a
speaker update, a departure timeout) is stamped with the time it fired.  A replay of the log
reproduces the room exactly (the log is the room's history; no handler of the original runs
again: the mutations they made are in the log), so the picture is the room's.

Sessions and tracks are read from the server's own record, the replay's ``room.webhooks``
(with ``created_at``): a session starts at the participant's ``joined_at``, is active from its
``participant_joined`` webhook (LiveKit sends it when the participant becomes active) and ends
at ``participant_left`` (or ``participant_connection_aborted``); one still joining at the end is
read from ``room.participants``; a track lasts from ``track_published`` to ``track_unpublished``.
Mutes, speaking, connection quality, attribute, metadata, name and permission changes and data
come from the events the clients received, each fact once however many clients saw it.  A room
made with ``keep_log=False`` has no history to draw."""

from __future__ import annotations

from roomsim._exports import publish as _publish
from roomsim.timeline._data import Arrow as Arrow
from roomsim.timeline._data import Lane as Lane
from roomsim.timeline._data import Mark as Mark
from roomsim.timeline._data import Moment as Moment
from roomsim.timeline._data import Session as Session
from roomsim.timeline._data import TimelineData as TimelineData
from roomsim.timeline._data import Track as Track
from roomsim.timeline._data import timeline_data as timeline_data
from roomsim.timeline._draw import save as save
from roomsim.timeline._draw import timeline as timeline
from roomsim.timeline._draw import write_figure as write_figure

__all__ = [
    "Moment",
    "Arrow",
    "Lane",
    "Mark",
    "Session",
    "TimelineData",
    "Track",
    "save",
    "timeline",
    "write_figure",
    "timeline_data",
]

_publish(globals())

"""The floor: the same state changes in plain dicts, with one observer's handler.

``FloorRoom.apply(mutation)`` does what a minimal, trusting Python loop would do for the
workloads' mutations: no validation, no atomicity, no log, no per-client views, no frozen
values; a dict per participant, a dict of sticky audio levels, and one callback for the one
observer, called with the event's name and arguments where roomsim would deliver an event to
it (joins, tracks, mutes, attribute diffs, speaker changes, leaves).  It is the floor of what
Python can do for these state changes: roomsim's cost divided by it is its overhead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final

from roomsim import mutations as M
from roomsim.model import TrackSource

__all__ = ["FloorRoom"]

#: the speaking threshold (-35 dBov, linear), as the server uses it
_THRESHOLD: Final = 10 ** (-35 / 20)
_TICK: Final = 0.4

FloorHandler = Callable[..., None]


class _P:
    __slots__ = ("attributes", "mic_on", "tracks")

    def __init__(self, attributes: Mapping[str, str]) -> None:
        self.attributes = dict(attributes)
        # sid -> [source, muted]
        self.tracks: dict[str, list[Any]] = {}
        self.mic_on = 0


class FloorRoom:
    """Participants in a dict, one observer (``observer``) and its ``handler``."""

    def __init__(self, observer: str, handler: FloorHandler) -> None:
        self.observer = observer
        self.handler = handler
        self.participants: dict[str, _P] = {}
        self.levels: dict[str, float] = {}
        self.speakers: list[tuple[str, int]] = []
        self.now = 0.0
        self.next_tick = _TICK
        self.next_track = 1
        self._apply: dict[type[M.Mutation], Callable[[Any], None]] = {
            M.Connect: self._connect,
            M.Disconnect: self._disconnect,
            M.SetAttributes: self._set_attributes,
            M.PublishTrack: self._publish,
            M.SetTrackMuted: self._set_muted,
            M.SetAudioLevels: self._set_levels,
            M.Advance: self._advance,
        }

    def apply(self, m: M.Mutation) -> None:
        """Apply one of the workloads' mutations."""
        self._apply[type(m)](m)

    def _observed(self, identity: str) -> bool:
        return identity != self.observer and self.observer in self.participants

    def _connect(self, m: M.Connect) -> None:
        self.participants[m.identity] = _P(m.attributes)
        if self._observed(m.identity):
            self.handler("participant_connected", m.identity)
            self.handler("participant_active", m.identity)

    def _disconnect(self, m: M.Disconnect) -> None:
        p = self.participants.pop(m.identity)
        self.levels.pop(m.identity, None)
        if self._observed(m.identity):
            for sid in p.tracks:
                self.handler("track_unsubscribed", m.identity, sid)
                self.handler("track_unpublished", m.identity, sid)
            self.handler("participant_disconnected", m.identity)

    def _set_attributes(self, m: M.SetAttributes) -> None:
        cur = self.participants[m.identity].attributes
        changed: dict[str, str] = {}
        for k, v in m.attributes.items():
            if v == "":
                if k in cur:
                    del cur[k]
                    changed[k] = ""
            elif cur.get(k) != v:
                cur[k] = v
                changed[k] = v
        if changed and self._observed(m.identity):
            self.handler("participant_attributes_changed", m.identity, changed)

    def _publish(self, m: M.PublishTrack) -> None:
        sid = f"TR_{self.next_track}"
        self.next_track += 1
        p = self.participants[m.identity]
        p.tracks[sid] = [m.source, m.muted]
        if m.source is TrackSource.MICROPHONE and not m.muted:
            p.mic_on += 1
        if self._observed(m.identity):
            self.handler("track_published", m.identity, sid)
            self.handler("track_subscribed", m.identity, sid)

    def _set_muted(self, m: M.SetTrackMuted) -> None:
        p = self.participants[m.identity]
        t = p.tracks[m.track_sid]
        if t[1] == m.muted:
            return
        t[1] = m.muted
        if t[0] is TrackSource.MICROPHONE:
            p.mic_on += -1 if m.muted else 1
        if self._observed(m.identity):
            name = "track_muted" if m.muted else "track_unmuted"
            self.handler(name, m.identity, m.track_sid)

    def _set_levels(self, m: M.SetAudioLevels) -> None:
        levels = self.levels
        for identity, level in m.levels.items():
            if level >= _THRESHOLD:
                levels[identity] = level
            else:
                levels.pop(identity, None)

    def _advance(self, m: M.Advance) -> None:
        self.now += m.dt
        while self.next_tick <= self.now + 1e-9:
            self.next_tick += _TICK
            self._speaker_tick()

    def _speaker_tick(self) -> None:
        participants = self.participants
        live = [
            (-math.ceil(level * 8), identity)
            for identity, level in self.levels.items()
            if participants[identity].mic_on
        ]
        live.sort()
        speakers = [(identity, -q) for q, identity in live]
        if speakers != self.speakers:
            self.speakers = speakers
            if self.observer in participants:
                self.handler("active_speakers_changed", speakers)

    def attributes(self) -> dict[str, dict[str, str]]:
        """identity -> attributes, in join order (to check the floor against a room)."""
        return {k: dict(p.attributes) for k, p in self.participants.items()}

"""The workloads: seeded generators of mutation values that model real rooms.

A workload is a *script*, not a room: ``build()`` returns the mutations that set the room up
(its participants and their tracks), and each ``chunk(steps)`` call returns the next ``steps``
or so mutations of its steady state.  Generators track what they need (who is present, which
track sids exist, who holds which attribute) themselves, so the same values can be applied to a
roomsim ``Room``, to the dict floor and, through a bridged client, to ``livekit.rtc``; none of
the generation cost falls in a timed region.

Every workload connects its observers first (``observer-1`` ...): standard participants that
auto-subscribe and get one handler each in the timed room.  Everyone else connects with
``keep_events=False`` and is never read, as in a soak test of a big room.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar, Final

from roomsim import mutations as M
from roomsim.config import RoomConfig
from roomsim.model import ParticipantKind, Permission, TrackKind, TrackSource

__all__ = [
    "WORKLOADS",
    "AttributeStorm",
    "Churn",
    "SpeakerRotation",
    "TownHall",
    "Workload",
    "observer_ids",
]

#: virtual seconds between two speaker updates (LiveKit's audio worker, server §7)
TICK: Final = 0.4

_CAN_UPDATE: Final = Permission(can_update_metadata=True)
_LISTENER: Final = Permission(can_publish=False, can_update_metadata=True)


def _frozen(d: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(d))


def observer_ids(count: int) -> tuple[str, ...]:
    """The identities of a workload's observing clients, in join order."""
    return tuple(f"observer-{i}" for i in range(1, count + 1))


class Workload:
    """A seeded script for one room of size ``n``; subclasses model one kind of room."""

    #: the name used on the command line and in results
    name: ClassVar[str]
    #: one line for the table and docs
    summary: ClassVar[str]

    def __init__(self, n: int, seed: int, observers: int = 1) -> None:
        if n < 2:
            raise ValueError(f"a {self.name} room needs n >= 2, got {n}")
        if not 1 <= observers < n:
            raise ValueError(f"observers must be in [1, n), got {observers} for n={n}")
        self.n = n
        self.seed = seed
        self.observers = observer_ids(observers)
        # a str seed is hashed with SHA-512 by random.seed: stable across processes
        self.rng = random.Random(f"{seed}:{self.name}:{n}")
        self._next_track = 1
        self._next_id = 0

    def config(self) -> RoomConfig:
        """The room's configuration."""
        return RoomConfig()

    def build(self) -> list[M.Mutation]:
        """The mutations that set the room up (call once)."""
        raise NotImplementedError

    def chunk(self, steps: int) -> list[M.Mutation]:
        """The next ``steps`` mutations (a join with its tracks is never split)."""
        raise NotImplementedError

    # helpers for subclasses ------------------------------------------------------------------

    def _observers(self) -> list[M.Mutation]:
        return [M.Connect(identity=o, keep_events=False) for o in self.observers]

    def _publish(self, identity: str, kind: TrackKind, source: TrackSource) -> M.PublishTrack:
        """A publish; its sid is predicted (roomsim numbers tracks TR_1, TR_2, ... per room)."""
        self._next_track += 1
        return M.PublishTrack(identity=identity, kind=kind, source=source)

    @property
    def last_track(self) -> str:
        """The sid the last ``_publish`` will get."""
        return f"TR_{self._next_track - 1}"

    def _new_id(self, prefix: str) -> str:
        ident = f"{prefix}-{self._next_id}"
        self._next_id += 1
        return ident


def _pick(rng: random.Random, items: list[str]) -> tuple[int, str]:
    i = rng.randrange(len(items))
    return i, items[i]


def _remove_at(items: list[str], i: int) -> None:
    items[i] = items[-1]
    items.pop()


class TownHall(Workload):
    """One speaker with audio and video, ``n`` listeners (observers included).

    Steady state, per mutation: 35% a listener raises or lowers a hand (an attribute), 15% the
    speaker mutes or unmutes the mic, 20% a new audio level for the speaker, 20% 400 ms pass
    (a speaker update), 10% a listener leaves or a new one joins (alternately).
    """

    name = "town_hall"
    summary = "1 speaker (mic + camera), N listeners raising hands, joining, leaving"

    def build(self) -> list[M.Mutation]:
        out: list[M.Mutation] = [M.Connect(identity="speaker", permission=_CAN_UPDATE)]
        out.append(self._publish("speaker", TrackKind.AUDIO, TrackSource.MICROPHONE))
        self.mic = self.last_track
        out.append(self._publish("speaker", TrackKind.VIDEO, TrackSource.CAMERA))
        out += self._observers()
        self.listeners: list[str] = []
        for _ in range(self.n - len(self.observers)):
            ident = self._new_id("listener")
            self.listeners.append(ident)
            out.append(M.Connect(identity=ident, permission=_LISTENER, keep_events=False))
        self.hands: set[str] = set()
        self.muted = False
        self._leave_next = True
        return out

    def chunk(self, steps: int) -> list[M.Mutation]:
        rng = self.rng
        out: list[M.Mutation] = []
        while len(out) < steps:
            r = rng.random()
            if r < 0.35 and self.listeners:
                _, who = _pick(rng, self.listeners)
                up = who not in self.hands
                if up:
                    self.hands.add(who)
                else:
                    self.hands.discard(who)
                out.append(
                    M.SetAttributes(identity=who, attributes=_frozen({"hand": "up" if up else ""}))
                )
            elif r < 0.50:
                self.muted = not self.muted
                mute = M.SetTrackMuted(identity="speaker", track_sid=self.mic, muted=self.muted)
                out.append(mute)
            elif r < 0.70:
                level = round(rng.uniform(0.05, 1.0), 3)
                out.append(M.SetAudioLevels(levels=MappingProxyType({"speaker": level})))
            elif r < 0.90:
                out.append(M.Advance(dt=TICK))
            elif self._leave_next and self.listeners:
                i, who = _pick(rng, self.listeners)
                _remove_at(self.listeners, i)
                self.hands.discard(who)
                out.append(M.Disconnect(identity=who))
                self._leave_next = False
            else:
                ident = self._new_id("listener")
                self.listeners.append(ident)
                out.append(M.Connect(identity=ident, permission=_LISTENER, keep_events=False))
                self._leave_next = True
        return out


_AGENT_KEYS: Final = ("state", "task", "progress", "load")
_STATES: Final = ("idle", "listening", "thinking", "speaking", "tool_call")


class AttributeStorm(Workload):
    """``n`` agents updating their attributes; 20% of updates delete a key.

    Each mutation is one agent's ``set_attributes`` of one or two keys, always a real change
    (so the observer gets one ``participant_attributes_changed`` per mutation).
    """

    name = "attribute_storm"
    summary = "N agents setting attributes (20% deletions), a dashboard observing"

    def build(self) -> list[M.Mutation]:
        out = self._observers()
        self.agents: list[str] = []
        self.attrs: dict[str, dict[str, str]] = {}
        for _ in range(self.n - len(self.observers)):
            ident = self._new_id("agent")
            self.agents.append(ident)
            self.attrs[ident] = {"state": "idle"}
            out.append(
                M.Connect(
                    identity=ident,
                    kind=ParticipantKind.AGENT,
                    permission=_CAN_UPDATE,
                    attributes=_frozen({"state": "idle"}),
                    keep_events=False,
                )
            )
        return out

    def _value(self, key: str) -> str:
        rng = self.rng
        if key == "state":
            return rng.choice(_STATES)
        if key == "task":
            return f"task-{rng.randrange(1000)}"
        return str(rng.randrange(100))

    def chunk(self, steps: int) -> list[M.Mutation]:
        rng = self.rng
        out: list[M.Mutation] = []
        for _ in range(steps):
            _, who = _pick(rng, self.agents)
            cur = self.attrs[who]
            update: dict[str, str] = {}
            if rng.random() < 0.2 and cur:
                key = rng.choice(sorted(cur))
                update[key] = ""
                del cur[key]
            else:
                for key in rng.sample(_AGENT_KEYS, rng.choice((1, 1, 2))):
                    value = self._value(key)
                    while value == cur.get(key):
                        value = self._value(key)
                    update[key] = value
                    cur[key] = value
            out.append(M.SetAttributes(identity=who, attributes=_frozen(update)))
        return out


class SpeakerRotation(Workload):
    """``n`` participants with a mic; the few who speak change, and levels go out every 400 ms.

    Each step is two mutations: the media layer's new levels for the 1-3 current speakers
    (one may stop, one may start), then 400 ms of virtual time (one speaker update).  Levels
    are sticky in roomsim, so only changes are set.  Participants other than the observers
    connect with ``auto_subscribe=False`` (selective subscription, as big rooms do).
    """

    name = "speaker_rotation"
    summary = "N participants with a mic; 1-3 speakers rotating, levels every 400 ms"

    def build(self) -> list[M.Mutation]:
        out = self._observers()
        self.people: list[str] = []
        for _ in range(self.n - len(self.observers)):
            ident = self._new_id("p")
            self.people.append(ident)
            out.append(M.Connect(identity=ident, auto_subscribe=False, keep_events=False))
        # publish after everyone has joined: an activation scans every published track
        for ident in self.people:
            out.append(self._publish(ident, TrackKind.AUDIO, TrackSource.MICROPHONE))
        self.speaking: list[str] = []
        return out

    def chunk(self, steps: int) -> list[M.Mutation]:
        rng = self.rng
        out: list[M.Mutation] = []
        while len(out) < steps:
            levels: dict[str, float] = {}
            if self.speaking and (len(self.speaking) >= 3 or rng.random() < 0.3):
                i, who = _pick(rng, self.speaking)
                _remove_at(self.speaking, i)
                levels[who] = 0.0
            if not self.speaking or (len(self.speaking) < 3 and rng.random() < 0.5):
                who = rng.choice(self.people)
                if who not in self.speaking:
                    self.speaking.append(who)
            for who in self.speaking:
                levels[who] = round(rng.uniform(0.05, 1.0), 3)
            out.append(M.SetAudioLevels(levels=MappingProxyType(levels)))
            out.append(M.Advance(dt=TICK))
        return out


class Churn(Workload):
    """Participants joining (with a mic, 30% also a camera) and leaving under a cap of ``n``.

    The room starts 90% full (everyone connects, then publishes); each step is a join (connect
    + publishes) or a leave of a random participant: always a leave at the cap, always a join at
    80%, otherwise either.
    """

    name = "churn"
    summary = "joins (mic, 30% camera) and leaves under max_participants=N"

    def config(self) -> RoomConfig:
        return RoomConfig(max_participants=self.n)

    def build(self) -> list[M.Mutation]:
        out = self._observers()
        self.present: list[str] = []
        target = max(len(self.observers) + 1, self.n * 9 // 10)
        joins: list[list[M.Mutation]] = []
        while len(self.present) + len(self.observers) < target:
            joins.append(self._join())
        # everyone connects, then publishes: an activation scans every published track, so
        # joining one by one with tracks would make the build quadratic (see docs)
        out += [j[0] for j in joins]
        out += [m for j in joins for m in j[1:]]
        return out

    def _join(self) -> list[M.Mutation]:
        ident = self._new_id("p")
        self.present.append(ident)
        out: list[M.Mutation] = [M.Connect(identity=ident, auto_subscribe=False, keep_events=False)]
        out.append(self._publish(ident, TrackKind.AUDIO, TrackSource.MICROPHONE))
        if self.rng.random() < 0.3:
            out.append(self._publish(ident, TrackKind.VIDEO, TrackSource.CAMERA))
        return out

    def chunk(self, steps: int) -> list[M.Mutation]:
        rng = self.rng
        out: list[M.Mutation] = []
        low = self.n * 8 // 10
        while len(out) < steps:
            count = len(self.present) + len(self.observers)
            leave = count >= self.n or (count > low and rng.random() < 0.5)
            if leave and self.present:
                i, who = _pick(rng, self.present)
                _remove_at(self.present, i)
                out.append(M.Disconnect(identity=who))
            else:
                out += self._join()
        return out


#: every workload by name, in the order the runner measures them
WORKLOADS: Final[Mapping[str, type[Workload]]] = MappingProxyType(
    {w.name: w for w in (TownHall, AttributeStorm, SpeakerRotation, Churn)}
)

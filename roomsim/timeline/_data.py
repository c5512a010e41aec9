"""A session's history as a TimelineData value, read from a replay of the room's log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import attrs

from roomsim import events as E
from roomsim.client import Client
from roomsim.clock import ManualClock
from roomsim.errors import IllegalState, InvalidArgument
from roomsim.model import ParticipantKind, ParticipantSnapshot
from roomsim.mutations import Connect
from roomsim.room import Room

#: lanes drawn one by one; a bigger room shows its busiest participants and one summary lane
MAX_LANES: Final = 50


@attrs.frozen(order=True)
class Moment:
    """When something happened: the virtual time, and the number of the mutation in
    ``room.log`` (0-based) that made it happen (several can share one virtual time)."""

    time: float
    step: int


#: a span of moments; ``end`` ``None``: until the end
Span = tuple[Moment, "Moment | None"]


@attrs.frozen(kw_only=True)
class Session:
    """One connection of an identity: from joining to leaving (``None``: still there)."""

    sid: str
    joined: Moment
    #: when it became active (``None``: never)
    active: Moment | None
    left: Moment | None


@attrs.frozen(kw_only=True)
class Track:
    """A published track: when, and its muted spans."""

    sid: str
    name: str
    kind: str
    source: str
    published: Moment
    unpublished: Moment | None
    muted: tuple[Span, ...]


@attrs.frozen(kw_only=True)
class Mark:
    """A change at one moment: ``kind`` is "attributes", "metadata", "name", "permissions",
    or, for the room's own lane, "room metadata" and "room closed"."""

    at: Moment
    kind: str
    label: str


@attrs.frozen(kw_only=True)
class Arrow:
    """Data sent by ``sender`` (``None``: the server) and received by ``recipients``."""

    at: Moment
    sender: str | None
    recipients: tuple[str, ...]
    label: str


@attrs.frozen(kw_only=True)
class Lane:
    """One participant identity's row."""

    identity: str
    kind: str
    hidden: bool
    sessions: tuple[Session, ...]
    tracks: tuple[Track, ...]
    #: spans when the participant was speaking
    speaking: tuple[Span, ...]
    #: connection quality changes, in order: ``(moment, quality name)``
    quality: tuple[tuple[Moment, str], ...]
    marks: tuple[Mark, ...]

    @property
    def busy(self) -> int:
        """How much happens in this lane (to choose which lanes a big room shows)."""
        muted = sum(len(t.muted) for t in self.tracks)
        count = len(self.marks) + len(self.tracks) + muted + len(self.speaking)
        return count + len(self.quality) + len(self.sessions)


@attrs.frozen(kw_only=True)
class TimelineData:
    """Everything :func:`timeline` draws."""

    room: str
    #: the virtual time before and after each mutation of ``room.log``
    steps: tuple[tuple[float, float], ...]
    #: the lanes drawn, in the order the identities first joined
    lanes: tuple[Lane, ...]
    arrows: tuple[Arrow, ...]
    #: the room's own changes (metadata, closing)
    room_marks: tuple[Mark, ...]
    #: identities left out (a room bigger than ``max_lanes``), summarised in one lane
    others: tuple[str, ...] = ()
    #: how many participants were in the room: ``(moment, count)`` at every change
    population: tuple[tuple[Moment, int], ...] = ()

    @property
    def start(self) -> Moment:
        return Moment(self.steps[0][0] if self.steps else 0.0, 0)

    @property
    def end(self) -> Moment:
        return Moment(self.steps[-1][1], len(self.steps) - 1) if self.steps else self.start


# --------------------------------------------------------------------------------------------
# reading the history


class _Facts:
    """Collects the replay's stamped events into per-identity facts, each fact once."""

    def __init__(self) -> None:
        self.muted: dict[str, list[Span]] = {}  # track sid -> spans
        self.speaking: dict[str, list[Span]] = {}
        self.quality: dict[str, list[tuple[Moment, str]]] = {}
        self.marks: dict[str, list[Mark]] = {}
        self.room_marks: list[Mark] = []
        self.arrows: dict[tuple[Moment, str | None, str, bytes, str], list[str]] = {}
        self._seen: set[tuple[Any, ...]] = set()

    def once(self, key: tuple[Any, ...]) -> bool:
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _toggle(self, spans: list[Span], on: bool, t: Moment) -> None:
        is_on = bool(spans) and spans[-1][1] is None
        if on and not is_on:
            spans.append((t, None))
        elif not on and is_on:
            spans[-1] = (spans[-1][0], t)

    def event(self, t: Moment, recipient: str, e: E.Event) -> None:
        if isinstance(e, E.TrackMuted | E.TrackUnmuted):
            self._toggle(self.muted.setdefault(e.track_sid, []), isinstance(e, E.TrackMuted), t)
        elif isinstance(e, E.IsSpeakingChanged):
            self._toggle(self.speaking.setdefault(e.participant, []), e.speaking, t)
        elif isinstance(e, E.ConnectionQualityChanged):
            q = self.quality.setdefault(e.participant, [])
            if not q or q[-1][1] != e.quality.name:
                q.append((t, e.quality.name))
        elif isinstance(e, E.ParticipantAttributesChanged):
            if self.once((t, "attributes", e.participant)):
                label = ", ".join(f"{k}={v!r}" for k, v in e.changed_attributes.items())
                self._mark(e.participant, t, "attributes", label)
        elif isinstance(e, E.ParticipantMetadataChanged):
            if self.once((t, "metadata", e.participant)):
                self._mark(e.participant, t, "metadata", repr(e.new_metadata))
        elif isinstance(e, E.ParticipantNameChanged):
            if self.once((t, "name", e.participant)):
                self._mark(e.participant, t, "name", repr(e.new_name))
        elif isinstance(e, E.ParticipantPermissionsChanged):
            if self.once((t, "permissions", e.participant)):
                self._mark(e.participant, t, "permissions", "permissions")
        elif isinstance(e, E.RoomMetadataChanged):
            if self.once((t, "room metadata")):
                self.room_marks.append(Mark(at=t, kind="room metadata", label=e.new_metadata))
        elif isinstance(e, E.DataReceived):
            key = (t, e.participant, e.topic or "", bytes(e.data), e.kind.name)
            self.arrows.setdefault(key, []).append(recipient)

    def _mark(self, identity: str, t: Moment, kind: str, label: str) -> None:
        self.marks.setdefault(identity, []).append(Mark(at=t, kind=kind, label=label))


class _Replay:
    """``room.log`` replayed into a fresh room, every event stamped (the module docstring)."""

    def __init__(self, room: Room, facts: _Facts) -> None:
        self.room = Room(room.name, config=room.config, clock=ManualClock(room.created_at))
        self.facts = facts
        self.step = 0
        self.steps: list[tuple[float, float]] = []
        #: the step after which each of the replay's webhooks appeared
        self.webhook_steps: list[int] = [0] * len(self.room.webhooks)
        #: the step after which each session (by sid) first appeared
        self.appeared: dict[str, int] = {}
        self.population: list[tuple[Moment, int]] = [(Moment(self.room.now, 0), 0)]
        self._watched: set[int] = set()
        self._keep: list[Client] = []  # the watched clients stay alive while the replay runs
        for i, m in enumerate(room.log):
            self._apply(i, m)

    def now(self) -> Moment:
        return Moment(self.room.now, self.step)

    def _watch(self, c: Client) -> None:
        if id(c) in self._watched:
            return
        self._watched.add(id(c))
        self._keep.append(c)
        identity = c.identity
        try:
            first: Sequence[E.Event] = c.events  # what its connect() delivered
        except IllegalState:
            first = c.drain()
        for e in first:
            self.facts.event(self.now(), identity, e)

        def handler(e: E.Event) -> None:
            self.facts.event(self.now(), identity, e)

        for cls in E.ALL_EVENTS:
            c.on(cls.name, handler)

    def _apply(self, i: int, m: Any) -> None:
        again = self.room
        self.step = i
        before = again.now
        if isinstance(m, Connect) and m.sdk != "js":
            # the replay watches each client as the JS SDK sees it: only JS reports who
            # starts and stops speaking (is_speaking_changed); the room's own facts are the same
            m = attrs.evolve(m, sdk="js")
        result = again.apply(m)
        self.steps.append((before, again.now))
        if isinstance(result, Client):
            self._watch(result)
        for c in again.clients.values():
            self._watch(c)
        for p in again.participants.values():
            self.appeared.setdefault(p.sid, i)
        self.webhook_steps += [i] * (len(again.webhooks) - len(self.webhook_steps))
        n = len(again.participants)
        if n != self.population[-1][1]:
            self.population.append((self.now(), n))


def timeline_data(room: Room, *, max_lanes: int = MAX_LANES) -> TimelineData:
    """The facts :func:`timeline` draws, read from ``room``'s history (module docstring)."""
    if not room.keep_log:
        raise InvalidArgument(
            "timeline_data(room) replays room.log, and this room was made with keep_log=False"
        )
    if type(max_lanes) is not int or max_lanes < 1:
        raise InvalidArgument(f"max_lanes is a count >= 1, got {max_lanes!r}")
    facts = _Facts()
    replay = _Replay(room, facts)
    again = replay.room
    # what the server recorded: sessions and tracks, with their times
    order: dict[str, None] = {}
    kinds: dict[str, tuple[str, bool]] = {}
    sessions: dict[str, dict[str, Any]] = {}  # sid -> fields
    by_identity: dict[str, list[str]] = {}
    tracks: dict[str, dict[str, Any]] = {}  # track sid -> fields
    tracks_of: dict[str, list[str]] = {}
    closed: Moment | None = None

    def session(who: str, p: ParticipantSnapshot, active: Moment | None) -> None:
        order.setdefault(who)
        kinds.setdefault(who, (p.kind.name, p.permission.hidden))
        if p.sid not in sessions:
            joined = Moment(p.joined_at, replay.appeared.get(p.sid, 0))
            sessions[p.sid] = {"sid": p.sid, "joined": joined, "active": active, "left": None}
            by_identity.setdefault(who, []).append(p.sid)

    for w, step in zip(again.webhooks, replay.webhook_steps, strict=True):
        at = Moment(w.created_at, step)
        who, sid, p = w.participant_identity, w.participant_sid, w.participant
        if w.event == "participant_joined" and who is not None and p is not None:
            # LiveKit sends participant_joined when the participant becomes active
            session(who, p, at)
        elif w.event in ("participant_left", "participant_connection_aborted") and who is not None:
            if p is not None:
                session(who, p, None)
            if sid in sessions:
                sessions[sid]["left"] = at
        elif w.event == "track_published" and w.track is not None and who is not None:
            t = w.track
            tracks[t.sid] = {
                "sid": t.sid,
                "name": t.name,
                "kind": t.kind.name,
                "source": t.source.name,
                "published": at,
                "unpublished": None,
            }
            tracks_of.setdefault(who, []).append(t.sid)
        elif w.event == "track_unpublished" and w.track is not None and w.track.sid in tracks:
            tracks[w.track.sid]["unpublished"] = at
        elif w.event == "room_finished":
            closed = at
    for who, p in again.participants.items():  # still joining at the end: no webhook yet
        session(who, p, None)
    order = dict.fromkeys(sorted(order, key=lambda who: sessions[by_identity[who][0]]["joined"]))
    room_marks = list(facts.room_marks)
    if closed is not None:
        room_marks.append(Mark(at=closed, kind="room closed", label="room closed"))

    def close(spans: Iterable[Span], until: Moment | None) -> tuple[Span, ...]:
        return tuple((a, b if b is not None else until) for a, b in spans)

    lanes: list[Lane] = []
    for who in order:
        kind, hidden = kinds.get(who, (ParticipantKind.STANDARD.name, False))
        ss = tuple(
            Session(**sessions[s])
            for s in sorted(by_identity.get(who, ()), key=lambda s: sessions[s]["joined"])
        )
        gone = ss[-1].left if ss else None
        ts = tuple(
            Track(**tracks[sid], muted=close(facts.muted.get(sid, ()), tracks[sid]["unpublished"]))
            for sid in tracks_of.get(who, ())
        )
        lanes.append(
            Lane(
                identity=who,
                kind=kind,
                hidden=hidden,
                sessions=ss,
                tracks=ts,
                speaking=close(facts.speaking.get(who, ()), gone),
                quality=tuple(facts.quality.get(who, ())),
                marks=tuple(facts.marks.get(who, ())),
            )
        )
    others: tuple[str, ...] = ()
    if len(lanes) > max_lanes:
        keep = max(max_lanes - 1, 1)
        kept = set(sorted(range(len(lanes)), key=lambda i: (-lanes[i].busy, i))[:keep])
        others = tuple(lane.identity for i, lane in enumerate(lanes) if i not in kept)
        lanes = [lane for i, lane in enumerate(lanes) if i in kept]
    shown = {lane.identity for lane in lanes}
    arrows = tuple(
        Arrow(at=key[0], sender=key[1], recipients=tuple(dict.fromkeys(rs)), label=key[2] or "data")
        for key, rs in facts.arrows.items()
        if key[1] in shown or any(r in shown for r in rs)
    )
    return TimelineData(
        room=room.name,
        steps=tuple(replay.steps),
        lanes=tuple(lanes),
        arrows=arrows,
        room_marks=tuple(room_marks),
        others=others,
        population=tuple(replay.population),
    )

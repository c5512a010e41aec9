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
made with ``keep_log=False`` has no history to draw.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from roomsim import events as E
from roomsim.client import Client
from roomsim.clock import ManualClock
from roomsim.errors import IllegalState, InvalidArgument
from roomsim.model import ConnectionQuality, ParticipantKind, ParticipantSnapshot
from roomsim.room import Room

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
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


# --------------------------------------------------------------------------------------------
# drawing

_SESSION = {"STANDARD": "#9ecae1", "AGENT": "#c6b4e0", "HIDDEN": "#d9d9d9"}
_QUALITY: Final[Mapping[str, str]] = {
    ConnectionQuality.EXCELLENT.name: "#2ca02c",
    ConnectionQuality.GOOD.name: "#bcbd22",
    ConnectionQuality.POOR.name: "#ff7f0e",
    ConnectionQuality.LOST.name: "#d62728",
}
_MARKS: Final[Mapping[str, tuple[str, str]]] = {
    "attributes": ("D", "#8c564b"),
    "metadata": ("s", "#e377c2"),
    "name": ("^", "#17becf"),
    "permissions": ("P", "#7f7f7f"),
}
_TRACK = {"AUDIO": "#1f77b4", "VIDEO": "#9467bd"}


_AXES: Final = ("auto", "time", "steps")


def _x_of(data: TimelineData, axis: str) -> Callable[[Moment], float]:
    """Where a moment goes on the x axis: its virtual time, or (``steps``) its mutation's
    column, an ``Advance`` spreading what its timers did over its column."""
    if axis == "time":
        return lambda m: m.time
    steps = data.steps

    def x(m: Moment) -> float:
        if not steps:
            return 0.0
        before, after = steps[min(m.step, len(steps) - 1)]
        frac = (m.time - before) / (after - before) if after > before else 0.5
        return m.step + min(max(frac, 0.0), 1.0)

    return x


def timeline(
    room: Room | TimelineData, *, max_lanes: int = MAX_LANES, axis: str = "auto"
) -> Figure:
    """The room's session as a matplotlib ``Figure``: one lane per participant (needs the
    ``plot`` extra).

    In each lane: the session bar (white while joined but not yet active), speaking spans on it
    (green), the connection quality under it (a coloured strip, labelled where it changes), one
    thin bar per published track above it (blue audio, purple video; hatched while muted), and
    marks for attribute, metadata, name and permission changes.  Data are red arrows from the
    sender's lane to each recipient's.  The top lane is the room's (metadata, closing).  A room
    with more than ``max_lanes`` participants shows its busiest ones and one lane with how many
    were in the room.

    ``axis``: ``"time"`` puts virtual seconds on the x axis; ``"steps"`` gives each mutation of
    ``room.log`` a column (so what happens at one virtual instant is spread out; an ``Advance``
    spreads its timers over its column) and labels the columns with their time; ``"auto"``
    chooses ``"steps"`` when the whole session happens at one virtual instant.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if axis not in _AXES:
        raise InvalidArgument(f"axis is one of {', '.join(_AXES)}, got {axis!r}")
    data = room if isinstance(room, TimelineData) else timeline_data(room, max_lanes=max_lanes)
    if axis == "auto":
        axis = "steps" if data.end.time <= data.start.time else "time"
    x = _x_of(data, axis)
    x0 = x(data.start) if axis == "time" else 0.0
    x1 = x(data.end) if axis == "time" else float(len(data.steps))
    x1 = max(x1, x0 + 1e-9)
    lanes = list(data.lanes)
    rows = len(lanes) + (1 if data.others else 0) + 1  # + the room's lane
    fig = Figure(figsize=(12, 1.8 + 0.55 * rows), layout="constrained")
    ax = fig.add_subplot()
    y_of: dict[str, float] = {}
    labels = [f"room {data.room!r}"]
    ax.axhline(0, color="#bbbbbb", linewidth=0.8, zorder=0)
    for mk in data.room_marks:
        marker = "X" if mk.kind == "room closed" else "*"
        ax.plot(
            [x(mk.at)],
            [0],
            marker=marker,
            color="black",
            markersize=9,
            zorder=4,
            gid=f"room-mark:{mk.kind}",
        )
        ax.annotate(
            _short(mk.label), (x(mk.at), 0), xytext=(4, 6), textcoords="offset points", fontsize=7
        )
    for i, lane in enumerate(lanes, start=1):
        y_of[lane.identity] = float(i)
        tag = " (hidden)" if lane.hidden else (" (agent)" if lane.kind == "AGENT" else "")
        labels.append(lane.identity + tag)
        _draw_lane(ax, lane, float(i), x, x1)
    if data.others:
        y = float(len(lanes) + 1)
        labels.append(f"+{len(data.others)} others (how many in the room)")
        xs = [x(m) for m, _ in data.population] + [x1]
        ns = [n for _, n in data.population]
        top = max(ns) or 1
        for a, b, n in zip(xs, xs[1:], ns, strict=False):
            h = 0.6 * n / top
            ax.fill_between([a, b], y + 0.3 - h, y + 0.3, color="#bdbdbd", linewidth=0)
        ax.annotate(f"max {top}", (x0, y), xytext=(2, 0), textcoords="offset points", fontsize=7)
    for arrow in data.arrows:
        if arrow.sender is not None and arrow.sender not in y_of:
            continue
        y0 = 0.0 if arrow.sender is None else y_of[arrow.sender]  # the server: the room's lane
        ax_x = x(arrow.at)
        for r in arrow.recipients:
            if r in y_of:
                ax.annotate(
                    "",
                    xy=(ax_x, y_of[r]),
                    xytext=(ax_x, y0),
                    arrowprops={"arrowstyle": "->", "color": "#d62728", "linewidth": 1.0},
                    gid=f"data:{arrow.sender or 'server'}->{r}",
                )
        ax.annotate(
            _short(arrow.label),
            (ax_x, y0),
            xytext=(4, -11),
            textcoords="offset points",
            fontsize=7,
            color="#d62728",
        )
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.4, -0.6)
    ax.set_xlim(x0, x1 + (x1 - x0) * 0.02)
    if axis == "time":
        ax.set_xlabel("virtual time (s)")
    else:
        steps = data.steps

        def label(pos: float, _: Any) -> str:
            i = int(pos)
            if not 0 <= i < len(steps):
                return ""
            return f"#{i}\n{steps[i][0]:g} s"

        ax.xaxis.set_major_locator(MaxNLocator(nbins=20, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(label))
        ax.set_xlabel("mutations of room.log, one column each (#number, virtual time)")
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)
    ax.set_title(
        f"room {data.room!r}: {len(lanes) + len(data.others)} participants, "
        f"{len(data.steps)} mutations, {data.start.time:g}-{data.end.time:g} s",
        loc="left",
    )
    handles = [
        Patch(color=_SESSION["STANDARD"], label="in the room (active)"),
        Patch(facecolor="white", edgecolor="#777777", label="joined, not yet active"),
        Patch(color=_SPEAKING, label="speaking"),
        Patch(color=_TRACK["AUDIO"], label="audio track"),
        Patch(color=_TRACK["VIDEO"], label="video track"),
        Patch(facecolor="white", edgecolor="#333333", hatch="////", label="track muted"),
        *(
            Line2D([], [], marker=m, color=c, linestyle="", label=f"{k} changed")
            for k, (m, c) in _MARKS.items()
        ),
        Line2D([], [], color="#d62728", marker=">", label="data sent"),
        *(Patch(color=c, label=f"quality {q.lower()}") for q, c in _QUALITY.items()),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=6, fontsize=8, frameon=False)
    return fig


_SPEAKING: Final = "#31a354"


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _draw_lane(ax: Any, lane: Lane, y: float, x: Callable[[Moment], float], end: float) -> None:
    colour = _SESSION.get("HIDDEN" if lane.hidden else lane.kind, _SESSION["STANDARD"])
    thin = 1e-9

    def at(m: Moment | None, default: float) -> float:
        return x(m) if m is not None else default

    for s in lane.sessions:
        joined, left = x(s.joined), at(s.left, end)
        active = at(s.active, left)
        if active > joined:
            ax.broken_barh(
                [(joined, active - joined)],
                (y - 0.18, 0.3),
                facecolors="white",
                edgecolors="#777777",
                gid=f"joining:{lane.identity}",
            )
        if s.active is not None:
            ax.broken_barh(
                [(active, max(left - active, thin))],
                (y - 0.18, 0.3),
                facecolors=colour,
                gid=f"session:{lane.identity}",
            )
        if s.left is not None:
            ax.plot([left], [y - 0.03], marker="|", color="#333333", markersize=12)
    gone = at(lane.sessions[-1].left if lane.sessions else None, end)
    if lane.speaking:
        spans = [(x(a), max(at(b, gone) - x(a), thin)) for a, b in lane.speaking]
        ax.broken_barh(
            spans, (y - 0.18, 0.3), facecolors=_SPEAKING, gid=f"speaking:{lane.identity}"
        )
    # connection quality: a strip under the session bar, labelled where it changes
    for k, (m, q) in enumerate(lane.quality):
        until = x(lane.quality[k + 1][0]) if k + 1 < len(lane.quality) else gone
        ax.broken_barh(
            [(x(m), max(until - x(m), 0.0))],
            (y + 0.14, 0.06),
            facecolors=_QUALITY[q],
            gid=f"quality:{lane.identity}:{q}",
        )
        if k:
            ax.annotate(
                q.lower(),
                (x(m), y + 0.2),
                xytext=(2, -7),
                textcoords="offset points",
                fontsize=6.5,
                color=_QUALITY[q],
            )
    # tracks: thin bars above the session bar (the first three)
    for k, tr in enumerate(lane.tracks[:3]):
        ty = y - 0.24 - 0.08 * k
        start, until = x(tr.published), at(tr.unpublished, gone)
        colour = _TRACK.get(tr.kind, "#555555")
        ax.broken_barh(
            [(start, max(until - start, thin))],
            (ty - 0.03, 0.06),
            facecolors=colour,
            gid=f"track:{lane.identity}:{tr.sid}",
        )
        for a, b in tr.muted:
            ax.broken_barh(
                [(x(a), max(at(b, until) - x(a), thin))],
                (ty - 0.03, 0.06),
                facecolors="white",
                edgecolors=colour,
                hatch="////",
                linewidth=0.5,
                gid=f"muted:{lane.identity}:{tr.sid}",
            )
    from matplotlib.transforms import offset_copy

    # marks at one moment side by side, 7 points apart, so none hides another
    same: dict[float, int] = {}
    for mk in lane.marks:
        shape, c = _MARKS[mk.kind]
        at_x = x(mk.at)
        k = same[at_x] = same.get(at_x, -1) + 1
        ax.plot(
            [at_x],
            [y - 0.03],
            marker=shape,
            color=c,
            markersize=6,
            linestyle="",
            zorder=5,
            gid=f"mark:{lane.identity}:{mk.kind}",
            transform=offset_copy(ax.transData, fig=ax.figure, x=7 * k, units="points"),
        )


_FORMATS: Final = ("svg", "png", "pdf")


def save(room: Room | TimelineData, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Draw :func:`timeline` and write it to ``path``; the format follows the suffix (.svg,
    .png or .pdf).  ``kwargs`` go to :func:`timeline`."""
    name = os.fspath(path)
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in _FORMATS:
        raise ValueError(f"the file name ends in .svg, .png or .pdf, got {name!r}")
    write_figure(timeline(room, **kwargs), name)


def write_figure(fig: Figure, path: str | os.PathLike[str]) -> None:
    """Save a matplotlib figure reproducibly: no date in SVG or PDF files, and SVG ids that do
    not change from run to run (so a committed picture only changes when the picture does)."""
    import matplotlib

    name = os.fspath(path)
    suffix = name.rsplit(".", 1)[-1].lower()
    metadata: dict[str, Any] = {}
    if suffix == "svg":
        metadata = {"Date": None}
    elif suffix == "pdf":
        metadata = {"CreationDate": None, "ModDate": None}
    with matplotlib.rc_context({"svg.hashsalt": "roomsim"}):
        fig.savefig(name, dpi=120, metadata=metadata)

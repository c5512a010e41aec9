"""``MoveParticipant`` (faults §5): a participant leaves one room and goes on in another.

The rooms on one ``ManualClock`` play one LiveKit deployment: the destination is the open room
of that name on the source's clock (room names are unique on a LiveKit server), and the move
commits in both rooms at the clock's one time.  The applier checks everything in both rooms
first, then commits:

- in the source, the session ends as others see a departure (UNKNOWN_REASON: LiveKit's
  ``MoveToRoom`` closes no participant, so no close reason is set; its ``onClose`` callbacks
  send ``participant_left``);
- in the destination, a new session (a new sid, the same identity and claims) joins ACTIVE
  and publishes the same tracks, under the destination's next track sids (LiveKit keeps them;
  roomsim's sids count per room, faults §10);
- the same client goes on: it stops reading the source's log and reads the destination's from
  a ``Moved`` fact for it alone (``REBIND``, set by the facade).

The mutation is logged in both rooms; the source's log dispatches the destination's facts
after its own (``FactLog.link``).
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from roomsim import _facts as facts
from roomsim import (
    _project_move,  # noqa: F401 (registers the Moved projector)
    mutations,
)
from roomsim._apply.participants import full_for
from roomsim._records import ParticipantRecord, SubChange, TrackRecord
from roomsim._server import Server, Session
from roomsim.errors import IllegalState, InvalidArgument, NotFound, RoomClosed, RoomFull
from roomsim.model import EMPTY_MAP, DisconnectReason, ParticipantState

__all__ = ["REBIND", "apply_move"]


class _Rebind:
    """How the facade hands a client to another room's server (``roomsim._room_move``), and
    checks that the calling thread owns that room (``check``: raises ``IllegalState``)."""

    __slots__ = ("check", "fn")

    def __init__(self) -> None:
        self.fn: Callable[[Session, Server], None] | None = None
        self.check: Callable[[Server], None] | None = None


REBIND = _Rebind()


def _destination(server: Server, name: str) -> Any:
    """The timekeeper of the open room called ``name`` on ``server``'s clock."""
    members = server.clock._members_list()
    if any(tk.facts.dispatching for tk in members) or server.clock._is_advancing():
        raise IllegalState(
            "can't move a participant from inside a handler (of any room on this clock); "
            "move it after the verb returns",
            code="failed_precondition",
        )
    if name == server.name:
        raise InvalidArgument(
            f"move_participant(destination_room={name!r}): destination room cannot be the same "
            "as source room (LiveKit's InvalidArgument); name another room"
        )
    named = [tk for tk in members if tk.server.name == name]
    found = [tk for tk in named if not tk.server.closed]
    if not found:
        if named:
            raise RoomClosed(
                f"can't move to room {name!r}: it is closed; make a new Room({name!r}, "
                "clock=...) on this clock"
            )
        present = sorted({tk.server.name for tk in members if tk.server is not server})
        raise NotFound(
            f"no room named {name!r} on the clock of room {server.name!r} (other rooms there: "
            f"{present}); a move's rooms share one ManualClock (one made on another clock is "
            f"not found): make it with Room({name!r}, clock=room.clock)"
        )
    if len(found) > 1:
        raise InvalidArgument(
            f"{len(found)} open rooms are named {name!r} on this clock; a LiveKit server has "
            "one room per name: close the others, or name them apart"
        )
    if REBIND.check is not None:  # a move changes the destination: its thread must own it
        REBIND.check(found[0].server)
    return found[0]


def apply_move(server: Server, m: mutations.MoveParticipant) -> None:
    rec = server.lookup(m.identity)
    tk = _destination(server, m.destination_room)
    dest: Server = tk.server
    who = f"can't move {rec.identity!r}"
    intr = server.interrupted.get(rec.sid)
    if intr is not None and intr.gave_up:
        raise IllegalState(
            f"{who}: its client gave up reconnecting; the server closes the session 5 s "
            "later (faults §4.1); connect it again",
            code="failed_precondition",
        )
    if intr is not None:
        raise IllegalState(
            f"{who}: its client is reconnecting (since t={intr.started:g} s); LiveKit moves a "
            "connected participant: resume() it first",
            code="failed_precondition",
        )
    if rec.state is not ParticipantState.ACTIVE:
        raise IllegalState(
            f"{who}: it is {rec.state.name}, its media never connected; activate() it first",
            code="failed_precondition",
        )
    client = server.sessions.get(rec.identity)
    if client is None or client.sid != rec.sid:
        raise IllegalState(
            f"{who}: roomsim runs no client for its session {rec.sid} (a fork's session "
            "without one); connect it again",
            code="failed_precondition",
        )
    if full_for(dest, rec.identity, rec.dependent):
        raise RoomFull(
            f"{who} to room {dest.name!r}: it has reached max_participants="
            f"{dest.config.max_participants}; remove someone there, or raise its "
            "RoomConfig.max_participants",
            code="JOIN_FAILURE",
        )
    rebind = REBIND.fn
    assert rebind is not None, "roomsim._room_move sets REBIND"
    # commit: the client folds what it has not read of the source, then leaves it unseen
    client.catch_up(server.log.end)  # type: ignore[attr-defined]
    known = tuple(r for r in server.records.values() if r.sid != rec.sid)
    server.sessions.pop(rec.identity)
    protocol = server.peer.protocols.get(rec.sid, 0)
    methods = set(server.peer.methods.get(rec.sid, ()))
    server.end_session(rec.identity, DisconnectReason.UNKNOWN_REASON)
    me, republished, subs = _arrive(dest, rec, protocol, methods)
    dest.sessions[rec.identity] = client
    client.sid = me.sid
    rebind(client, dest)
    me = dest.records[rec.identity]
    others = tuple(r for r in dest.records.values() if r.sid != me.sid)
    metadata = (server.metadata, dest.metadata)
    now = dest.now()
    dest.append(
        facts.Moved(me, rec.sid, known, others, republished, subs, dest.name, metadata, now)
    )
    tk.record(m)
    server.log.link(dest.log)


def _arrive(
    dest: Server, rec: ParticipantRecord, protocol: int, methods: set[str]
) -> tuple[ParticipantRecord, tuple[tuple[str, str], ...], tuple[SubChange, ...]]:
    """The moved session joins ``dest`` (replacing a session of the same identity), ACTIVE,
    and publishes its tracks under ``dest``'s next sids; with its subscription changes as it
    became ACTIVE."""
    if rec.identity in dest.records:
        dest.end_session(rec.identity, DisconnectReason.DUPLICATE_IDENTITY)
    tracks = [t for t in rec.tracks.values() if not t.closing]
    renamed = {t.sid: f"TR_{dest.next_tr + i}" for i, t in enumerate(tracks)}
    allowed = {
        who: None if sids is None else tuple(renamed[s] for s in sids if s in renamed)
        for who, sids in rec.sub_allowed.items()
    }
    seq, sid = dest.new_session()
    new = rec.new_session(
        seq,
        sid,
        dest.now(),
        sub_all=rec.sub_all,
        sub_allowed=MappingProxyType(allowed) if allowed else EMPTY_MAP,
        quality=rec.quality,
    )
    dest.add_session(new, hold=False)
    dest.peer.protocols[sid] = protocol
    if methods:
        dest.peer.methods[sid] = methods
    start = dest.log.end
    dest.activate(rec.identity)
    subs: tuple[SubChange, ...] = ()
    for f in dest.log.since(start):
        if type(f) is facts.Activated and f.rec.sid == sid:
            subs = f.subs
    for t in tracks:
        moved = TrackRecord(
            sid=renamed[t.sid], name=t.name, kind=t.kind, source=t.source, muted=t.muted
        )
        dest.next_tr += 1
        dest.add_track(dest.records[rec.identity], moved)
    return dest.records[rec.identity], tuple(renamed.items()), subs

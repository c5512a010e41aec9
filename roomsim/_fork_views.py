"""A client's view ⇄ its public value (``ClientView``), with what a reconnecting client holds
(faults §10), so that a fork continues an interruption as the original would.

A reconnecting client's records stay at its cut and the facts it missed wait for the resume.
Facts are private, so the snapshot carries what they *amount to*: the events the resume would
emit for them, and the view after them.  The fork's client holds one ``Replayed`` pseudo-fact
in their place: folded at the resume, it adopts that view and emits those events, then the
facts the fork's client missed itself follow.
"""

from __future__ import annotations

from collections.abc import Mapping

from roomsim import _facts as facts
from roomsim import events as E
from roomsim._fork import record_of, session_of
from roomsim._log import FactLog
from roomsim._project import PROJECTORS, View, _Events, project
from roomsim._records import ParticipantRecord
from roomsim.snapshot import ClientView, ReconnectingView

__all__ = ["Replayed", "known_records", "restore", "value"]

#: what a client knows beyond its identity and its reconnection: what ``Replayed`` adopts
_STATE = (
    "me",
    "subs",
    "denied",
    "paused",
    "stale",
    "owner",
    "ghosts",
    "leaving",
    "owed",
    "pub_count",
    "speakers",
    "quality",
)


def _copy(value: object) -> object:
    return type(value)(value) if isinstance(value, set | dict | list) else value


class Replayed(facts.Fact):
    """What a fork's reconnecting client missed before the fork (never in a log: only in the
    client's held facts): the events its resume emits for them, and its view after them."""

    __slots__ = ("events", "view")

    def __init__(self, events: tuple[E.Event, ...], view: View) -> None:
        self.subject = self.before = self.after = None
        self.time = 0.0
        self.events = events
        self.view = view


def _replayed(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, Replayed)
    for slot in _STATE:
        setattr(v, slot, _copy(getattr(f.view, slot)))
    yield from f.events


PROJECTORS[Replayed] = _replayed


def known_records(
    v: View, log: FactLog, cursor: int, current: dict[str, ParticipantRecord]
) -> dict[str, ParticipantRecord]:
    """The server's records as the client knows them: at its cursor, or at its cut while it
    reconnects."""
    if v.held is not None and v.cut_room is not None:
        return v.cut_room
    return log.records_at(v.at(cursor), current)


def value(
    v: View, gone: bool, log: FactLog, cursor: int, current: dict[str, ParticipantRecord]
) -> ClientView:
    """The public value of a client's view (``Client._snapshot``)."""
    reconnecting = None
    if v.held is not None:
        assert v.cut is not None
        after = object.__new__(View)
        for slot in View.__slots__:
            setattr(after, slot, _copy(getattr(v, slot)))
        after.held = after.cut = None
        # what the resume emits for what it missed (faults §10), taken on a copy
        missed = tuple(e for f in v.held for e in project(after, f))
        room = known_records(v, log, cursor, current).values()
        reconnecting = ReconnectingView(
            cut=v.cut,
            room=tuple(session_of(r) for r in room),
            missed=missed,
            after=_plain(after, gone),
        )
    return _plain(v, gone, reconnecting)


def _plain(v: View, gone: bool, reconnecting: ReconnectingView | None = None) -> ClientView:
    return ClientView(
        me=session_of(v.me),
        ended=v.ended,
        gone=gone,
        subscribed=tuple(sorted(v.subs)),
        denied=tuple(sorted(v.denied)),
        paused=tuple(sorted(v.paused)),
        publisher_counts=tuple(v.pub_count.items()),
        speakers=tuple(v.speakers.items()),
        qualities=tuple(v.quality.items()),
        stale=tuple(sorted(v.stale)),
        ghosts=tuple(v.ghosts.values()),
        reconnecting=reconnecting,
    )


def _fill(v: View, cv: ClientView, records: Mapping[str, ParticipantRecord]) -> None:
    v.ended = cv.ended
    v.subs, v.denied, v.paused = set(cv.subscribed), set(cv.denied), set(cv.paused)
    v.pub_count, v.speakers = dict(cv.publisher_counts), dict(cv.speakers)
    v.quality = dict(cv.qualities)
    v.stale, v.ghosts = set(cv.stale), {g.sid: g for g in cv.ghosts}
    owners = ((t, r.identity) for r in records.values() for t in r.tracks)
    v.owner = {t: who for t, who in owners if t in v.subs or t in v.stale}


def restore(v: View, cv: ClientView, current: Mapping[str, ParticipantRecord], at: int) -> None:
    """Put a restored client's view (``Client._restore``) in the state ``cv`` describes; a
    reconnecting one holds what it missed as one ``Replayed``, its records at the cut, and
    its state frozen at ``at`` (the fork log's start)."""
    r = cv.reconnecting
    if r is None:
        _fill(v, cv, current)
        return
    room = {s.participant.identity: record_of(s) for s in r.room}
    _fill(v, cv, room)
    after = View(record_of(r.after.me), v.profile)
    _fill(after, r.after, current)
    v.cut, v.cut_room, v.frozen = r.cut, room, at
    v.held = [Replayed(r.missed, after)]

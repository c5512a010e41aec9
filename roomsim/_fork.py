"""Snapshot ⇄ room: the server's state as a ``RoomSnapshot``, and back (a fork).

Records become public values (``SessionSnapshot``) and back; nothing private crosses.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any

from roomsim._faults import Interruption
from roomsim._log import FactLog
from roomsim._records import SPEAKING_THRESHOLD, ParticipantRecord, TrackRecord
from roomsim._server import Server, TimerKind
from roomsim._time import Timekeeper
from roomsim.snapshot import (
    ClientSnapshot,
    InterruptionSnapshot,
    RoomSnapshot,
    SessionSnapshot,
    TimerSnapshot,
)

__all__ = ["record_of", "restore", "session_of", "take"]


def session_of(rec: ParticipantRecord) -> SessionSnapshot:
    """The public value of a server record."""
    return SessionSnapshot(
        participant=rec.snapshot(),
        order=rec.seq,
        auto_subscribe=rec.auto_subscribe,
        subscription_wishes=rec.sub_overrides,
        allow_all=rec.sub_all,
        allowed=rec.sub_allowed,
        first_subscribed=tuple(t.sid for t in rec.tracks.values() if t.ever_subscribed),
    )


def record_of(s: SessionSnapshot) -> ParticipantRecord:
    """The server record a ``SessionSnapshot`` describes."""
    p = s.participant
    told = set(s.first_subscribed)
    tracks = {
        sid: TrackRecord(
            sid=pub.sid,
            name=pub.name,
            kind=pub.kind,
            source=pub.source,
            muted=pub.muted,
            ever_subscribed=sid in told,
        )
        for sid, pub in p.track_publications.items()
    }
    return ParticipantRecord(
        seq=s.order,
        sid=p.sid,
        identity=p.identity,
        name=p.name,
        metadata=p.metadata,
        attributes=p.attributes,
        kind=p.kind,
        kind_details=p.kind_details,
        permission=p.permission,
        state=p.state,
        joined_at=p.joined_at,
        disconnect_reason=p.disconnect_reason,
        tracks=MappingProxyType(tracks),
        auto_subscribe=s.auto_subscribe,
        sub_overrides=s.subscription_wishes,
        sub_all=s.allow_all,
        sub_allowed=s.allowed,
        quality=p.connection_quality,
        audio_level=p.audio_level,
        is_speaking=p.is_speaking,
    )


def take(server: Server, tk: Timekeeper, clients: Sequence[ClientSnapshot]) -> RoomSnapshot:
    """The room's state as one value."""
    return RoomSnapshot(
        name=server.name,
        sid=server.sid,
        config=server.config,
        time=server.now(),
        closed=server.closed,
        metadata=server.metadata,
        keep_log=tk.keep_log,
        participants=tuple(session_of(r) for r in server.records.values()),
        departed=tuple(server.departed),
        log=tuple(tk.mutations),
        clients=tuple(clients),
        webhooks=tuple(server.webhooks),
        audio_levels=tuple(server.levels.items()),
        timers=tuple(
            TimerSnapshot(due=due, order=order, kind=kind.value, argument=arg)
            for due, order, kind, arg in sorted(server.timers)
        ),
        sessions_joined=server.seq,
        next_participant_number=server.next_pa,
        next_track_number=server.next_tr,
        next_webhook_number=server.next_ev,
        timers_scheduled=server.timer_seq,
        created_at=server.created_at,
        ever_joined=server.ever_joined,
        last_left=server.last_left,
        close_due=server.close_due,
        speakers_due=server.speakers_due,
        quality_due=server.quality_due,
        quality_sent=server.qualities.sent(),
        **server.peer.snapshot_fields(),
        interruptions=tuple(_interruption_of(i) for i in server.interrupted.values()),
    )


def _interruption_of(intr: Interruption) -> InterruptionSnapshot:
    return InterruptionSnapshot(
        sid=intr.sid,
        identity=intr.identity,
        sdk=intr.sdk,
        kind=intr.kind,
        started=intr.started,
        session=session_of(intr.rec),
        known=tuple(session_of(r) for r in intr.known),
        outbox=tuple(intr.outbox),
        gave_up=intr.gave_up,
        protocol=intr.protocol,
    )


def _interruption(s: InterruptionSnapshot) -> Interruption:
    intr = Interruption(record_of(s.session), s.kind, s.started, s.sdk)
    intr.known = tuple(record_of(k) for k in s.known)
    intr.outbox = list(s.outbox)
    intr.gave_up = s.gave_up
    intr.protocol = s.protocol
    return intr


def restore_clients(
    server: Server,
    log: FactLog,
    snap: RoomSnapshot,
    restore_client: Callable[[ClientSnapshot], Any],
) -> None:
    """Restore the snapshot's clients (``Client._restore``): readers of the log, and the
    current sessions of the server."""
    readers = []
    for cs in snap.clients:
        client = restore_client(cs)
        readers.append(client)
        if not cs.view.gone:
            server.sessions[cs.identity] = client
    log.restore_readers(readers)
    for intr in server.interrupted.values():
        intr.client = next((c for c in readers if c.sid == intr.sid), None)


def restore(server: Server, tk: Timekeeper, snap: RoomSnapshot) -> None:
    """Put a new room's server and timekeeper in the state ``snap`` describes."""
    server.sid = snap.sid
    server.metadata = snap.metadata
    server.closed = snap.closed
    records = [record_of(s) for s in snap.participants]
    server.records = {r.identity: r for r in records}
    server.counted = sum(1 for r in records if not r.dependent)
    server.speaking = {r.identity: r.seq for r in records if r.is_speaking}
    server.publishers.clear()
    server.track_owner.clear()
    for rec in records:
        if rec.tracks:
            server.publishers[rec.seq] = rec.identity
        for sid in rec.tracks:
            server.track_owner[sid] = rec.identity
    server.departed.clear()
    server.departed.extend(snap.departed)
    tk.mutations = list(snap.log)
    server.seq = snap.sessions_joined
    server.next_pa = snap.next_participant_number
    server.next_tr = snap.next_track_number
    server.next_ev = snap.next_webhook_number
    server.timer_seq = snap.timers_scheduled
    server.webhooks.clear()  # the fork's own room_started
    server.webhooks.extend(snap.webhooks)
    server.levels = dict(snap.audio_levels)
    server.loud = {i: lv for i, lv in snap.audio_levels if lv >= SPEAKING_THRESHOLD}
    server.timers = [(t.due, t.order, TimerKind(t.kind), t.argument) for t in snap.timers]
    heapq.heapify(server.timers)
    server.created_at = snap.created_at
    server.ever_joined = snap.ever_joined
    server.last_left = snap.last_left
    server.close_due = snap.close_due
    server.speakers_due = snap.speakers_due
    server.quality_due = snap.quality_due
    server.qualities.restore(server.active_qualities(), snap.quality_sent)
    server.peer.restore(snap)
    server.interrupted = {s.sid: _interruption(s) for s in snap.interruptions}

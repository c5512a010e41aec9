"""``Room``: the server's truth, ``apply()``, and delivery of facts to clients.

A mutation is validated completely, then committed: the commit replaces participant records
and appends facts to the room's fact log; nothing a commit does can raise.  Clients fold the
facts into events when they are read; clients with handlers are folded during dispatch, which
runs after the outermost commit (DESIGN §1).
"""

from __future__ import annotations

import bisect
import heapq
import logging
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, final

from sortedcontainers import SortedDict

from roomsim import _state as S
from roomsim import _validate as V
from roomsim import mutations as M
from roomsim.clock import MAX_TIME, ManualClock
from roomsim.config import RoomConfig
from roomsim.errors import (
    HandlerError,
    HandlerFailure,
    IllegalState,
    InvalidArgument,
    InvalidType,
    LimitExceeded,
    PermissionDenied,
    RoomClosed,
    RoomFull,
    UnknownParticipant,
    UnknownTrack,
)
from roomsim.model import (
    EMPTY_MAP,
    ConnectionQuality,
    DataPacketKind,
    DisconnectReason,
    KindDetail,
    ParticipantKind,
    ParticipantSnapshot,
    ParticipantState,
    Permission,
    PublicationSnapshot,
    StreamState,
    TrackKind,
    TrackSource,
)
from roomsim.snapshot import RoomSnapshot
from roomsim.webhooks import Webhook

if TYPE_CHECKING:
    from roomsim.client import Client

__all__ = ["Room"]

log = logging.getLogger("roomsim")

_CLIENT = "LIMIT_EXCEEDED"
_SERVER = "invalid_argument"
# facts kept before a trim is considered; a trim drops what every client has read
_TRIM_AT = 4096
# virtual times closer than this are the same time (float sums such as 2.0 + 0.4 vs 6 * 0.4)
_TIME_EPSILON = 1e-9


def server_snapshot(rec: S.PRecord, state: ParticipantState | None = None) -> ParticipantSnapshot:
    """The server's view of a participant record."""
    return ParticipantSnapshot(
        sid=rec.sid,
        identity=rec.identity,
        name=rec.name,
        metadata=rec.metadata,
        attributes=rec.attributes,
        kind=rec.kind,
        kind_details=rec.kind_details,
        state=state if state is not None else rec.state,
        permission=rec.permission,
        joined_at=rec.joined_at,
        disconnect_reason=rec.disconnect_reason,
        track_publications=MappingProxyType({t.sid: t.snapshot() for t in rec.tracks.values()}),
        connection_quality=rec.quality,
        is_speaking=rec.is_speaking,
        audio_level=rec.audio_level,
    )


class _SnapshotMap(Mapping[str, ParticipantSnapshot]):
    """A read-only identity -> snapshot mapping built on access, in join order."""

    __slots__ = ("_convert", "_records")

    def __init__(
        self,
        records: Mapping[str, S.PRecord],
        convert: Callable[[S.PRecord], ParticipantSnapshot],
    ) -> None:
        self._records = records
        self._convert = convert

    def __getitem__(self, identity: str) -> ParticipantSnapshot:
        return self._convert(self._records[identity])

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, identity: object) -> bool:
        return identity in self._records

    def __repr__(self) -> str:
        return f"{{{', '.join(f'{k!r}: ...' for k in self._records)}}}"


@final
class Room:
    """One LiveKit room: the server's truth, and the clients connected to it.

    >>> from roomsim import Room
    >>> room = Room("standup")
    >>> alice = room.connect("alice")
    >>> bob = room.connect("bob")
    >>> [e.name for e in alice.drain()]
    ['participant_connected', 'participant_active']
    """

    def __init__(
        self,
        name: str = "room",
        *,
        config: RoomConfig | None = None,
        clock: ManualClock | None = None,
        keep_log: bool = True,
    ) -> None:
        V.check_str(name, "Room(name=...)")
        if not name:
            raise InvalidArgument("Room(name=...) must be a non-empty str")
        if config is None:
            config = RoomConfig()
        elif not isinstance(config, RoomConfig):
            raise InvalidType(
                f"Room(config=...) must be a RoomConfig, got {config!r} "
                f"(type {type(config).__name__})"
            )
        if V.nbytes(name) > 256:
            raise LimitExceeded(
                f"the room name is {V.nbytes(name)} bytes (UTF-8), over LiveKit's fixed limit "
                "of 256 (max_room_name_length); shorten it",
                code="invalid_argument",
            )
        if clock is None:
            clock = ManualClock()
        elif not isinstance(clock, ManualClock):
            raise InvalidType(
                f"Room(clock=...) must be a ManualClock, got {clock!r} "
                f"(type {type(clock).__name__})"
            )
        V.check_bool(keep_log, "Room(keep_log=...)")
        self._name = name
        self._config = config
        self._clock = clock
        self._keep_log = keep_log
        self._log: list[M.Mutation] = []
        self._closed = False
        self._metadata = ""
        self._sid = "RM_1"
        # the server's truth: current sessions in join order
        self._records: dict[str, S.PRecord] = {}
        # how many current sessions count (not agents or egress): limits and room closing
        self._counted = 0
        # who speaks now (identity -> join order), and the levels loud enough to speak
        self._speaking: dict[str, int] = {}
        self._loud: dict[str, float] = {}
        # participants with at least one track, by join order: seq -> identity
        self._publishers: SortedDict = SortedDict()
        self._track_owner: dict[str, str] = {}
        self._departed: list[ParticipantSnapshot] = []
        self._seq = 0
        self._next_pa = 1
        self._next_tr = 1
        # clients: the current session of each identity, and every client ever made
        self._clients: dict[str, Client] = {}
        self._all_clients: list[Client] = []
        self._eager: list[Client] = []
        # the fact log; a fact's absolute position is its index plus _base
        self._facts: list[S.Fact] = []
        self._base = 0
        self._trim_at = _TRIM_AT
        self._dispatch_pos = 0
        self._dispatching = False
        self._depth = 0
        self._failures: list[HandlerFailure] = []
        # virtual time: timers (due, order, kind, arg) in a heap; the room's place on its clock
        self._timers: list[tuple[float, int, str, Any]] = []
        self._timer_seq = 0
        self._created_at = clock.now
        self._order = len(clock._rooms)
        clock._rooms.append(self)
        self._ever_joined = False
        self._last_left: float | None = None
        self._close_due: float | None = None
        self._webhooks: list[Webhook] = []
        self._next_ev = 1
        # while an advance runs: the time up to which it has been written to the log, and
        # whether a timer of this room ran since
        self._adv_mark: float | None = None
        self._adv_timer_ran = False
        self._adv_wrote = False
        # the media layer: raw audio levels (sticky), and when the next updates fall due
        self._levels: dict[str, float] = {}
        self._speakers_due: float | None = None
        self._quality_due: float | None = None
        # the qualities of the last quality update: identity -> quality
        self._quality_sent: dict[str, ConnectionQuality] = {}
        self._appliers: dict[type[M.Mutation], Callable[[Any], Any]] = {
            M.Connect: self._apply_connect,
            M.Activate: self._apply_activate,
            M.Disconnect: self._apply_disconnect,
            M.SetName: self._apply_set_name,
            M.SetMetadata: self._apply_set_metadata,
            M.SetAttributes: self._apply_set_attributes,
            M.UpdateParticipant: self._apply_update_participant,
            M.RemoveParticipant: self._apply_remove_participant,
            M.UpdateRoomMetadata: self._apply_update_room_metadata,
            M.PublishTrack: self._apply_publish,
            M.UnpublishTrack: self._apply_unpublish,
            M.SetTrackMuted: self._apply_set_track_muted,
            M.MutePublishedTrack: self._apply_mute_published_track,
            M.SetSubscribed: self._apply_set_subscribed,
            M.UpdateSubscriptions: self._apply_update_subscriptions,
            M.SetTrackSubscriptionPermissions: self._apply_sub_permissions,
            M.SendData: self._apply_send_data,
            M.SetStreamState: self._apply_set_stream_state,
            M.Advance: self._apply_advance,
            M.SetAudioLevels: self._apply_set_audio_levels,
            M.SetConnectionQuality: self._apply_set_connection_quality,
            M.DeleteRoom: self._apply_delete,
        }
        self._webhook("room_started")
        self._schedule_close_check(self._created_at + config.empty_timeout)

    # ----------------------------------------------------------------------------------------
    # reads

    @property
    def name(self) -> str:
        return self._name

    @property
    def sid(self) -> str:
        return self._sid

    @property
    def config(self) -> RoomConfig:
        return self._config

    @property
    def clock(self) -> ManualClock:
        return self._clock

    @property
    def now(self) -> float:
        """The room's virtual time in seconds."""
        return self._clock.now

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def keep_log(self) -> bool:
        """Whether the room keeps its mutation log (``Room(keep_log=False)`` for soaks)."""
        return self._keep_log

    @property
    def created_at(self) -> float:
        """The virtual time the room was created at."""
        return self._created_at

    @property
    def metadata(self) -> str:
        return self._metadata

    @property
    def participants(self) -> Mapping[str, ParticipantSnapshot]:
        """identity -> snapshot of every current session (the server's truth), in join order."""
        return _SnapshotMap(self._records, server_snapshot)

    @property
    def departed(self) -> Sequence[ParticipantSnapshot]:
        """Final snapshots of the sessions that left, in leave order."""
        return _ReadOnlySeq(self._departed)

    @property
    def clients(self) -> Mapping[str, Client]:
        """identity -> the current ``Client`` of each session."""
        return MappingProxyType(self._clients)

    @property
    def webhooks(self) -> Sequence[Webhook]:
        """The webhook events the room sent, in order (spec server §10)."""
        return _ReadOnlySeq(self._webhooks)

    @property
    def log(self) -> Sequence[M.Mutation]:
        """Every mutation applied, in order (nested ones included); empty with keep_log=False."""
        return _ReadOnlySeq(self._log)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Room {self._name!r} {state}, {len(self._records)} participant(s)>"

    # ----------------------------------------------------------------------------------------
    # verbs (each builds a mutation and applies it)

    def connect(
        self,
        identity: str,
        *,
        name: str = "",
        metadata: str = "",
        attributes: Mapping[str, str] | None = None,
        kind: ParticipantKind = ParticipantKind.STANDARD,
        kind_details: Sequence[KindDetail] = (),
        permission: Permission | None = None,
        active: bool = True,
        auto_subscribe: bool | None = None,
        keep_events: bool = True,
    ) -> Client:
        """A participant joins with these token claims and gets its ``Client``.

        A refused join (room full, closed room, bad identity) raises and changes nothing.
        An identity already in the room replaces that session (DUPLICATE_IDENTITY).
        """
        if isinstance(kind_details, list | tuple):
            kind_details = tuple(kind_details)
        client: Client = self.apply(
            M.Connect(
                identity=identity,
                name=name,
                metadata=metadata,
                attributes=_freeze_map(attributes) if attributes is not None else EMPTY_MAP,
                kind=kind,
                kind_details=kind_details,  # type: ignore[arg-type]
                permission=permission if permission is not None else Permission(),
                active=active,
                auto_subscribe=auto_subscribe,
                keep_events=keep_events,
            )
        )
        return client

    def update_participant(
        self,
        identity: str,
        *,
        name: str | None = None,
        metadata: str | None = None,
        attributes: Mapping[str, str] | None = None,
        permission: Permission | None = None,
    ) -> ParticipantSnapshot:
        """Server API ``UpdateParticipant``: no grant needed; returns the updated snapshot."""
        self.apply(
            M.UpdateParticipant(
                identity=identity,
                name=name,
                metadata=metadata,
                attributes=_freeze_map(attributes) if attributes is not None else None,
                permission=permission,
            )
        )
        return server_snapshot(self._records[identity])

    def remove_participant(self, identity: str) -> None:
        """Server API ``RemoveParticipant``: the session ends with PARTICIPANT_REMOVED."""
        self.apply(M.RemoveParticipant(identity=identity))

    def update_room_metadata(self, metadata: str) -> None:
        """Server API ``UpdateRoomMetadata``."""
        self.apply(M.UpdateRoomMetadata(metadata=metadata))

    def mute_published_track(
        self, identity: str, track_sid: str, muted: bool
    ) -> PublicationSnapshot | None:
        """Server API ``MutePublishedTrack``; None (and no change) if the track is unknown."""
        result: PublicationSnapshot | None = self.apply(
            M.MutePublishedTrack(identity=identity, track_sid=track_sid, muted=muted)
        )
        return result

    def update_subscriptions(
        self, identity: str, *, track_sids: Sequence[str], subscribe: bool
    ) -> None:
        """Server API ``UpdateSubscriptions``: set what ``identity`` wants of these tracks."""
        if isinstance(track_sids, list):
            track_sids = tuple(track_sids)
        self.apply(
            M.UpdateSubscriptions(
                identity=identity,
                track_sids=track_sids,  # type: ignore[arg-type]
                subscribe=subscribe,
            )
        )

    def send_data(
        self,
        data: bytes | str,
        *,
        topic: str | None = None,
        reliable: bool = True,
        destination_identities: Sequence[str] = (),
    ) -> None:
        """Server API ``SendData``: receivers see ``participant=None``."""
        self.apply(M.send_data_mutation(None, data, topic, reliable, destination_identities))

    def dump(
        self, path: str | os.PathLike[str] | IO[str], *, events_of: Iterable[str] = ()
    ) -> None:
        """Write the room's log as a scenario file (JSON Lines; ``roomsim.scenario``), with the
        events of the clients named in ``events_of``; replay it with ``Room.replay``."""
        from roomsim import scenario

        scenario.dump(self, path, events_of=events_of)

    @classmethod
    def replay(cls, path: str | os.PathLike[str] | IO[str]) -> Room:
        """The room a scenario file describes, its clients in ``room.clients``; no handlers
        run (the mutations handlers made are in the file)."""
        from roomsim import scenario

        return scenario.replay(path)

    def advance(self, dt: float) -> None:
        """Let ``dt`` virtual seconds pass: every timer that falls due runs, in time order.

        Rooms sharing this room's clock advance too, their timers interleaved by (time, room
        creation).  Works on a closed room (time passes; nothing else happens).
        """
        self.apply(M.Advance(dt=dt))

    def set_audio_levels(self, levels: Mapping[str, float]) -> None:
        """The media layer's audio levels, linear in [0, 1] as the server's level is; sticky
        until changed.  Speaker updates go out on the next 400 ms tick (spec server §7)."""
        self.apply(M.SetAudioLevels(levels=_freeze_map(levels)))

    def set_connection_quality(self, identity: str, quality: ConnectionQuality) -> None:
        """The network's view of a participant's connection; clients hear of it on the next
        quality update (``RoomConfig.quality_interval``, 5 s; 0 = at once; spec server §8)."""
        self.apply(M.SetConnectionQuality(identity=identity, quality=quality))

    def delete(self) -> None:
        """Server API ``DeleteRoom``: everyone leaves with ROOM_DELETED and the room closes."""
        self.apply(M.DeleteRoom())

    def set_stream_state(self, identity: str, track_sid: str, state: StreamState) -> None:
        """The network pauses or resumes a video track ``identity`` is subscribed to."""
        self.apply(M.SetStreamState(identity=identity, track_sid=track_sid, state=state))

    # ----------------------------------------------------------------------------------------
    # apply

    def apply(self, mutation: M.Mutation) -> Any:
        """Validate ``mutation`` completely, commit it, then deliver to clients with handlers.

        A mutation that raises (any error but ``HandlerError``) leaves the room, its log and
        every client exactly as they were.  Returns the mutation's result (``Client`` for
        ``Connect``, the track sid for ``PublishTrack``, ...).
        """
        applier = self._appliers.get(type(mutation))
        if applier is None:
            raise InvalidType(
                f"Room.apply() takes a roomsim mutation (roomsim.mutations), got {mutation!r} "
                f"(type {type(mutation).__name__})"
            )
        if self._closed and type(mutation) is not M.Advance:
            raise RoomClosed(
                f"can't apply {type(mutation).__name__} to room {self._name!r}: the room is "
                "closed; make a new Room (LiveKit creates a new room on the next join)"
            )
        self._depth += 1
        try:
            result = applier(mutation)
        finally:
            self._depth -= 1
        if self._keep_log and type(mutation) is not M.Advance:
            if self._adv_mark is not None:
                self._log_advance_piece()
            self._log.append(mutation)
        if self._depth == 0 and not self._dispatching:
            # the outermost verb delivers and reports; a verb a handler calls only commits
            self._dispatch()
            self._raise_failures()
            if len(self._facts) >= self._trim_at:
                self._maybe_trim()
        return result

    # ----------------------------------------------------------------------------------------
    # delivery

    def _append(self, fact: S.Fact) -> None:
        self._facts.append(fact)

    @property
    def _end(self) -> int:
        return self._base + len(self._facts)

    def _fact(self, pos: int) -> S.Fact:
        return self._facts[pos - self._base]

    def _facts_from(self, pos: int) -> list[S.Fact]:
        return self._facts[pos - self._base :]

    def _make_eager(self, client: Client) -> None:
        """``client`` got its first handler: from now on dispatch delivers to it."""
        if self._dispatching:
            client._catch_up(self._dispatch_pos + 1)
        else:
            client._catch_up(self._end)
        keyed = [c._seq for c in self._eager]
        self._eager.insert(bisect.bisect(keyed, client._seq), client)

    def _make_lazy(self, client: Client) -> None:
        if client in self._eager:
            self._eager.remove(client)

    def _dispatch(self) -> None:
        if self._dispatching:
            return
        end = self._end
        if not self._eager:
            self._dispatch_pos = end
            return
        self._dispatching = True
        try:
            while self._dispatch_pos < self._end:
                i = self._dispatch_pos
                fact = self._fact(i)
                for client in tuple(self._eager):
                    if client._cursor == i:
                        client._deliver(fact, self._failures)
                self._dispatch_pos = i + 1
        finally:
            self._dispatching = False

    def _raise_failures(self) -> None:
        if self._failures:
            failures, self._failures = self._failures, []
            if self._config.handler_errors == "raise":
                raise HandlerError(failures)
            for f in failures:
                log.error(
                    "handler of client %r raised while handling %r",
                    f.client,
                    f.event,
                    exc_info=(type(f.exception), f.exception, f.exception.__traceback__),
                )

    def _maybe_trim(self) -> None:
        """Drop the facts every client has read (so long runs stay flat)."""
        low = self._dispatch_pos
        for c in self._all_clients:
            if c._gone and not c._ended and not c._handlers:
                # a session that ended: fold it up to its own end, so it pins nothing
                c._sync()
            if not c._ended and c._cursor < low:
                low = c._cursor
        drop = low - self._base
        if drop >= len(self._facts) // 2:
            del self._facts[:drop]
            self._base = low
        # the scan costs O(clients): make the next one wait until the log has doubled, so its
        # cost stays amortised O(1) per fact even while unread clients pin the log
        self._trim_at = max(_TRIM_AT, 2 * len(self._facts))

    def _records_at(self, pos: int) -> dict[str, S.PRecord]:
        """The server's records as they were before the fact at ``pos`` (a client's cursor)."""
        if pos >= self._end:
            return self._records
        older: dict[str, S.PRecord | None] = {}
        for f in self._facts_from(pos):
            if f.subject is not None and f.subject not in older:
                older[f.subject] = f.before
        if not older:
            return self._records
        out = {k: r for k, r in self._records.items() if k not in older}
        for k, r in older.items():
            if r is not None:
                out[k] = r
        return dict(sorted(out.items(), key=lambda kv: kv[1].seq))

    # ----------------------------------------------------------------------------------------
    # helpers for commits

    def _now(self) -> float:
        return self._clock.now

    def _lookup(self, identity: Any, what: str = "participant") -> S.PRecord:
        V.check_identity(identity, "identity")
        rec = self._records.get(identity)
        if rec is None:
            raise UnknownParticipant(
                f"no {what} with identity {identity!r} in room {self._name!r}; "
                f"present: {_preview(self._records)}"
            )
        return rec

    def _set(self, rec: S.PRecord) -> None:
        self._records[rec.identity] = rec

    def _publisher_records(self, exclude_sid: str | None = None) -> Iterator[S.PRecord]:
        for identity in self._publishers.values():
            rec = self._records[identity]
            if rec.sid != exclude_sid:
                yield rec

    def _find_track(self, track_sid: Any, what: str = "track_sid") -> tuple[S.PRecord, S.TRecord]:
        V.check_str(track_sid, what)
        owner = self._track_owner.get(track_sid)
        if owner is None:
            raise UnknownTrack(
                f"no published track {track_sid!r} in room {self._name!r}; pass the sid "
                "publish_track() returned, of a track still published"
            )
        rec = self._records[owner]
        return rec, rec.tracks[track_sid]

    def _first_subscribed(self, publisher: S.PRecord, sids: Sequence[str] | None = None) -> None:
        """Tell ``publisher`` once per track when its first non-hidden subscriber binds."""
        for t in list(publisher.tracks.values()):
            if t.ever_subscribed or t.closing or (sids is not None and t.sid not in sids):
                continue
            for sub in self._records.values():
                if not sub.permission.hidden and S.is_subscribed(sub, publisher, t):
                    break
            else:
                continue
            self._mark_subscribed(publisher.identity, t.sid)

    def _mark_subscribed(self, publisher: str, track_sid: str) -> None:
        before = self._records[publisher]
        t = before.tracks[track_sid]
        if t.ever_subscribed:
            return
        t2 = S.evolve(t, ever_subscribed=True)
        after = S.evolve(before, tracks=_replace(before.tracks, track_sid, t2))
        self._set(after)
        self._append(S.FirstSubscribed(before, after, self._now(), t2))

    def _subscriber_changes(
        self, before: S.PRecord, after: S.PRecord, only: Mapping[str, str] | None = None
    ) -> list[S.SubChange]:
        """What changes for ``before``->``after`` as a subscriber, over the room's tracks.

        ``only`` limits the scan to these track sids (sid -> publisher identity).
        """
        out: list[S.SubChange] = []
        if only is None and not (_wants_any(before) or _wants_any(after)):
            return out  # no wish, no subscription, no permission status (server §6)
        if only is not None:
            pubs: list[tuple[S.PRecord, S.TRecord]] = []
            for sid, owner in only.items():
                prec = self._records[owner]
                pubs.append((prec, prec.tracks[sid]))
            pairs: Iterator[tuple[S.PRecord, S.TRecord]] = iter(pubs)
        else:
            pairs = ((p, t) for p in self._publisher_records(before.sid) for t in p.tracks.values())
        for p, t in pairs:
            if p.permission.hidden:
                continue
            was_on, is_on = S.is_subscribed(before, p, t), S.is_subscribed(after, p, t)
            was_ok, is_ok = S.permission_state(before, p, t), S.permission_state(after, p, t)
            on = None if was_on == is_on else is_on
            ok: bool | None = None
            if is_ok is False and was_ok is not False:
                ok = False
            elif is_ok is True and was_ok is False:
                ok = True
            if on is not None or ok is not None:
                out.append((p, t.sid, on, ok))
        return out

    def _after_subscriber_change(self, subs: Sequence[S.SubChange], subscriber: S.PRecord) -> None:
        if subscriber.permission.hidden:
            return
        for pub, sid, on, _ in subs:
            if on:
                self._mark_subscribed(pub.identity, sid)

    def _remove_track(self, identity: str, track_sid: str, *, silent: bool) -> None:
        before = self._records[identity]
        t = before.tracks[track_sid]
        closing = S.evolve(t, closing=True)
        mid = S.evolve(before, tracks=_replace(before.tracks, track_sid, closing))
        self._set(mid)
        self._append(S.TrackClosing(before, mid, self._now(), t))
        rest = {k: v for k, v in mid.tracks.items() if k != track_sid}
        after = S.evolve(mid, tracks=MappingProxyType(rest) if rest else EMPTY_MAP)
        self._set(after)
        self._append(S.TrackRemoved(mid, after, self._now(), t, silent))
        if t.source is TrackSource.MICROPHONE:
            self._mark_speakers(identity)
        self._webhook("track_unpublished", after, track=t)
        del self._track_owner[track_sid]
        if not rest:
            del self._publishers[after.seq]

    def _end_session(self, identity: str, reason: DisconnectReason) -> None:
        """Remove a session: its tracks, then the session itself (client §10)."""
        rec = self._records[identity]
        for sid in list(rec.tracks):
            self._remove_track(identity, sid, silent=True)
        rec = self._records.pop(identity)
        self._levels.pop(identity, None)
        gone = S.evolve(rec, state=ParticipantState.DISCONNECTED, disconnect_reason=reason)
        final = server_snapshot(gone)
        self._departed.append(final)
        self._append(S.Left(rec, self._now(), reason))
        client = self._clients.pop(identity, None)
        if client is not None:
            client._session_ended(reason)
        # participant_left only for a session that became ACTIVE (server §10)
        ever_active = rec.state is ParticipantState.ACTIVE
        self._webhook(
            "participant_left" if ever_active else "participant_connection_aborted",
            gone,
            full=final,
        )
        self._last_left = self._now()
        if not rec.dependent:
            self._counted -= 1
        self._speaking.pop(identity, None)
        self._loud.pop(identity, None)
        if not self._closed and not self._counted:
            self._schedule_close_check(self._now() + self._config.departure_timeout)

    # ----------------------------------------------------------------------------------------
    # participants

    def _apply_connect(self, m: M.Connect) -> Client:
        from roomsim.client import Client

        cfg = self._config
        identity = V.check_identity(m.identity, "connect(identity=...)")
        V.check_str(m.name, "connect(name=...)")
        V.check_str(m.metadata, "connect(metadata=...)")
        V.check_attributes(m.attributes, "connect(attributes=...)")
        V.check_enum(m.kind, ParticipantKind, "connect(kind=...)")
        if not isinstance(m.kind_details, tuple):
            raise InvalidType(
                f"connect(kind_details=...) must be a tuple of KindDetail, got "
                f"{m.kind_details!r} (type {type(m.kind_details).__name__})"
            )
        for d in m.kind_details:
            V.check_enum(d, KindDetail, "connect(kind_details=...) entry")
        if not isinstance(m.permission, Permission):
            raise InvalidType(
                f"connect(permission=...) must be a Permission, got {m.permission!r} "
                f"(type {type(m.permission).__name__})"
            )
        V.check_bool(m.active, "connect(active=...)")
        if m.auto_subscribe is not None:
            V.check_bool(m.auto_subscribe, "connect(auto_subscribe=...)")
        V.check_bool(m.keep_events, "connect(keep_events=...)")
        code = "invalid_argument"
        V.check_limit(
            V.nbytes(identity), cfg.max_identity_length, "the identity", "max_identity_length", code
        )
        V.check_limit(V.nbytes(m.name), cfg.max_name_length, "the name", "max_name_length", code)
        V.check_limit(
            V.nbytes(m.metadata), cfg.max_metadata_size, "the metadata", "max_metadata_size", code
        )
        V.check_limit(
            V.attributes_size(m.attributes),
            cfg.max_attributes_size,
            "the attributes",
            "max_attributes_size",
            code,
        )
        perm = m.permission
        dependent = (
            m.kind in (ParticipantKind.AGENT, ParticipantKind.EGRESS) or perm.agent or perm.recorder
        )
        if cfg.max_participants and not dependent:
            old = self._records.get(identity)
            counted = self._counted - (1 if old is not None and not old.dependent else 0)
            if counted >= cfg.max_participants:
                raise RoomFull(
                    f"can't connect {identity!r}: room {self._name!r} has reached "
                    f"max_participants={cfg.max_participants} (agents and egress are not "
                    "counted); remove someone, or raise RoomConfig.max_participants",
                    code="JOIN_FAILURE",
                )
        # commit
        if identity in self._records:
            self._end_session(identity, DisconnectReason.DUPLICATE_IDENTITY)
        self._seq += 1
        sid = f"PA_{self._next_pa}"
        self._next_pa += 1
        rec = S.PRecord(
            seq=self._seq,
            sid=sid,
            identity=identity,
            name=m.name,
            metadata=m.metadata,
            attributes=MappingProxyType({k: v for k, v in m.attributes.items() if v != ""}),
            kind=m.kind,
            kind_details=m.kind_details,
            permission=perm,
            state=ParticipantState.JOINED,
            joined_at=self._now(),
            auto_subscribe=cfg.auto_subscribe if m.auto_subscribe is None else m.auto_subscribe,
        )
        self._records[identity] = rec
        if not rec.dependent:
            self._ever_joined = True
            self._counted += 1
        self._append(S.Joined(None, rec, self._now()))
        if not m.active:
            self._schedule(self._now() + cfg.join_timeout, "join_timeout", sid)
        client = Client._create(self, rec, self._end, m.keep_events)
        self._clients[identity] = client
        self._all_clients.append(client)
        if m.active:
            self._activate(identity)
        return client

    def _activate(self, identity: str) -> None:
        before = self._records[identity]
        after = S.evolve(before, state=ParticipantState.ACTIVE)
        subs = self._subscriber_changes(before, after)
        self._set(after)
        self._append(S.Activated(before, after, self._now(), tuple(subs)))
        self._webhook("participant_joined", after, full=server_snapshot(after))
        self._after_subscriber_change(subs, after)
        self._mark_quality()

    def _apply_activate(self, m: M.Activate) -> None:
        rec = self._lookup(m.identity)
        if rec.state is ParticipantState.ACTIVE:
            return  # a second activate() changes nothing (DESIGN §2)
        self._activate(rec.identity)

    def _apply_disconnect(self, m: M.Disconnect) -> None:
        rec = self._lookup(m.identity)
        self._end_session(rec.identity, DisconnectReason.CLIENT_INITIATED)

    def _apply_remove_participant(self, m: M.RemoveParticipant) -> None:
        rec = self._lookup(m.identity)
        self._end_session(rec.identity, DisconnectReason.PARTICIPANT_REMOVED)

    def _check_self_update(self, identity: Any, verb: str) -> S.PRecord:
        rec = self._lookup(identity)
        if not rec.permission.can_update_metadata:
            raise PermissionDenied(
                f"{identity!r} can't {verb}: it lacks the can_update_metadata grant "
                "(it defaults to False); grant it with Permission(can_update_metadata=True), "
                "or use the server API room.update_participant()",
                code="NOT_ALLOWED",
            )
        return rec

    def _commit_name(self, rec: S.PRecord, name: str) -> S.PRecord:
        if not name or name == rec.name:
            return rec
        after = S.evolve(rec, name=name)
        self._set(after)
        self._append(S.NameChanged(rec, after, self._now()))
        return after

    def _commit_metadata(self, rec: S.PRecord, metadata: str) -> S.PRecord:
        if not metadata or metadata == rec.metadata:
            return rec
        after = S.evolve(rec, metadata=metadata)
        self._set(after)
        self._append(S.MetadataChanged(rec, after, self._now()))
        return after

    def _commit_attributes(self, rec: S.PRecord, update: Mapping[str, str]) -> S.PRecord:
        if not update:
            return rec
        old = rec.attributes
        new = dict(old)
        changed: dict[str, str] = {}
        for k, v in update.items():
            if v == "":
                if k in new:
                    del new[k]
                    changed[k] = ""
            elif new.get(k) != v:
                new[k] = v
                changed[k] = v
        if not changed:
            return rec
        after = S.evolve(rec, attributes=MappingProxyType(new))
        self._set(after)
        self._append(S.AttributesChanged(rec, after, self._now(), MappingProxyType(changed)))
        return after

    def _apply_set_name(self, m: M.SetName) -> None:
        V.check_str(m.name, "set_name(name=...)")
        rec = self._check_self_update(m.identity, "set its name")
        V.check_limit(
            V.nbytes(m.name), self._config.max_name_length, "the name", "max_name_length", _CLIENT
        )
        self._commit_name(rec, m.name)

    def _apply_set_metadata(self, m: M.SetMetadata) -> None:
        V.check_str(m.metadata, "set_metadata(metadata=...)")
        rec = self._check_self_update(m.identity, "set its metadata")
        V.check_limit(
            V.nbytes(m.metadata),
            self._config.max_metadata_size,
            "the metadata",
            "max_metadata_size",
            _CLIENT,
        )
        self._commit_metadata(rec, m.metadata)

    def _apply_set_attributes(self, m: M.SetAttributes) -> None:
        V.check_attributes(m.attributes, "set_attributes(attributes=...)")
        rec = self._check_self_update(m.identity, "set its attributes")
        V.check_limit(
            V.attributes_size(m.attributes),
            self._config.max_attributes_size,
            "the attribute update",
            "max_attributes_size",
            _CLIENT,
        )
        self._commit_attributes(rec, m.attributes)

    def _apply_update_participant(self, m: M.UpdateParticipant) -> None:
        cfg = self._config
        V.check_opt_str(m.name, "update_participant(name=...)")
        V.check_opt_str(m.metadata, "update_participant(metadata=...)")
        if m.attributes is not None:
            V.check_attributes(m.attributes, "update_participant(attributes=...)")
        if m.permission is not None and not isinstance(m.permission, Permission):
            raise InvalidType(
                f"update_participant(permission=...) must be a Permission, got "
                f"{m.permission!r} (type {type(m.permission).__name__})"
            )
        # the server API checks the limits before the lookup: name, metadata, attributes
        if m.name is not None:
            V.check_limit(
                V.nbytes(m.name), cfg.max_name_length, "the name", "max_name_length", _SERVER
            )
        if m.metadata is not None:
            V.check_limit(
                V.nbytes(m.metadata),
                cfg.max_metadata_size,
                "the metadata",
                "max_metadata_size",
                _SERVER,
            )
        if m.attributes is not None:
            V.check_limit(
                V.attributes_size(m.attributes),
                cfg.max_attributes_size,
                "the attribute update",
                "max_attributes_size",
                _SERVER,
            )
        rec = self._lookup(m.identity)
        if m.permission is not None and m.permission.hidden != rec.permission.hidden:
            raise IllegalState(
                f"can't change hidden on connected participant {rec.identity!r}: LiveKit's "
                "behaviour there is unconfirmed (spec server, open items); connect it again "
                "with the permission you want",
                code="failed_precondition",
            )
        # commit: name, metadata, attributes, permission, each its own update (server §1)
        if m.name is not None:
            rec = self._commit_name(rec, m.name)
        if m.metadata is not None:
            rec = self._commit_metadata(rec, m.metadata)
        if m.attributes is not None:
            rec = self._commit_attributes(rec, m.attributes)
        if m.permission is not None and m.permission != rec.permission:
            self._commit_permission(rec, m.permission)

    def _commit_permission(self, before: S.PRecord, perm: Permission) -> None:
        after = S.evolve(before, permission=perm)
        self._counted += int(before.dependent) - int(after.dependent)
        subs = self._subscriber_changes(before, after)
        self._set(after)
        self._append(S.PermissionChanged(before, after, self._now(), tuple(subs)))
        self._after_subscriber_change(subs, after)
        # tracks whose source is no longer allowed are unpublished (server §3, effect 1)
        for t in list(after.tracks.values()):
            if not perm.can_publish_source(t.source):
                self._remove_track(after.identity, t.sid, silent=False)

    def _apply_update_room_metadata(self, m: M.UpdateRoomMetadata) -> None:
        V.check_str(m.metadata, "update_room_metadata(metadata=...)")
        V.check_limit(
            V.nbytes(m.metadata),
            self._config.max_metadata_size,
            "the room metadata",
            "max_metadata_size",
            _SERVER,
        )
        if m.metadata == self._metadata:
            return
        old, self._metadata = self._metadata, m.metadata
        self._append(S.RoomMetadata(old, m.metadata, self._now()))

    # ----------------------------------------------------------------------------------------
    # tracks

    def _apply_publish(self, m: M.PublishTrack) -> str:
        V.check_enum(m.kind, TrackKind, "publish_track(kind=...)")
        V.check_enum(m.source, TrackSource, "publish_track(source=...)")
        V.check_str(m.name, "publish_track(name=...)")
        V.check_bool(m.muted, "publish_track(muted=...)")
        rec = self._lookup(m.identity)
        if not rec.permission.can_publish_source(m.source):
            why = (
                "it lacks the can_publish grant"
                if not rec.permission.can_publish
                else f"{m.source!r} is not in its can_publish_sources "
                f"{rec.permission.can_publish_sources!r}"
            )
            raise PermissionDenied(
                f"{rec.identity!r} can't publish a {m.source.value} track: {why}; change its "
                "permission with room.update_participant(permission=...)",
                code="NOT_ALLOWED",
            )
        sid = f"TR_{self._next_tr}"
        self._next_tr += 1
        t = S.TRecord(sid=sid, name=m.name, kind=m.kind, source=m.source, muted=m.muted)
        after = S.evolve(rec, tracks=_replace(rec.tracks, sid, t))
        self._set(after)
        self._track_owner[sid] = rec.identity
        self._publishers[rec.seq] = rec.identity
        self._append(S.TrackAdded(rec, after, self._now(), t))
        self._webhook("track_published", after, track=t)
        if t.source is TrackSource.MICROPHONE:
            self._mark_speakers(rec.identity)
        self._first_subscribed(after, (sid,))
        return sid

    def _own_track(self, m: M.UnpublishTrack | M.SetTrackMuted) -> tuple[S.PRecord, S.TRecord]:
        V.check_str(m.track_sid, "track_sid")
        rec = self._lookup(m.identity)
        t = rec.tracks.get(m.track_sid)
        if t is None:
            raise UnknownTrack(
                f"{rec.identity!r} has no published track {m.track_sid!r}; its tracks: "
                f"{list(rec.tracks)}",
                code="NOT_FOUND",
            )
        return rec, t

    def _apply_unpublish(self, m: M.UnpublishTrack) -> None:
        rec, t = self._own_track(m)
        self._remove_track(rec.identity, t.sid, silent=False)

    def _commit_mute(self, rec: S.PRecord, t: S.TRecord, muted: bool) -> None:
        if t.muted == muted:
            return
        t2 = S.evolve(t, muted=muted)
        after = S.evolve(rec, tracks=_replace(rec.tracks, t.sid, t2))
        self._set(after)
        self._append(S.TrackMuteChanged(rec, after, self._now(), t2))
        if t.source is TrackSource.MICROPHONE:
            self._mark_speakers(rec.identity)

    def _apply_set_track_muted(self, m: M.SetTrackMuted) -> None:
        V.check_bool(m.muted, "set_track_muted(muted=...)")
        rec, t = self._own_track(m)
        self._commit_mute(rec, t, m.muted)

    def _apply_mute_published_track(self, m: M.MutePublishedTrack) -> PublicationSnapshot | None:
        V.check_str(m.track_sid, "mute_published_track(track_sid=...)")
        V.check_bool(m.muted, "mute_published_track(muted=...)")
        if not m.muted and not self._config.enable_remote_unmute:
            raise IllegalState(
                f"can't unmute {m.track_sid!r} of {m.identity!r} through the server API: "
                "remote unmute not enabled; set RoomConfig(enable_remote_unmute=True), or "
                "have the participant unmute its own track",
                code="failed_precondition",
            )
        rec = self._lookup(m.identity)
        t = rec.tracks.get(m.track_sid)
        if t is None:
            return None  # LiveKit answers with no track and no error (server §5)
        self._commit_mute(rec, t, m.muted)
        return self._records[rec.identity].tracks[t.sid].snapshot()

    # ----------------------------------------------------------------------------------------
    # subscriptions

    def _commit_overrides(self, rec: S.PRecord, wanted: Mapping[str, str], on: bool) -> None:
        overrides = dict(rec.sub_overrides)
        for sid in wanted:
            overrides[sid] = on
        after = S.evolve(rec, sub_overrides=MappingProxyType(overrides))
        if after == rec:
            return
        subs = self._subscriber_changes(rec, after, only=wanted)
        self._set(after)
        self._append(S.SubscriptionChanged(rec, after, self._now(), tuple(subs)))
        self._after_subscriber_change(subs, after)

    def _apply_set_subscribed(self, m: M.SetSubscribed) -> None:
        V.check_str(m.publisher, "set_subscribed(publisher=...)")
        V.check_str(m.track_sid, "set_subscribed(track_sid=...)")
        V.check_bool(m.subscribed, "set_subscribed(subscribed=...)")
        rec = self._lookup(m.identity)
        pub = self._records.get(m.publisher)
        if pub is None or pub.permission.hidden:
            raise UnknownParticipant(
                f"{rec.identity!r} can't subscribe to {m.track_sid!r} of {m.publisher!r}: no "
                f"such participant in room {self._name!r} (hidden participants can't be "
                "named); pass the identity of a participant in client.remote_participants",
                code="NOT_FOUND",
            )
        if pub.sid == rec.sid:
            raise InvalidArgument(
                f"{rec.identity!r} can't subscribe to its own track {m.track_sid!r}; name "
                "another participant's track"
            )
        if m.track_sid not in pub.tracks:
            raise UnknownTrack(
                f"{m.publisher!r} has no published track {m.track_sid!r}; its tracks: "
                f"{list(pub.tracks)}",
                code="NOT_FOUND",
            )
        self._commit_overrides(rec, {m.track_sid: pub.identity}, m.subscribed)

    def _apply_update_subscriptions(self, m: M.UpdateSubscriptions) -> None:
        if not isinstance(m.track_sids, tuple):
            raise InvalidType(
                f"update_subscriptions(track_sids=...) must be a tuple of str, got "
                f"{m.track_sids!r} (type {type(m.track_sids).__name__})"
            )
        V.check_bool(m.subscribe, "update_subscriptions(subscribe=...)")
        for sid in m.track_sids:
            V.check_str(sid, "update_subscriptions(track_sids=...) entry")
        rec = self._lookup(m.identity)
        wanted: dict[str, str] = {}
        for sid in m.track_sids:
            owner, _ = self._find_track(sid, "update_subscriptions(track_sids=...) entry")
            if owner.sid == rec.sid:
                raise InvalidArgument(
                    f"{rec.identity!r} can't subscribe to its own track {sid!r}; leave it out "
                    "of track_sids"
                )
            wanted[sid] = owner.identity
        if wanted:
            self._commit_overrides(rec, wanted, m.subscribe)

    def _apply_sub_permissions(self, m: M.SetTrackSubscriptionPermissions) -> None:
        V.check_bool(m.all_participants, "set_track_subscription_permissions(all_participants=)")
        if not isinstance(m.allowed, Mapping):
            raise InvalidType(
                "set_track_subscription_permissions(allowed=...) must map identities to a "
                f"tuple of track sids or None, got {m.allowed!r}"
            )
        allowed: dict[str, tuple[str, ...] | None] = {}
        for ident, sids in m.allowed.items():
            V.check_identity(ident, "set_track_subscription_permissions(allowed=...) key")
            if sids is not None:
                if not isinstance(sids, tuple | list):
                    raise InvalidType(
                        f"set_track_subscription_permissions(allowed=...)[{ident!r}] must be a "
                        f"tuple of track sids or None (all tracks), got {sids!r}"
                    )
                for s in sids:
                    V.check_str(s, f"set_track_subscription_permissions(allowed=)[{ident!r}]")
                sids = tuple(sids)
            allowed[ident] = sids
        rec = self._lookup(m.identity)
        after = S.evolve(rec, sub_all=m.all_participants, sub_allowed=MappingProxyType(allowed))
        if after == rec:
            return
        self._set(after)
        self._append(S.SubPermissionsChanged(rec, after, self._now()))
        self._first_subscribed(after)

    # ----------------------------------------------------------------------------------------
    # data and stream state

    def _apply_send_data(self, m: M.SendData) -> None:
        if m.sender is not None:
            V.check_str(m.sender, "send_data sender")
        if not isinstance(m.data, bytes):
            raise InvalidType(
                f"send_data(data=...) must be bytes or str, got {type(m.data).__name__}"
            )
        V.check_opt_str(m.topic, "send_data(topic=...)")
        V.check_bool(m.reliable, "send_data(reliable=...)")
        if not isinstance(m.destination_identities, tuple):
            raise InvalidType(
                "send_data(destination_identities=...) must be a tuple of identities, got "
                f"{m.destination_identities!r}"
            )
        for d in m.destination_identities:
            V.check_str(d, "send_data(destination_identities=...) entry")
        sender = self._lookup(m.sender) if m.sender is not None else None
        if sender is not None and not sender.permission.can_publish_data:
            return  # dropped silently, as LiveKit does (server §3, effect 3)
        dests = frozenset(m.destination_identities) if m.destination_identities else None
        kind = DataPacketKind.RELIABLE if m.reliable else DataPacketKind.LOSSY
        self._append(S.Data(sender, m.data, m.topic, kind, dests, self._now()))

    def _apply_set_stream_state(self, m: M.SetStreamState) -> None:
        V.check_enum(m.state, StreamState, "set_stream_state(state=...)")
        if m.state is StreamState.UNKNOWN:
            raise InvalidArgument(
                "set_stream_state(state=...) must be StreamState.ACTIVE or StreamState.PAUSED"
            )
        rec = self._lookup(m.identity)
        pub, t = self._find_track(m.track_sid, "set_stream_state(track_sid=...)")
        if t.kind is not TrackKind.VIDEO:
            raise InvalidArgument(
                f"stream state is reported for video tracks only; {t.sid!r} is audio"
            )
        if not S.is_subscribed(rec, pub, t):
            raise IllegalState(
                f"{rec.identity!r} is not subscribed to {t.sid!r} of {pub.identity!r}; stream "
                "state applies to a subscribed video track"
            )
        # the subscriber's SDK reports only a real change (its projection compares)
        self._append(S.StreamStateChanged(rec.sid, pub.identity, t.sid, m.state, self._now()))

    # ----------------------------------------------------------------------------------------
    # time: timers, lifecycle, webhooks

    def _schedule(self, due: float, kind: str, arg: Any = None) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (due, self._timer_seq, kind, arg))

    def _schedule_close_check(self, due: float) -> None:
        if self._close_due is not None and self._close_due <= due:
            return
        self._close_due = due
        self._schedule(due, "close_check")

    def _webhook(
        self,
        event: str,
        rec: S.PRecord | None = None,
        *,
        full: ParticipantSnapshot | None = None,
        track: S.TRecord | None = None,
    ) -> None:
        self._webhooks.append(
            Webhook(
                event=event,
                id=f"EV_{self._next_ev}",
                created_at=self._now(),
                room=self._name,
                room_sid=self._sid,
                participant_identity=rec.identity if rec is not None else None,
                participant_sid=rec.sid if rec is not None else None,
                participant=full,
                track=track.snapshot() if track is not None else None,
            )
        )
        self._next_ev += 1

    def _run_timer(self) -> None:
        """Run the earliest timer (its time has come: the clock stands at its due time)."""
        _, _, kind, arg = heapq.heappop(self._timers)
        if kind == "close_check":
            self._close_due = None
            self._check_close()
        elif kind == "join_timeout":
            rec = next((r for r in self._records.values() if r.sid == arg), None)
            if rec is not None and rec.state is not ParticipantState.ACTIVE:
                self._end_session(rec.identity, DisconnectReason.JOIN_FAILURE)
        else:
            self._run_media_timer(kind, arg)

    def _run_media_timer(self, kind: str, arg: Any) -> None:
        if kind == "speakers":
            self._speakers_due = None
            self._speaker_tick()
        elif kind == "quality":
            self._quality_due = None
            self._quality_tick()
        else:  # pragma: no cover - every kind is handled
            raise AssertionError(kind)

    # ----------------------------------------------------------------------------------------
    # the media layer: speakers and connection quality

    def _next_tick(self, interval: float) -> float:
        """The next time on the room's grid of ``interval`` (LiveKit's workers tick)."""
        k = math.floor((self._now() - self._created_at) / interval + 1e-9) + 1
        return round(self._created_at + k * interval, 9)

    def _mark_speakers(self, identity: str | None = None) -> None:
        """Something that decides who speaks changed: update at the next tick."""
        if identity is not None:
            rec = self._records.get(identity)
            if identity not in self._levels and (rec is None or not rec.is_speaking):
                return
        interval = self._config.speaker_interval
        if interval == 0:
            self._speaker_tick()
        elif self._speakers_due is None:
            self._speakers_due = self._next_tick(interval)
            self._schedule(self._speakers_due, "speakers")

    def _mark_quality(self) -> None:
        interval = self._config.quality_interval
        if interval == 0:
            self._quality_tick()
        elif self._quality_due is None:
            self._quality_due = self._next_tick(interval)
            self._schedule(self._quality_due, "quality")

    def _speaker_tick(self) -> None:
        """``audioUpdateWorker``: who speaks now, and the changes since the last update."""
        active: list[tuple[float, int, str]] = []
        for identity, level in self._loud.items():
            rec = self._records.get(identity)
            if rec is None:
                continue
            if any(
                t.source is TrackSource.MICROPHONE and not t.muted and not t.closing
                for t in rec.tracks.values()
            ):
                active.append((-level, rec.seq, identity))
        active.sort()
        changes: list[tuple[str, float, bool]] = []
        now_speaking: set[str] = set()
        for neg, _, identity in active:
            level = min(1.0, math.ceil(-neg * 8) / 8)
            now_speaking.add(identity)
            rec = self._records[identity]
            if not rec.is_speaking or rec.audio_level != level:
                changes.append((identity, level, True))
                self._set_media(rec, is_speaking=True, audio_level=level)
        stopped = sorted((seq, i) for i, seq in self._speaking.items() if i not in now_speaking)
        for _, identity in stopped:
            changes.append((identity, 0.0, False))
            self._set_media(self._records[identity], is_speaking=False, audio_level=0.0)
        self._speaking = {i: self._records[i].seq for _, _, i in active}
        if changes:
            self._append(S.SpeakersChanged(tuple(changes), self._now()))

    def _quality_tick(self) -> None:
        """``connectionQualityWorker``: every ACTIVE participant's quality, to every client."""
        current = {
            identity: rec.quality
            for identity, rec in self._records.items()
            if rec.state is ParticipantState.ACTIVE
        }
        sent = self._quality_sent
        # LiveKit sends only when an ACTIVE participant is new or its level changed (§8)
        if any(sent.get(identity) is not q for identity, q in current.items()):
            self._append(S.QualityUpdate(MappingProxyType(dict(current)), self._now()))
        self._quality_sent = current

    def _set_media(self, rec: S.PRecord, **changes: Any) -> None:
        after = S.evolve(rec, **changes)
        self._set(after)
        self._append(S.MediaChanged(rec, after, self._now()))

    def _apply_set_audio_levels(self, m: M.SetAudioLevels) -> None:
        if not isinstance(m.levels, Mapping):
            raise InvalidType(
                f"set_audio_levels(levels=...) takes a mapping of identity to a level in [0, 1], "
                f"got {m.levels!r} (type {type(m.levels).__name__})"
            )
        for identity, level in m.levels.items():
            self._lookup(identity)
            if type(level) not in (int, float):
                raise InvalidType(
                    f"the audio level of {identity!r} must be a number in [0, 1], got {level!r} "
                    f"(type {type(level).__name__})"
                )
            if not (0.0 <= level <= 1.0):  # also refuses NaN
                raise InvalidArgument(
                    f"the audio level of {identity!r} must be linear in [0, 1] (1 is loudest; "
                    f"the speaking threshold is about {S.SPEAKING_THRESHOLD:.4f}), got {level!r}"
                )
        for identity, level in m.levels.items():
            self._levels[identity] = float(level)
            if level >= S.SPEAKING_THRESHOLD:
                self._loud[identity] = float(level)
            else:
                self._loud.pop(identity, None)
        if m.levels:
            self._mark_speakers()

    def _apply_set_connection_quality(self, m: M.SetConnectionQuality) -> None:
        V.check_enum(m.quality, ConnectionQuality, "set_connection_quality(quality=...)")
        if m.quality is ConnectionQuality.UNKNOWN:
            raise InvalidArgument(
                "set_connection_quality(quality=...) takes POOR, GOOD, EXCELLENT or LOST; "
                "UNKNOWN is only the SDK's value before the first update"
            )
        rec = self._lookup(m.identity)
        if rec.quality is m.quality:
            return
        self._set_media(rec, quality=m.quality)
        self._mark_quality()

    def _check_close(self) -> None:
        """LiveKit's ``CloseIfEmpty`` (server §4), at the exact virtual time it falls due."""
        if self._counted:
            return
        cfg = self._config
        if self._ever_joined and self._last_left is not None:
            due = self._last_left + cfg.departure_timeout
        else:
            due = self._created_at + cfg.empty_timeout
        if self._now() >= due:
            self._close(DisconnectReason.ROOM_CLOSED)
        else:
            self._schedule_close_check(due)

    def _close(self, reason: DisconnectReason) -> None:
        for identity in list(self._records):
            self._end_session(identity, reason)
        self._closed = True
        self._timers.clear()
        self._close_due = None
        self._webhook("room_finished")

    def _apply_delete(self, m: M.DeleteRoom) -> None:
        self._close(DisconnectReason.ROOM_DELETED)

    def _apply_advance(self, m: M.Advance) -> None:
        dt = V.check_finite_nonneg(m.dt, "advance(dt=...)")
        clock = self._clock
        if clock.now + dt > MAX_TIME:
            raise InvalidArgument(
                f"advance(dt={m.dt!r}) would take virtual time past {MAX_TIME:g} s "
                f"(about 31,700 years); advance by less"
            )
        if clock._advancing or any(r._dispatching for r in clock._rooms):
            raise IllegalState(
                "can't advance the clock from inside a handler (of any room on this clock); "
                "advance after the verb returns"
            )
        target = clock.now + dt
        rooms: list[Room] = [r for r in clock._rooms if isinstance(r, Room)]
        for r in rooms:
            r._adv_mark = clock.now
            r._adv_timer_ran = False
            r._adv_wrote = False
        clock._advancing = True
        try:
            self._advance_to(target, rooms)
        finally:
            clock._advancing = False
        for r in rooms:
            r._log_advance_piece(final=True, whole=None if r._adv_wrote else m)
            r._adv_mark = None

    def _advance_to(self, target: float, rooms: list[Room]) -> None:
        clock = self._clock
        while True:
            best: Room | None = None
            for r in rooms:
                due = r._timers[0][0] if r._timers else math.inf
                if due <= target + _TIME_EPSILON and (best is None or due < best._timers[0][0]):
                    best = r
            if best is None:
                break
            clock._now = max(clock._now, min(best._timers[0][0], target))
            if not best._adv_wrote:
                best._adv_timer_ran = True
            best._run_timer()
            # each timer is a commit of its own: handlers run at its virtual time
            best._dispatch()
            if best is not self:
                self._failures.extend(best._failures)
                best._failures.clear()
        clock._now = target

    def _log_advance_piece(self, *, final: bool = False, whole: M.Advance | None = None) -> None:
        """Write the time passed so far in the running advance to the log, so that a handler's
        mutation during an advance replays at the virtual time it was made."""
        mark = self._adv_mark
        assert mark is not None
        now = self._clock.now
        # a zero-length piece still matters when a timer ran since the last one: replay must
        # run it before the mutation that follows
        if whole is not None:
            # not split by a handler's mutation: the log keeps the advance as it was asked
            if self._keep_log:
                self._log.append(whole)
        elif self._keep_log and (now > mark or final or self._adv_timer_ran):
            self._log.append(M.Advance(dt=now - mark))
        self._adv_mark = now
        # once a piece is written, a replay runs every timer due up to it before what follows
        self._adv_timer_ran = False
        self._adv_wrote = True

    # ----------------------------------------------------------------------------------------
    # snapshots

    def snapshot(self) -> RoomSnapshot:
        """The whole state as a value: the room, its log, every client's view and queue.

        Reading a snapshot reads every client (so it folds what they have not read yet);
        two snapshots compare with ``==``.
        """
        clients = tuple(c._snapshot() for c in self._all_clients)
        return RoomSnapshot(
            name=self._name,
            sid=self._sid,
            config=self._config,
            time=self._clock.now,
            closed=self._closed,
            metadata=self._metadata,
            participants=tuple(self._records.values()),
            departed=tuple(self._departed),
            log=tuple(self._log),
            clients=clients,
            counters=(self._seq, self._next_pa, self._next_tr, self._next_ev, self._timer_seq),
            webhooks=tuple(self._webhooks),
            levels=tuple(self._levels.items()),
            timers=tuple(sorted(self._timers)),
            lifecycle=(
                self._created_at,
                self._ever_joined,
                self._last_left,
                self._close_due,
                self._speakers_due,
                self._quality_due,
                self._keep_log,
                tuple(self._quality_sent.items()),
            ),
        )

    @classmethod
    def from_snapshot(cls, snapshot: RoomSnapshot, *, clock: ManualClock | None = None) -> Room:
        """A new room in the state ``snapshot`` describes: a fork of the room it was taken of.

        The fork and the original give the same events for the same mutations.  Handlers are
        functions, not state: the fork's clients have none.  The fork gets its own clock at the
        snapshot's time unless ``clock`` (standing at that time) is given.
        """
        from roomsim.client import Client

        if not isinstance(snapshot, RoomSnapshot):
            raise InvalidType(
                f"Room.from_snapshot() takes a RoomSnapshot (room.snapshot()), got "
                f"{type(snapshot).__name__}"
            )
        if clock is None:
            clock = ManualClock(snapshot.time)
        elif not isinstance(clock, ManualClock) or clock.now != snapshot.time:
            raise InvalidArgument(
                f"Room.from_snapshot(clock=...) needs a ManualClock standing at the snapshot's "
                f"time {snapshot.time!r}"
            )
        (
            created,
            ever_joined,
            last_left,
            close_due,
            speakers_due,
            quality_due,
            keep_log,
            quality_sent,
        ) = snapshot.lifecycle
        room = cls(snapshot.name, config=snapshot.config, clock=clock, keep_log=keep_log)
        room._sid = snapshot.sid
        room._metadata = snapshot.metadata
        room._closed = snapshot.closed
        room._records = {r.identity: r for r in snapshot.participants}
        room._counted = sum(1 for r in snapshot.participants if not r.dependent)
        room._speaking = {r.identity: r.seq for r in snapshot.participants if r.is_speaking}
        for rec in snapshot.participants:
            if rec.tracks:
                room._publishers[rec.seq] = rec.identity
            for sid in rec.tracks:
                room._track_owner[sid] = rec.identity
        room._departed = list(snapshot.departed)
        room._log = list(snapshot.log)
        room._seq, room._next_pa, room._next_tr, room._next_ev, room._timer_seq = snapshot.counters
        room._webhooks = list(snapshot.webhooks)
        room._levels = dict(snapshot.levels)
        room._loud = {i: lv for i, lv in snapshot.levels if lv >= S.SPEAKING_THRESHOLD}
        room._timers = list(snapshot.timers)
        heapq.heapify(room._timers)
        room._created_at = created
        room._ever_joined = ever_joined
        room._last_left = last_left
        room._close_due = close_due
        room._speakers_due = speakers_due
        room._quality_due = quality_due
        room._quality_sent = dict(quality_sent)
        for cs in snapshot.clients:
            client = Client._restore(room, cs)
            room._all_clients.append(client)
            if not client._gone:
                room._clients[client.identity] = client
        return room


class _ReadOnlySeq(Sequence[Any]):
    """A read-only view of a list, without a copy per access."""

    __slots__ = ("_items",)

    def __init__(self, items: list[Any]) -> None:
        self._items = items

    def __getitem__(self, i: Any) -> Any:
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _ReadOnlySeq):
            return self._items == other._items
        if isinstance(other, list | tuple):
            return list(self._items) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._items)


def _wants_any(rec: S.PRecord) -> bool:
    return rec.state is ParticipantState.ACTIVE and (
        rec.auto_subscribe or any(rec.sub_overrides.values())
    )


def _replace(m: Mapping[str, Any], key: str, value: Any) -> Mapping[str, Any]:
    d = dict(m)
    d[key] = value
    return MappingProxyType(d)


def _freeze_map(m: Any) -> Any:
    if isinstance(m, Mapping) and not isinstance(m, MappingProxyType):
        return MappingProxyType(dict(m))
    return m


def _preview(records: Mapping[str, Any]) -> str:
    names = list(records)
    if len(names) > 8:
        return ", ".join(map(repr, names[:8])) + f", ... ({len(names)} in all)"
    return ", ".join(map(repr, names)) or "nobody"

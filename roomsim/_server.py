"""The server's state: records, indexes, sid counters, timers, and commit primitives.

``Server`` is what LiveKit's server knows about one room.  Its commit primitives change the
records and append facts to the room's ``FactLog``; they never raise (the appliers in
``_apply`` check a mutation completely before they call any of them).  The media ticks
(speakers, connection quality) are commits too; *when* they run is ``_time``'s business.
"""

from __future__ import annotations

import enum
import heapq
import math
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Protocol

from roomsim import _facts as facts
from roomsim._audio import AudioLayer
from roomsim._log import FactLog
from roomsim._peer import PeerState
from roomsim._quality import QualityBook
from roomsim._records import (
    SPEAKING_THRESHOLD,
    ParticipantRecord,
    SubChange,
    TrackRecord,
    evolve,
    is_subscribed,
    permission_state,
    replaced,
    wants_any,
)
from roomsim._webhook_log import WebhookLog
from roomsim.clock import ManualClock
from roomsim.config import RoomConfig
from roomsim.errors import UnknownParticipant, UnknownTrack, broken
from roomsim.model import (
    EMPTY_MAP,
    ConnectionQuality,
    DisconnectReason,
    ParticipantSnapshot,
    ParticipantState,
    Permission,
    TrackSource,
)

__all__ = ["Server", "Session", "TimerKind"]


class TimerKind(enum.Enum):
    """What a timer does when it falls due (``_time.run_timer``)."""

    #: LiveKit's ``CloseIfEmpty`` check (server §4)
    CLOSE_CHECK = "close_check"
    #: a held (JOINED) session that never became ACTIVE is removed (server §4)
    JOIN_TIMEOUT = "join_timeout"
    #: the 400 ms active-speaker update (server §7)
    SPEAKERS = "speakers"
    #: the 5 s connection-quality update (server §8)
    QUALITY = "quality"
    #: an RPC deadline: the caller's 1501/1502, or a Python callee's own (rpc-and-streams §4)
    RPC = "rpc"
    #: faults (``_faults.run_timer``; faults §2, §4): an interrupted client resumes, the
    #: server closes a session whose transport failed, a client stops reconnecting
    RESUME = "resume"
    CONNECTION_TIMEOUT = "connection_timeout"
    GIVE_UP = "give_up"
    #: the server's periodic token refresh of a session (faults §7)
    TOKEN_REFRESH = "token_refresh"


#: a pending timer: (due, order of scheduling, kind, argument)
Timer = tuple[float, int, TimerKind, Any]


class Session(Protocol):
    """What the server tells a session's client (``Client`` implements it)."""

    identity: str
    #: its session's sid (a full reconnect gives the same client a new one, faults §3)
    sid: str

    def session_ended(self, reason: DisconnectReason) -> None: ...

    def session_rejoined(self) -> None: ...


class Server:
    """One room's server-side truth; every field is written only by this class's methods."""

    def __init__(
        self,
        name: str,
        config: RoomConfig,
        clock: ManualClock,
        log: FactLog,
        open_session: Callable[[ParticipantRecord, bool, str], Session],
    ) -> None:
        self.name = name
        #: makes the client of a new session (its cursor: the log's end), given keep_events and
        #: its SDK profile's name
        self.open_session = open_session
        self.sid = "RM_1"
        self.config = config
        self.clock = clock
        self.log = log
        self.metadata = ""
        self.closed = False
        #: current sessions in join order
        self.records: dict[str, ParticipantRecord] = {}
        #: how many current sessions count (not agents or egress): limits and room closing
        self.counted = 0
        #: who speaks now (identity -> join order), and the levels loud enough to speak
        self.speaking: dict[str, int] = {}
        self.loud: dict[str, float] = {}
        #: the media layer's raw audio levels (sticky)
        self.levels: dict[str, float] = {}
        #: pushed audio's tracks (``_audio``), made by the first push
        self.audio: AudioLayer | None = None
        #: participants with at least one track: seq -> identity, in join order unless
        #: ``pubs_unsorted`` (an earlier joiner's first track; sorted when next read)
        self.publishers: dict[int, str] = {}
        self.pubs_unsorted = False
        self.track_owner: dict[str, str] = {}
        #: the newest final snapshots and webhooks (``RoomConfig.keep_departed`` and
        #: ``keep_webhooks`` bound them)
        self.departed: deque[ParticipantSnapshot] = deque(maxlen=config.keep_departed or None)
        self.webhooks = WebhookLog(config.keep_webhooks)
        #: the current session of each identity
        self.sessions: dict[str, Session] = {}
        # counters: sessions joined, next sids, webhooks, timers
        self.seq = 0
        self.next_pa = 1
        self.next_tr = 1
        self.next_ev = 1
        self.timer_seq = 0
        self.timers: list[Timer] = []
        # lifecycle
        self.created_at = clock.now
        self.ever_joined = False
        self.last_left: float | None = None
        self.close_due: float | None = None
        self.speakers_due: float | None = None
        self.quality_due: float | None = None
        #: RPC calls in flight, method names, open streams, client protocols
        self.peer = PeerState()
        #: the ACTIVE participants' qualities, what the last update sent, and their history
        self.qualities = QualityBook()
        #: clients cut off by ``Interrupt``, by session sid (``_faults.Interruption``)
        self.interrupted: dict[str, Any] = {}

    # ----------------------------------------------------------------------------------------
    # reads and lookups (a lookup raises: appliers call them before committing)

    def now(self) -> float:
        return self.clock.now

    def new_session(self) -> tuple[int, str]:
        """A new session's join order and participant sid (the counters move on)."""
        self.seq += 1
        self.next_pa += 1
        return self.seq, f"PA_{self.next_pa - 1}"

    def lookup(self, identity: Any, what: str = "participant") -> ParticipantRecord:
        rec = self.records.get(identity)
        if rec is None:
            raise UnknownParticipant(
                f"no {what} with identity {identity!r} in room {self.name!r}; "
                f"present: {preview(self.records)}"
            )
        return rec

    def find_track(
        self, track_sid: Any, what: str = "track_sid"
    ) -> tuple[ParticipantRecord, TrackRecord]:
        owner = self.track_owner.get(track_sid)
        if owner is None:
            raise UnknownTrack(
                f"no published track {track_sid!r} in room {self.name!r}; pass the sid "
                "publish_track() returned, of a track still published"
            )
        rec = self.records[owner]
        return rec, rec.tracks[track_sid]

    def publisher_records(self, exclude_sid: str | None = None) -> Iterator[ParticipantRecord]:
        if self.pubs_unsorted:
            self.publishers = dict(sorted(self.publishers.items()))
            self.pubs_unsorted = False
        for identity in self.publishers.values():
            rec = self.records[identity]
            if rec.sid != exclude_sid:
                yield rec

    # ----------------------------------------------------------------------------------------
    # commit primitives

    def set(self, rec: ParticipantRecord) -> None:
        self.records[rec.identity] = rec

    def append(self, fact: facts.Fact) -> None:
        self.log.append(fact)

    def webhook(
        self,
        event: str,
        rec: ParticipantRecord | None = None,
        *,
        full: ParticipantRecord | ParticipantSnapshot | None = None,
        track: TrackRecord | None = None,
    ) -> None:
        """Send a webhook (server §10); its value is built when read (``_webhook_log``)."""
        self.webhooks.add(
            (event, self.next_ev, self.clock.now, self.name, self.sid, rec, full, track)
        )
        self.next_ev += 1

    def schedule(self, due: float, kind: TimerKind, arg: Any = None) -> None:
        self.timer_seq += 1
        heapq.heappush(self.timers, (due, self.timer_seq, kind, arg))

    def schedule_close_check(self, due: float) -> None:
        if self.close_due is not None and self.close_due <= due:
            return
        self.close_due = due
        self.schedule(due, TimerKind.CLOSE_CHECK)

    def add_session(self, rec: ParticipantRecord, *, hold: bool) -> None:
        """A new session joins (JOINED); a held one gets LiveKit's join timeout."""
        self.records[rec.identity] = rec
        if not rec.dependent:
            self.ever_joined = True
            self.counted += 1
        self.log.append(facts.Joined(None, rec, self.clock.now))
        if hold:
            self.schedule(self.now() + self.config.join_timeout, TimerKind.JOIN_TIMEOUT, rec.sid)
        if self.config.token_refresh_interval:
            self.schedule(
                self.now() + self.config.token_refresh_interval, TimerKind.TOKEN_REFRESH, rec.sid
            )

    def activate(self, identity: str) -> None:
        before = self.records[identity]
        after = evolve(before, state=ParticipantState.ACTIVE)
        subs = self.subscriber_changes(before, after)
        self.records[identity] = after
        self.qualities.set(identity, after.seq, after.quality)
        self.log.append(facts.Activated(before, after, self.clock.now, tuple(subs)))
        self.webhook("participant_joined", after, full=after)
        if subs:
            self.after_subscriber_change(subs, after)
        if after.tracks:
            # what it published while held is announced now, after its ACTIVE info (§16.14)
            for t in after.tracks.values():
                self.webhook("track_published", after, track=t)
            self.first_subscribed(after)
        self.mark_quality()

    def end_session(self, identity: str, reason: DisconnectReason) -> None:
        """Remove a session: its tracks, then the session itself (client §10)."""
        self.play_audio()
        rec = self.records[identity]
        for sid in list(rec.tracks):
            self.remove_track(identity, sid, silent=True)
        rec = self.records.pop(identity)
        self.qualities.remove(identity)
        self.levels.pop(identity, None)
        gone = evolve(rec, state=ParticipantState.DISCONNECTED, disconnect_reason=reason)
        final = gone.snapshot()
        self.departed.append(final)
        self.append(facts.Left(rec, self.now(), reason))
        self.peer.session_ended(rec.sid, self.now())
        session = self.sessions.pop(identity, None)
        if session is not None:
            session.session_ended(reason)
        # participant_left only for a session that became ACTIVE (server §10)
        ever_active = rec.state is ParticipantState.ACTIVE
        self.webhook(
            "participant_left" if ever_active else "participant_connection_aborted",
            gone,
            full=final,
        )
        self.last_left = self.now()
        if not rec.dependent:
            self.counted -= 1
        self.speaking.pop(identity, None)
        self.loud.pop(identity, None)
        if not self.closed and not self.counted:
            self.schedule_close_check(self.now() + self.config.departure_timeout)

    def commit_name(self, rec: ParticipantRecord, name: str) -> ParticipantRecord:
        if not name or name == rec.name:
            return rec
        after = evolve(rec, name=name)
        self.set(after)
        self.append(facts.NameChanged(rec, after, self.now()))
        return after

    def commit_metadata(self, rec: ParticipantRecord, metadata: str) -> ParticipantRecord:
        if not metadata or metadata == rec.metadata:
            return rec
        after = evolve(rec, metadata=metadata)
        self.set(after)
        self.append(facts.MetadataChanged(rec, after, self.now()))
        return after

    def commit_attributes(
        self, rec: ParticipantRecord, update: Mapping[str, str]
    ) -> ParticipantRecord:
        old = rec.attributes
        changed: dict[str, str] = {}
        for k, v in update.items():
            if v == "":
                if k in old:
                    changed[k] = ""
            elif old.get(k) != v:
                changed[k] = v
        if not changed:
            return rec
        new = dict(old)
        for k, v in changed.items():
            if v:
                new[k] = v
            else:
                del new[k]
        after = evolve(rec, attributes=MappingProxyType(new))
        self.records[rec.identity] = after
        self.log.append(
            facts.AttributesChanged(rec, after, self.clock.now, MappingProxyType(changed))
        )
        return after

    def commit_permission(self, before: ParticipantRecord, perm: Permission) -> None:
        after = evolve(before, permission=perm)
        self.counted += int(before.dependent) - int(after.dependent)
        subs = self.subscriber_changes(before, after)
        self.set(after)
        self.append(facts.PermissionChanged(before, after, self.now(), tuple(subs)))
        self.after_subscriber_change(subs, after)
        # tracks whose source is no longer allowed are unpublished (server §3, effect 1)
        for t in list(after.tracks.values()):
            if not perm.can_publish_source(t.source):
                self.remove_track(after.identity, t.sid, silent=False, by_server=True)

    def commit_room_metadata(self, metadata: str) -> None:
        if metadata == self.metadata:
            return
        old, self.metadata = self.metadata, metadata
        self.append(facts.RoomMetadata(old, metadata, self.now()))

    # tracks

    def add_track(self, rec: ParticipantRecord, t: TrackRecord) -> None:
        after = evolve(rec, tracks=replaced(rec.tracks, t.sid, t))
        self.set(after)
        self.track_owner[t.sid] = rec.identity
        pubs = self.publishers
        if rec.seq not in pubs:
            self.pubs_unsorted |= bool(pubs) and rec.seq < next(reversed(pubs))
            pubs[rec.seq] = rec.identity
        self.log.append(facts.TrackAdded(rec, after, self.clock.now, t))
        if rec.state is ParticipantState.ACTIVE:  # else announced at activation (§16.14)
            self.webhook("track_published", after, track=t)
        if t.source is TrackSource.MICROPHONE:
            self.mark_speakers(rec.identity)
        for sub in self.records.values():  # first_subscribed, for this one new track
            if not sub.permission.hidden and is_subscribed(sub, after, t):
                self.mark_subscribed(rec.identity, t.sid)
                break

    def remove_track(
        self, identity: str, track_sid: str, *, silent: bool, by_server: bool = False
    ) -> None:
        self.play_audio()
        before = self.records[identity]
        t = before.tracks[track_sid]
        closing = evolve(t, closing=True)
        mid = evolve(before, tracks=replaced(before.tracks, track_sid, closing))
        self.set(mid)
        self.append(facts.TrackClosing(before, mid, self.now(), t))
        rest = {k: v for k, v in mid.tracks.items() if k != track_sid}
        after = evolve(mid, tracks=MappingProxyType(rest) if rest else EMPTY_MAP)
        self.set(after)
        self.append(facts.TrackRemoved(mid, after, self.now(), t, silent, by_server))
        if t.source is TrackSource.MICROPHONE:
            self.mark_speakers(identity)
        if after.state is ParticipantState.ACTIVE:  # a held one's track was never announced
            self.webhook("track_unpublished", after, track=t)
        del self.track_owner[track_sid]
        if not rest:
            del self.publishers[after.seq]

    def commit_mute(
        self, rec: ParticipantRecord, t: TrackRecord, muted: bool, *, by_server: bool = False
    ) -> None:
        if t.muted == muted:
            return
        self.play_audio()
        t2 = evolve(t, muted=muted)
        after = evolve(rec, tracks=replaced(rec.tracks, t.sid, t2))
        self.set(after)
        fact = facts.ServerMuteChanged if by_server else facts.TrackMuteChanged
        self.append(fact(rec, after, self.now(), t2))
        if t.source is TrackSource.MICROPHONE:
            self.mark_speakers(rec.identity)

    # subscriptions

    def first_subscribed(
        self, publisher: ParticipantRecord, sids: Sequence[str] | None = None
    ) -> None:
        """Tell ``publisher`` once per track when its first non-hidden subscriber binds."""
        for t in list(publisher.tracks.values()):
            if t.ever_subscribed or t.closing or (sids is not None and t.sid not in sids):
                continue
            for sub in self.records.values():
                if not sub.permission.hidden and is_subscribed(sub, publisher, t):
                    break
            else:
                continue
            self.mark_subscribed(publisher.identity, t.sid)

    def mark_subscribed(self, publisher: str, track_sid: str) -> None:
        before = self.records[publisher]
        t = before.tracks[track_sid]
        if t.ever_subscribed:
            return
        t2 = evolve(t, ever_subscribed=True)
        after = evolve(before, tracks=replaced(before.tracks, track_sid, t2))
        self.records[publisher] = after
        self.log.append(facts.FirstSubscribed(before, after, self.clock.now, t2))

    def subscriber_changes(
        self,
        before: ParticipantRecord,
        after: ParticipantRecord,
        only: Mapping[str, str] | None = None,
    ) -> list[SubChange]:
        """What changes for ``before``->``after`` as a subscriber, over the room's tracks.

        ``only`` limits the scan to these track sids (sid -> publisher identity).  Pushed audio
        plays up to now first: what was played before the change reaches who received it.
        """
        self.play_audio()
        out: list[SubChange] = []
        if only is None and not (self.publishers and (wants_any(before) or wants_any(after))):
            return out  # no track, or no wish: no subscription, no permission status (§6)
        if only is not None:
            pubs: list[tuple[ParticipantRecord, TrackRecord]] = []
            for sid, owner in only.items():
                prec = self.records[owner]
                pubs.append((prec, prec.tracks[sid]))
            pairs: Iterator[tuple[ParticipantRecord, TrackRecord]] = iter(pubs)
        else:
            pairs = ((p, t) for p in self.publisher_records(before.sid) for t in p.tracks.values())
        for p, t in pairs:
            if p.permission.hidden:
                continue
            was_on, is_on = is_subscribed(before, p, t), is_subscribed(after, p, t)
            was_ok, is_ok = permission_state(before, p, t), permission_state(after, p, t)
            on = None if was_on == is_on else is_on
            ok: bool | None = None
            if is_ok is False and was_ok is not False:
                ok = False
            elif is_ok is True and was_ok is False:
                ok = True
            if on is not None or ok is not None:
                out.append((p, t.sid, on, ok))
        return out

    def after_subscriber_change(
        self, subs: Sequence[SubChange], subscriber: ParticipantRecord
    ) -> None:
        if subscriber.permission.hidden:
            return
        for pub, sid, on, _ in subs:
            if on:
                self.mark_subscribed(pub.identity, sid)

    def commit_overrides(
        self,
        rec: ParticipantRecord,
        wanted: Mapping[str, str],
        on: bool,
        *,
        by_server: bool = False,
    ) -> None:
        overrides = dict(rec.sub_overrides)
        for sid in wanted:
            overrides[sid] = on
        after = evolve(rec, sub_overrides=MappingProxyType(overrides))
        # the subscriber's own "off" reaches its SDK even when the server changes nothing: a
        # Python SDK may still show the track subscribed (client §16.1)
        off = () if on or by_server else tuple(wanted)
        if after == rec and not off:
            return
        subs = self.subscriber_changes(rec, after, only=wanted)
        self.set(after)
        if by_server:
            self.append(facts.ServerSubscriptionChanged(rec, after, self.now(), tuple(subs)))
        else:
            self.append(facts.SubscriptionChanged(rec, after, self.now(), tuple(subs), off))
        self.after_subscriber_change(subs, after)

    def commit_sub_permissions(
        self,
        rec: ParticipantRecord,
        all_participants: bool,
        allowed: Mapping[str, tuple[str, ...] | None],
    ) -> None:
        after = evolve(rec, sub_all=all_participants, sub_allowed=MappingProxyType(dict(allowed)))
        if after == rec:
            return
        self.play_audio()
        self.set(after)
        self.append(facts.SubPermissionsChanged(rec, after, self.now()))
        self.first_subscribed(after)

    # ----------------------------------------------------------------------------------------
    # the media layer: speakers and connection quality (server §7, §8)

    def next_tick(self, interval: float) -> float:
        """The next time on the room's grid of ``interval`` (LiveKit's workers tick)."""
        k = math.floor((self.now() - self.created_at) / interval + 1e-9) + 1
        return round(self.created_at + k * interval, 9)

    def mark_speakers(self, identity: str | None = None) -> None:
        """Something that decides who speaks changed: update at the next tick."""
        if identity is not None:
            rec = self.records.get(identity)
            if identity not in self.levels and (rec is None or not rec.is_speaking):
                return
        interval = self.config.speaker_interval
        if interval == 0:
            self.speaker_tick()
        elif self.speakers_due is None:
            self.speakers_due = self.next_tick(interval)
            self.schedule(self.speakers_due, TimerKind.SPEAKERS)

    def mark_quality(self) -> None:
        interval = self.config.quality_interval
        if interval == 0:
            self.quality_tick()
        elif self.quality_due is None:
            self.quality_due = self.next_tick(interval)
            self.schedule(self.quality_due, TimerKind.QUALITY)

    def speaker_tick(self) -> None:
        """``audioUpdateWorker``: who speaks now, and the changes since the last update."""
        active: list[tuple[float, int, str]] = []
        for identity, level in self.loud_now().items():
            rec = self.records.get(identity)
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
            rec = self.records[identity]
            if not rec.is_speaking or rec.audio_level != level:
                changes.append((identity, level, True))
                self.set_media(rec, is_speaking=True, audio_level=level)
        stopped = sorted((seq, i) for i, seq in self.speaking.items() if i not in now_speaking)
        for _, identity in stopped:
            changes.append((identity, 0.0, False))
            self.set_media(self.records[identity], is_speaking=False, audio_level=0.0)
        self.speaking = {i: self.records[i].seq for _, _, i in active}
        if changes:
            self.append(facts.SpeakersChanged(tuple(changes), self.now()))
        if self.audio is not None and self.config.speaker_interval and self.audio.live():
            self.mark_speakers()  # pushed audio still plays: tick again (audio §9.5)

    def quality_tick(self) -> None:
        """``connectionQualityWorker``: every ACTIVE participant's quality, to every client,
        sent only when one of them is new or changed (§8); costs what changed (``_quality``)."""
        update = self.qualities.tick()
        if update is not None:
            self.append(facts.QualityUpdate(update, self.now()))

    def set_media(self, rec: ParticipantRecord, **changes: Any) -> None:
        after = evolve(rec, **changes)
        self.set(after)
        if "quality" in changes and after.state is ParticipantState.ACTIVE:
            self.qualities.set(after.identity, after.seq, after.quality)
        self.append(facts.MediaChanged(rec, after, self.now()))

    def active_qualities(self) -> dict[str, tuple[int, ConnectionQuality]]:
        """identity -> (join order, quality) of every ACTIVE participant, from the records."""
        return {
            identity: (rec.seq, rec.quality)
            for identity, rec in self.records.items()
            if rec.state is ParticipantState.ACTIVE
        }

    def play_audio(self) -> None:
        """Play pushed audio up to now (audio §9), before anything changes what it sends."""
        if self.audio is not None:
            self.audio.play(self.now(), self.records)

    def loud_now(self) -> Mapping[str, float]:
        """Who is loud enough to speak: per identity the louder of its ``set_audio_levels``
        level and its pushed audio's level (audio §9.4)."""
        if self.audio is None:
            return self.loud
        self.play_audio()
        merged = dict(self.loud)
        for identity, level in self.audio.levels(self.now(), self.records).items():
            merged[identity] = max(level, merged.get(identity, 0.0))
        return merged

    def set_levels(self, levels: Mapping[str, float]) -> None:
        for identity, level in levels.items():
            self.levels[identity] = float(level)
            if level >= SPEAKING_THRESHOLD:
                self.loud[identity] = float(level)
            else:
                self.loud.pop(identity, None)
        if levels:
            self.mark_speakers()

    # ----------------------------------------------------------------------------------------
    # closing

    def check_close(self) -> None:
        """LiveKit's ``CloseIfEmpty`` (server §4), at the exact virtual time it falls due."""
        if self.counted:
            return
        cfg = self.config
        if self.ever_joined and self.last_left is not None:
            due = self.last_left + cfg.departure_timeout
        else:
            due = self.created_at + cfg.empty_timeout
        if self.now() >= due:
            self.close(DisconnectReason.ROOM_CLOSED)
        else:
            self.schedule_close_check(due)

    def close(self, reason: DisconnectReason) -> None:
        for identity in list(self.records):
            self.end_session(identity, reason)
        self.closed = True
        # a client cut off when the room closed still gives up on its own clock (faults §6)
        self.timers = [t for t in self.timers if t[2] is TimerKind.GIVE_UP]
        heapq.heapify(self.timers)
        self.close_due = None
        self.webhook("room_finished")

    # ----------------------------------------------------------------------------------------
    # invariants

    def check(self) -> None:
        """Raise ``InternalError`` if the records and their indexes disagree (``Room._check``)."""
        sids: set[str] = set()
        last_seq = 0
        owners: dict[str, str] = {}
        for identity, rec in self.records.items():
            if rec.identity != identity:
                broken("a record is filed under another identity", key=identity)
            if rec.sid in sids:
                broken("two sessions share a sid", sid=rec.sid)
            sids.add(rec.sid)
            if rec.seq <= last_seq:
                broken("participants are not in join order", identity=identity, seq=rec.seq)
            last_seq = rec.seq
            for sid, t in rec.tracks.items():
                if t.sid != sid or t.closing:
                    broken("a track record is stale or filed wrongly", identity=identity, sid=sid)
                owners[sid] = identity
            if bool(rec.tracks) != (rec.seq in self.publishers):
                broken("the publisher index disagrees with the tracks", identity=identity)
        if owners != self.track_owner:
            broken("the track owner index disagrees with the records", index=self.track_owner)
        counted = sum(1 for r in self.records.values() if not r.dependent)
        if counted != self.counted:
            broken("the count of counted sessions is wrong", counted=counted, kept=self.counted)
        if not self.qualities.check(self.active_qualities()):
            broken("the quality book disagrees with the records", book=self.qualities.current)
        for identity, client in self.sessions.items():
            if client.identity != identity:
                broken("a current client is filed under another identity", identity=identity)
        self.peer.check(self.timers, sids)


def preview(records: Mapping[str, Any]) -> str:
    """The identities of ``records`` for a message, the first eight at most."""
    names = list(records)
    if len(names) > 8:
        return ", ".join(map(repr, names[:8])) + f", ... ({len(names)} in all)"
    return ", ".join(map(repr, names)) or "nobody"

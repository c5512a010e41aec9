"""Internal state: immutable records of the server's truth, and the facts a commit appends.

A participant's server state is one immutable ``PRecord``; a change replaces it (copy on
write, sharing the unchanged maps).  Every fact that changes a record carries the record before
and after, so any client can be shown the room as it was at its own cursor (``records_at``)
without a copy of the room per client, and a projection never needs more than the fact and the
client's own record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from roomsim.model import (
    EMPTY_MAP,
    ConnectionQuality,
    DataPacketKind,
    DisconnectReason,
    KindDetail,
    ParticipantKind,
    ParticipantState,
    Permission,
    PublicationSnapshot,
    StreamState,
    TrackKind,
    TrackSource,
)

# --------------------------------------------------------------------------------------------
# records


class _Record:
    """An immutable record whose copy-with-changes costs one dict copy (``evolve``).

    Records are internal and replaced, never changed: a commit builds a new one with
    ``evolve`` and facts keep the old one.  Equality compares every field.
    """

    __slots__ = ("__dict__",)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use evolve()")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({fields})"


class TRecord(_Record):
    """A published track on the server."""

    sid: str
    name: str
    kind: TrackKind
    source: TrackSource
    muted: bool
    #: set while the track is being torn down: nobody is subscribed to a closing track
    closing: bool
    #: whether a non-hidden subscriber has ever bound to it (``local_track_subscribed`` sent)
    ever_subscribed: bool

    def __init__(
        self,
        *,
        sid: str,
        name: str,
        kind: TrackKind,
        source: TrackSource,
        muted: bool,
        closing: bool = False,
        ever_subscribed: bool = False,
    ) -> None:
        self.__dict__.update(
            sid=sid,
            name=name,
            kind=kind,
            source=source,
            muted=muted,
            closing=closing,
            ever_subscribed=ever_subscribed,
        )

    def snapshot(self) -> PublicationSnapshot:
        """The publication as the server (or its own publisher) sees it."""
        return PublicationSnapshot(
            sid=self.sid, name=self.name, kind=self.kind, source=self.source, muted=self.muted
        )


class PRecord(_Record):
    """One participant session on the server."""

    seq: int
    sid: str
    identity: str
    name: str
    metadata: str
    attributes: Mapping[str, str]
    kind: ParticipantKind
    kind_details: tuple[KindDetail, ...]
    permission: Permission
    state: ParticipantState
    joined_at: float
    disconnect_reason: DisconnectReason | None
    tracks: Mapping[str, TRecord]
    auto_subscribe: bool
    #: explicit wishes of this participant as a subscriber: track sid -> wanted
    sub_overrides: Mapping[str, bool]
    #: this participant's subscription permissions as a publisher
    sub_all: bool
    sub_allowed: Mapping[str, tuple[str, ...] | None]
    quality: ConnectionQuality
    audio_level: float
    is_speaking: bool

    def __init__(
        self,
        *,
        seq: int,
        sid: str,
        identity: str,
        name: str,
        metadata: str,
        attributes: Mapping[str, str],
        kind: ParticipantKind,
        kind_details: tuple[KindDetail, ...],
        permission: Permission,
        state: ParticipantState,
        joined_at: float,
        disconnect_reason: DisconnectReason | None = None,
        tracks: Mapping[str, TRecord] = EMPTY_MAP,
        auto_subscribe: bool = True,
        sub_overrides: Mapping[str, bool] = EMPTY_MAP,
        sub_all: bool = True,
        sub_allowed: Mapping[str, tuple[str, ...] | None] = EMPTY_MAP,
        quality: ConnectionQuality = ConnectionQuality.EXCELLENT,
        audio_level: float = 0.0,
        is_speaking: bool = False,
    ) -> None:
        self.__dict__.update(
            seq=seq,
            sid=sid,
            identity=identity,
            name=name,
            metadata=metadata,
            attributes=attributes,
            kind=kind,
            kind_details=kind_details,
            permission=permission,
            state=state,
            joined_at=joined_at,
            disconnect_reason=disconnect_reason,
            tracks=tracks,
            auto_subscribe=auto_subscribe,
            sub_overrides=sub_overrides,
            sub_all=sub_all,
            sub_allowed=sub_allowed,
            quality=quality,
            audio_level=audio_level,
            is_speaking=is_speaking,
        )

    @property
    def hidden(self) -> bool:
        return self.permission.hidden

    @property
    def dependent(self) -> bool:
        """Agents and egress neither count toward limits nor keep a room open (server §3, §4)."""
        p = self.permission
        return (
            self.kind is ParticipantKind.AGENT
            or self.kind is ParticipantKind.EGRESS
            or p.agent
            or p.recorder
        )

    @property
    def exempt_from_track_permissions(self) -> bool:
        """Recorders and egress ignore publishers' subscription permissions (server §6)."""
        return self.permission.recorder or self.kind is ParticipantKind.EGRESS


_R = TypeVar("_R", bound=_Record)
_new = object.__new__


def evolve(rec: _R, **changes: Any) -> _R:
    """A copy of ``rec`` with ``changes``: one dict copy, no validation (internal values)."""
    new = _new(type(rec))
    d = new.__dict__
    d.update(rec.__dict__)
    d.update(changes)
    return new


#: the server's active-speaker threshold: -35 dBov as a linear level (spec server §7)
SPEAKING_THRESHOLD = 10 ** (-35 / 20)

#: one subscriber's change on one track: (publisher record, track sid, subscribed now or None,
#: permission status to report or None)
SubChange = tuple["PRecord", str, "bool | None", "bool | None"]


# --------------------------------------------------------------------------------------------
# the subscription rule: one function, used by the server at commit and by every projection


def allowed_by(publisher: PRecord, subscriber: PRecord, track_sid: str) -> bool:
    """Whether ``publisher``'s subscription permissions let ``subscriber`` receive a track."""
    if publisher.sub_all or subscriber.exempt_from_track_permissions:
        return True
    sids = publisher.sub_allowed.get(subscriber.identity, ())
    return sids is None or track_sid in sids


def wants(subscriber: PRecord, track_sid: str) -> bool:
    """Whether the subscriber's subscription manager wants the track (desired and ACTIVE)."""
    return subscriber.state is ParticipantState.ACTIVE and subscriber.sub_overrides.get(
        track_sid, subscriber.auto_subscribe
    )


def is_subscribed(subscriber: PRecord, publisher: PRecord, track: TRecord) -> bool:
    """The one rule for an actual subscription (server §6): wanted, granted and allowed."""
    return (
        subscriber.sid != publisher.sid
        and not track.closing
        and not publisher.permission.hidden
        and subscriber.permission.can_subscribe
        and wants(subscriber, track.sid)
        and allowed_by(publisher, subscriber, track.sid)
    )


def permission_state(subscriber: PRecord, publisher: PRecord, track: TRecord) -> bool | None:
    """The subscriber's view of its permission for a track it wants; None when not wanted."""
    if subscriber.sid == publisher.sid or track.closing or publisher.permission.hidden:
        return None
    if not wants(subscriber, track.sid):
        return None
    return allowed_by(publisher, subscriber, track.sid)


# --------------------------------------------------------------------------------------------
# facts


class Fact:
    """A room-level fact appended by a commit; projections turn facts into events."""

    __slots__ = ("after", "before", "subject", "time")

    subject: str | None
    before: PRecord | None
    after: PRecord | None
    time: float

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in _all_slots(type(self)))
        return f"{type(self).__name__}({fields})"


def _all_slots(cls: type) -> list[str]:
    out: list[str] = []
    for klass in reversed(cls.__mro__):
        out.extend(getattr(klass, "__slots__", ()))
    return out


class PFact(Fact):
    """A fact about one participant session: its record before and after."""

    __slots__ = ()

    def __init__(self, before: PRecord | None, after: PRecord | None, time: float) -> None:
        rec = after if after is not None else before
        assert rec is not None
        self.subject = rec.identity
        self.before = before
        self.after = after
        self.time = time

    @property
    def rec(self) -> PRecord:
        rec = self.after if self.after is not None else self.before
        assert rec is not None
        return rec


class Joined(PFact):
    """A new session is in the room (JOINED)."""

    __slots__ = ()


class Activated(PFact):
    """A session became ACTIVE; ``subs`` are the subscriptions it gained then."""

    __slots__ = ("subs",)

    def __init__(
        self,
        before: PRecord,
        after: PRecord,
        time: float,
        subs: tuple[SubChange, ...],
    ) -> None:
        super().__init__(before, after, time)
        self.subs = subs


class Left(PFact):
    """A session ended (its tracks were removed by earlier facts)."""

    __slots__ = ("reason",)

    def __init__(self, before: PRecord, time: float, reason: DisconnectReason) -> None:
        super().__init__(before, None, time)
        self.reason = reason


class NameChanged(PFact):
    __slots__ = ()


class MetadataChanged(PFact):
    __slots__ = ()


class AttributesChanged(PFact):
    __slots__ = ("changed",)

    def __init__(
        self, before: PRecord, after: PRecord, time: float, changed: Mapping[str, str]
    ) -> None:
        super().__init__(before, after, time)
        self.changed = changed


class PermissionChanged(PFact):
    """The permission set changed; ``subs`` are the subject's own subscription changes."""

    __slots__ = ("subs",)

    def __init__(
        self,
        before: PRecord,
        after: PRecord,
        time: float,
        subs: tuple[SubChange, ...],
    ) -> None:
        super().__init__(before, after, time)
        self.subs = subs


class TrackFact(PFact):
    """A fact about one of the subject's tracks."""

    __slots__ = ("track",)

    def __init__(self, before: PRecord, after: PRecord, time: float, track: TRecord) -> None:
        super().__init__(before, after, time)
        self.track = track


class TrackAdded(TrackFact):
    """The subject published a track."""

    __slots__ = ()


class TrackClosing(TrackFact):
    """Subscribers lose the track; it is still published."""

    __slots__ = ()


class TrackRemoved(PFact):
    """The track is gone; ``silent`` when its publisher is leaving (no local event)."""

    __slots__ = ("silent", "track")

    def __init__(
        self, before: PRecord, after: PRecord, time: float, track: TRecord, silent: bool
    ) -> None:
        super().__init__(before, after, time)
        self.track = track
        self.silent = silent


class TrackMuteChanged(TrackFact):
    """The subject's track was muted or unmuted (``track`` is the new state)."""

    __slots__ = ()


class FirstSubscribed(TrackFact):
    """A track's first non-hidden subscriber bound: its publisher is told once."""

    __slots__ = ()


class SubscriptionChanged(PFact):
    """The subject (a subscriber) changed what it wants; ``subs`` are its actual changes.

    Each entry of ``subs`` is (publisher, track sid, subscribed or None, permission event or
    None): the subscription that started or ended, and the permission status the subscriber is
    told about.
    """

    __slots__ = ("subs",)

    def __init__(
        self,
        before: PRecord,
        after: PRecord,
        time: float,
        subs: tuple[SubChange, ...],
    ) -> None:
        super().__init__(before, after, time)
        self.subs = subs


class SubPermissionsChanged(PFact):
    """The subject (a publisher) replaced its subscription permissions."""

    __slots__ = ()


class StreamStateChanged(Fact):
    """The network paused or resumed a track for one subscriber (a fact for it alone)."""

    __slots__ = ("publisher", "state", "subscriber_sid", "track_sid")

    def __init__(
        self, subscriber_sid: str, publisher: str, track_sid: str, state: StreamState, time: float
    ) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.subscriber_sid = subscriber_sid
        self.publisher = publisher
        self.track_sid = track_sid
        self.state = state


class MediaChanged(PFact):
    """The media layer changed a record (speaking, level, quality): no event of its own."""

    __slots__ = ()


class SpeakersChanged(Fact):
    """A speaker update (spec server §7): ``changes`` are (identity, level, active), the new
    and changed speakers loudest first, then those that stopped."""

    __slots__ = ("changes",)

    def __init__(self, changes: tuple[tuple[str, float, bool], ...], time: float) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.changes = changes


class QualityUpdate(Fact):
    """A connection-quality update (spec server §8): every ACTIVE participant's quality; each
    ACTIVE client receives its own and those it subscribes to."""

    __slots__ = ("_order", "qualities")

    def __init__(self, qualities: Mapping[str, ConnectionQuality], time: float) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.qualities = qualities
        self._order: dict[str, int] | None = None

    def order(self) -> dict[str, int]:
        """identity -> position in join order (built once, shared by every client)."""
        if self._order is None:
            self._order = {identity: i for i, identity in enumerate(self.qualities)}
        return self._order


class RoomMetadata(Fact):
    __slots__ = ("new", "old")

    def __init__(self, old: str, new: str, time: float) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.old = old
        self.new = new


class Data(Fact):
    """A data packet from ``sender`` (None: the server); ``hidden`` senders arrive anonymous."""

    __slots__ = ("data", "destinations", "hidden", "kind", "sender", "sender_sid", "topic")

    def __init__(
        self,
        sender: PRecord | None,
        data: bytes,
        topic: str | None,
        kind: DataPacketKind,
        destinations: frozenset[str] | None,
        time: float,
    ) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.sender = sender.identity if sender is not None else None
        self.sender_sid = sender.sid if sender is not None else None
        self.hidden = sender is not None and sender.permission.hidden
        self.data = data
        self.topic = topic
        self.kind = kind
        self.destinations = destinations

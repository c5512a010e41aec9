"""The server's records: immutable participant and track records, and the subscription rule.

A participant's server state is one immutable ``ParticipantRecord``; a change replaces it (copy on
write, sharing the unchanged maps).  Every fact that changes a record carries the record before
and after, so any client can be shown the room as it was at its own cursor (``records_at``)
without a copy of the room per client, and a projection never needs more than the fact and the
client's own record.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from roomsim.model import (
    EMPTY_MAP,
    ConnectionQuality,
    DisconnectReason,
    KindDetail,
    ParticipantKind,
    ParticipantSnapshot,
    ParticipantState,
    Permission,
    PublicationSnapshot,
    TrackKind,
    TrackSource,
    is_dependent,
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


class TrackRecord(_Record):
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


class ParticipantRecord(_Record):
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
    tracks: Mapping[str, TrackRecord]
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
        tracks: Mapping[str, TrackRecord] = EMPTY_MAP,
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

    def new_session(
        self,
        seq: int,
        sid: str,
        joined_at: float,
        *,
        sub_all: bool = True,
        sub_allowed: Mapping[str, tuple[str, ...] | None] = EMPTY_MAP,
        quality: ConnectionQuality = ConnectionQuality.EXCELLENT,
    ) -> ParticipantRecord:
        """The same participant's claims (name, metadata, attributes, kind, permission,
        auto-subscribe) in a new session: JOINED at ``joined_at`` under ``sid``, with no
        tracks or subscriptions yet (a full reconnect's join, faults §3.2; a move's, which also
        keeps its publisher permissions and quality, faults §5.1)."""
        return ParticipantRecord(
            seq=seq,
            sid=sid,
            identity=self.identity,
            name=self.name,
            metadata=self.metadata,
            attributes=self.attributes,
            kind=self.kind,
            kind_details=self.kind_details,
            permission=self.permission,
            state=ParticipantState.JOINED,
            joined_at=joined_at,
            auto_subscribe=self.auto_subscribe,
            sub_all=sub_all,
            sub_allowed=sub_allowed,
            quality=quality,
        )

    def snapshot(self) -> ParticipantSnapshot:
        """The server's view of this session, as a public value."""
        return ParticipantSnapshot(
            sid=self.sid,
            identity=self.identity,
            name=self.name,
            metadata=self.metadata,
            attributes=self.attributes,
            kind=self.kind,
            kind_details=self.kind_details,
            state=self.state,
            permission=self.permission,
            joined_at=self.joined_at,
            disconnect_reason=self.disconnect_reason,
            track_publications=MappingProxyType(
                {t.sid: t.snapshot() for t in self.tracks.values()}
            ),
            connection_quality=self.quality,
            is_speaking=self.is_speaking,
            audio_level=self.audio_level,
        )

    @property
    def dependent(self) -> bool:
        """Agents and egress neither count toward limits nor keep a room open (server §3, §4)."""
        return is_dependent(self.kind, self.permission)

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


#: the server's active-speaker threshold: -35 dBov as a linear level (server §7)
SPEAKING_THRESHOLD = 10 ** (-35 / 20)

#: one subscriber's change on one track: (publisher record, track sid, subscribed now or None,
#: permission status to report or None)
SubChange = tuple["ParticipantRecord", str, "bool | None", "bool | None"]


# --------------------------------------------------------------------------------------------
# the subscription rule: one function, used by the server at commit and by every projection


def allowed_by(publisher: ParticipantRecord, subscriber: ParticipantRecord, track_sid: str) -> bool:
    """Whether ``publisher``'s subscription permissions let ``subscriber`` receive a track."""
    if publisher.sub_all or subscriber.exempt_from_track_permissions:
        return True
    sids = publisher.sub_allowed.get(subscriber.identity, ())
    return sids is None or track_sid in sids


def wants(subscriber: ParticipantRecord, track_sid: str) -> bool:
    """Whether the subscriber's subscription manager wants the track (desired and ACTIVE)."""
    return subscriber.state is ParticipantState.ACTIVE and subscriber.sub_overrides.get(
        track_sid, subscriber.auto_subscribe
    )


def is_subscribed(
    subscriber: ParticipantRecord, publisher: ParticipantRecord, track: TrackRecord
) -> bool:
    """The one rule for an actual subscription (server §6): wanted, granted and allowed, of a
    track announced to others (its publisher is ACTIVE, client §16.14)."""
    return (
        subscriber.sid != publisher.sid
        and publisher.state is ParticipantState.ACTIVE
        and not track.closing
        and not publisher.permission.hidden
        and subscriber.permission.can_subscribe
        and wants(subscriber, track.sid)
        and allowed_by(publisher, subscriber, track.sid)
    )


def permission_state(
    subscriber: ParticipantRecord, publisher: ParticipantRecord, track: TrackRecord
) -> bool | None:
    """The subscriber's view of its permission for a track it wants; None when not wanted, not
    announced (client §16.14), or while the subscriber lacks ``can_subscribe`` (client §16.9)."""
    if subscriber.sid == publisher.sid or track.closing or publisher.permission.hidden:
        return None
    if publisher.state is not ParticipantState.ACTIVE or not subscriber.permission.can_subscribe:
        return None
    if not wants(subscriber, track.sid):
        return None
    return allowed_by(publisher, subscriber, track.sid)


def wants_any(rec: ParticipantRecord) -> bool:
    """Whether ``rec`` may want any track at all (ACTIVE, and auto-subscribing or a wish)."""
    return rec.state is ParticipantState.ACTIVE and (
        rec.auto_subscribe or any(rec.sub_overrides.values())
    )


def replaced(m: Mapping[str, Any], key: str, value: Any) -> Mapping[str, Any]:
    """A read-only copy of ``m`` with ``key`` set to ``value``."""
    d = dict(m)
    d[key] = value
    return MappingProxyType(d)
